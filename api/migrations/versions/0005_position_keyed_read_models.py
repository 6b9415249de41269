"""Read models keyed by log position instead of event id.

Knowledge, entry states and their subjects were keyed by event id first, and the raw log
carried a unique constraint on it: random keys, so every chunk of a bulk rebuild dirtied
nearly every page of those indexes. They are now keyed by the event's (or the entry's
first event's) position in the log, which grows with it. The rows are kept: each table is
copied into its new shape (positions looked up in the raw log), then takes the old name.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import inspect

from projections.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _events(name: str, event_id_unique: bool) -> None:
    op.create_table(
        name,
        sa.Column("position", POSITION, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("target_event_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_sort", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("known_at", UtcDateTime(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        *([sa.UniqueConstraint("event_id")] if event_id_unique else []),
    )


def _knowledge(name: str, by_position: bool) -> None:
    op.create_table(
        name,
        sa.Column("position", POSITION, nullable=False)
        if by_position
        else sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("position" if by_position else "event_id", "viewer"),
    )


def _entry_states(name: str, by_position: bool) -> None:
    op.create_table(
        name,
        sa.Column("position", POSITION, nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("known_until", UtcDateTime(), nullable=True),
        sa.Column("occurred_sort", UtcDateTime(), nullable=False),
        sa.Column("significance_rank", sa.Integer(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position" if by_position else "event_id", "viewer", "known_from"),
    )


def _state_subjects(name: str, by_position: bool) -> None:
    op.create_table(
        name,
        sa.Column("position", POSITION, nullable=False)
        if by_position
        else sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("person_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint(
            "position" if by_position else "event_id", "viewer", "known_from", "person_id"
        ),
    )


ENTRY_STATE_COLUMNS = (
    "position, viewer, known_from, event_id, case_id, type, known_until, "
    "occurred_sort, significance_rank, retracted, entry"
)
EVENT_COLUMNS = (
    "position, event_id, case_id, version, type, agency, target_event_id, "
    "occurred_sort, recorded_at, known_at, content"
)

INDEXES = (
    ("rm_events_case_known", "rm_events", ["case_id", "known_at"]),
    ("rm_events_case_position", "rm_events", ["case_id", "position"]),
    ("rm_events_known", "rm_events", ["known_at"]),
    ("rm_events_agency_known", "rm_events", ["agency", "known_at"]),
    ("rm_events_occurred", "rm_events", ["occurred_sort"]),
    ("rm_knowledge_case_viewer", "rm_knowledge", ["case_id", "viewer", "known_from"]),
    ("rm_entry_states_case", "rm_entry_states", ["case_id", "viewer", "known_from"]),
    ("rm_state_subjects_person", "rm_state_subjects", ["person_id", "viewer"]),
)


def _reshape(by_position: bool) -> None:
    """Copy the four tables into their shape keyed by position (or back by event id)."""
    _events("rm_events_new", event_id_unique=not by_position)
    op.execute(f"INSERT INTO rm_events_new ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM rm_events")
    _knowledge("rm_knowledge_new", by_position)
    _entry_states("rm_entry_states_new", by_position)
    op.execute(
        f"INSERT INTO rm_entry_states_new ({ENTRY_STATE_COLUMNS}) "
        f"SELECT {ENTRY_STATE_COLUMNS} FROM rm_entry_states"
    )
    _state_subjects("rm_state_subjects_new", by_position)
    if by_position:
        op.execute(
            "INSERT INTO rm_knowledge_new (position, viewer, case_id, known_from) "
            "SELECT e.position, k.viewer, k.case_id, k.known_from "
            "FROM rm_knowledge k JOIN rm_events e ON e.event_id = k.event_id"
        )
        op.execute(
            "INSERT INTO rm_state_subjects_new "
            "(position, viewer, known_from, person_id, case_id) "
            "SELECT e.position, s.viewer, s.known_from, s.person_id, s.case_id "
            "FROM rm_state_subjects s JOIN rm_events e ON e.event_id = s.event_id"
        )
    else:
        op.execute(
            "INSERT INTO rm_knowledge_new (event_id, viewer, case_id, known_from) "
            "SELECT e.event_id, k.viewer, k.case_id, k.known_from "
            "FROM rm_knowledge k JOIN rm_events e ON e.position = k.position"
        )
        op.execute(
            "INSERT INTO rm_state_subjects_new "
            "(event_id, viewer, known_from, person_id, case_id) "
            "SELECT e.event_id, s.viewer, s.known_from, s.person_id, s.case_id "
            "FROM rm_state_subjects s JOIN rm_events e ON e.position = s.position"
        )
    # Dropping a table drops its indexes, freeing their names for the new tables.
    for table in ("rm_knowledge", "rm_entry_states", "rm_state_subjects", "rm_events"):
        op.drop_table(table)
        op.rename_table(f"{table}_new", table)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def _keyed_by_position() -> bool:
    columns = {column["name"] for column in inspect(op.get_bind()).get_columns("rm_knowledge")}
    return "position" in columns


def upgrade() -> None:
    # Tables made from today's definitions (create_all, before migrations) have the new shape.
    if not _keyed_by_position():
        _reshape(by_position=True)
    op.create_index("rm_events_event", "rm_events", ["event_id"], unique=True, if_not_exists=True)


def downgrade() -> None:
    op.drop_index("rm_events_event", table_name="rm_events")
    _reshape(by_position=False)
