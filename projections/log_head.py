"""The log's head, the read models' tracked position and whether a rebuild is marked, in one
query: what a reader asks before each read to know whether the read models may have
anything to catch up on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Engine

from projections import tables


@dataclass(frozen=True)
class LogHead:
    position: int  # the last position recorded in the log (0 when empty)
    applied: int  # the read models' tracked position (0 before any)
    rebuild_marked: bool  # a rebuild has marked itself (live or not: the runner tells)


def head_statement(engine: Engine, events_table: str, schema: str | None = None) -> TextClause:
    """One statement for the three: the events table is the library's, named by its recorder
    (on SQLite the position is the row id, as the library itself reads it)."""
    quote = engine.dialect.identifier_preparer.quote
    if engine.dialect.name == "sqlite":
        head = f"SELECT MAX(rowid) FROM {quote(events_table)}"
    else:
        qualified = f"{quote(schema)}.{quote(events_table)}" if schema else quote(events_table)
        head = f"SELECT MAX(notification_id) FROM {qualified}"
    tracking = tables.tracking
    applied = (
        f"SELECT {quote(tracking.c.notification_id.name)} FROM {quote(tracking.name)} "
        "WHERE application_name = :name"
    )
    marked = f"SELECT 1 FROM {quote(tables.rebuilds.name)} WHERE application_name = :name"
    return text(f"SELECT ({head}) AS head, ({applied}) AS applied, EXISTS ({marked}) AS marked")


class LogHeadQuery:
    """Asks for the log's head, the tracked position and the rebuild mark in one round trip."""

    def __init__(
        self, engine: Engine, application_name: str, events_table: str, schema: str | None
    ):
        self.engine = engine
        self.application_name = application_name
        self.statement = head_statement(engine, events_table, schema)

    def __call__(self) -> LogHead:
        with self.engine.connect() as connection:
            row = connection.execute(self.statement, {"name": self.application_name}).one()
        return LogHead(
            position=int(row.head or 0),
            applied=int(row.applied or 0),
            rebuild_marked=bool(row.marked),
        )
