"""Fresh stores for tests on each backend: a new SQLite file, or a new PostgreSQL database.

The PostgreSQL server is named by FORESIGHT_TEST_POSTGRES_URL (`.ci/postgres start` prints
one). Without it the PostgreSQL half of the suite is skipped with a reason, except in CI
(`CI=true`), where a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "FORESIGHT_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_server_url() -> str:
    """The test server's URL, or a skip (a failure in CI) saying how to get one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    problem = None
    if not url:
        problem = (
            f"no PostgreSQL server for the tests: set {POSTGRES_URL_VARIABLE} (.ci/postgres start)"
        )
    else:
        try:
            with _admin_connection(url):
                pass
        except psycopg.OperationalError as error:
            problem = f"the PostgreSQL server at {POSTGRES_URL_VARIABLE} is not reachable: {error}"
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    assert url is not None
    return url


def _admin_connection(server_url: str) -> psycopg.Connection:
    url = make_url(server_url)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password or "",
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=5,
    )


def new_postgres_database(server_url: str) -> str:
    """A new empty database on the test server; its URL."""
    name = f"foresight_test_{uuid.uuid4().hex[:20]}"
    with _admin_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}" STRATEGY file_copy')
    return (
        make_url(server_url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def drop_postgres_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    with _admin_connection(server_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_sqlite_url(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'foresight.db'}"
