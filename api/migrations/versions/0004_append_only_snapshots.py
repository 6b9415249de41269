"""Snapshots append-only: the refusing triggers on the snapshot table of stores made before them.

New stores get these triggers from the event store itself (`projections/store/recorders.py`), which
creates the snapshot table together with the events table. A store made earlier has the
library's snapshot table without them, and `foresight verify` would report them missing.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect

from projections.store.append_only import trigger_names, trigger_statements

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

# The library names it after the application on PostgreSQL, "stored_…" on SQLite.
SNAPSHOT_TABLES = {"sqlite": "stored_snapshots", "postgresql": "foresight_snapshots"}


def _snapshot_table() -> tuple[str, str] | None:
    dialect = op.get_bind().dialect.name
    table = SNAPSHOT_TABLES.get(dialect)
    if table is None or not inspect(op.get_bind()).has_table(table):
        # A store opened by the migrations before the event store: it will make the table,
        # with its triggers, itself.
        return None
    return table, dialect


def upgrade() -> None:
    found = _snapshot_table()
    if found is None:
        return
    table, dialect = found
    # Idempotent (IF NOT EXISTS on SQLite, OR REPLACE on PostgreSQL): a new store has them.
    for statement in trigger_statements(table, dialect):
        op.execute(statement)


def downgrade() -> None:
    found = _snapshot_table()
    if found is None:
        return
    table, dialect = found
    for name in trigger_names(table, dialect):
        op.execute(
            f'DROP TRIGGER IF EXISTS "{name}"'
            + (f' ON "{table}"' if dialect == "postgresql" else "")
        )
