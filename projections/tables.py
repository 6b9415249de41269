"""The read-model tables: every row carries the knowledge interval in which it holds.

Two clocks, always named: `known_from`/`known_until` are knowledge time (when the record,
or one viewer, knew this); `occurred_sort` is valid time (when it happened, as an instant
used for ordering). A row holds for "as known at T" when known_from <= T < known_until
(an open `known_until` means it still holds).

Rows are keyed by log position (an event's, or an entry's first event's), never by event id
first: positions grow as the log does, so new rows go at the end of each key's index, where
random event ids would scatter them over every page of it (a rebuild writes millions).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from projections.encrypted_columns import EncryptedJSON, EncryptedText

# Knowledge of the record as a whole, as opposed to one agency's knowledge.
WHOLE_RECORD = "*"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime: `timestamptz` on PostgreSQL, fixed-width sortable text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(26))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # "YYYY-MM-DD HH:MM:SS.ffffff" (fixed width, so it sorts), three times faster than
        # strftime would write it.
        return value.isoformat(" ", "microseconds")[:26] if dialect.name == "sqlite" else value

    def bind_values(self, values: list[datetime | None], dialect: Dialect) -> list[Any]:
        """Many values at once (bulk writes): instants repeat across rows (one knowledge time
        starts many intervals), so each distinct one is converted once."""
        distinct = {value: self.process_bind_param(value, dialect) for value in set(values)}
        return [distinct[value] for value in values]

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

tracking = Table(
    "rm_tracking",
    metadata,
    Column("application_name", String(64), primary_key=True),
    Column("notification_id", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)

# Every stored event: where it sits in the log and in time (the raw log's index).
events = Table(
    "rm_events",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("case_id", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("target_event_id", String(36)),
    Column("occurred_sort", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("known_at", UtcDateTime, nullable=False),
    # No copy of the event itself (the event store holds it: projections/stored_log.py), only
    # what the recording audit shows and filters on. `occurred_at` as recorded (a date stays a
    # date); `people` the person ids the event names, each between spaces.
    Column("occurred_at", String(40), nullable=False),
    Column("recorded_by", EncryptedText),
    Column("to_agency", String(64)),
    Column("people", Text),
    Index("rm_events_event", "event_id", unique=True),
    Index("rm_events_case_position", "case_id", "position"),
    Index("rm_events_case_known", "case_id", "known_at"),
    Index("rm_events_known", "known_at"),
    # Authority-wide and audit questions: by recording agency, and by when things happened.
    Index("rm_events_agency_known", "agency", "known_at"),
    Index("rm_events_occurred", "occurred_sort"),
)

# From when each event (by its position) is known to an agency that learned it by a share.
# The whole record and the recording agency know every event from its own `known_at` (in
# rm_events), which is not repeated here: that would be two rows more for every event.
knowledge = Table(
    "rm_knowledge",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("viewer", String(64), primary_key=True),
    Column("case_id", String(80), nullable=False),
    Column("known_from", UtcDateTime, nullable=False),
    Index("rm_knowledge_case_viewer", "case_id", "viewer", "known_from"),
)

# Each chronology entry (by the position of its event) as it stood to a viewer over a
# knowledge interval. The recording agency's states are usually the whole record's (nobody
# amended the entry unseen by it): then they are not kept apart, and the whole record's rows
# name that agency in `also_for`.
entry_states = Table(
    "rm_entry_states",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("viewer", String(64), primary_key=True),
    Column("known_from", UtcDateTime, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("case_id", String(80), nullable=False),
    Column("type", String(40), nullable=False),
    Column("known_until", UtcDateTime),
    Column("occurred_sort", UtcDateTime, nullable=False),
    Column("significance_rank", Integer, nullable=False),
    Column("retracted", Boolean, nullable=False),
    Column("entry", EncryptedText, nullable=False),  # ChronologyEntry as JSON text
    Column("also_for", String(64)),
    Index("rm_entry_states_case", "case_id", "viewer", "known_from"),
)

# Which people each entry state names (the person's own chronology across cases).
state_subjects = Table(
    "rm_state_subjects",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("viewer", String(64), primary_key=True),
    Column("known_from", UtcDateTime, primary_key=True),
    Column("person_id", String(80), primary_key=True),
    Column("case_id", String(80), nullable=False),
    Index("rm_state_subjects_person", "person_id", "viewer"),
)

# Each plan's life over valid time (started_on..ended_on) as known over knowledge time.
plan_periods = Table(
    "rm_plan_periods",
    metadata,
    Column("case_id", String(80), primary_key=True),
    Column("plan_id", String(80), primary_key=True),
    Column("known_from", UtcDateTime, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("known_until", UtcDateTime),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("review_due", Date),
    Column("plan", EncryptedJSON, nullable=False),  # small, read as a dict
    Index("rm_plan_periods_known", "known_from"),
    Index("rm_plan_periods_kind", "kind", "started_on"),
    Index("rm_plan_periods_current", "kind", "known_until", "started_on"),
)

plan_subjects = Table(
    "rm_plan_subjects",
    metadata,
    Column("case_id", String(80), primary_key=True),
    Column("plan_id", String(80), primary_key=True),
    Column("known_from", UtcDateTime, primary_key=True),
    Column("person_id", String(80), primary_key=True),
    Index("rm_plan_subjects_person", "person_id"),
)

READ_MODEL_TABLES = (
    events,
    knowledge,
    entry_states,
    state_subjects,
    plan_periods,
    plan_subjects,
    tracking,
)

# A bulk rebuild under way. While it lasts it is the only one projecting: other runners wait,
# and the API refuses reads rather than answer from part-built read models. A rebuild killed
# outright leaves its row: see `projections.rebuild_mark` for how it is told from a live one.
rebuilds = Table(
    "rm_rebuilds",
    metadata,
    Column("application_name", String(64), primary_key=True),
    Column("head", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
)
