"""Request dependencies: the application's parts, the current user, and who may do what.

The dependencies that only look at the request and the user are `async def`, though they
await nothing: FastAPI runs a plain `def` dependency in its thread pool, a hop between
threads for each (five on every read), while these take microseconds and never block. The
ones that query the store (`get_known_case`, `get_known_person`) stay plain `def`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.access_log import Access
from api.bootstrap import Foresight
from api.http.params import AgencyParam, CaseId, PersonId
from api.http.problems import ProblemError
from api.settings import Settings
from api.users import User
from domain.errors import CaseNotFound

READ_CASE_ROLES = frozenset({"practitioner", "manager", "reviewer"})
WHOLE_RECORD_ROLES = frozenset({"reviewer"})
AUDIT_ROLES = frozenset({"auditor"})
# Authority-wide reports; the access log records such a read against EVERY_CASE.
REPORT_ROLES = frozenset({"manager", "reviewer"})


async def get_foresight(request: Request) -> Foresight:
    """The application `create_app` built for this app (api/bootstrap.py)."""
    foresight: Foresight = request.app.state.foresight
    return foresight


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (not the process's environment)."""
    settings: Settings = request.app.state.settings
    return settings


bearer = HTTPBearer(auto_error=False, description="A token made with `foresight users add`")


async def get_current_user(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The user the `Authentication` middleware found for the token (api/http/middleware.py),
    before any of the request was read. `_scheme` declares the bearer scheme in the OpenAPI
    document; the token itself was checked there."""
    user: User | None = getattr(request.state, "user", None)
    if user is None:  # a public path's route asking for a user: none was authenticated
        raise ProblemError(
            401,
            "Not authenticated",
            "Send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


ForesightDep = Annotated[Foresight, Depends(get_foresight)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CurrentUser = Annotated[User, Depends(get_current_user)]


def require(user: User, roles: frozenset[str], action: str) -> None:
    if user.role not in roles:
        raise ProblemError(
            403,
            "Forbidden",
            f"A {user.role} may not {action}; it needs one of: " + ", ".join(sorted(roles)),
        )


def role_required(roles: frozenset[str], action: str) -> Callable[[User], Awaitable[User]]:
    """A dependency: the current user, if their role may do `action` (403 otherwise)."""

    async def allowed(user: CurrentUser) -> User:
        require(user, roles, action)
        return user

    return allowed


def whole_record_report(action: str) -> Callable[[User, Foresight], Awaitable[User]]:
    """A dependency for reports built from the whole record of every case (the CIN census,
    children on plans): reviewers, and managers of the agency that makes the statutory returns.
    Any other manager sees what their own agency knows, so not these."""

    async def allowed(user: CurrentUser, foresight: ForesightDep) -> User:
        require(user, REPORT_ROLES, action)
        if user.role not in WHOLE_RECORD_ROLES and user.agency != foresight.returns_agency:
            raise ProblemError(
                403,
                "Forbidden",
                f"This report is the whole record of every case: for reviewers and managers of "
                f"{foresight.returns_agency}; a {user.role} of {user.agency} sees what "
                f"{user.agency} knows",
            )
        return user

    return allowed


# Who may do what: the current user, refused with 403 naming the action. A route's dependencies
# run in the order its parameters are declared, and all of them before its own query parameters
# are validated.
Reader = Annotated[User, Depends(role_required(READ_CASE_ROLES, "read case data"))]
WholeRecordReader = Annotated[
    User, Depends(role_required(WHOLE_RECORD_ROLES, "see what other agencies held"))
]
ReviewOpener = Annotated[User, Depends(role_required(WHOLE_RECORD_ROLES, "open a review"))]
ReviewReader = Annotated[User, Depends(role_required(WHOLE_RECORD_ROLES, "read a review"))]
ReviewEditor = Annotated[User, Depends(role_required(WHOLE_RECORD_ROLES, "change a review"))]
Auditor = Annotated[User, Depends(role_required(AUDIT_ROLES, "read the audit trail"))]
AccessAuditor = Annotated[User, Depends(role_required(AUDIT_ROLES, "read the access log"))]
Reporter = Annotated[User, Depends(role_required(REPORT_ROLES, "read authority-wide reports"))]
TimelinessReporter = Annotated[
    User, Depends(role_required(REPORT_ROLES, "read the timeliness report"))
]
WholeRecordReporter = Annotated[User, Depends(whole_record_report("read authority-wide reports"))]
CensusReporter = Annotated[User, Depends(whole_record_report("read the CIN census"))]


def viewing_agency(user: User, agency: str | None) -> str | None:
    """The scoping rule every read goes through: whose knowledge a reader sees. Reviewers any
    agency's (by default the whole record, None); everyone else their own agency's, and asking
    for another agency's is a 403, never a silent widening."""
    if user.role in WHOLE_RECORD_ROLES:
        return agency.lower() if agency else None
    if agency and agency.lower() != user.agency:
        raise ProblemError(
            403,
            "Forbidden",
            f"A {user.role} of {user.agency} sees what {user.agency} knows, not {agency}",
        )
    return user.agency


async def refuse_another_agencys_view(request: Request) -> None:
    """An app-wide dependency: `agency` names another agency than the reader's on any route, one
    that reads it or one that ignores it, and the answer is 403 (a route that ignored it would
    answer with more than was asked for). An auditor's `agency` filters the audit trail of every
    agency, which is theirs to read."""
    user: User | None = getattr(request.state, "user", None)
    if user is None or user.role in AUDIT_ROLES:
        return
    for agency in request.query_params.getlist("agency"):  # each, if it is given twice
        viewing_agency(user, agency)


async def get_viewing_agency(user: Reader, agency: AgencyParam = None) -> str | None:
    """Whose knowledge a reader sees (`viewing_agency`)."""
    return viewing_agency(user, agency)


ViewingAgency = Annotated[str | None, Depends(get_viewing_agency)]


def get_known_case(
    case_id: CaseId, user: Reader, viewer: ViewingAgency, foresight: ForesightDep
) -> str:
    """The case id from the path, once the reader may read cases as this agency (403 first)
    and the caught-up read models hold the case as the reader's agency knows it (404
    otherwise, the same answer as for a case that does not exist: an agency learns nothing of
    a case it was never told of); the route then reads `foresight.queries`. A reviewer reads
    the whole record, so any case in it, viewed as any agency (which may have known nothing).

    `user` is here so the role is checked before the case is looked up."""
    readers_agency = None if user.role in WHOLE_RECORD_ROLES else viewer
    if not foresight.caught_up().case_exists(case_id, agency=readers_agency):
        raise CaseNotFound(case_id)
    return case_id


KnownCase = Annotated[str, Depends(get_known_case)]


def get_known_person(person_id: PersonId, user: Reader, foresight: ForesightDep) -> str:
    """The person id from the path, once the reader may read cases (403 first) and some case
    names the person (404 otherwise): for signposting, which every agency may read."""
    return _known_person(person_id, None, foresight)


def get_person_known_to_reader(
    person_id: PersonId, user: Reader, viewer: ViewingAgency, foresight: ForesightDep
) -> str:
    """The person id from the path, once the reader may read cases as this agency (403 first)
    and that agency has known some entry naming the person (404 otherwise, as for a case it
    was never told of); a reviewer reads the whole record."""
    readers_agency = None if user.role in WHOLE_RECORD_ROLES else viewer
    return _known_person(person_id, readers_agency, foresight)


def _known_person(person_id: str, agency: str | None, foresight: Foresight) -> str:
    if not foresight.caught_up().person_exists(person_id, agency=agency):
        raise ProblemError(404, "Person not found", f"No case names a person {person_id!r}")
    return person_id


KnownPerson = Annotated[str, Depends(get_known_person)]
PersonKnownToReader = Annotated[str, Depends(get_person_known_to_reader)]


def log_read(
    foresight: Foresight,
    user: User,
    request: Request,
    *,
    case_id: str | None = None,
    person_id: str | None = None,
    as_known_at: datetime | None = None,
    viewed_as: str | None = None,
) -> None:
    foresight.access.record(
        Access(
            user=user.name,
            role=user.role,
            agency=user.agency,
            endpoint=f"{request.method} {request.url.path}",
            case_id=case_id,
            person_id=person_id,
            as_known_at=as_known_at,
            viewed_as=viewed_as,
        )
    )
