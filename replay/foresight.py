"""The foresight view of one decision: what its maker knew, what others held, what came later,
and what cannot be put before or after it.

Cutoff: the decision's `occurred_at` (the end of that day if it is a date), but never after
the decision's own `known_at`. Entries known at the cutoff appear as they stood then, and
are flagged where a later correction or retraction changed them.

Order uncertain: a date-only side leaves a span of moments the thing may have happened in.
The decision's span is its moment if timed, else its day up to the cutoff; an entry's is its
moment if timed, else its day up to when the record knew it (it cannot have happened after it
was recorded). An entry whose span and the decision's overlap, with at least one side a date,
cannot be ordered against the decision: it goes to `order_uncertain` alone, saying which
group it would join if it came first. Two timed sides are always ordered.

Hindsight: what came after the cutoff (entries learned later, corrections and retractions of
entries known then, and the managers' oversight of the decision, `oversight_recorded` entries
targeting it, which comes after the decision by its nature) is read as known at
`hindsight_as_known_at`: a review's date, or None for now. A review of the case as it stood
on a past date shows only the hindsight that existed on that date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from domain.errors import CaseNotFound, DomainError
from events.timepoints import InstantField, Timepoint, end_of, is_before, start_of
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries, ChronologyFilter


class NotADecision(DomainError):
    """The event asked about is not a decision of this case."""


class ForesightEntry(BaseModel):
    """An entry in a foresight group, as it stood at the cutoff, and what became of it."""

    model_config = ConfigDict(frozen=True)

    entry: ChronologyEntry
    changed_later: bool
    retracted_later: bool
    now: ChronologyEntry | None


ForesightGroup = Literal["known_to_decider", "held_elsewhere", "learned_later"]


class OrderUncertainEntry(ForesightEntry):
    """An entry that cannot be put before or after the decision at its precision, and the
    group it would join if it came first."""

    would_join: ForesightGroup


class ForesightView(BaseModel):
    """The four groups of SPEC section 5 for one decision."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    decision: ChronologyEntry
    deciding_agency: str
    cutoff: InstantField
    known_to_decider: list[ForesightEntry]
    held_elsewhere: list[ForesightEntry]
    learned_later: list[ForesightEntry]
    order_uncertain: list[OrderUncertainEntry]
    # Oversight of the decision as known at `hindsight_as_known_at` (None: now), in order.
    oversight: list[ChronologyEntry] = []
    # When what came after the cutoff was read: learned later, changed or retracted later,
    # and the oversight (None: now).
    hindsight_as_known_at: InstantField | None = None


def foresight_view(
    queries: CaseQueries,
    case_id: str,
    decision_id: str,
    *,
    hindsight_as_known_at: datetime | None = None,
) -> ForesightView:
    """Build the foresight view of `decision_id` from the read models, with what came after
    the cutoff as known at `hindsight_as_known_at` (None: now)."""
    if not queries.case_exists(case_id):
        raise CaseNotFound(case_id)
    decision = queries.entry(case_id, decision_id)
    if decision is None or decision.type != "decision_made":
        raise NotADecision("event_id", f"{decision_id} is not a decision of case {case_id!r}")
    cutoff = min(end_of(decision.occurred_at), decision.known_at)
    agency = decision.agency

    later = {
        str(entry.event_id): entry
        for entry in queries.chronology(case_id, as_known_at=hindsight_as_known_at)
    }
    decider = queries.chronology(case_id, as_known_at=cutoff, agency=agency)
    record = queries.chronology(case_id, as_known_at=cutoff)
    known_ids = {str(entry.event_id) for entry in decider}
    record_ids = {str(entry.event_id) for entry in record}

    def flagged(entry: ChronologyEntry) -> ForesightEntry:
        current = later.get(str(entry.event_id))
        return ForesightEntry(
            entry=entry,
            changed_later=current is not None and _content(current) != _content(entry),
            retracted_later=current is None,
            now=current if current is not None and _content(current) != _content(entry) else None,
        )

    decision_span = _span(decision.occurred_at, cutoff)
    # An entry cannot have happened after the record knew it.
    # (The decider may still see as live an entry another agency retracted.)
    record_known = {
        str(entry.event_id): entry.known_at
        for entry in queries.chronology(
            case_id, as_known_at=cutoff, where=ChronologyFilter(include_retracted=True)
        )
    }
    known_to_decider: list[ForesightEntry] = []
    held_elsewhere: list[ForesightEntry] = []
    order_uncertain: list[OrderUncertainEntry] = []
    at_cutoff: list[tuple[ChronologyEntry, ForesightGroup]] = [
        (entry, "known_to_decider") for entry in decider
    ] + [(entry, "held_elsewhere") for entry in record if str(entry.event_id) not in known_ids]
    for entry, group in at_cutoff:
        key = str(entry.event_id)
        if key == decision_id:
            continue
        if _order_uncertain(_span(entry.occurred_at, record_known[key]), decision_span):
            order_uncertain.append(OrderUncertainEntry(**dict(flagged(entry)), would_join=group))
        else:
            (known_to_decider if group == "known_to_decider" else held_elsewhere).append(
                flagged(entry)
            )
    learned_later: list[ForesightEntry] = []
    for key, entry in later.items():
        if key in record_ids or key == decision_id:
            continue
        unchanged = ForesightEntry(
            entry=entry, changed_later=False, retracted_later=False, now=None
        )
        if _order_uncertain(_span(entry.occurred_at, entry.known_at), decision_span):
            order_uncertain.append(
                OrderUncertainEntry(**dict(unchanged), would_join="learned_later")
            )
        elif is_before(entry.occurred_at, decision.occurred_at):
            learned_later.append(unchanged)
    return ForesightView(
        case_id=case_id,
        decision=decision,
        deciding_agency=agency,
        cutoff=cutoff,
        known_to_decider=known_to_decider,
        held_elsewhere=held_elsewhere,
        learned_later=sorted(learned_later, key=_in_order),
        order_uncertain=sorted(order_uncertain, key=_in_order),
        oversight=_oversight_of(queries, case_id, decision_id, hindsight_as_known_at),
        hindsight_as_known_at=hindsight_as_known_at,
    )


def _oversight_of(
    queries: CaseQueries, case_id: str, decision_id: str, as_known_at: datetime | None
) -> list[ChronologyEntry]:
    """The managers' oversight of one decision, as the record knew it at `as_known_at`."""
    recorded = queries.chronology(
        case_id, as_known_at=as_known_at, where=ChronologyFilter(types=("oversight_recorded",))
    )
    return [entry for entry in recorded if entry.data.get("target_event_id") == decision_id]


def _in_order(item: ForesightEntry) -> tuple[datetime, int]:
    return start_of(item.entry.occurred_at), item.entry.position


class _Span(NamedTuple):
    """The moments a thing may have happened in, and whether it is known only to the day."""

    earliest: datetime
    latest: datetime
    dated: bool


def _span(occurred_at: Timepoint, latest: datetime) -> _Span:
    """A timed thing happened at its moment; a dated one some time that day, and no later
    than `latest` (nothing happens after it is recorded)."""
    if isinstance(occurred_at, datetime):
        return _Span(start_of(occurred_at), start_of(occurred_at), dated=False)
    earliest = start_of(occurred_at)
    return _Span(earliest, max(earliest, min(end_of(occurred_at), latest)), dated=True)


def _order_uncertain(entry: _Span, decision: _Span) -> bool:
    """Whether the entry may have come before the decision and may have come after it."""
    return (
        (entry.dated or decision.dated)
        and entry.earliest <= decision.latest
        and decision.earliest <= entry.latest
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
