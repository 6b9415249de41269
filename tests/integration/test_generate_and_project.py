"""`foresight generate` fills a store reproducibly; `foresight project` keeps the read models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.bootstrap import bootstrap, bootstrap_writer
from api.cli import app
from api.settings import Settings
from projections.store.integrity import verify_store


@pytest.fixture
def store(db_url: str, point_cli_at: Callable[[str], None]) -> str:
    point_cli_at(db_url)
    return db_url


def run(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_same_seed_writes_the_same_cases_and_another_seed_other_ones(tmp_path: Path) -> None:
    run("generate", "--cases", "5", "--seed", "3", "-o", str(tmp_path / "a.jsonl"))
    run("generate", "--cases", "5", "--seed", "3", "-o", str(tmp_path / "b.jsonl"))
    run("generate", "--cases", "5", "--seed", "4", "-o", str(tmp_path / "c.jsonl"))
    first = (tmp_path / "a.jsonl").read_text()
    assert first == (tmp_path / "b.jsonl").read_text()
    assert first != (tmp_path / "c.jsonl").read_text()
    events = [json.loads(line) for line in first.splitlines()]
    assert len({event["case_id"] for event in events}) == 5
    assert {"police", "school", "health", "social_care"} <= {event["agency"] for event in events}
    kinds = {event["type"] for event in events}
    assert {
        "contact_received",
        "information_shared",
        "entry_corrected",
        "plan_started",
        "decision_made",
    } <= kinds


def test_generated_cases_are_appended_valid_and_projected_by_a_separate_process(store: str) -> None:
    run("generate", "--cases", "4", "--seed", "9", "--events-per-case", "120")
    service = bootstrap_writer(Settings(db_url=store))
    try:
        assert len(service.index.case_ids()) == 4
        assert verify_store(service).ok
        total = service.recorder.max_notification_id()
    finally:
        service.close()
    assert "read models at position" in run("project")
    runner = bootstrap(Settings(db_url=store)).runner
    assert runner.position() == total
    assert runner.lag() == 0


def test_a_census_year_authority_and_ordinary_cases_of_the_same_seed_share_one_store(
    store: str, tmp_path: Path
) -> None:
    """`--census-year` generates families with the census fields for the CIN census; with the
    same seed as ordinary cases their event ids do not collide, so both fit in one store."""
    run("generate", "--cases", "12", "--seed", "5", "--census-year", "2026")
    run("generate", "--cases", "2", "--seed", "5")
    run("export", "cin-census", "--year", "2026", "--la", "873", "-o", str(tmp_path / "c.xml"))
    census = (tmp_path / "c.xml").read_text()
    assert census.count("<Child>") >= 12
    service = bootstrap_writer(Settings(db_url=store))
    try:
        assert verify_store(service).ok
    finally:
        service.close()
