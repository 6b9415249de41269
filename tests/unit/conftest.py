"""Unit tests run without a database: `service` here is the write side over an in-memory store.

A test whose subject is a real store belongs in tests/integration, where `service`, `db_url`
and the other store fixtures run it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.service import CaseService
from tests.fakes import in_memory_case_service

UNIT_TESTS = Path(__file__).parent
# The fixtures of tests/conftest.py that open a real store.
STORE_FIXTURES = frozenset({"backend", "db_url", "store_url", "fresh_store"})


@pytest.fixture
def service() -> Iterator[CaseService]:
    """The write side over a new, empty in-memory store."""
    app = in_memory_case_service()
    yield app
    app.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a unit test that asks for a real store, saying where it belongs."""
    for item in items:
        if UNIT_TESTS not in item.path.parents:
            continue
        used = STORE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if used:
            raise pytest.UsageError(
                f"{item.nodeid} uses {', '.join(sorted(used))}: a unit test has no database; "
                "move it to tests/integration"
            )
