"""One case as the projection sees it: its events, who knew each from when, what depends on what.

Applying an event says which entries and plans changed, so that only their read-model
rows are recomputed. Every computed row comes from `projections.fold.fold_entries`, the same
fold that answers a chronology directly from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events.recorded import RecordedEvent
from events.timepoints import local_date, parse_timepoint, start_of
from events.vocabulary import AMENDING_TYPES
from projections.fold import (
    FOLLOWING_TYPES,
    ChronologyEntry,
    amended_entry,
    fold_entries,
    follows_entry,
)
from projections.tables import WHOLE_RECORD

PLAN_TYPES = frozenset({"plan_started", "plan_reviewed", "plan_ended"})


@dataclass(frozen=True)
class EntryState:
    """An entry as it stood to one viewer from `known_from` until `known_until`."""

    viewer: str
    known_from: datetime
    known_until: datetime | None
    entry: ChronologyEntry
    # On the whole record's states: the recording agency, when its states of this entry are
    # exactly the whole record's, so they are kept once (the common case: nobody else amended
    # it unseen by that agency).
    also_for: str | None = None


@dataclass(frozen=True)
class PlanPeriod:
    """A plan's life as known to the record from `known_from` until `known_until`."""

    plan_id: str
    known_from: datetime
    known_until: datetime | None
    kind: str
    started_on: date
    ended_on: date | None
    review_due: date | None
    subjects: tuple[str, ...]
    detail: dict[str, Any]


@dataclass
class Changes:
    """What applying events touched: entries and plans whose rows must be recomputed."""

    entries: set[UUID] = field(default_factory=set)
    plans: set[str] = field(default_factory=set)


class CaseModel:
    """Everything the projection needs about one case, kept in memory between batches."""

    def __init__(self, case_id: str):
        self.case_id = case_id
        self.events: dict[UUID, RecordedEvent] = {}
        self.knowledge: dict[UUID, dict[str, datetime]] = {}
        # entry id -> amendments of it, and retractions of those amendments
        self.related: dict[UUID, set[UUID]] = {}
        self.plan_events: dict[str, set[UUID]] = {}
        self.last_position = 0

    # -- applying -------------------------------------------------------------------------

    def apply(self, event: RecordedEvent, changes: Changes) -> list[tuple[UUID, str, datetime]]:
        """Take one event; note what it changed; return what agencies learned by a share.

        The whole record and the recording agency know every event from its own `known_at`,
        which its raw-log row holds; only knowledge gained otherwise needs rows of its own.
        """
        self.events[event.event_id] = event
        self.last_position = max(self.last_position, event.position)
        self._learn(event.event_id, WHOLE_RECORD, event.known_at, changes)
        self._learn(event.event_id, event.agency, event.known_at, changes)
        learned: list[tuple[UUID, str, datetime]] = []
        if event.type in AMENDING_TYPES:
            root = self.root_of(UUID(str(event.data["target_event_id"])))
            self.related.setdefault(root, set()).add(event.event_id)
            self._touch(root, changes)
            if event.type in FOLLOWING_TYPES and root in self.events:
                for viewer, when in list(self.knowledge.get(root, {}).items()):
                    self._follow(event, root, viewer, when, changes, learned)
        else:
            self.related.setdefault(event.event_id, set())
            if event.type in PLAN_TYPES:
                self.plan_events.setdefault(event.data["plan_id"], set()).add(event.event_id)
            self._touch(event.event_id, changes)
        if event.type == "information_shared":
            addressee = event.data["to_agency"]
            self._learn(event.event_id, addressee, event.known_at, changes, learned)
            for shared in event.data["event_ids"]:
                shared_id = UUID(str(shared))
                if shared_id in self.events:
                    when = max(event.known_at, self.events[shared_id].known_at)
                    self._learn(shared_id, addressee, when, changes, learned)
        return learned

    def _learn(
        self,
        event_id: UUID,
        viewer: str,
        when: datetime,
        changes: Changes,
        learned: list[tuple[UUID, str, datetime]] | None = None,
    ) -> None:
        known = self.knowledge.setdefault(event_id, {})
        if viewer in known and known[viewer] <= when:
            return
        known[viewer] = when
        if learned is not None:
            learned.append((event_id, viewer, when))
        if event_id in self.events:
            self._touch(self.root_of(event_id), changes)
            if viewer != WHOLE_RECORD:
                for related in self.related.get(event_id, ()):
                    self._follow(self.events[related], event_id, viewer, when, changes, learned)

    def _follow(
        self,
        amendment: RecordedEvent,
        entry_id: UUID,
        viewer: str,
        entry_known: datetime,
        changes: Changes,
        learned: list[tuple[UUID, str, datetime]] | None,
    ) -> None:
        """The viewer knows the entry from `entry_known`: a correction or retraction by the
        entry's own agency reaches it too, from when both are known (SPEC section 2)."""
        if viewer == WHOLE_RECORD or not follows_entry(amendment, self.events[entry_id]):
            return
        self._learn(
            amendment.event_id, viewer, max(amendment.known_at, entry_known), changes, learned
        )

    def _touch(self, entry_id: UUID, changes: Changes) -> None:
        changes.entries.add(entry_id)
        entry = self.events.get(entry_id)
        if entry is not None and entry.type in PLAN_TYPES:
            changes.plans.add(entry.data["plan_id"])

    def root_of(self, event_id: UUID) -> UUID:
        """The chronology entry an event is about (itself, or what it amends)."""
        return amended_entry(event_id, self.events)

    # -- computing rows -------------------------------------------------------------------

    def entry_states(self, entry_id: UUID) -> list[EntryState]:
        """The entry as it stood to each viewer over each interval of knowledge time (the
        recording agency's left out when they are the whole record's: see `also_for`)."""
        if entry_id not in self.events:
            return []
        event = self.events[entry_id]
        recorder = event.agency
        if not self.related.get(entry_id) and self.knowledge[entry_id].keys() == {
            WHOLE_RECORD,
            recorder,
        }:
            # Most entries: never amended nor shared, known from the moment they were recorded.
            known = {entry_id: event.known_at}
            entry = fold_entries([event], known, event.known_at)[0]
            return [EntryState(WHOLE_RECORD, event.known_at, None, entry, also_for=recorder)]
        involved = [event] + [self.events[event_id] for event_id in self.related.get(entry_id, ())]
        viewers = list(self.knowledge.get(entry_id, {}))
        also_for = None
        if self._known_to(recorder, involved) == self._known_to(WHOLE_RECORD, involved):
            viewers.remove(recorder)
            also_for = recorder
        states = []
        # The fold depends only on which events are visible and from when; viewers that
        # see the same ones share it.
        folds: dict[tuple[datetime | None, ...], ChronologyEntry] = {}
        for viewer in viewers:
            known = self._known_to(viewer, involved)
            times = [known.get(event.event_id) for event in involved]
            for known_from, known_until in _intervals(known, start=known[entry_id]):
                visible = tuple(
                    when if when is not None and when <= known_from else None for when in times
                )
                folded = folds.get(visible)
                if folded is None:
                    folded = folds[visible] = fold_entries(involved, known, known_from)[0]
                states.append(
                    EntryState(
                        viewer,
                        known_from,
                        known_until,
                        folded,
                        also_for if viewer == WHOLE_RECORD else None,
                    )
                )
        return states

    def plan_periods(self, plan_id: str) -> list[PlanPeriod]:
        """The plan's life as known to the record over each interval of knowledge time."""
        involved = []
        for event_id in self.plan_events.get(plan_id, ()):
            involved.append(self.events[event_id])
            involved += [self.events[related] for related in self.related.get(event_id, ())]
        known = self._known_to(WHOLE_RECORD, involved)
        periods = []
        for known_from, known_until in _intervals(known, start=min(known.values(), default=None)):
            period = plan_as_folded(
                plan_id, fold_entries(involved, known, known_from), known_from, known_until
            )
            if period is not None:
                periods.append(period)
        return periods

    def _known_to(self, viewer: str, involved: list[RecordedEvent]) -> dict[UUID, datetime]:
        return {
            event.event_id: self.knowledge[event.event_id][viewer]
            for event in involved
            if viewer in self.knowledge.get(event.event_id, {})
        }


def _intervals(
    known: dict[UUID, datetime], start: datetime | None
) -> list[tuple[datetime, datetime | None]]:
    """Consecutive knowledge intervals, one per moment something became known."""
    if start is None:
        return []
    moments = sorted({max(when, start) for when in known.values()})
    return [
        (moment, moments[index + 1] if index + 1 < len(moments) else None)
        for index, moment in enumerate(moments)
    ]


def plan_as_folded(
    plan_id: str,
    entries: list[ChronologyEntry],
    known_from: datetime,
    known_until: datetime | None,
) -> PlanPeriod | None:
    """The plan as these entries of it show it (None while its start is unknown or retracted):
    the read model folds the whole record's, and a query one agency's."""
    live = [entry for entry in entries if not entry.retracted]
    started = next((entry for entry in live if entry.type == "plan_started"), None)
    if started is None:
        return None
    reviews = sorted(
        (entry for entry in live if entry.type == "plan_reviewed"),
        key=lambda entry: (start_of(entry.occurred_at), entry.position),
    )
    ended = next((entry for entry in live if entry.type == "plan_ended"), None)
    review_due = started.data.get("review_due")
    for review in reviews:
        review_due = review.data.get("next_review_due") or review_due
    detail = {
        "plan_id": plan_id,
        "kind": started.data["kind"],
        "category": started.data.get("category"),
        "goals": started.data.get("goals") or [],
        "started_event_id": str(started.event_id),
        "started_at": started.model_dump(mode="json")["occurred_at"],
        "first_review_due": started.data.get("review_due"),
        # Every review known, in the order held: a question about date D counts only those
        # held by D.
        "review_history": [
            {
                "event_id": str(review.event_id),
                "occurred_at": review.model_dump(mode="json")["occurred_at"],
                "held_on": local_date(review.occurred_at).isoformat(),
                "progress": review.data.get("progress"),
                "next_review_due": review.data.get("next_review_due"),
            }
            for review in reviews
        ],
        "ended_event_id": str(ended.event_id) if ended else None,
        "ended_at": ended.model_dump(mode="json")["occurred_at"] if ended else None,
        "end_reason": ended.data.get("reason") if ended else None,
    }
    return PlanPeriod(
        plan_id=plan_id,
        known_from=known_from,
        known_until=known_until,
        kind=started.data["kind"],
        started_on=local_date(started.occurred_at),
        ended_on=local_date(ended.occurred_at) if ended else None,
        review_due=local_date(parse_timepoint(review_due)) if review_due else None,
        subjects=started.subjects,
        detail=detail,
    )
