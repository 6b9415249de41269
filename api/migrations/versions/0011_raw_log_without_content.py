"""The raw log keeps no copy of the events: `rm_events.content` goes.

The event store holds every event; the raw log, `changes` and the runner's refold of a case
now read them there by position. The recording audit, which read a few fields out of
`content`, gets them as columns: `occurred_at` (as recorded), `recorded_by`, `to_agency`, and
`people` (the person ids the event names, each between spaces, for its person filter).

On a plain store the new columns are filled from `content` in SQL. On an encrypted store
`content` is ciphertext that SQL cannot read: the read models are emptied instead, and the
next start of the projection (or `foresight rebuild`, faster for a large log) builds them
again from the log. Going down re-adds `content` and empties the read models the same way.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy import inspect

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# projections.encrypted_columns.CIPHERTEXT_MARK and the read-model tables as this revision
# knew them: a migration keeps the values of its day.
CIPHERTEXT_MARK = "fse1:"
READ_MODEL_TABLES = (
    "rm_events",
    "rm_knowledge",
    "rm_entry_states",
    "rm_state_subjects",
    "rm_plan_periods",
    "rm_plan_subjects",
    "rm_tracking",
)
REBUILD_ASKED = (
    "Revision 0011 emptied the read models (%s): they are built again from the event log "
    "when the projection next runs; for a large log run `foresight rebuild` now."
)

log = logging.getLogger("alembic.runtime.migration")

# The new columns from the JSON text of each RecordedEvent, per dialect. `people` as
# projections.caseviews.named_people writes it: subjects, then data.person_id.
FILLED_FROM_CONTENT = {
    "sqlite": {
        "occurred_at": "json_extract(content, '$.occurred_at')",
        "recorded_by": "json_extract(content, '$.recorded_by')",
        "to_agency": "json_extract(content, '$.data.to_agency')",
        "people": (
            "CASE WHEN json_array_length(content, '$.subjects') > 0 "
            "OR json_extract(content, '$.data.person_id') IS NOT NULL "
            "THEN ' ' || trim(coalesce((SELECT group_concat(value, ' ') "
            "FROM json_each(content, '$.subjects')), '') || ' ' "
            "|| coalesce(json_extract(content, '$.data.person_id'), '')) || ' ' END"
        ),
    },
    "postgresql": {
        "occurred_at": "content::jsonb ->> 'occurred_at'",
        "recorded_by": "content::jsonb ->> 'recorded_by'",
        "to_agency": "content::jsonb -> 'data' ->> 'to_agency'",
        "people": (
            "CASE WHEN jsonb_array_length(content::jsonb -> 'subjects') > 0 "
            "OR content::jsonb -> 'data' ->> 'person_id' IS NOT NULL "
            "THEN ' ' || btrim(coalesce((SELECT string_agg(subject, ' ' ORDER BY n) "
            "FROM jsonb_array_elements_text(content::jsonb -> 'subjects') "
            "WITH ORDINALITY AS named(subject, n)), '') || ' ' "
            "|| coalesce(content::jsonb -> 'data' ->> 'person_id', '')) || ' ' END"
        ),
    },
}


def _columns() -> set[str]:
    return {column["name"] for column in inspect(op.get_bind()).get_columns("rm_events")}


def _empty_read_models(why: str) -> None:
    for table in READ_MODEL_TABLES:
        op.execute(f"DELETE FROM {table}")
    log.warning(REBUILD_ASKED, why)


def _encrypted() -> bool:
    found = op.get_bind().execute(
        sa.text("SELECT 1 FROM rm_events WHERE content LIKE :mark LIMIT 1"),
        {"mark": CIPHERTEXT_MARK + "%"},
    )
    return found.first() is not None


def upgrade() -> None:
    # Idempotent: on SQLite another process may be running this same upgrade
    # (api/migrations/runner.py), and a store made by create_all has the new shape already.
    if "content" not in _columns():
        return
    with op.batch_alter_table("rm_events") as batch:
        batch.add_column(sa.Column("occurred_at", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("to_agency", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("people", sa.Text(), nullable=True))
    if _encrypted():
        _empty_read_models("the raw log's copies of the events were encrypted")
    else:
        filled = FILLED_FROM_CONTENT[op.get_bind().dialect.name]
        op.execute(
            "UPDATE rm_events SET "
            + ", ".join(f"{column} = {value}" for column, value in filled.items())
        )
    with op.batch_alter_table("rm_events") as batch:
        batch.alter_column("occurred_at", existing_type=sa.String(length=40), nullable=False)
        batch.drop_column("content")


def downgrade() -> None:
    _empty_read_models("revision 0010 keeps a copy of each event, which SQL cannot make")
    with op.batch_alter_table("rm_events") as batch:
        batch.drop_column("people")
        batch.drop_column("to_agency")
        batch.drop_column("recorded_by")
        batch.drop_column("occurred_at")
        batch.add_column(sa.Column("content", sa.Text(), nullable=False))
