"""People endpoints: a child's own chronology across cases, and signposting status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.http.deps import CurrentUser, ForesightDep, log_read, viewing_agency
from api.http.params import AgencyParam, AsKnownAt, OnDate
from api.http.problems import ProblemError
from api.http.routes.cases import IDENTIFIER
from projections.fold import ChronologyEntry
from replay.queries import PersonStatus

router = APIRouter(prefix="/people", tags=["people"])

PersonId = Annotated[str, Path(pattern=IDENTIFIER, examples=["ava"])]


@router.get(
    "/{person_id}/chronology",
    response_model=list[ChronologyEntry],
    summary="A person's own chronology across every case that names them",
)
def person_chronology(
    person_id: PersonId,
    request: Request,
    user: CurrentUser,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    agency: AgencyParam = None,
) -> Any:
    """Every entry naming the person as a subject, in any case, as known at `as_known_at`."""
    viewer = viewing_agency(user, agency)
    queries = foresight.caught_up()
    if not queries.person_exists(person_id):
        raise ProblemError(404, "Person not found", f"No case names a person {person_id!r}")
    log_read(
        foresight, user, request, person_id=person_id, as_known_at=as_known_at, viewed_as=viewer
    )
    return queries.person_chronology(person_id, as_known_at=as_known_at, agency=viewer)


@router.get(
    "/{person_id}/status",
    response_model=PersonStatus,
    summary="Is, or has the child been, on a child protection plan or looked after",
)
def person_status(
    person_id: PersonId,
    request: Request,
    user: CurrentUser,
    foresight: ForesightDep,
    on: OnDate = None,
    as_known_at: AsKnownAt = None,
) -> Any:
    """Signposting on a date, as known at a time (from the plans naming the child)."""
    viewing_agency(user, None)
    queries = foresight.caught_up()
    if not queries.person_exists(person_id):
        raise ProblemError(404, "Person not found", f"No case names a person {person_id!r}")
    log_read(foresight, user, request, person_id=person_id, as_known_at=as_known_at)
    return queries.person_status(person_id, on=on, as_known_at=as_known_at)
