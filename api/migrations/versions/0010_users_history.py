"""The users' record becomes append-only and hash-chained: users, their tokens and subject
mappings are rows of `foresight_users_history`; `foresight_users` and
`foresight_users_subjects` become views of the newest rows. Sessions stay a table of their own
(ephemeral credentials, deleted at sign-out).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from domain.case import GENESIS_HASH
from projections.store.append_only import trigger_statements
from projections.store.integrity import user_record_hash
from projections.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HISTORY = "foresight_users_history"
# A user as they are now: their newest token row (when it was issued is `created_at`).
USERS_VIEW = f"""foresight_users AS
SELECT issued.name, issued.role, issued.agency, issued.token_sha256, issued.at AS created_at
FROM {HISTORY} issued
WHERE issued.token_sha256 IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM {HISTORY} later WHERE later.name = issued.name
    AND later.token_sha256 IS NOT NULL AND later.seq > issued.seq)"""
# A subject as mapped now: its newest mapping row.
SUBJECTS_VIEW = f"""foresight_users_subjects AS
SELECT mapped.subject, mapped.name, mapped.role, mapped.agency, mapped.at AS created_at
FROM {HISTORY} mapped
WHERE mapped.subject IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM {HISTORY} later WHERE later.subject = mapped.subject AND later.seq > mapped.seq)"""


def upgrade() -> None:
    history = op.create_table(
        HISTORY,
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("token_sha256"),
        sa.UniqueConstraint("prev_hash"),
        if_not_exists=True,
    )
    op.create_index(f"{HISTORY}_name", HISTORY, ["name", "seq"], if_not_exists=True)
    op.create_index(f"{HISTORY}_subject", HISTORY, ["subject", "seq"], if_not_exists=True)
    bind = op.get_bind()
    existing = sa.inspect(bind).get_table_names()
    # The users first, in the order they were added, then the subjects' mappings.
    records = []
    if "foresight_users" in existing:
        users = bind.execute(
            sa.text(
                "SELECT name, role, agency, token_sha256, created_at FROM foresight_users "
                "ORDER BY created_at, name"
            ).columns(created_at=UtcDateTime())
        )
        records += [
            {**_identity(row), "kind": "added", "token_sha256": row.token_sha256, "subject": None}
            for row in users
        ]
        op.drop_table("foresight_users")
    if "foresight_users_subjects" in existing:
        subjects = bind.execute(
            sa.text(
                "SELECT subject, name, role, agency, created_at FROM foresight_users_subjects "
                "ORDER BY created_at, subject"
            ).columns(created_at=UtcDateTime())
        )
        records += [
            {
                **_identity(row),
                "kind": "subject_mapped",
                "token_sha256": None,
                "subject": row.subject,
            }
            for row in subjects
        ]
        op.drop_table("foresight_users_subjects")
    _append(bind, history, records)
    # Idempotent, like the other revisions: a store may run them again (0004 is re-run over
    # stores older than their snapshot triggers).
    create = (
        "CREATE OR REPLACE VIEW"
        if bind.dialect.name == "postgresql"
        else "CREATE VIEW IF NOT EXISTS"
    )
    for view in (USERS_VIEW, SUBJECTS_VIEW):
        op.execute(f"{create} {view}")
    for statement in trigger_statements(HISTORY, bind.dialect.name):
        op.execute(statement)


def _identity(row: Any) -> dict[str, Any]:
    return {"name": row.name, "role": row.role, "agency": row.agency, "at": row.created_at}


def _append(bind: sa.Connection, history: sa.Table, records: list[dict[str, Any]]) -> None:
    """Chain the moved rows after whatever the record already holds (a store whose tables
    were made by create_all may have rows in it)."""
    previous = bind.execute(
        sa.text(f"SELECT hash FROM {HISTORY} ORDER BY seq DESC LIMIT 1")
    ).scalar_one_or_none()
    previous = previous or GENESIS_HASH
    rows = []
    for record in records:
        row = {**record, "prev_hash": previous}
        row["hash"] = previous = user_record_hash(previous, row)
        rows.append(row)
    if rows:
        op.bulk_insert(history, rows)


def downgrade() -> None:
    bind = op.get_bind()
    users, subjects = (
        bind.execute(sa.text(f"SELECT * FROM {view}").columns(created_at=UtcDateTime()))
        .mappings()
        .all()
        for view in ("foresight_users", "foresight_users_subjects")
    )
    op.execute("DROP VIEW foresight_users")
    op.execute("DROP VIEW foresight_users_subjects")
    users_table = op.create_table(
        "foresight_users",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
    )
    subjects_table = op.create_table(
        "foresight_users_subjects",
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    if users:
        op.bulk_insert(users_table, [dict(row) for row in users])
    if subjects:
        op.bulk_insert(subjects_table, [dict(row) for row in subjects])
    op.drop_table(HISTORY)
