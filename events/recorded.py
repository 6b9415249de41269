"""An event as the store holds and returns it: the envelope plus the store's own facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ConfigDict

from events.envelope import EventEnvelope
from events.timepoints import InstantField, known_at, parse_timepoint


class RecordedEvent(EventEnvelope):
    """A stored event: `recorded_at`, `known_at`, `position`, `version` come from the store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID
    recorded_at: InstantField
    known_at: InstantField
    position: int
    version: int
    schema_version: int
    recorded_while_closed: bool = False
    prev_hash: str
    hash: str

    @classmethod
    def from_stored(
        cls,
        entry: dict[str, Any],
        *,
        recorded_at: datetime,
        position: int,
        version: int,
        prev_hash: str,
        hash: str,
    ) -> RecordedEvent:
        """Build from a stored entry (already upcast) and the store's facts."""
        source = entry.get("source_recorded_at")
        fields = dict(entry)
        fields.pop("digest", None)
        fields["recorded_at"] = recorded_at
        fields["known_at"] = known_at(parse_timepoint(source) if source else None, recorded_at)
        fields["position"] = position
        fields["version"] = version
        fields["prev_hash"] = prev_hash
        fields["hash"] = hash
        return cls.model_validate(fields)


class AppendOutcome:
    """What an append did: the stored events, and how many of them are new.

    The events are built when first asked for: a bulk import that only counts what it wrote
    does not pay for building them (about a fifth of a bulk append's CPU).
    """

    def __init__(self, events: Callable[[], Iterable[RecordedEvent]], new_count: int):
        self._build_events = events
        self._events: tuple[RecordedEvent, ...] | None = None
        self.new_count = new_count

    @property
    def events(self) -> tuple[RecordedEvent, ...]:
        """Each event of the batch as stored, in the batch's order."""
        if self._events is None:
            self._events = tuple(self._build_events())
        return self._events

    @property
    def created(self) -> bool:
        """True if anything was written; False for a pure retry."""
        return self.new_count > 0
