"""A projection runner stopped part-way resumes and ends with every event applied exactly once."""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError
from sqlalchemy import func, select

from api.bootstrap import bootstrap, bootstrap_writer
from api.samples.generator import generate_case
from api.settings import Settings
from events.envelope import parse_event
from projections import tables
from projections.batch_writes import REBUILD_GC_THRESHOLD
from tests.property.test_replay_properties import dump

ROOT = Path(__file__).resolve().parents[2]


def fill(settings: Settings, cases: int = 6, events_per_case: int = 400) -> int:
    """A store of synthetic multi-agency cases; returns how many events it holds."""
    service = bootstrap_writer(settings)
    rng = random.Random(7)
    total = 0
    for index in range(cases):
        raw = generate_case(rng, f"RES-{index}", events_per_case)
        service.append([parse_event(event) for event in raw])
        total += len(raw)
    service.close()
    return total


def applied_positions(runner) -> tuple[int, int]:
    """How many event rows the read models hold, and how many distinct positions."""
    with runner.views.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(tables.events)).scalar()
        distinct = connection.execute(
            select(func.count(func.distinct(tables.events.c.position)))
        ).scalar()
    return rows, distinct


# Statements (some with no rows) that `CaseProjection.writes_for` gives for every batch.
WRITES_PER_BATCH = 11


def power_cut_at_write(patch, failing_write: int) -> None:
    """Read-model writes run one statement at a time; write number `failing_write` (counted
    across batches) raises, part way through a batch's writes."""
    import projections.bulk_rebuild
    import projections.caseviews

    original = projections.caseviews.execute_writes
    failing = failing_on_call(failing_write, original)

    def one_at_a_time(connection, writes):
        for write in writes:
            failing(connection, [write])

    patch.setattr(projections.caseviews, "execute_writes", one_at_a_time)
    patch.setattr(projections.bulk_rebuild, "execute_writes", one_at_a_time)


def failing_on_call(failing_call: int, original):
    """`original`, except that its call number `failing_call` raises (a power cut)."""
    calls = {"count": 0}

    def wrapper(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == failing_call:
            raise RuntimeError("power cut")
        return original(*args, **kwargs)

    return wrapper


def assert_applied_once_and_as_a_rebuild(runner, total: int) -> None:
    """Every position applied exactly once, and the read models as a rebuild makes them."""
    assert runner.position() == total
    assert applied_positions(runner) == (total, total)
    kept = dump(runner.views.engine)
    runner.rebuild()
    assert dump(runner.views.engine) == kept


@pytest.mark.slow
def test_a_runner_killed_mid_catch_up_resumes_and_applies_everything_once(db_url):
    """kill -9 during catch-up, then resume: the read models equal a rebuild from the log."""
    settings = Settings(db_url=db_url)
    total = fill(settings)
    script = textwrap.dedent(f"""
        import time
        from api.bootstrap import bootstrap, bootstrap_writer
        from api.settings import Settings
        settings = Settings(db_url={settings.db_url!r})
        runner = bootstrap(settings).runner
        runner.batch_size = 50
        runner.catch_up(progress=lambda count: time.sleep(0.05))
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    runner = bootstrap(settings).runner
    deadline = time.monotonic() + 60
    while runner.position() < 200 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stopped_at = runner.position()
    assert 0 < stopped_at < total, "the runner was not stopped part-way"

    runner.catch_up()

    assert_applied_once_and_as_a_rebuild(runner, total)


def test_a_batch_that_fails_part_way_leaves_no_trace_and_is_applied_on_retry(db_url, monkeypatch):
    """An error inside a batch rolls back its rows and its tracking; the retry applies it once."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=3, events_per_case=300)
    runner = bootstrap(settings).runner
    runner.batch_size = 100
    power_cut_at_write(monkeypatch, 20)
    with pytest.raises(RuntimeError):
        runner.catch_up()
    position = runner.position()
    assert position % 100 == 0
    assert position < total
    assert applied_positions(runner) == (position, position)

    monkeypatch.undo()
    runner.catch_up()

    assert_applied_once_and_as_a_rebuild(runner, total)


def test_a_position_already_applied_is_refused(db_url):
    """Recording a tracking position at or below the current one raises, so nothing doubles."""
    from eventsourcing.persistence import IntegrityError, Tracking

    settings = Settings(db_url=db_url)
    fill(settings, cases=1, events_per_case=50)
    runner = bootstrap(settings).runner
    runner.catch_up()
    with pytest.raises(IntegrityError):
        runner.views.insert_tracking(Tracking(runner.application_name, runner.position()))


def test_two_runners_taking_turns_on_one_store_keep_the_read_models_right(db_url):
    """A runner whose cached case went stale (another process applied events) reloads it."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=1, events_per_case=300)
    first = bootstrap(settings).runner
    second = bootstrap(settings).runner
    for runner in (first, second):
        runner.batch_size = 40
    turn = 0
    while first.position() < total:
        (first, second)[turn % 2].catch_up(max_batches=1)
        turn += 1
    taken_in_turns = dump(first.views.engine)
    first.rebuild()
    assert dump(first.views.engine) == taken_in_turns


def test_a_reader_finds_the_head_already_applied_by_another_runner_and_projects_nothing(
    db_url, monkeypatch
):
    """A server thread reads its own writes by catching up to the log's head as it was when
    it asked; when another runner has already applied that far it projects nothing itself (so
    concurrent readers do not race each other over the same events), and when not, it does."""
    settings = Settings(db_url=db_url)
    fill(settings, cases=1, events_per_case=50)
    reader = bootstrap(settings).runner
    projector = bootstrap(settings).runner
    projected = []
    monkeypatch.setattr(reader, "catch_up", lambda: projected.append(1) or 0)
    projector.catch_up()
    assert reader.catch_up_shared() == 0
    assert projected == []
    new_head = generate_case(random.Random(8), "RES-NEW", 10)  # a head nobody has applied
    bootstrap_writer(settings).append([parse_event(event) for event in new_head])
    reader.catch_up_shared()
    assert projected == [1]


@pytest.mark.slow
def test_several_runner_processes_racing_on_one_store_apply_each_event_exactly_once(db_url):
    """Three runner processes catching up at once, in small batches: every event once, and
    the read models equal a rebuild from the log."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=4, events_per_case=250)
    bootstrap(settings)  # the schema exists first
    script = textwrap.dedent(f"""
        from api.bootstrap import bootstrap, bootstrap_writer
        from api.settings import Settings
        settings = Settings(db_url={settings.db_url!r})
        runner = bootstrap(settings).runner
        runner.batch_size = 25
        while runner.lag():
            runner.catch_up_shared()
        print(runner.position())
    """)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (stdout, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stderr
        assert stdout.split() == [str(total)]
    runner = bootstrap(settings).runner
    assert_applied_once_and_as_a_rebuild(runner, total)


def fill_interleaved(settings: Settings, cases: int = 3, events_per_case: int = 100) -> int:
    """Cases whose events interleave in the log (appended in turns, a few at a time)."""
    service = bootstrap_writer(settings)
    rng = random.Random(11)
    pending = [
        [parse_event(event) for event in generate_case(rng, f"MIX-{index}", events_per_case)]
        for index in range(cases)
    ]
    total = 0
    while any(pending):
        for events in pending:
            if events:
                take = rng.randint(5, 40)
                service.append(events[:take])
                total += len(events[:take])
                del events[:take]
    service.close()
    return total


def kept_incrementally(settings: Settings, batch_size: int = 100):
    """The read models as the incremental runner keeps them, batch by batch."""
    runner = bootstrap(settings).runner
    runner.batch_size = batch_size
    runner.catch_up()
    return runner, dump(runner.views.engine)


def test_a_bulk_rebuild_in_small_chunks_with_cases_evicted_equals_the_incremental_read_models(
    db_url, monkeypatch
):
    """Interleaved cases, chunks smaller than a case and a cache too small to hold them all:
    cases are evicted and folded again from the log before the chunk, and the result is the
    same."""
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings)
    runner, incremental = kept_incrementally(settings)
    monkeypatch.setattr("projections.caseviews.CACHED_EVENTS", 50)
    reloads = {"count": 0}
    original = runner.service.case_events_up_to

    def counting(*args, **kwargs):
        found = original(*args, **kwargs)
        reloads["count"] += bool(found)
        return found

    monkeypatch.setattr(runner.service, "case_events_up_to", counting)
    assert runner.rebuild(chunk_size=60, workers=0) == total
    assert reloads["count"] > 0, "no case was evicted and reloaded"
    assert applied_positions(runner) == (total, total)
    assert dump(runner.views.engine) == incremental


def test_after_a_bulk_rebuild_the_runner_applies_new_events_exactly_once(db_url):
    """Events appended after a rebuild (to old cases and new ones) are applied once, and the
    result equals a rebuild of the whole log."""
    settings = Settings(db_url=db_url)
    before = fill_interleaved(settings)
    runner = bootstrap(settings).runner
    assert runner.rebuild(chunk_size=64) == before
    assert runner.position() == before

    service = bootstrap_writer(settings)
    rng = random.Random(3)
    more = [parse_event(event) for event in generate_case(rng, "MIX-NEW", 40)]
    service.append(more)
    service.close()
    after = before + len(more)

    assert runner.catch_up() == len(more)
    assert runner.catch_up() == 0
    assert_applied_once_and_as_a_rebuild(runner, after)


def test_a_rebuild_stopped_part_way_leaves_a_prefix_of_the_log_and_runs_again(db_url, monkeypatch):
    """An error in the middle of a rebuild leaves the read models exactly the log up to a
    chunk's end; from there a second rebuild completes, and so does catch-up."""
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=3, events_per_case=80)
    runner, incremental = kept_incrementally(settings)

    def rebuild_failing_on_the_third_chunk() -> None:
        with monkeypatch.context() as patch:
            power_cut_at_write(patch, 2 * WRITES_PER_BATCH + 5)
            with pytest.raises(RuntimeError):
                runner.rebuild(chunk_size=40, commit_chunks=1)
        position = runner.position()
        assert 0 < position < total
        assert applied_positions(runner) == (position, position)

    rebuild_failing_on_the_third_chunk()
    assert runner.rebuild(chunk_size=40) == total
    assert dump(runner.views.engine) == incremental

    rebuild_failing_on_the_third_chunk()
    runner.catch_up()
    assert dump(runner.views.engine) == incremental


def test_a_runner_overtaken_reading_the_position_is_refused_and_the_position_never_goes_back(
    tmp_path,
):
    """On SQLite the tracking row is read before the write lock is taken: if another runner
    moves the position on in between, the stale runner is refused instead of moving the
    position back (which once let a racing runner undo another's progress)."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'race.db'}")
    fill(settings, cases=1, events_per_case=40)
    runner = bootstrap(settings).runner
    runner.batch_size = 10
    runner.catch_up(max_batches=1)
    assert runner.position() == 10
    other = bootstrap(settings).runner
    other.batch_size = 10
    views = runner.views
    original = views.record_tracking

    def overtaken(connection, tracking, after=None):
        # The other runner applies up to 30 between this runner's read and its write.
        real_execute = connection.execute
        calls = {"count": 0}

        def execute(statement, *args, **kwargs):
            result = real_execute(statement, *args, **kwargs)
            calls["count"] += 1
            if calls["count"] == 1:
                other.catch_up(max_batches=2)
            return result

        connection.execute = execute
        try:
            return original(connection, tracking, after)
        finally:
            del connection.execute

    views.record_tracking = overtaken
    with pytest.raises(IntegrityError):
        runner.catch_up(max_batches=1)
    views.record_tracking = original
    assert runner.position() == 30
    runner.projection.forget_cached_cases()
    runner.catch_up()
    assert_applied_once_and_as_a_rebuild(runner, 40)


def test_a_long_catch_up_runs_the_collector_rarely_and_puts_it_back_after(db_url):
    settings = Settings(db_url=db_url)
    fill_interleaved(settings, cases=2, events_per_case=30)
    runner = bootstrap(settings).runner
    runner.batch_size = 10
    before = gc.get_threshold()
    seen = set()

    runner.catch_up(lambda _: seen.add(gc.get_threshold()))

    assert seen == {(REBUILD_GC_THRESHOLD, *before[1:])}
    assert gc.get_threshold() == before
