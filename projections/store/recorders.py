"""The event store's tables: the library's recorders, append-only, with an event-id index.

The `eventsourcing` library owns the stored-events table. Two things are added in the
same transaction as each append: a row per event in `foresight_event_index` (global
uniqueness of `event_id`, and where each event sits: case, version, position), and, once,
with a new store, triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on
both tables. The same recorder interface serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.ports import Located as EventLocation
from projections.store.append_only import (
    REFUSE_FUNCTION,
    postgres_refuse_function_body,
    postgres_trigger_statements,
    sqlite_trigger_statements,
    trigger_names,
)
from projections.store.blobs import BLOB_CHUNKS_TABLE, BLOBS_TABLE

INDEX_TABLE = "foresight_event_index"
# Created by Alembic (api/migrations), append-only by trigger since revision 0001.
ACCESS_LOG_TABLE = "foresight_access_log"
# Created by Alembic since revision 0008: documents' bytes.
BLOB_TABLES = (BLOBS_TABLE, BLOB_CHUNKS_TABLE)
# Created by Alembic since revision 0010: users, their tokens and subject mappings, chained.
USERS_HISTORY_TABLE = "foresight_users_history"
# The append-only tables Alembic creates (the others come with the event store).
MIGRATED_APPEND_ONLY_TABLES = (ACCESS_LOG_TABLE, USERS_HISTORY_TABLE, *BLOB_TABLES)
CREATE_ATTEMPTS = 10
# One PostgreSQL advisory lock for "someone is creating or changing Foresight's tables": the
# event store's creation here and Alembic's upgrades (api/migrations/runner.py) take turns.
SCHEMA_LOCK_ID = 0x466F726573


def _index_rows(
    stored_events: Sequence[StoredEvent], positions: Sequence[int] | None, kwargs: Mapping[str, Any]
) -> list[tuple[int, str, str, int]]:
    """The index rows of the events just inserted (snapshots and review events have none)."""
    located: Mapping[tuple[UUID | str, int], tuple[str, str]] = kwargs.get("event_index", {})
    rows = []
    for stored, position in zip(stored_events, positions or (), strict=True):
        key = (stored.originator_id, stored.originator_version)
        if key in located:
            event_id, case_id = located[key]
            rows.append((position, event_id, case_id, stored.originator_version))
    return rows


class EventIndexQueries:
    """Reads of the event index and the guard triggers, written once for both backends."""

    placeholder = "?"
    dialect = "sqlite"
    # SQLite's rowids of a table that is never deleted from have no gaps; a PostgreSQL
    # sequence skips the numbers of rolled-back appends.
    positions_are_contiguous = True
    events_table_name: str

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _trigger_names(self) -> set[str]:
        raise NotImplementedError

    def _table_exists(self, table: str) -> bool:
        raise NotImplementedError

    def _one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that `column` is one of `values`, and its parameters."""
        return f"{column} IN ({','.join([self.placeholder] * len(values))})", list(values)

    @property
    def snapshots_table_name(self) -> str:
        """The library names the snapshot table after the events table (`…_snapshots`)."""
        return self.events_table_name.removesuffix("events") + "snapshots"

    @property
    def append_only_tables(self) -> tuple[str, str, str]:
        # Snapshots too: the aggregate trusts the newest one when deciding an append.
        return (self.events_table_name, INDEX_TABLE, self.snapshots_table_name)

    def locate(self, event_ids: Iterable[str]) -> dict[str, EventLocation]:
        """Where each of these events is, for those that exist."""
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, EventLocation] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            condition, params = self._one_of("event_id", chunk)
            rows = self._select(
                f"SELECT event_id, case_id, case_version, position FROM {INDEX_TABLE} "
                f"WHERE {condition}",
                params,
            )
            for row in rows:
                found[row[0]] = EventLocation(*row)
        return found

    def case_positions(self, case_id: str) -> dict[int, int]:
        """Each version of a case mapped to its global position."""
        rows = self._select(
            f"SELECT case_version, position FROM {INDEX_TABLE} WHERE case_id={self.placeholder}",
            [case_id],
        )
        return {row[0]: row[1] for row in rows}

    def case_ids(self) -> list[str]:
        """Every case id in the store."""
        rows = self._select(f"SELECT DISTINCT case_id FROM {INDEX_TABLE} ORDER BY case_id")
        return [row[0] for row in rows]

    def expected_trigger_names(self) -> list[str]:
        tables = list(self.append_only_tables)
        tables += [table for table in MIGRATED_APPEND_ONLY_TABLES if self._table_exists(table)]
        return [name for table in tables for name in trigger_names(table, self.dialect)]

    def missing_append_only_triggers(self) -> list[str]:
        """Names of the append-only triggers that are not in force (absent, disabled or altered)."""
        present = self._trigger_names()
        return [name for name in self.expected_trigger_names() if name not in present]

    def snapshot_versions(self) -> dict[UUID, list[int]]:
        """The versions of every stored snapshot, by aggregate (for `verify`)."""
        versions: dict[UUID, list[int]] = {}
        for originator_id, version in self._select(
            f"SELECT originator_id, originator_version FROM {self.snapshots_table_name} "
            "ORDER BY originator_id, originator_version"
        ):
            versions.setdefault(UUID(str(originator_id)), []).append(int(version))
        return versions

    def index_rows_between(self, first: int, last: int | None) -> list[EventLocation]:
        """Rows of the event index with positions from `first` to `last` (or the end)."""
        p = self.placeholder
        statement = (
            f"SELECT event_id, case_id, case_version, position FROM {INDEX_TABLE} "
            f"WHERE position >= {p}"
        )
        params = [first]
        if last is not None:
            statement += f" AND position <= {p}"
            params.append(last)
        return [
            EventLocation(*row) for row in self._select(statement + " ORDER BY position", params)
        ]

    def notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The stored events at these positions (notification ids), still encoded, in
        position order: one query however many (the read models keep no copy of an event,
        so the raw log and the refold of a case read them here)."""
        if not positions:
            return []
        wanted = sorted(set(positions))
        if self.dialect == "sqlite":
            # One parameter (a JSON array) rather than one placeholder per position.
            statement = (
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} "
                "WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid"
            )
            parameter: Any = json.dumps(wanted)
        else:
            statement = (
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} "
                "WHERE notification_id = ANY(%s) ORDER BY notification_id"
            )
            parameter = wanted
        return [
            Notification(
                id=position,
                originator_id=originator_id
                if isinstance(originator_id, UUID)
                else UUID(originator_id),
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
            for position, originator_id, version, topic, state in self._select(
                statement, [parameter]
            )
        ]


class ForesightSQLiteRecorder(EventIndexQueries, SQLiteApplicationRecorder):
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
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [self.events_table_name]
        )
        is_new_store = c.fetchone() is None
        super()._create_table(c)
        if is_new_store:
            # The library creates the snapshot table after this one: create it now, to guard it.
            snapshots = SQLiteAggregateRecorder(self.datastore, self.snapshots_table_name)
            for statement in snapshots.construct_create_table_statements():
                c.execute(statement)
            for table in self.append_only_tables:
                for statement in sqlite_trigger_statements(table):
                    c.execute(statement)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        rows = _index_rows(stored_events, positions, kwargs)
        if rows:
            c.executemany(f"INSERT INTO {INDEX_TABLE} VALUES (?,?,?,?)", rows)
        return positions

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, list(params))
            return [tuple(row) for row in c.fetchall()]

    def _trigger_names(self) -> set[str]:
        """Triggers whose definition is still the refusing one (a no-op of that name is not)."""
        defined = {
            row[0]: " ".join(str(row[1]).split())
            for row in self._select("SELECT name, sql FROM sqlite_master WHERE type='trigger'")
        }
        tables = [*self.append_only_tables, *MIGRATED_APPEND_ONLY_TABLES]
        expected = {
            name: " ".join(statement.replace(" IF NOT EXISTS", "").split())
            for table in tables
            for name, statement in zip(
                trigger_names(table, self.dialect), sqlite_trigger_statements(table), strict=True
            )
        }
        return {name for name, sql in defined.items() if expected.get(name) == sql}

    def _table_exists(self, table: str) -> bool:
        return bool(
            self._select("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table])
        )


class ForesightPostgresRecorder(EventIndexQueries, PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, plus the event index and the
    append-only triggers."""

    placeholder = "%s"
    dialect = "postgresql"
    positions_are_contiguous = False

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Several processes starting against a new database at once would race on CREATE
        # TABLE IF NOT EXISTS (unique violations in the catalogue): take turns.
        curs.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK_ID])
        curs.execute(
            "SELECT to_regclass(%s) IS NULL AS is_new", [self._qualified(self.events_table_name)]
        )
        row = curs.fetchone()
        is_new_store = bool(row and row["is_new"])
        super()._create_table(curs)
        schema = Identifier(self.datastore.schema)
        curs.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{index} ("
                "position bigint PRIMARY KEY, "
                "event_id text NOT NULL UNIQUE, "
                "case_id text NOT NULL, "
                "case_version bigint NOT NULL, "
                "UNIQUE (case_id, case_version))"
            ).format(schema=schema, index=Identifier(INDEX_TABLE))
        )
        if is_new_store:
            # The library creates the snapshot table after this one: create it now, to guard it.
            PostgresAggregateRecorder(
                self.datastore, events_table_name=self.snapshots_table_name
            )._create_table(curs)
            for table in self.append_only_tables:
                for statement in postgres_trigger_statements(table, self.datastore.schema):
                    curs.execute(statement)

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # The library learns the positions only here, still inside the append transaction.
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        rows = _index_rows(stored_events, positions, kwargs)
        if rows:
            # One statement of four arrays: psycopg spent a Python round of work per row of
            # an executemany (11 µs of CPU a row against 4), and the server one per statement.
            curs.execute(
                SQL(
                    "INSERT INTO {schema}.{index} (position, event_id, case_id, case_version) "
                    "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[])"
                ).format(schema=Identifier(self.datastore.schema), index=Identifier(INDEX_TABLE)),
                [list(column) for column in zip(*rows, strict=True)],
            )
        return positions

    def _one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        # One array parameter: psycopg converts a query's placeholders one by one, in Python.
        return f"{column} = ANY(%s)", [list(values)]

    def _qualified(self, table: str) -> str:
        return f"{self.datastore.schema}.{table}"

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, list(params))
            return [tuple(row.values()) for row in curs.fetchall()]

    def _trigger_names(self) -> set[str]:
        """Enabled triggers that call the refusing function, while that function still refuses."""
        rows = self._select(
            "SELECT t.tgname, p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND n.nspname = %s "
            "AND p.proname = %s AND p.pronamespace = n.oid",
            [self.datastore.schema, REFUSE_FUNCTION],
        )
        refusing = " ".join(postgres_refuse_function_body().split())
        rows = [row for row in rows if " ".join(str(row[1]).split()) == refusing]
        return {row[0] for row in rows}

    def _table_exists(self, table: str) -> bool:
        rows = self._select("SELECT to_regclass(%s) IS NOT NULL", [self._qualified(table)])
        return bool(rows[0][0])
