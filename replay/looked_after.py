"""Whether a child is, or was, looked after on a date, from legal status and placements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from events.codes import STILL_LOOKED_AFTER
from events.timepoints import local_date
from events.vocabulary import CARE_TYPES
from projections import tables
from projections.fold import ChronologyEntry

if TYPE_CHECKING:  # queries import this module; it only calls them
    from replay.queries import CaseQueries


@dataclass(frozen=True)
class CareStatus:
    """A child's looked-after status on a date, from the facts of care."""

    looked_after: bool
    has_been_looked_after: bool


def care_entries(
    queries: CaseQueries,
    person_id: str,
    *,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> list[ChronologyEntry]:
    """The legal status and placement entries of every case naming the child as a subject,
    as known at T to the record (or to `agency`), in the order they happened."""
    from replay.queries import ChronologyFilter  # here: replay.queries imports this module

    subjects = tables.state_subjects
    with queries.engine.connect() as connection:
        case_ids = sorted(
            connection.execute(
                select(subjects.c.case_id).where(subjects.c.person_id == person_id).distinct()
            ).scalars()
        )
    where = ChronologyFilter(types=tuple(sorted(CARE_TYPES)))
    found = [
        entry
        for case_id in case_ids
        for entry in queries.chronology(
            case_id, as_known_at=as_known_at, agency=agency, where=where
        )
    ]
    return sorted(found, key=lambda entry: (local_date(entry.occurred_at), entry.position))


def care_status(entries: Iterable[ChronologyEntry], person_id: str, on: date) -> CareStatus:
    """Looked after on `on`: a placement open that day, or a legal status recorded with no
    end of care since. A period of care ends with a placement ended for a reason other than
    X1 (X1: the placement changed, the child stays looked after); facts count from their day.

    `entries` are in the order they happened; each names the child in `person_id`, or (with
    no `person_id`) among its subjects; a placement's end is the child's if its start was.
    """
    open_placements: set[tuple[str, str]] = set()
    theirs: set[tuple[str, str]] = set()
    by_legal_status = has_been = False
    for entry in entries:
        if local_date(entry.occurred_at) > on:
            break
        data = entry.data
        placement = (entry.case_id, str(data.get("placement_id")))
        if entry.type == "placement_ended" and "person_id" not in data:
            if placement not in theirs:
                continue
        elif not _names(entry, person_id):
            continue
        if entry.type == "legal_status_changed":
            by_legal_status = has_been = True
        elif entry.type == "placement_started":
            open_placements.add(placement)
            theirs.add(placement)
            has_been = True
        elif entry.type == "placement_ended":
            open_placements.discard(placement)
            if data.get("reason") not in (None, STILL_LOOKED_AFTER):
                open_placements.clear()
                by_legal_status = False
    return CareStatus(bool(open_placements) or by_legal_status, has_been)


def _names(entry: ChronologyEntry, person_id: str) -> bool:
    named = entry.data.get("person_id")
    return named == person_id if named is not None else person_id in entry.subjects
