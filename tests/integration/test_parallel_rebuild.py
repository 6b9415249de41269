"""The bulk rebuild with its writes computed by worker processes, each owning a share of the cases.

Same read models as the incremental runner; a failing worker stops the rebuild at a whole
chunk; workers whose writer is killed outright stop by themselves; and the secondary
indexes a rebuild drops are always there again afterwards.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from api.bootstrap import bootstrap, open_store
from api.cli import app as cli
from api.settings import Settings
from projections.batch_writes import REBUILD_GC_THRESHOLD
from projections.caseviews import CaseViews
from projections.parallel_rebuild import RebuildWorkerError
from tests.integration.test_projection_resume import (
    applied_positions,
    fill_interleaved,
    kept_incrementally,
)
from tests.property.test_replay_properties import dump

ROOT = Path(__file__).resolve().parents[2]


def opener_failing_after(settings: Settings, decodes: int):
    """Opens the store for a worker whose decoding fails after `decodes` events (it pickles:
    a worker process calls it)."""
    service, views = open_store(settings)
    original = service.mapper.to_domain_event
    count = {"decoded": 0}

    def failing(notification):
        count["decoded"] += 1
        if count["decoded"] > decodes:
            raise RuntimeError("worker out of memory")
        return original(notification)

    service.mapper.to_domain_event = failing  # type: ignore[method-assign]
    return service, views


def index_names(engine) -> set[str]:
    names = set()
    for table in inspect(engine).get_table_names():
        if table.startswith("rm_"):
            names |= {index["name"] for index in inspect(engine).get_indexes(table)}
    return names


def secondary_index_names() -> set[str]:
    return {str(index.name) for index in CaseViews.secondary_indexes()}


def test_a_rebuild_by_worker_processes_equals_the_incremental_read_models(db_url):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=5, events_per_case=60)
    runner, incremental = kept_incrementally(settings)

    thresholds_seen = set()
    before = gc.get_threshold()
    rebuilt = runner.rebuild(
        lambda _: thresholds_seen.add(gc.get_threshold()), chunk_size=25, workers=2
    )

    assert rebuilt == total
    assert thresholds_seen == {(REBUILD_GC_THRESHOLD, *before[1:])}
    assert gc.get_threshold() == before
    assert applied_positions(runner) == (total, total)
    assert runner.position() == total
    assert dump(runner.views.engine) == incremental
    assert secondary_index_names() <= index_names(runner.views.engine)


def test_a_failing_worker_stops_the_rebuild_at_a_whole_chunk_and_a_second_rebuild_completes(
    db_url,
):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=4, events_per_case=60)
    runner, incremental = kept_incrementally(settings)
    runner.open_store = partial(opener_failing_after, settings, 50)

    with pytest.raises(RebuildWorkerError, match="worker out of memory"):
        runner.rebuild(chunk_size=20, workers=2, commit_chunks=1)

    position = runner.position()
    assert 0 < position < total
    assert applied_positions(runner) == (position, position)
    assert secondary_index_names() <= index_names(runner.views.engine)

    runner.open_store = partial(open_store, settings)
    assert runner.rebuild(chunk_size=20, workers=2) == total
    assert dump(runner.views.engine) == incremental


def opener_slowed(settings: Settings, pids: Path):
    """Opens the store for a worker that notes its process id in `pids` and decodes slowly,
    so that a rebuild lasts long enough to be killed part way."""
    (pids / str(os.getpid())).touch()
    service, views = open_store(settings)
    original = service.mapper.to_domain_event

    def slow(notification):
        time.sleep(0.02)
        return original(notification)

    service.mapper.to_domain_event = slow  # type: ignore[method-assign]
    return service, views


def test_workers_stop_when_the_rebuild_is_killed_and_opening_the_store_restores_its_indexes(
    db_url, tmp_path: Path
):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=4, events_per_case=60)
    _, incremental = kept_incrementally(settings)
    pids = tmp_path / "workers"
    pids.mkdir()
    script = textwrap.dedent(f"""
        from functools import partial
        from pathlib import Path
        from api.bootstrap import bootstrap, bootstrap_writer
        from api.settings import Settings
        from tests.integration.test_parallel_rebuild import opener_slowed

        if __name__ == "__main__":
            settings = Settings(db_url={db_url!r})
            runner = bootstrap(settings).runner
            runner.open_store = partial(opener_slowed, settings, Path({str(pids)!r}))
            runner.rebuild(chunk_size=10, workers=2, commit_chunks=1)
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    watcher = bootstrap(settings).runner
    deadline = time.monotonic() + 60
    # Part way: both workers started, and some chunks (not all) written.
    while len(list(pids.iterdir())) < 2 or watcher.position() in (0, total):
        assert writer.poll() is None, "the rebuild ended before it could be killed"
        assert time.monotonic() < deadline, "the rebuild never wrote a chunk"
        time.sleep(0.05)
    workers = [int(path.name) for path in pids.iterdir()]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()

    deadline = time.monotonic() + 20
    while any(is_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers outlived their writer"
        time.sleep(0.1)

    # The writer died with the secondary indexes dropped; opening the store restores them.
    assert not secondary_index_names() <= index_names(watcher.views.engine)
    runner = bootstrap(settings).runner
    assert secondary_index_names() <= index_names(runner.views.engine)
    runner.catch_up()
    assert dump(runner.views.engine) == incremental


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its reaper."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_the_cli_rebuilds_with_the_workers_asked_for(db_url, point_cli_at):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=3, events_per_case=40)
    runner, incremental = kept_incrementally(settings)
    point_cli_at(db_url)

    result = CliRunner().invoke(cli, ["rebuild", "--workers", "2", "--chunk-events", "30"])

    assert result.exit_code == 0, result.output
    assert f"from {total} event(s)" in result.output
    assert dump(runner.views.engine) == incremental
