"""Fewer read-model rows: knowledge the raw log already holds, and agency states the record's.

The whole record and the recording agency know every event from its own `known_at`, which
`rm_events` holds; `rm_knowledge` now keeps only what agencies learned by a share, so its
rows for the record and the recording agency go. Entry states gain `also_for`: a whole-record
state naming the recording agency stands for that agency's state too, which is then not kept
apart. Existing agency states are folded into the record's where they are provably the same
(every interval and entry text equal); encrypted texts never compare equal, so on an
encrypted store they stay apart (`also_for` empty), which reads the same until a rebuild.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import inspect

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# projections.tables.WHOLE_RECORD as this revision wrote it: a migration keeps the values of
# its day rather than import ones that may change after it.
WHOLE_RECORD = "*"

RECORDED_BY_VIEWER = (
    "SELECT 1 FROM rm_events e WHERE e.position = rm_knowledge.position "
    "AND e.agency = rm_knowledge.viewer"
)


def _same_state(other: str, row: str, viewer: str) -> str:
    """A state of `viewer` for the same entry, interval and entry text as `row`."""
    return (
        f"SELECT 1 FROM rm_entry_states {other} WHERE {other}.position = {row}.position "
        f"AND {other}.viewer = {viewer} AND {other}.known_from = {row}.known_from "
        f"AND ({other}.known_until = {row}.known_until "
        f"OR ({other}.known_until IS NULL AND {row}.known_until IS NULL)) "
        f"AND {other}.entry = {row}.entry"
    )


# Entries (by position) whose recording agency's states are exactly the whole record's.
SAME_FOR_RECORDING_AGENCY = (
    "SELECT e.position FROM rm_events e WHERE EXISTS (SELECT 1 FROM rm_entry_states a "
    "WHERE a.position = e.position AND a.viewer = e.agency) "
    "AND NOT EXISTS (SELECT 1 FROM rm_entry_states w WHERE w.position = e.position "
    f"AND w.viewer = '{WHOLE_RECORD}' AND NOT EXISTS ({_same_state('a', 'w', 'e.agency')})) "
    "AND NOT EXISTS (SELECT 1 FROM rm_entry_states a WHERE a.position = e.position "
    f"AND a.viewer = e.agency AND NOT EXISTS ({_same_state('w', 'a', repr(WHOLE_RECORD))}))"
)


def _stood_for_by_record(table: str) -> str:
    return (
        f"SELECT 1 FROM rm_entry_states w WHERE w.position = {table}.position "
        f"AND w.viewer = '{WHOLE_RECORD}' AND w.also_for = {table}.viewer "
        f"AND w.known_from = {table}.known_from"
    )


ENTRY_STATE_COLUMNS = (
    "known_until, event_id, case_id, type, occurred_sort, significance_rank, retracted, entry"
)


def upgrade() -> None:
    # Idempotent: on SQLite another process may be running this same upgrade (api/migrations/runner.py).
    columns = {column["name"] for column in inspect(op.get_bind()).get_columns("rm_entry_states")}
    if "also_for" not in columns:
        op.add_column("rm_entry_states", sa.Column("also_for", sa.String(length=64), nullable=True))
    op.execute(
        f"DELETE FROM rm_knowledge WHERE viewer = '{WHOLE_RECORD}' OR EXISTS ({RECORDED_BY_VIEWER})"
    )
    op.execute(
        "UPDATE rm_entry_states SET also_for = (SELECT e.agency FROM rm_events e "
        "WHERE e.position = rm_entry_states.position) "
        f"WHERE viewer = '{WHOLE_RECORD}' AND position IN ({SAME_FOR_RECORDING_AGENCY})"
    )
    for table in ("rm_state_subjects", "rm_entry_states"):
        op.execute(f"DELETE FROM {table} WHERE EXISTS ({_stood_for_by_record(table)})")


def downgrade() -> None:
    op.execute(
        "INSERT INTO rm_knowledge (position, viewer, case_id, known_from) "
        f"SELECT position, '{WHOLE_RECORD}', case_id, known_at FROM rm_events"
    )
    op.execute(
        "INSERT INTO rm_knowledge (position, viewer, case_id, known_from) "
        "SELECT position, agency, case_id, known_at FROM rm_events"
    )
    # The agency states kept once as the whole record's become rows of their own again.
    op.execute(
        "INSERT INTO rm_state_subjects (position, viewer, known_from, person_id, case_id) "
        "SELECT s.position, e.also_for, s.known_from, s.person_id, s.case_id "
        "FROM rm_state_subjects s JOIN rm_entry_states e ON e.position = s.position "
        "AND e.viewer = s.viewer AND e.known_from = s.known_from WHERE e.also_for IS NOT NULL"
    )
    op.execute(
        f"INSERT INTO rm_entry_states (position, viewer, known_from, {ENTRY_STATE_COLUMNS}) "
        f"SELECT position, also_for, known_from, {ENTRY_STATE_COLUMNS} FROM rm_entry_states "
        "WHERE also_for IS NOT NULL"
    )
    op.drop_column("rm_entry_states", "also_for")
