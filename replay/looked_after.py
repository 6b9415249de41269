"""Whether a child is, or was, looked after on a date, from legal status and placements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
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


@dataclass(frozen=True)
class CarePeriod:
    """A period of care from the facts: the first day looked after and the day care ended
    (None: not ended)."""

    case_id: str  # the case of the fact that began it
    start: date
    end: date | None
    agency: str = ""  # the agency that recorded the fact that began it


def care_status(entries: Iterable[ChronologyEntry], person_id: str, on: date) -> CareStatus:
    """Looked after on `on`: a placement open that day, or a legal status recorded with no
    end of care since. A period of care ends with a placement ended for a reason other than
    X1 (X1: the placement changed, the child stays looked after); facts count from their day.

    `entries` are in the order they happened; each names the child in `person_id`, or (with
    no `person_id`) among its subjects; a placement's end is the child's if its start was.
    """
    fold = _CareFold(person_id)
    for entry in entries:
        if local_date(entry.occurred_at) > on:
            break
        fold.take(entry)
    return CareStatus(fold.looked_after, fold.has_been)


def care_periods(entries: Iterable[ChronologyEntry], person_id: str) -> list[CarePeriod]:
    """The child's periods of care, read as `care_status` reads a day: looked after at the end
    of a day begins a period, no longer looked after at the end of a day ends it (so a move
    with an X1 end and a new placement the same day does not break it)."""
    fold = _CareFold(person_id)
    periods: list[CarePeriod] = []
    began: tuple[ChronologyEntry | None, date] | None = None
    for day, same_day in groupby(entries, key=lambda entry: local_date(entry.occurred_at)):
        first = None
        for entry in same_day:
            if fold.take(entry) and first is None:
                first = entry
        if fold.looked_after and began is None:
            began = (first, day)
        elif not fold.looked_after and began is not None:
            periods.append(_care_period(*began, day))
            began = None
    if began is not None:
        periods.append(_care_period(*began, None))
    return periods


def _care_period(first: ChronologyEntry | None, start: date, end: date | None) -> CarePeriod:
    if first is None:
        return CarePeriod("", start, end)
    return CarePeriod(first.case_id, start, end, first.agency)


class _CareFold:
    """One child's legal status and placements, taken in the order they happened."""

    def __init__(self, person_id: str):
        self.person_id = person_id
        self.open_placements: set[tuple[str, str]] = set()
        self.theirs: set[tuple[str, str]] = set()
        self.by_legal_status = self.has_been = False

    @property
    def looked_after(self) -> bool:
        return bool(self.open_placements) or self.by_legal_status

    def take(self, entry: ChronologyEntry) -> bool:
        """Apply a fact; whether it was about the child."""
        data = entry.data
        placement = (entry.case_id, str(data.get("placement_id")))
        if entry.type == "placement_ended" and "person_id" not in data:
            if placement not in self.theirs:
                return False
        elif not _names(entry, self.person_id):
            return False
        if entry.type == "legal_status_changed":
            self.by_legal_status = self.has_been = True
        elif entry.type == "placement_started":
            self.open_placements.add(placement)
            self.theirs.add(placement)
            self.has_been = True
        elif entry.type == "placement_ended":
            self.open_placements.discard(placement)
            if data.get("reason") not in (None, STILL_LOOKED_AFTER):
                self.open_placements.clear()
                self.by_legal_status = False
        return True


def _names(entry: ChronologyEntry, person_id: str) -> bool:
    named = entry.data.get("person_id")
    return named == person_id if named is not None else person_id in entry.subjects
