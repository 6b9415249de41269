"""The chronology of a case as known at T, folded directly from its stored events.

Selects on `known_at` (when the record, or one agency, knew each event); orders on
`occurred_at` (when it happened), then on `position` (when the store recorded it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.recorded import RecordedEvent
from events.timepoints import (
    InstantField,
    WhenField,
    format_timepoint,
    parse_timepoint,
    start_of,
)
from events.vocabulary import AMENDING_TYPES


class Amendment(BaseModel):
    """A correction, mark or retraction applied to an entry, with when it became known."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    known_at: InstantField
    agency: str
    recorded_by: str | None
    reason: str | None
    changes: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None


class ChronologyEntry(BaseModel):
    """One entry of a chronology, as it stood at the time asked about."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    case_id: str
    occurred_at: WhenField
    date_uncertain: bool
    agency: str
    recorded_by: str | None
    subjects: tuple[str, ...]
    summary: str | None
    significance: str
    impact: str | None
    action: str | None
    data: dict[str, Any]
    recorded_at: InstantField
    known_at: InstantField
    position: int
    version: int
    recorded_while_closed: bool
    corrected: bool
    amendments: tuple[Amendment, ...]
    retracted: bool


# Amendments that follow an entry to whoever was told of it, when its own agency made them: a
# recall must reach everyone who was told. A mark of significance stays with its maker.
FOLLOWING_TYPES = frozenset({"entry_corrected", "entry_retracted"})


def amended_entry(event_id: UUID, events: Mapping[UUID, RecordedEvent]) -> UUID:
    """The chronology entry an event is about: itself, or what it amends (through an
    amendment of an amendment)."""
    for _ in range(4):  # amendments target entries or amendments of entries, never deeper
        event = events.get(event_id)
        if event is None or event.type not in AMENDING_TYPES:
            break
        event_id = UUID(str(event.data["target_event_id"]))
    return event_id


def follows_entry(amendment: RecordedEvent, entry: RecordedEvent) -> bool:
    """Whether the amendment reaches every agency the entry reaches (SPEC section 2)."""
    return amendment.type in FOLLOWING_TYPES and amendment.agency == entry.agency


def knowledge_times(
    events: Iterable[RecordedEvent], agency: str | None = None
) -> dict[UUID, datetime]:
    """From when each event is known: to the record as a whole, or to one agency.

    An event is known to its own agency from its `known_at`, and to another agency from
    the `known_at` of an `information_shared` addressed to it that names the event (never
    earlier than the event's own `known_at`). A correction or retraction by the entry's own
    agency is known wherever the entry is, from the later of its `known_at` and when the
    entry became known there.
    """
    events = list(events)
    if agency is None:
        return {event.event_id: event.known_at for event in events}
    own_time = {event.event_id: event.known_at for event in events}
    known: dict[UUID, datetime] = {}

    def learn(event_id: UUID, when: datetime) -> None:
        if event_id not in known or when < known[event_id]:
            known[event_id] = when

    for event in events:
        if event.agency == agency:
            learn(event.event_id, event.known_at)
        if event.type == "information_shared" and event.data["to_agency"] == agency:
            learn(event.event_id, event.known_at)
            for shared in event.data["event_ids"]:
                shared_id = UUID(str(shared))
                if shared_id in own_time:
                    learn(shared_id, max(event.known_at, own_time[shared_id]))
    # Entries are learned only from their agency or a share, never through an amendment, so
    # what is known of them is complete here.
    by_id = {event.event_id: event for event in events}
    for event in events:
        if event.type not in FOLLOWING_TYPES:
            continue
        entry_id = amended_entry(event.event_id, by_id)
        if entry_id in known and follows_entry(event, by_id[entry_id]):
            learn(event.event_id, max(event.known_at, known[entry_id]))
    return known


def chronology(
    events: Iterable[RecordedEvent],
    *,
    as_known_at: datetime | None = None,
    agency: str | None = None,
    include_retracted: bool = False,
) -> list[ChronologyEntry]:
    """The case's entries known at `as_known_at`, with the amendments known by then applied."""
    events = list(events)
    entries = fold_entries(events, knowledge_times(events, agency), as_known_at)
    if not include_retracted:
        entries = [entry for entry in entries if not entry.retracted]
    return sort_chronology(entries)


def sort_chronology(entries: list[ChronologyEntry]) -> list[ChronologyEntry]:
    """Order by when it happened (a date at the start of its local day), then by position."""
    return sorted(entries, key=lambda entry: (start_of(entry.occurred_at), entry.position))


def fold_entries(
    events: Iterable[RecordedEvent],
    known: Mapping[UUID, datetime],
    as_known_at: datetime | None,
) -> list[ChronologyEntry]:
    """Every entry visible at `as_known_at` under `known`, amended, retracted ones flagged.

    `known` says from when each event is known to the viewer; events absent from it are
    unknown to the viewer. Amendments apply in the order they became known.
    """
    visible = [
        event
        for event in events
        if event.event_id in known and (as_known_at is None or known[event.event_id] <= as_known_at)
    ]
    visible.sort(key=lambda event: (known[event.event_id], event.position))

    retracted = {
        UUID(str(event.data["target_event_id"])): event
        for event in visible
        if event.type == "entry_retracted"
    }
    states: dict[UUID, dict[str, Any]] = {}
    amendments: dict[UUID, list[Amendment]] = {}
    for event in sorted(visible, key=lambda event: event.position):
        if event.type not in AMENDING_TYPES:
            states[event.event_id] = _as_entry_state(event)
            amendments[event.event_id] = []
    for event in visible:
        if event.type not in AMENDING_TYPES or event.event_id in retracted:
            continue
        target = UUID(str(event.data["target_event_id"]))
        if target not in states:
            continue
        state = states[target]
        if event.type == "entry_corrected":
            previous = _apply_correction(state, event.data["changes"])
            state["corrected"] = True
            amendments[target].append(_amendment(event, known, event.data["changes"], previous))
        elif event.type == "marked_significant":
            previous = {"significance": state["significance"]}
            state["significance"] = event.data["significance"]
            amendments[target].append(
                _amendment(event, known, {"significance": event.data["significance"]}, previous)
            )
        else:
            amendments[target].append(_amendment(event, known, None, None))

    return [
        ChronologyEntry(
            **state,
            amendments=tuple(amendments[event_id]),
            retracted=event_id in retracted,
            known_at=known[event_id],
        )
        for event_id, state in states.items()
    ]


_CORRECTABLE = (
    "occurred_at",
    "date_uncertain",
    "summary",
    "subjects",
    "significance",
    "impact",
    "action",
)


def _as_entry_state(event: RecordedEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "type": event.type,
        "case_id": event.case_id,
        "occurred_at": event.occurred_at,
        "date_uncertain": event.date_uncertain,
        "agency": event.agency,
        "recorded_by": event.recorded_by,
        "subjects": event.subjects,
        "summary": event.summary,
        "significance": event.significance,
        "impact": event.impact,
        "action": event.action,
        "data": dict(event.data),
        "recorded_at": event.recorded_at,
        "position": event.position,
        "version": event.version,
        "recorded_while_closed": event.recorded_while_closed,
        "corrected": False,
    }


def _apply_correction(state: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Set the changed fields on the entry; return what they were."""
    previous: dict[str, Any] = {}
    for name in _CORRECTABLE:
        if changes.get(name) is None:
            continue
        previous[name] = state[name]
        value = changes[name]
        if name == "occurred_at":
            value = parse_timepoint(value)
        elif name == "subjects":
            value = tuple(value)
        state[name] = value
    data_changes = changes.get("data") or {}
    if data_changes:
        previous["data"] = {name: state["data"].get(name) for name in data_changes}
        data = dict(state["data"])
        for name, value in data_changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        state["data"] = data
    return previous


def _amendment(
    event: RecordedEvent,
    known: Mapping[UUID, datetime],
    changes: dict[str, Any] | None,
    previous: dict[str, Any] | None,
) -> Amendment:
    return Amendment(
        event_id=event.event_id,
        type=event.type,
        known_at=known[event.event_id],
        agency=event.agency,
        recorded_by=event.recorded_by,
        reason=event.data.get("reason"),
        changes=changes,
        previous=_jsonable(previous) if previous else None,
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: format_timepoint(value) if name == "occurred_at" else value
        for name, value in values.items()
    }
