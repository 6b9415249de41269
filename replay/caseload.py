"""A reader's cases: those allocated to them, those a search finds, each summed up as known now.

Everything is read as known now to one agency (or to the whole record, for reviewers): the
chronology entries it sees, with corrections applied and retracted entries left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine

from events.timepoints import local_date, start_of
from events.vocabulary import ALLOCATION_TYPES
from projections import tables
from projections.fold import ChronologyEntry
from replay.queries import holds_at, seen_by

# At most this many cases answer a search.
SEARCH_LIMIT = 50


def _viewer(agency: str | None) -> str:
    return agency.lower() if agency else tables.WHOLE_RECORD


@dataclass(frozen=True)
class CaseSummary:
    """One case as a reader's list shows it."""

    case_id: str
    children: tuple[str, ...]
    last_entry_on: date | None
    new_since_last_look: int
    last_looked_at: datetime | None
    # When something last reached the reader's view of the case (for the order of a list).
    last_activity: datetime | None


def reached_at(entry: ChronologyEntry) -> datetime:
    """When an entry reached the viewer in Foresight: recorded (an import of an old record is
    new when it arrives, whatever date the source system gave it), or learned by a share
    (`known_at` to the viewer is the share's time)."""
    return max(entry.recorded_at, entry.known_at)


class Caseload:
    """Which cases a reader holds or finds, and what each looks like to them now."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _current_entries(
        self, viewer: str, *conditions: ColumnElement[bool]
    ) -> Iterable[tuple[str, ChronologyEntry]]:
        """(case id, entry) of the entries the viewer sees now, not retracted, in log order."""
        states = tables.entry_states
        query = (
            select(states.c.case_id, states.c.entry)
            .where(
                seen_by(states, viewer),
                holds_at(states, None),
                states.c.retracted.is_(False),
                *conditions,
            )
            .order_by(states.c.position)
        )
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                yield row.case_id, ChronologyEntry.model_validate_json(row.entry)

    def allocated_case_ids(self, worker: str, agency: str) -> list[str]:
        """Cases where `worker` is allocated for `agency`, as the agency knows now: its own
        allocations, in the order recorded, each undone by a later unallocation."""
        agency = agency.lower()
        held: dict[str, bool] = {}
        states, stored = tables.entry_states, tables.events
        # Only the agency's own allocations are read (and decrypted), not those shared with it.
        own_allocations = select(stored.c.position).where(
            stored.c.agency == agency, stored.c.type.in_(sorted(ALLOCATION_TYPES))
        )
        for case_id, entry in self._current_entries(
            _viewer(agency),
            states.c.type.in_(sorted(ALLOCATION_TYPES)),
            states.c.position.in_(own_allocations),
        ):
            if entry.agency == agency and entry.data.get("worker") == worker:
                held[case_id] = entry.type == "worker_allocated"
        return sorted(case_id for case_id, allocated in held.items() if allocated)

    def matching_case_ids(self, text: str, agency: str | None) -> list[str]:
        """Cases the viewer (an agency, or None: the whole record) knows something of, whose
        id or one of whose children's names as the viewer knows them holds `text` (any letter
        case); the most recently active first, at most SEARCH_LIMIT."""
        viewer = _viewer(agency)
        wanted = text.casefold()
        states = tables.entry_states
        found = {
            case_id
            for case_id, entry in self._current_entries(viewer, states.c.type == "person_added")
            if entry.data.get("role") == "child"
            and wanted in str(entry.data.get("name") or "").casefold()
        }
        by_id = (
            select(states.c.case_id)
            .where(
                seen_by(states, viewer),
                holds_at(states, None),
                func.lower(states.c.case_id).contains(text.lower(), autoescape=True),
            )
            .distinct()
        )
        with self.engine.connect() as connection:
            found.update(connection.execute(by_id).scalars())
        return self._most_active(found, viewer)[:SEARCH_LIMIT]

    def _most_active(self, case_ids: set[str], viewer: str) -> list[str]:
        """The cases, the one whose view changed last first (then by case id)."""
        if not case_ids:
            return []
        states = tables.entry_states
        latest = func.max(states.c.known_from)
        query = (
            select(states.c.case_id, latest.label("latest"))
            .where(seen_by(states, viewer), states.c.case_id.in_(sorted(case_ids)))
            .group_by(states.c.case_id)
        )
        with self.engine.connect() as connection:
            rows = list(connection.execute(query))
        ranked = sorted(rows, key=lambda row: row.case_id)
        ranked.sort(key=lambda row: row.latest, reverse=True)
        return [row.case_id for row in ranked]

    def summaries(
        self,
        case_ids: Sequence[str],
        agency: str | None,
        last_looks: Mapping[str, datetime],
    ) -> list[CaseSummary]:
        """Each case as known now to the viewer: its children, its last entry's date, how many
        entries reached the viewer after the reader last looked (`last_looks`, by case; all of
        them if never), newest activity first."""
        if not case_ids:
            return []
        states = tables.entry_states
        entries: dict[str, list[ChronologyEntry]] = defaultdict(list)
        for case_id, entry in self._current_entries(
            _viewer(agency), states.c.case_id.in_(sorted(set(case_ids)))
        ):
            entries[case_id].append(entry)
        found = [
            _summary(case_id, entries.get(case_id, []), last_looks.get(case_id))
            for case_id in dict.fromkeys(case_ids)
        ]
        found.sort(key=lambda summary: summary.case_id)
        found.sort(key=_activity_order, reverse=True)
        return found


def _activity_order(summary: CaseSummary) -> tuple[bool, datetime]:
    last = summary.last_activity
    return (last is not None, last or datetime.min)


def _summary(
    case_id: str, entries: list[ChronologyEntry], last_look: datetime | None
) -> CaseSummary:
    children = tuple(
        str(entry.data.get("name") or entry.data["person_id"])
        for entry in entries
        if entry.type == "person_added" and entry.data.get("role") == "child"
    )
    latest = max(entries, key=lambda entry: start_of(entry.occurred_at), default=None)
    reached = [reached_at(entry) for entry in entries]
    return CaseSummary(
        case_id=case_id,
        children=children,
        last_entry_on=local_date(latest.occurred_at) if latest else None,
        new_since_last_look=sum(1 for when in reached if last_look is None or when > last_look),
        last_looked_at=last_look,
        last_activity=max(reached, default=None),
    )
