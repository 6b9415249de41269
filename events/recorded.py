"""An event as the store holds and returns it: the envelope plus the store's own facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

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
        fields = {key: value for key, value in entry.items() if key != "digest"}
        return cls.model_validate(
            {
                **fields,
                "recorded_at": recorded_at,
                "known_at": known_at(parse_timepoint(source) if source else None, recorded_at),
                "position": position,
                "version": version,
                "prev_hash": prev_hash,
                "hash": hash,
            }
        )


class AppendOutcome(BaseModel):
    """What an append did: the stored events, and how many of them are new."""

    model_config = ConfigDict(frozen=True)

    events: tuple[RecordedEvent, ...]
    new_count: int

    @property
    def created(self) -> bool:
        """True if anything was written; False for a pure retry."""
        return self.new_count > 0
