"""A locked database and a full disk answer 503 problem+json with Retry-After, and lose nothing.

The app runs in process over a real store with a one-second lock timeout; the lock is held by
another connection, the full disk is SQLite's per-connection `max_page_count`.
"""

from __future__ import annotations

import inspect
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import MethodType
from typing import Any, cast

import psycopg
import pytest
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnection, SQLiteConnectionPool
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError as SQLOperationalError

from api.bootstrap import Foresight
from api.http.app import create_app
from api.http.problems import DATABASE_LOCKED, DATABASE_UNAVAILABLE, DISK_FULL, unavailable_reason
from api.settings import Settings
from api.users import add_user

CASE = "FAM-503"
# Larger than SQLite's spare pages, so the insert must grow the file.
LONG_SUMMARY = "A long account of a home visit. " * 600


@pytest.fixture
def app_client(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("FORESIGHT_LOCK_TIMEOUT", "1")
    app = create_app(Settings(db_url=db_url))
    _, token = add_user(app.state.foresight.queries.engine, "sw-lee", "practitioner", "social_care")
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    opened = client.post(f"/cases/{CASE}/events", json=_note("Case opened"))
    assert opened.status_code == 201, opened.text
    yield client
    client.close()
    app.state.foresight.service.close()
    app.state.foresight.queries.engine.dispose()


def _foresight(client: TestClient) -> Foresight:
    foresight: Foresight = cast(FastAPI, client.app).state.foresight
    return foresight


def _note(summary: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "note_added",
        "occurred_at": "2024-03-01T10:00:00+00:00",
        "summary": summary,
    }


def _stored_ids(client: TestClient) -> list[str]:
    return [str(stored.event_id) for stored in _foresight(client).service.case_events(CASE)]


def _assert_unavailable(response: Any, reason: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    problem = response.json()
    assert (problem["status"], problem["reason"]) == (503, reason)
    assert problem["title"] == "Service unavailable"
    assert "same event_id" in problem["detail"]


@contextmanager
def database_locked_by_another_writer(db_url: str, events_table: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or the event table lock (PostgreSQL)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password or "",
        dbname=url.database,
    ) as table_holder:
        # The lock every append takes (reads go on), so appends queue behind it.
        table_holder.execute(f'LOCK TABLE "{events_table}" IN EXCLUSIVE MODE')
        yield
        table_holder.rollback()


def test_an_append_meeting_a_locked_database_is_refused_with_503_and_written_on_retry(
    app_client: TestClient,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = _note("Written once the lock is released")
    recorder = _foresight(app_client).service.recorder
    assert isinstance(recorder, SQLiteApplicationRecorder | PostgresApplicationRecorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        # The library makes ten attempts on PostgreSQL, each waiting the lock timeout: one
        # attempt (the method without its retrying decorator) shows the same answer in a tenth
        # of the time.
        once = inspect.unwrap(type(recorder).insert_events)
        monkeypatch.setattr(recorder, "insert_events", MethodType(once, recorder))
    events_table = recorder.events_table_name
    with database_locked_by_another_writer(db_url, events_table):
        refused = app_client.post(f"/cases/{CASE}/events", json=body)
        _assert_unavailable(refused, "database_locked")
        assert body["event_id"] not in _stored_ids(app_client)
    retried = app_client.post(f"/cases/{CASE}/events", json=body)
    assert retried.status_code == 201, retried.text
    assert _stored_ids(app_client).count(body["event_id"]) == 1


@contextmanager
def disk_full(client: TestClient) -> Iterator[None]:
    """Cap every SQLite connection of the app at its database's present size in pages.

    The library's connections are pooled: the cap is put on those already open and on new
    ones; the read models' engine gets it on each checkout (a SQLAlchemy event).
    """
    foresight = _foresight(client)
    recorder = foresight.service.recorder
    assert isinstance(recorder, SQLiteApplicationRecorder)
    pool = recorder.datastore.pool
    with sqlite3.connect(str(foresight.queries.engine.url.database)) as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    library_connections: list[SQLiteConnection] = []
    create = SQLiteConnectionPool._create_connection

    def capped_library_connection(self: SQLiteConnectionPool) -> SQLiteConnection:
        connection = create(self)
        connection._sqlite_conn.execute(f"PRAGMA max_page_count = {pages}")
        library_connections.append(connection)
        return connection

    def capped_engine_connection(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def cap(limit: int) -> None:
        for connection in [*pool._pool, *library_connections]:
            connection._sqlite_conn.execute(f"PRAGMA max_page_count = {limit}")

    engine = foresight.queries.engine
    # This one pool's method is replaced, and put back (del) below.
    pool._create_connection = MethodType(capped_library_connection, pool)  # type: ignore[method-assign]
    cap(pages)
    sqlalchemy_event.listen(engine, "checkout", capped_engine_connection)
    try:
        yield
    finally:
        sqlalchemy_event.remove(engine, "checkout", capped_engine_connection)
        del pool._create_connection
        cap(2**30)
        engine.dispose()


@pytest.mark.sqlite
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_append_meeting_a_full_disk_is_refused_with_503_and_written_on_retry(
    app_client: TestClient,
) -> None:
    batch = [_note(LONG_SUMMARY) for _ in range(8)]
    with disk_full(app_client):
        refused = app_client.post(f"/cases/{CASE}/events", json=batch)
        _assert_unavailable(refused, "disk_full")
        assert not {item["event_id"] for item in batch} & set(_stored_ids(app_client))
    retried = app_client.post(f"/cases/{CASE}/events", json=batch)
    assert retried.status_code == 201, retried.text
    stored = _stored_ids(app_client)
    assert all(stored.count(item["event_id"]) == 1 for item in batch)


def test_other_database_errors_stay_server_errors(
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise StoreOperationalError("no such table: stored_events")

    monkeypatch.setattr(_foresight(app_client).service, "append", broken)
    quiet = TestClient(
        app_client.app, headers=dict(app_client.headers), raise_server_exceptions=False
    )
    response = quiet.post(f"/cases/{CASE}/events", json=_note("never"))
    assert response.status_code == 500


def _raised_from(inner: Exception) -> StoreOperationalError:
    """As the library raises it: `raise OperationalError(error) from error`."""
    outer = StoreOperationalError(inner)
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_raised_from(sqlite3.OperationalError("database is locked")), DATABASE_LOCKED),
        (_raised_from(sqlite3.OperationalError("database or disk is full")), DISK_FULL),
        (
            SQLOperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")),
            DATABASE_LOCKED,
        ),
        (_raised_from(psycopg.errors.DiskFull("no room for the WAL")), DISK_FULL),
        (_raised_from(psycopg.errors.LockNotAvailable("canceling statement")), DATABASE_LOCKED),
        (
            SQLOperationalError(
                "SELECT", {}, psycopg.OperationalError("connection failed: Connection refused")
            ),
            DATABASE_UNAVAILABLE,
        ),
        (_raised_from(psycopg.errors.AdminShutdown("shutting down")), DATABASE_UNAVAILABLE),
        (_raised_from(sqlite3.OperationalError("no such table: x")), None),
    ],
    ids=[
        "sqlite-locked",
        "sqlite-full",
        "sqlalchemy-locked",
        "pg-disk-full",
        "pg-lock-timeout",
        "pg-refused",
        "pg-shutdown",
        "other",
    ],
)
def test_the_reason_is_read_from_the_driver_error_inside_the_wrappers(
    error: Exception,
    expected: Any,
) -> None:
    assert unavailable_reason(error) == expected
