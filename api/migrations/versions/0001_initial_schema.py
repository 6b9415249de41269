"""Initial schema: read models, users and the access log (append-only by trigger).

The event store's own tables belong to the eventsourcing library and are created by it.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.store.append_only import trigger_statements
from projections.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_entry_states",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("known_until", UtcDateTime(), nullable=True),
        sa.Column("occurred_sort", UtcDateTime(), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("significance_rank", sa.Integer(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "viewer", "known_from"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_entry_states_case",
        "rm_entry_states",
        ["case_id", "viewer", "known_from"],
        if_not_exists=True,
    )

    op.create_table(
        "rm_events",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
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
        sa.UniqueConstraint("event_id"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_events_case_known", "rm_events", ["case_id", "known_at"], if_not_exists=True
    )
    op.create_index(
        "rm_events_case_position", "rm_events", ["case_id", "position"], if_not_exists=True
    )
    op.create_index("rm_events_known", "rm_events", ["known_at"], if_not_exists=True)

    op.create_table(
        "rm_knowledge",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "viewer"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_knowledge_case_viewer",
        "rm_knowledge",
        ["case_id", "viewer", "known_from"],
        if_not_exists=True,
    )

    op.create_table(
        "rm_plan_periods",
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("plan_id", sa.String(length=80), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("known_until", UtcDateTime(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "plan_id", "known_from"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_plan_periods_kind", "rm_plan_periods", ["kind", "started_on"], if_not_exists=True
    )
    op.create_index("rm_plan_periods_known", "rm_plan_periods", ["known_from"], if_not_exists=True)

    op.create_table(
        "rm_plan_subjects",
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("plan_id", sa.String(length=80), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("person_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "plan_id", "known_from", "person_id"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_plan_subjects_person", "rm_plan_subjects", ["person_id"], if_not_exists=True
    )

    op.create_table(
        "rm_state_subjects",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("known_from", UtcDateTime(), nullable=False),
        sa.Column("person_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "viewer", "known_from", "person_id"),
        if_not_exists=True,
    )
    op.create_index(
        "rm_state_subjects_person", "rm_state_subjects", ["person_id", "viewer"], if_not_exists=True
    )

    op.create_table(
        "rm_tracking",
        sa.Column("application_name", sa.String(length=64), nullable=False),
        sa.Column(
            "notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("application_name"),
        if_not_exists=True,
    )
    op.create_table(
        "foresight_users",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
        if_not_exists=True,
    )
    op.create_table(
        "foresight_access_log",
        sa.Column(
            "access_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=True),
        sa.Column("person_id", sa.String(length=80), nullable=True),
        sa.Column("as_known_at", UtcDateTime(), nullable=True),
        sa.Column("viewed_as", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("access_id"),
        if_not_exists=True,
    )
    op.create_index(
        "foresight_access_log_case", "foresight_access_log", ["case_id"], if_not_exists=True
    )
    op.create_index(
        "foresight_access_log_person", "foresight_access_log", ["person_id"], if_not_exists=True
    )
    for statement in trigger_statements("foresight_access_log", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its indexes and triggers.
    for table in (
        "foresight_access_log",
        "foresight_users",
        "rm_tracking",
        "rm_state_subjects",
        "rm_plan_subjects",
        "rm_plan_periods",
        "rm_knowledge",
        "rm_events",
        "rm_entry_states",
    ):
        op.drop_table(table)
