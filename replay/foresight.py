"""The foresight view of one decision: what its maker knew, what others held, what came later.

Cutoff: the decision's `occurred_at` (the end of that day if it is a date), but never after
the decision's own `known_at`. Entries known at the cutoff appear as they stood then, and
are flagged where a later correction or retraction changed them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.errors import CaseNotFound, DomainError
from events.timepoints import InstantField, end_of, is_before, start_of
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries


class NotADecision(DomainError):
    """The event asked about is not a decision of this case."""


class ForesightEntry(BaseModel):
    """An entry in a foresight group, as it stood at the cutoff, and what became of it."""

    model_config = ConfigDict(frozen=True)

    entry: ChronologyEntry
    changed_later: bool
    retracted_later: bool
    now: ChronologyEntry | None


class ForesightView(BaseModel):
    """The three groups of SPEC section 5 for one decision."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    decision: ChronologyEntry
    deciding_agency: str
    cutoff: InstantField
    known_to_decider: list[ForesightEntry]
    held_elsewhere: list[ForesightEntry]
    learned_later: list[ForesightEntry]


def foresight_view(queries: CaseQueries, case_id: str, decision_id: str) -> ForesightView:
    """Build the foresight view of `decision_id` from the read models."""
    if not queries.case_exists(case_id):
        raise CaseNotFound(case_id)
    decision = queries.entry(case_id, decision_id)
    if decision is None or decision.type != "decision_made":
        raise NotADecision("event_id", f"{decision_id} is not a decision of case {case_id!r}")
    cutoff = min(end_of(decision.occurred_at), decision.known_at)
    agency = decision.agency

    now = {str(entry.event_id): entry for entry in queries.chronology(case_id)}
    decider = queries.chronology(case_id, as_known_at=cutoff, agency=agency)
    record = queries.chronology(case_id, as_known_at=cutoff)
    known_ids = {str(entry.event_id) for entry in decider}
    record_ids = {str(entry.event_id) for entry in record}

    def flagged(entry: ChronologyEntry) -> ForesightEntry:
        current = now.get(str(entry.event_id))
        return ForesightEntry(
            entry=entry,
            changed_later=current is not None and _content(current) != _content(entry),
            retracted_later=current is None,
            now=current if current is not None and _content(current) != _content(entry) else None,
        )

    learned_later = [
        entry
        for key, entry in now.items()
        if key not in record_ids
        and key != decision_id
        and is_before(entry.occurred_at, decision.occurred_at)
    ]
    return ForesightView(
        case_id=case_id,
        decision=decision,
        deciding_agency=agency,
        cutoff=cutoff,
        known_to_decider=[
            flagged(entry) for entry in decider if str(entry.event_id) != decision_id
        ],
        held_elsewhere=[
            flagged(entry)
            for entry in record
            if str(entry.event_id) not in known_ids and str(entry.event_id) != decision_id
        ],
        learned_later=[
            ForesightEntry(entry=entry, changed_later=False, retracted_later=False, now=None)
            for entry in sorted(learned_later, key=lambda e: (start_of(e.occurred_at), e.position))
        ],
    )


def _content(entry: ChronologyEntry) -> tuple[object, ...]:
    """What a reader sees of an entry (not when it became known)."""
    return (
        entry.occurred_at,
        entry.date_uncertain,
        entry.summary,
        entry.subjects,
        entry.significance,
        entry.impact,
        entry.action,
        entry.data,
    )
