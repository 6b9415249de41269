"""Indexes for authority-wide questions: events by agency and by valid time, current plans.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = (
    ("rm_events_agency_known", "rm_events", ["agency", "known_at"]),
    ("rm_events_occurred", "rm_events", ["occurred_sort"]),
    ("rm_plan_periods_current", "rm_plan_periods", ["kind", "known_until", "started_on"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
