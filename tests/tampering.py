"""An attacker with database access, for tests: disarm the append-only triggers, then edit rows.

`open_tamperer(db_url)` connects as the database's owner (the test server's superuser on
PostgreSQL), the way someone with the DBA's password would, bypassing Foresight entirely.
Positions are the library's notification ids (SQLite's rowid, PostgreSQL's notification_id).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from domain.case import chain_hash
from projections.store.append_only import postgres_trigger_statements, sqlite_trigger_statements
from projections.store.recorders import ACCESS_LOG_TABLE, BLOB_TABLES, INDEX_TABLE


@dataclass(frozen=True)
class StoredRow:
    """One row of the stored-events table."""

    position: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class IndexRow:
    position: int
    event_id: str
    case_id: str
    version: int


def decode(state: bytes) -> dict[str, Any]:
    return dict(json.loads(state))


def encode(state: dict[str, Any]) -> bytes:
    """The library's JSON encoding (compact, key order kept, UTF-8)."""
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()


def recorded_at(state: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(state["timestamp"]["_data_"])


class Tamperer:
    """Plain SQL on the event tables; the same operations on both backends."""

    placeholder = "?"
    events: str
    snapshots: str
    position: str

    def __init__(self, connection: Any):
        self.connection = connection

    # -- the backend-specific parts -------------------------------------------------------------

    def disarm(self, drop: bool = True) -> None:
        raise NotImplementedError

    def rearm(self) -> None:
        raise NotImplementedError

    def stored_id(self, originator_id: UUID) -> Any:
        """An aggregate id as this backend's events table holds it."""
        return originator_id

    def _commit(self) -> None:
        self.connection.commit()

    # -- reading -----------------------------------------------------------------------------------

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(statement, list(params)).fetchall())

    def _exists(self, table: str) -> bool:
        raise NotImplementedError

    @property
    def tables(self) -> list[str]:
        """The append-only tables of this store (the access log only once migrations made it)."""
        candidates = (self.events, INDEX_TABLE, self.snapshots, ACCESS_LOG_TABLE, *BLOB_TABLES)
        return [table for table in candidates if self._exists(table)]

    def rows(self) -> list[StoredRow]:
        return [
            StoredRow(int(row[0]), UUID(str(row[1])), int(row[2]), str(row[3]), bytes(row[4]))
            for row in self._rows(
                f"SELECT {self.position}, originator_id, originator_version, topic, state "
                f"FROM {self.events} ORDER BY {self.position}"
            )
        ]

    def index_rows(self) -> list[IndexRow]:
        return [
            IndexRow(*row)
            for row in self._rows(
                f"SELECT position, event_id, case_id, case_version FROM {INDEX_TABLE} "
                "ORDER BY position"
            )
        ]

    def snapshots_rows(self) -> list[tuple[UUID, int, str, bytes]]:
        return [
            (UUID(str(row[0])), int(row[1]), str(row[2]), bytes(row[3]))
            for row in self._rows(
                f"SELECT originator_id, originator_version, topic, state FROM {self.snapshots} "
                "ORDER BY originator_id, originator_version"
            )
        ]

    # -- editing -----------------------------------------------------------------------------------

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        # No parameters, no placeholders: the trigger function's text has '%' in it.
        if params:
            self.connection.execute(statement.replace("?", self.placeholder), list(params))
        else:
            self.connection.execute(statement)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Any SQL, `?` for parameters, committed (a refused statement raises the driver's
        error)."""
        try:
            self._execute(statement, params)
        except Exception:
            self.connection.rollback()
            raise
        self._commit()

    def set_state(self, position: int, state: bytes) -> None:
        self._execute(
            f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", [state, position]
        )
        self._commit()

    def set_row(self, position: int, row: StoredRow) -> None:
        """Put another row's identity and content at `position`."""
        self._execute(
            f"UPDATE {self.events} SET originator_id = ?, originator_version = ?, topic = ?, "
            f"state = ? WHERE {self.position} = ?",
            [self.stored_id(row.originator_id), row.version, row.topic, row.state, position],
        )

    def set_originator_id(self, position: int, text: str) -> None:
        """Write `text` as the row's aggregate id (PostgreSQL's uuid column takes only uuids)."""
        self._execute(
            f"UPDATE {self.events} SET originator_id = ? WHERE {self.position} = ?",
            [text if self.placeholder == "?" else UUID(text), position],
        )
        self._commit()

    def set_topic(self, position: int, topic: str) -> None:
        self._execute(
            f"UPDATE {self.events} SET topic = ? WHERE {self.position} = ?", [topic, position]
        )
        self._commit()

    def delete_event(self, position: int, with_index_row: bool) -> None:
        self._execute(f"DELETE FROM {self.events} WHERE {self.position} = ?", [position])
        if with_index_row:
            self._execute(f"DELETE FROM {INDEX_TABLE} WHERE position = ?", [position])
        self._commit()

    def swap_rows(self, first: StoredRow, second: StoredRow, with_index_rows: bool) -> None:
        """Exchange two events' places in the log (and, if asked, their index rows)."""
        # (originator_id, version) is unique: park the first row out of the way.
        self._execute(
            f"UPDATE {self.events} SET originator_version = -1 WHERE {self.position} = ?",
            [first.position],
        )
        self.set_row(second.position, first)
        self.set_row(first.position, second)
        if with_index_rows:
            index = {row.position: row for row in self.index_rows()}
            self._execute(
                f"DELETE FROM {INDEX_TABLE} WHERE position IN (?, ?)",
                [first.position, second.position],
            )
            for here, there in (
                (first.position, second.position),
                (second.position, first.position),
            ):
                if there in index:
                    moved = index[there]
                    self.insert_index_row(
                        IndexRow(here, moved.event_id, moved.case_id, moved.version)
                    )
        self._commit()

    def swap_versions(self, first: StoredRow, second: StoredRow) -> None:
        """Exchange the versions of two events of one aggregate, leaving them in place."""
        self._execute(
            f"UPDATE {self.events} SET originator_version = -1 WHERE {self.position} = ?",
            [first.position],
        )
        self._execute(
            f"UPDATE {self.events} SET originator_version = ? WHERE {self.position} = ?",
            [first.version, second.position],
        )
        self._execute(
            f"UPDATE {self.events} SET originator_version = ? WHERE {self.position} = ?",
            [second.version, first.position],
        )
        self._commit()

    def insert_event(self, originator_id: UUID, version: int, topic: str, state: bytes) -> int:
        """Append a forged row at the end of the log; its position."""
        self._execute(
            f"INSERT INTO {self.events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            [self.stored_id(originator_id), version, topic, state],
        )
        self._commit()
        return max(row.position for row in self.rows())

    def insert_index_row(self, row: IndexRow) -> None:
        self._execute(
            f"INSERT INTO {INDEX_TABLE} VALUES (?, ?, ?, ?)",
            [row.position, row.event_id, row.case_id, row.version],
        )
        self._commit()

    def set_snapshot(self, originator_id: UUID, version: int, state: bytes) -> None:
        self._execute(
            f"UPDATE {self.snapshots} SET state = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            [state, self.stored_id(originator_id), version],
        )
        self._commit()

    def insert_snapshot(self, originator_id: UUID, version: int, topic: str, state: bytes) -> None:
        self._execute(
            f"INSERT INTO {self.snapshots} VALUES (?, ?, ?, ?)",
            [self.stored_id(originator_id), version, topic, state],
        )
        self._commit()

    def rewrite_chain(self, events: list[StoredRow], from_version: int) -> None:
        """Change one event's summary and recompute every later hash of its case, as a careful
        attacker would: each link is then valid, only the case's head hash has changed."""
        prev_hash = None
        for row in sorted(events, key=lambda row: row.version):
            if row.version < from_version:
                continue
            state = decode(row.state)
            if row.version == from_version:
                state["entry"]["summary"] = f"{state['entry']['summary']} (rewritten)"
                prev_hash = state["prev_hash"]
            state["prev_hash"] = prev_hash
            state["hash"] = chain_hash(
                str(prev_hash),
                case_id=state["entry"]["case_id"],
                version=row.version,
                recorded_at=recorded_at(state),
                entry=state["entry"],
            )
            prev_hash = state["hash"]
            self.set_state(row.position, encode(state))

    def empty(self) -> None:
        """Remove every event, index row and snapshot, leaving the store as new (for test
        fixtures)."""
        self.disarm()
        for table in (self.events, INDEX_TABLE, self.snapshots):
            self._execute(f"DELETE FROM {table}")
        self._restart_positions()
        self.rearm()

    def _restart_positions(self) -> None:
        """SQLite's rowids start again at 1 in an empty table."""

    def close(self) -> None:
        self.connection.close()


class SQLiteTamperer(Tamperer):
    events = "stored_events"
    snapshots = "stored_snapshots"
    position = "rowid"

    def stored_id(self, originator_id: UUID) -> Any:
        return originator_id.hex  # how the library's SQLite recorder writes it

    def _exists(self, table: str) -> bool:
        return bool(
            self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
        )

    def disarm(self, drop: bool = True) -> None:
        """SQLite triggers cannot be disabled, only dropped."""
        for (name,) in self._rows("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            self._execute(f"DROP TRIGGER {name}")
        self._commit()

    def rearm(self) -> None:
        for table in self.tables:
            for statement in sqlite_trigger_statements(table):
                self._execute(statement)
        self._commit()

    def insert_event(self, originator_id: UUID, version: int, topic: str, state: bytes) -> int:
        self._execute(
            f"INSERT INTO {self.events} VALUES (?, ?, ?, ?)",
            [self.stored_id(originator_id), version, topic, state],
        )
        self._commit()
        return max(row.position for row in self.rows())


class PostgresTamperer(Tamperer):
    placeholder = "%s"
    events = "foresight_events"
    snapshots = "foresight_snapshots"
    position = "notification_id"

    def _exists(self, table: str) -> bool:
        return bool(self._rows("SELECT to_regclass(%s) IS NOT NULL", [table])[0][0])

    def disarm(self, drop: bool = True) -> None:
        for table in self.tables:
            if drop:
                for (name,) in self._rows(
                    "SELECT tgname FROM pg_trigger "
                    "WHERE NOT tgisinternal AND tgrelid = %s::regclass",
                    [table],
                ):
                    self._execute(f'DROP TRIGGER "{name}" ON "{table}"')
            else:
                self._execute(f'ALTER TABLE "{table}" DISABLE TRIGGER ALL')
        self._commit()

    def _restart_positions(self) -> None:
        self._execute(
            f"SELECT setval(pg_get_serial_sequence('{self.events}', 'notification_id'), 1, false)"
        )

    def rearm(self) -> None:
        for table in self.tables:
            self._execute(f'ALTER TABLE "{table}" ENABLE TRIGGER ALL')
            for statement in postgres_trigger_statements(table):
                self._execute(statement)
        self._commit()


def run_verify(db_url: str, *args: str) -> tuple[int, str]:
    """`foresight verify` in-process on `db_url`; its exit code and all it wrote, unwrapped."""
    previous = os.environ.get("FORESIGHT_DB_URL")
    os.environ["FORESIGHT_DB_URL"] = db_url
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["verify", *args], catch_exceptions=False)
    finally:
        if previous is None:
            os.environ.pop("FORESIGHT_DB_URL")
        else:
            os.environ["FORESIGHT_DB_URL"] = previous
        get_settings.cache_clear()
    return result.exit_code, " ".join((result.stdout + (result.stderr or "")).split())


def open_tamperer(db_url: str) -> Tamperer:
    """A privileged connection to the store at `db_url` (a SQLite file or a PostgreSQL database)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return SQLiteTamperer(sqlite3.connect(str(url.database)))
    connection = psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password or "",
        dbname=url.database,
        connect_timeout=5,
    )
    return PostgresTamperer(connection)
