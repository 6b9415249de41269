"""While a bulk rebuild fills the read models, nobody else projects and nothing reads them.

Before, one API read during `foresight rebuild` caught the rest of the log up itself (the
read waited while it projected) and made the rebuild fail with a duplicate key. Now the
rebuild marks itself; other runners, the API and the CLI refuse with a reason until it is
done; and a mark left by a rebuild killed outright does not block anyone.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from api.bootstrap import bootstrap
from api.cli import app as cli
from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.timepoints import utc_now
from projections import tables
from projections.rebuild_mark import (
    REBUILD_STALE_AFTER,
    RebuildUnderWay,
    mark_rebuild,
    rebuild_head,
)
from tests.integration.test_projection_resume import fill_interleaved, kept_incrementally
from tests.property.test_replay_properties import dump


def runner_over(settings: Settings):
    return bootstrap(settings).runner


def marked(runner, head: int, **changes) -> None:
    """Leave a rebuild mark as this process would, with `changes` to its row."""
    with runner.views.engine.begin() as connection:
        mark_rebuild(connection, runner.application_name, head)
        if changes:
            connection.execute(update(tables.rebuilds).values(**changes))


def finished_process_id() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_other_runners_wait_for_a_rebuild_and_it_completes_as_if_alone(db_url: str) -> None:
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=4, events_per_case=60)
    _, incremental = kept_incrementally(settings)
    rebuilding, reader = runner_over(settings), runner_over(settings)
    caught_up: list[int] = []
    refused_at: list[tuple[int, int]] = []

    def meanwhile(_: int) -> None:
        # Between the rebuild's chunks, as an API read or `foresight project` would.
        try:
            caught_up.append(reader.catch_up_shared())
        except RebuildUnderWay as refused:
            refused_at.append((refused.position, refused.head))

    assert rebuilding.rebuild(meanwhile, chunk_size=25, workers=0, commit_chunks=1) == total

    assert refused_at
    assert caught_up == []  # every read between chunks was refused
    assert {head for _, head in refused_at} == {total}
    assert [position for position, _ in refused_at] == sorted(
        position for position, _ in refused_at
    )
    assert dump(rebuilding.views.engine) == incremental
    assert reader.rebuild_head() is None
    assert reader.catch_up_shared() == 0


def test_a_batch_begun_before_a_rebuild_marked_itself_is_refused_and_writes_nothing(db_url):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=2, events_per_case=30)
    runner = runner_over(settings)
    runner.catch_up(max_batches=0)
    batch = runner.service.case_events("MIX-0")[:5]
    # The runner looked (no rebuild), read its batch; a rebuild then marked itself.
    marked(runner, total)

    with pytest.raises(RebuildUnderWay):
        runner.projection.process_batch(batch, Tracking(runner.application_name, 5), after=0)

    assert runner.position() == 0
    with runner.views.engine.connect() as connection:
        assert connection.execute(select(tables.events.c.position)).first() is None


def test_the_api_answers_503_with_a_reason_and_health_says_so_while_a_rebuild_runs(db_url):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=1, events_per_case=20)
    app = create_app(settings)
    foresight = app.state.foresight
    token = add_user(foresight.queries.engine, "rev", "reviewer", "social_care")[1]
    with TestClient(app) as client:
        assert client.get("/health").json()["rebuilding"] is False
        marked(foresight.runner, total)

        response = client.get(
            "/cases/MIX-0/chronology", headers={"Authorization": f"Bearer {token}"}
        )
        health = client.get("/health").json()

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["reason"] == "rebuilding"
    assert problem["head"] == total
    assert "being rebuilt" in problem["detail"]
    assert health["rebuilding"] is True
    foresight.service.close()


def test_the_cli_refuses_to_read_or_project_while_a_rebuild_runs(db_url, point_cli_at):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=1, events_per_case=20)
    marked(runner_over(settings), total)
    point_cli_at(db_url)

    chronology = CliRunner().invoke(cli, ["chronology", "MIX-0"])
    project = CliRunner().invoke(cli, ["project"])

    for result in (chronology, project):
        assert result.exit_code == 1, result.output
        assert "being rebuilt" in result.output


def test_a_mark_left_by_a_rebuild_killed_on_this_machine_blocks_nobody(db_url):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=2, events_per_case=30)
    runner = runner_over(settings)
    marked(runner, total, pid=finished_process_id())

    assert runner.rebuild_head() is None
    assert runner.catch_up_shared() == total


def test_a_mark_from_another_machine_counts_until_its_heartbeat_is_stale(db_url):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=1, events_per_case=10)
    runner = runner_over(settings)
    elsewhere = f"not-{socket.gethostname()}"
    marked(runner, total, host=elsewhere, pid=finished_process_id())
    with runner.views.engine.connect() as connection:
        assert rebuild_head(connection, runner.application_name) == total
        later = utc_now() + REBUILD_STALE_AFTER + timedelta(seconds=1)
        assert rebuild_head(connection, runner.application_name, now=later) is None
    with pytest.raises(RebuildUnderWay):
        runner.catch_up()


def test_a_second_rebuild_is_refused_and_empties_nothing(db_url, point_cli_at):
    settings = Settings(db_url=db_url)
    total = fill_interleaved(settings, cases=2, events_per_case=20)
    runner = runner_over(settings)
    runner.catch_up()
    before = dump(runner.views.engine)
    marked(runner, total)  # a live rebuild: this very process

    with pytest.raises(RebuildUnderWay):
        runner.rebuild(workers=0)
    point_cli_at(db_url)
    result = CliRunner().invoke(cli, ["rebuild", "--workers", "0"])

    assert result.exit_code == 1
    assert "Another rebuild is under way" in result.output
    with runner.views.engine.connect() as connection:
        assert rebuild_head(connection, runner.application_name) == total
    # The refused rebuilds rolled back: the marked one's rows are as they were.
    assert {
        name: rows for name, rows in dump(runner.views.engine).items() if name != "rm_rebuilds"
    } == before
