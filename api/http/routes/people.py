"""People endpoints: a child's own chronology across cases, and signposting status."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.http.deps import (
    ForesightDep,
    KnownPerson,
    PersonKnownToReader,
    Reader,
    ViewingAgency,
    log_read,
)
from api.http.params import AsKnownAt, OnDate
from projections.fold import ChronologyEntry
from replay.queries import PersonStatus

router = APIRouter(prefix="/people", tags=["people"])


@router.get(
    "/{person_id}/chronology",
    response_model=list[ChronologyEntry],
    summary="A person's own chronology across every case that names them",
)
def person_chronology(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    person_id: PersonKnownToReader,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> list[ChronologyEntry]:
    """Every entry naming the person as a subject, in any case, as known at `as_known_at`."""
    log_read(
        foresight, user, request, person_id=person_id, as_known_at=as_known_at, viewed_as=viewer
    )
    return foresight.queries.person_chronology(person_id, as_known_at=as_known_at, agency=viewer)


@router.get(
    "/{person_id}/status",
    response_model=PersonStatus,
    summary="Is, or has the child been, on a child protection plan or looked after",
)
def person_status(
    request: Request,
    user: Reader,
    _viewer: ViewingAgency,  # another agency than the reader's is refused here too
    person_id: KnownPerson,
    foresight: ForesightDep,
    on: OnDate = None,
    as_known_at: AsKnownAt = None,
) -> PersonStatus:
    """Signposting on a date, as known at a time, for every agency alike (the one deliberate
    exception to agency scoping): whether the child is or has been on a child protection plan or
    looked after, the dates, and whom to contact. Nothing else: no goals, categories, reviews or
    entries."""
    log_read(foresight, user, request, person_id=person_id, as_known_at=as_known_at)
    return foresight.queries.person_status(person_id, on=on, as_known_at=as_known_at)
