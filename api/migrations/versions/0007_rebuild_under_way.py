"""A table that says a bulk rebuild is under way, so that nobody else projects meanwhile.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_rebuilds",
        sa.Column("application_name", sa.String(64), primary_key=True),
        sa.Column("head", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        if_not_exists=True,  # a store made by create_all, before migrations, has it already
    )


def downgrade() -> None:
    op.drop_table("rm_rebuilds")
