"""A short load run on each backend: several workers, concurrent writers and as-known-at readers.

The larger bounded run is `python -m tests.reliability.load` (see its docstring).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.load import print_table, run_load

pytestmark = pytest.mark.slow


def test_concurrent_writers_and_readers_lose_nothing_and_see_what_was_known(
    db_url: str,
    backend: str,
    tmp_path: Path,
) -> None:
    """Every acknowledged event stored once, no 5xx other than 503, no stale as-known-at read."""
    result = run_load(db_url, backend, writers=4, readers=2, seconds=2, workers=2, log_dir=tmp_path)
    print_table([result])
    assert not result.problems, result.problems
    assert result.store.events_in_log >= len(result.ledger.acknowledged) > 0
    assert result.ledger.read_seconds, "no read as known at was answered"
