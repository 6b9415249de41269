"""A projection runner stopped part-way resumes and ends with every event applied exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.bootstrap import build_case_service, build_case_views_runner
from api.settings import Settings
from api.synthetic import generate_case
from events.envelope import parse_event
from projections import tables
from tests.property.test_replay_properties import dump

ROOT = Path(__file__).resolve().parents[2]


def fill(settings: Settings, cases: int = 6, events_per_case: int = 400) -> int:
    """A store of synthetic multi-agency cases; returns how many events it holds."""
    service = build_case_service(settings)
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


@pytest.mark.slow
def test_a_runner_killed_mid_catch_up_resumes_and_applies_everything_once(db_url):
    """kill -9 during catch-up, then resume: the read models equal a rebuild from the log."""
    settings = Settings(db_url=db_url)
    total = fill(settings)
    script = textwrap.dedent(f"""
        import time
        from api.bootstrap import build_case_service, build_case_views_runner
        from api.settings import Settings
        settings = Settings(db_url={settings.db_url!r})
        runner = build_case_views_runner(settings, build_case_service(settings))
        runner.batch_size = 50
        runner.catch_up(progress=lambda count: time.sleep(0.05))
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    service = build_case_service(settings)
    runner = build_case_views_runner(settings, service)
    deadline = time.monotonic() + 60
    while runner.position() < 200 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stopped_at = runner.position()
    assert 0 < stopped_at < total, "the runner was not stopped part-way"

    runner.catch_up()

    assert runner.position() == total
    assert applied_positions(runner) == (total, total)
    resumed = dump(runner.views.engine)
    runner.rebuild()
    assert dump(runner.views.engine) == resumed


def test_a_batch_that_fails_part_way_leaves_no_trace_and_is_applied_on_retry(db_url, monkeypatch):
    """An error inside a batch rolls back its rows and its tracking; the retry applies it once."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=3, events_per_case=300)
    runner = build_case_views_runner(settings, build_case_service(settings))
    runner.batch_size = 100
    original = runner.projection._write_plan_periods
    calls = {"count": 0}

    def fail_on_the_fourth_batch(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 4:
            raise RuntimeError("power cut")
        return original(*args, **kwargs)

    monkeypatch.setattr(runner.projection, "_write_plan_periods", fail_on_the_fourth_batch)
    with pytest.raises(RuntimeError):
        runner.catch_up()
    position = runner.position()
    assert position % 100 == 0 and position < total
    assert applied_positions(runner) == (position, position)

    runner.catch_up()

    assert applied_positions(runner) == (total, total)
    resumed = dump(runner.views.engine)
    runner.rebuild()
    assert dump(runner.views.engine) == resumed


def test_a_position_already_applied_is_refused(db_url):
    """Recording a tracking position at or below the current one raises, so nothing doubles."""
    from eventsourcing.persistence import IntegrityError, Tracking

    settings = Settings(db_url=db_url)
    fill(settings, cases=1, events_per_case=50)
    runner = build_case_views_runner(settings, build_case_service(settings))
    runner.catch_up()
    with pytest.raises(IntegrityError):
        runner.views.insert_tracking(Tracking(runner.application_name, runner.position()))


def test_two_runners_taking_turns_on_one_store_keep_the_read_models_right(db_url):
    """A runner whose cached case went stale (another process applied events) reloads it."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=1, events_per_case=300)
    first = build_case_views_runner(settings, build_case_service(settings))
    second = build_case_views_runner(settings, build_case_service(settings))
    for runner in (first, second):
        runner.batch_size = 40
    turn = 0
    while first.position() < total:
        (first, second)[turn % 2].catch_up(max_batches=1)
        turn += 1
    taken_in_turns = dump(first.views.engine)
    first.rebuild()
    assert dump(first.views.engine) == taken_in_turns


@pytest.mark.slow
def test_several_runner_processes_racing_on_one_store_apply_each_event_exactly_once(db_url):
    """Three runner processes catching up at once, in small batches: every event once, and
    the read models equal a rebuild from the log."""
    settings = Settings(db_url=db_url)
    total = fill(settings, cases=4, events_per_case=250)
    build_case_views_runner(settings, build_case_service(settings))  # the schema exists first
    script = textwrap.dedent(f"""
        from api.bootstrap import build_case_service, build_case_views_runner
        from api.settings import Settings
        settings = Settings(db_url={settings.db_url!r})
        runner = build_case_views_runner(settings, build_case_service(settings))
        runner.batch_size = 25
        while runner.lag():
            runner.catch_up_shared()
        print(runner.position())
    """)
    children = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (stdout, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stderr
        assert stdout.split() == [str(total)]
    runner = build_case_views_runner(settings, build_case_service(settings))
    assert runner.position() == total
    assert applied_positions(runner) == (total, total)
    raced = dump(runner.views.engine)
    runner.rebuild()
    assert dump(runner.views.engine) == raced
