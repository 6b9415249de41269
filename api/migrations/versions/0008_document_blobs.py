"""Documents' bytes in the store's own database: content-addressed chunks, append-only by trigger.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.store.append_only import trigger_statements
from projections.store.blobs import BLOB_CHUNKS_TABLE, BLOBS_TABLE
from projections.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        BLOBS_TABLE,
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("stored_at", UtcDateTime(), nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        BLOB_CHUNKS_TABLE,
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("chunk_index", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        if_not_exists=True,
    )
    # Like the events: a blob, once stored, is never changed or removed.
    for table in (BLOBS_TABLE, BLOB_CHUNKS_TABLE):
        for statement in trigger_statements(table, op.get_bind().dialect.name):
            op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its triggers.
    op.drop_table(BLOB_CHUNKS_TABLE)
    op.drop_table(BLOBS_TABLE)
