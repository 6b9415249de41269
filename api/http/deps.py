"""Request dependencies: the application's parts, the current user, and who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.access_log import Access
from api.bootstrap import Foresight
from api.http.problems import ProblemError
from api.users import User, authenticate

READ_CASE_ROLES = frozenset({"practitioner", "manager", "reviewer"})
APPEND_ROLES = frozenset({"practitioner", "manager"})
MANAGER_TYPES = frozenset({"marked_significant", "decision_made", "information_shared"})
WHOLE_RECORD_ROLES = frozenset({"reviewer"})
AUDIT_ROLES = frozenset({"auditor"})
# Authority-wide reports; the access log records such a read against EVERY_CASE.
REPORT_ROLES = frozenset({"manager", "reviewer"})


def get_foresight(request: Request) -> Foresight:
    return request.app.state.foresight  # type: ignore[no-any-return]


bearer = HTTPBearer(auto_error=False, description="A token made with `foresight users add`")


def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    foresight: Annotated[Foresight, Depends(get_foresight)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            401,
            "Not authenticated",
            "Send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = authenticate(foresight.queries.engine, credentials.credentials)
    if user is None:
        raise ProblemError(
            401,
            "Not authenticated",
            "The token is not valid",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user
    return user


ForesightDep = Annotated[Foresight, Depends(get_foresight)]
CurrentUser = Annotated[User, Depends(get_current_user)]


def require(user: User, roles: frozenset[str], action: str) -> None:
    if user.role not in roles:
        raise ProblemError(
            403,
            "Forbidden",
            f"A {user.role} may not {action}; it needs one of: " + ", ".join(sorted(roles)),
        )


def require_whole_record_report(foresight: Foresight, user: User, action: str) -> None:
    """Reports built from the whole record of every case (the CIN census, children on
    plans): reviewers, and managers of the agency that makes the statutory returns. Any other
    manager sees what their own agency knows, so not these."""
    require(user, REPORT_ROLES, action)
    if user.role not in WHOLE_RECORD_ROLES and user.agency != foresight.returns_agency:
        raise ProblemError(
            403,
            "Forbidden",
            f"This report is the whole record of every case: for reviewers and managers of "
            f"{foresight.returns_agency}; a {user.role} of {user.agency} sees what "
            f"{user.agency} knows",
        )


def viewing_agency(user: User, agency: str | None) -> str | None:
    """Whose knowledge a reader sees: reviewers any (default the whole record), others their own."""
    require(user, READ_CASE_ROLES, "read case data")
    if user.role in WHOLE_RECORD_ROLES:
        return agency.lower() if agency else None
    if agency and agency.lower() != user.agency:
        raise ProblemError(
            403,
            "Forbidden",
            f"A {user.role} of {user.agency} sees what {user.agency} knows, not {agency}",
        )
    return user.agency


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
