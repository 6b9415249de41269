"""Reads ask one cheap question when nothing is new (the log's head), still read their own
writes when something is, and log every read, several reads sharing a commit."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from api.access_log import Access, AccessLog, access_log
from api.bootstrap import bootstrap, bootstrap_writer
from api.samples.generator import generate_case
from api.settings import Settings
from events.envelope import parse_event
from projections.rebuild_mark import RebuildUnderWay, mark_rebuild, unmark_rebuild
from tests.reliability.processes import prepare_store, serving


def append_case(settings: Settings, case_id: str, events: int = 20) -> None:
    """Appended by a writer of its own, as another API worker or command would."""
    writer = bootstrap_writer(settings)
    raw = generate_case(random.Random(case_id), case_id, events)
    writer.append([parse_event(event) for event in raw])
    writer.close()


def statements(engine: Engine) -> list[str]:
    """Every statement the engine runs from now on."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def watch(connection: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    return seen


def test_with_nothing_new_a_read_asks_one_query_and_catches_up_nothing(db_url: str) -> None:
    settings = Settings(db_url=db_url)
    append_case(settings, "HEAD-1")
    runner = bootstrap(settings).runner
    runner.catch_up()
    runner.catch_up_shared()  # learns that the read models hold the log's head
    checks = runner.catch_up_checks
    ran = statements(runner.views.engine)

    for _ in range(5):
        assert runner.catch_up_shared() == 0

    assert runner.catch_up_checks == checks
    assert len(ran) == 5
    assert len(set(ran)) == 1  # the same head query each time, nothing else


def test_read_models_emptied_by_a_failed_rebuild_are_caught_up_with_nothing_new(
    db_url: str,
) -> None:
    """A rebuild that emptied the read models and then failed leaves its mark removed and
    the tracked position behind: the head has not moved, but the next read catches up."""
    settings = Settings(db_url=db_url)
    append_case(settings, "HEAD-1")
    foresight = bootstrap(settings)
    foresight.runner.catch_up_shared()
    with foresight.runner.views.engine.begin() as connection:
        foresight.runner.views.clear_tables(connection)
    assert not foresight.queries.case_exists("HEAD-1")

    assert foresight.caught_up().case_exists("HEAD-1")


def test_a_read_after_another_writer_appended_applies_it(db_url: str) -> None:
    settings = Settings(db_url=db_url)
    append_case(settings, "HEAD-1")
    foresight = bootstrap(settings)
    foresight.runner.catch_up_shared()
    checks = foresight.runner.catch_up_checks

    append_case(settings, "HEAD-2", events=10)

    assert foresight.caught_up().case_exists("HEAD-2")
    assert foresight.runner.catch_up_checks == checks + 1
    assert foresight.runner.catch_up_shared() == 0
    assert foresight.runner.catch_up_checks == checks + 1


def test_a_read_with_nothing_new_is_still_refused_while_a_rebuild_is_marked(db_url: str) -> None:
    """The head alone would say "nothing new" while a rebuild empties and refills the read
    models: the same query asks for the rebuild's mark."""
    settings = Settings(db_url=db_url)
    append_case(settings, "HEAD-1")
    runner = bootstrap(settings).runner
    runner.catch_up_shared()
    with runner.views.engine.begin() as connection:
        mark_rebuild(connection, runner.application_name, head=runner.position())
    try:
        with pytest.raises(RebuildUnderWay):
            runner.catch_up_shared()
    finally:
        with runner.views.engine.begin() as connection:
            unmark_rebuild(connection, runner.application_name)
    assert runner.catch_up_shared() == 0


@pytest.mark.parametrize("wait_for_disk", [True, False], ids=["durable", "fast-commit"])
def test_reads_waiting_together_share_one_commit_and_each_is_logged(
    db_url: str, wait_for_disk: bool
) -> None:
    engine = bootstrap(Settings(db_url=db_url)).queries.engine
    log = AccessLog(engine, wait_for_disk=wait_for_disk)
    readers = 6
    with log._writer:  # a commit under way: the readers queue behind it
        threads = [
            threading.Thread(
                target=log.record,
                args=(Access("sw", "practitioner", "social_care", "GET /x", case_id=f"C-{n}"),),
            )
            for n in range(readers)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(log._queue) < readers and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join()

    assert log.transactions == 1
    with engine.connect() as connection:
        logged = connection.execute(select(func.count()).select_from(access_log)).scalar()
    assert logged == readers


class Unreachable:
    """An engine whose database cannot be reached."""

    def connect(self) -> None:
        raise ConnectionError("the database is unreachable")

    def begin(self) -> None:
        raise ConnectionError("the database is unreachable")


def test_a_failed_commit_fails_every_read_that_shared_it() -> None:
    log = AccessLog(Unreachable())  # type: ignore[arg-type]
    failures: list[BaseException] = []

    def read(n: int) -> None:
        try:
            log.record(Access("sw", "practitioner", "social_care", "GET /x", case_id=f"C-{n}"))
        except Exception as error:  # noqa: BLE001 - what the read would answer with
            failures.append(error)

    with log._writer:
        threads = [threading.Thread(target=read, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        while len(log._queue) < 3:
            time.sleep(0.01)
    for thread in threads:
        thread.join()

    assert len(failures) == 3
    assert log.transactions == 0


@pytest.mark.slow
def test_a_read_in_any_worker_process_sees_an_append_made_through_another(
    tmp_path: Path, db_url: str
) -> None:
    """Two server workers, each with its own head: every append, made on one connection, is
    in the chronology read on a new connection (served by either worker) right after."""
    token = prepare_store(db_url, [("sw", "practitioner", "social_care")])["sw"]
    headers = {"Authorization": f"Bearer {token}"}
    with serving(db_url, 2, tmp_path / "serve.log") as base:
        opened = httpx.post(
            f"{base}/cases/W-1/events",
            json={"type": "case_opened", "occurred_at": "2024-03-01"},
            headers=headers,
        )
        assert opened.status_code == 201, opened.text
        for round_ in range(12):
            summary = f"note {round_} from {os.getpid()}"
            with httpx.Client(base_url=base, headers=headers) as writing:
                appended = writing.post(
                    "/cases/W-1/events",
                    json={"type": "note_added", "occurred_at": "2024-03-02", "summary": summary},
                )
            assert appended.status_code == 201, appended.text
            with httpx.Client(base_url=base, headers=headers) as reading:
                entries = reading.get("/cases/W-1/chronology").json()
            assert summary in [entry["summary"] for entry in entries]
