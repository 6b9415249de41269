"""kill -9 of the server, the projection runner and a rebuild, on each backend.

Three kills per backend here (one of each); FORESIGHT_FAULT_ROUNDS asks for more, and
`python -m tests.reliability.faults` runs a larger bounded series.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StoreMaker
from tests.reliability.faults import rounds_from_environment, run_faults

pytestmark = pytest.mark.slow


def test_kill_9_at_random_points_loses_nothing_and_the_read_models_converge(
    db_url: str,
    backend: str,
    fresh_store: StoreMaker,
    tmp_path: Path,
) -> None:
    """After each kill: every acknowledged event once, chains verified, read models equal to a
    rebuild from the log in a fresh database; `foresight verify` passes at the end."""
    rounds = rounds_from_environment(3)
    result = run_faults(
        db_url,
        backend,
        fresh_store,
        rounds=rounds,
        writers=2,
        preload_cases=2,
        preload_events=200,
        log_dir=tmp_path,
    )
    for label, value in result.rows():
        print(f"{label}: {value}")
    assert not result.problems, result.problems
    assert [kill.target for kill in result.kills][:3] == ["server", "project", "rebuild"]
    assert len(result.kills) == rounds
    assert result.ledger.acknowledged
