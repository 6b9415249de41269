"""Foresight's own tables (read models, users, access log) created and upgraded by Alembic.

The event store's tables belong to the `eventsourcing` library, which creates them. Every
process upgrades the schema when it opens a store; on PostgreSQL an advisory lock makes
concurrent starts take turns, and on SQLite (whose DDL does not wait on a transaction) the
migrations are idempotent (`if_not_exists`) and a lost race on the version row is retried.
"""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from projections.store.recorders import SCHEMA_LOCK_ID

MIGRATIONS = Path(__file__).parent
UPGRADE_ATTEMPTS = 5


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: Engine) -> None:
    """Bring the store's tables to the newest migration (a no-op when they are)."""
    head = head_revision()
    for attempt in range(UPGRADE_ATTEMPTS):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK_ID}
                    )
                if MigrationContext.configure(connection).get_current_revision() == head:
                    return
                command.upgrade(alembic_config(connection), "head")
            return
        except (IntegrityError, OperationalError):
            # Another process (SQLite) upgraded at the same moment: look again.
            if attempt == UPGRADE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
