"""Single sign-on: the provider's subjects mapped to a Foresight name, role and agency, and
the web page's sessions (kept here so that signing out ends them).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "foresight_users_subjects",
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "foresight_users_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("foresight_users_sessions")
    op.drop_table("foresight_users_subjects")
