"""The event store's tables: the library's SQLite recorder, append-only, with an event-id index.

The `eventsourcing` library owns the stored-events table. Two things are added in the
same transaction as each append: a row per event in `foresight_event_index` (global
uniqueness of `event_id`, and where each event sits: case, version, position), and, once,
triggers that refuse UPDATE and DELETE on both tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from domain.ports import Located as EventLocation

EVENTS_TABLE = "stored_events"
INDEX_TABLE = "foresight_event_index"
APPEND_ONLY_TABLES = (EVENTS_TABLE, INDEX_TABLE)
CREATE_ATTEMPTS = 10


def append_only_trigger_names(table: str) -> tuple[str, str]:
    return (f"{table}_refuse_update", f"{table}_refuse_delete")


def append_only_trigger_statements() -> list[str]:
    """The triggers that refuse UPDATE and DELETE on the event tables."""
    statements = []
    for table in APPEND_ONLY_TABLES:
        refuse_update, refuse_delete = append_only_trigger_names(table)
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {refuse_update} BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {refuse_delete} BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
    return statements


class ForesightSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder plus the event index and append-only triggers."""

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} ("
            "position INTEGER PRIMARY KEY, "
            "event_id TEXT NOT NULL UNIQUE, "
            "case_id TEXT NOT NULL, "
            "case_version INTEGER NOT NULL)"
        )
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX_TABLE}_case "
            f"ON {INDEX_TABLE} (case_id, case_version)"
        )
        return statements

    def create_table(self) -> None:
        """Create the tables; a second process creating the same new store at once retries."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                super().create_table()
                return
            except OperationalError as error:
                # The check below reads before it writes, so a process that lost the race to
                # create a new store gets "database is locked" (a stale snapshot) at once.
                if "locked" not in str(error) or attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))

    def _create_table(self, c: SQLiteCursor) -> None:
        """Create the tables, and the append-only triggers only together with a new event table.

        A store whose triggers have gone missing keeps them missing, so that `verify` reports
        it: re-creating them on every start would silently erase the evidence.
        """
        c.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [EVENTS_TABLE]
        )
        is_new_store = c.fetchone() is None
        super()._create_table(c)
        if is_new_store:
            for statement in append_only_trigger_statements():
                c.execute(statement)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        located: Mapping[tuple[UUID, int], tuple[str, str]] = kwargs.get("event_index", {})
        rows = []
        for stored, position in zip(stored_events, positions or (), strict=True):
            key = (stored.originator_id, stored.originator_version)
            if key in located:
                event_id, case_id = located[key]
                rows.append((position, event_id, case_id, stored.originator_version))
        if rows:
            c.executemany(f"INSERT INTO {INDEX_TABLE} VALUES (?,?,?,?)", rows)
        return positions

    def locate(self, event_ids: Iterable[str]) -> dict[str, EventLocation]:
        """Where each of these events is, for those that exist."""
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, EventLocation] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                c.execute(
                    f"SELECT event_id, case_id, case_version, position FROM {INDEX_TABLE} "
                    f"WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for row in c.fetchall():
                    found[row[0]] = EventLocation(row[0], row[1], row[2], row[3])
        return found

    def case_positions(self, case_id: str) -> dict[int, int]:
        """Each version of a case mapped to its global position."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT case_version, position FROM {INDEX_TABLE} WHERE case_id=?", [case_id]
            )
            return {row[0]: row[1] for row in c.fetchall()}

    def case_ids(self) -> list[str]:
        """Every case id in the store."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT case_id FROM {INDEX_TABLE} ORDER BY case_id")
            return [row[0] for row in c.fetchall()]

    def missing_append_only_triggers(self) -> list[str]:
        """Names of the append-only triggers that are not in the database."""
        expected = [name for table in APPEND_ONLY_TABLES for name in append_only_trigger_names(table)]
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
            present = {row[0] for row in c.fetchall()}
        return [name for name in expected if name not in present]

    def index_rows_between(self, first: int, last: int | None) -> list[EventLocation]:
        """Rows of the event index with positions from `first` to `last` (or the end)."""
        statement = (
            f"SELECT event_id, case_id, case_version, position FROM {INDEX_TABLE} "
            "WHERE position >= ?"
        )
        params = [first]
        if last is not None:
            statement += " AND position <= ?"
            params.append(last)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement + " ORDER BY position", params)
            return [EventLocation(*row) for row in c.fetchall()]
