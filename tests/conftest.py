"""Shared fixtures: a case service on a real store (SQLite file and PostgreSQL), and event builders.

Every test that takes `db_url`, `store_url`, `fresh_store` or `service` runs once per backend.
Under tests/unit, `service` is the in-memory store's instead (tests/unit/conftest.py), and the
others are refused: unit tests have no database.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import bootstrap, bootstrap_writer
from api.settings import Settings, get_settings
from domain.service import CaseService
from events.envelope import EventEnvelope, parse_event
from tests.backends import (
    BACKENDS,
    drop_postgres_database,
    new_postgres_database,
    new_sqlite_url,
    postgres_server_url,
)
from tests.s3_server import S3Server, running_s3_server

PROPERTY_TESTS = Path(__file__).parent / "property"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The property tests' PostgreSQL runs are in the slow tier (CI runs it after the default
    run): their examples are the same as on SQLite, and each costs a database round trip."""
    for item in items:
        if item.path.is_relative_to(PROPERTY_TESTS) and item.get_closest_marker("postgresql"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(
    scope="session",
    params=[pytest.param(name, marks=getattr(pytest.mark, name)) for name in BACKENDS],
)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend this test runs against."""
    if request.param == "postgresql":
        postgres_server_url()
    return str(request.param)


@pytest.fixture(scope="session")
def store_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], str]]:
    """Makes fresh stores of this backend (for fixtures wider than one test); dropped at the end."""
    made: list[str] = []

    def new_store() -> str:
        if backend == "sqlite":
            return new_sqlite_url(tmp_path_factory.mktemp("store"))
        made.append(new_postgres_database(postgres_server_url()))
        return made[-1]

    yield new_store
    for url in made:
        drop_postgres_database(postgres_server_url(), url)


StoreMaker = Callable[[], AbstractContextManager[str]]


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store at the newest migration, made once per run: a copy of its file is
    what a new store is once opened, and migrating each hypothesis example's store anew took
    most of the example's time."""
    url = new_sqlite_url(tmp_path_factory.mktemp("migrated"))
    foresight = bootstrap(Settings(db_url=url))
    foresight.service.close()
    foresight.runner.views.engine.dispose()
    path = Path(url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as connection:  # everything into the file, none left in the WAL
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture(scope="session")
def fresh_store(backend: str, request: pytest.FixtureRequest) -> StoreMaker:
    """Makes a fresh store that is removed on leaving the `with` (for hypothesis examples); on
    SQLite, a copy of an empty store already at the newest migration."""
    migrated = request.getfixturevalue("migrated_sqlite_file") if backend == "sqlite" else None

    @contextmanager
    def new_store() -> Iterator[str]:
        if migrated is not None:
            with tempfile.TemporaryDirectory() as directory:
                url = new_sqlite_url(Path(directory))
                shutil.copyfile(migrated, url.removeprefix("sqlite:///"))
                yield url
            return
        server = postgres_server_url()
        url = new_postgres_database(server)
        try:
            yield url
        finally:
            drop_postgres_database(server, url)

    return new_store


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh store for one test."""
    if backend == "sqlite":
        yield new_sqlite_url(tmp_path)
        return
    server = postgres_server_url()
    url = new_postgres_database(server)
    yield url
    drop_postgres_database(server, url)


@pytest.fixture
def service(db_url: str) -> Iterator[CaseService]:
    """The write side over a fresh store of this backend."""
    app = bootstrap_writer(Settings(db_url=db_url))
    yield app
    app.close()


def event(type: str, case_id: str = "FAM-1", **fields: Any) -> EventEnvelope:
    """A valid envelope of `type`, with sensible defaults that `fields` override."""
    raw: dict[str, Any] = {
        "type": type,
        "case_id": case_id,
        "occurred_at": "2024-03-01T10:00:00+00:00",
        "agency": "social_care",
        "recorded_by": "sw-1",
    }
    raw.update(fields)
    return parse_event(raw)


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def point_cli_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the CLI at a store for this test: its URL in FORESIGHT_DB_URL, and the settings
    the CLI caches read again (before, and after the test)."""

    def point(url: str) -> None:
        monkeypatch.setenv("FORESIGHT_DB_URL", url)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's, in its own process) for the whole run."""
    with pytest.MonkeyPatch.context() as patch, running_s3_server(patch) as server:
        yield server
