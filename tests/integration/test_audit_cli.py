"""`foresight audit recording|access` on a store with known recorders and readers."""

from __future__ import annotations

import getpass
import io
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from api.http.app import create_app
from api.samples.demo import demo_case_events
from api.settings import Settings, get_settings
from api.users import add_user
from events.envelope import parse_event


@pytest.fixture
def store(db_url, point_cli_at):
    """The demo case, read twice through the API by a named reviewer."""
    url = db_url
    point_cli_at(url)
    web = create_app(Settings(db_url=url))
    foresight = web.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    _, token = add_user(foresight.queries.engine, "rev-ada", "reviewer", "review")
    client = TestClient(web)
    for as_known_at in ("2024-01-16T12:00", "2024-02-20"):
        response = client.get(
            "/cases/FAM-0042/chronology",
            params={"as_known_at": as_known_at},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
    yield url
    get_settings.cache_clear()


def run(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_recording_audit_names_each_recorder_and_the_late_police_record(store):
    """Every demo event is listed with its recorder, and only the late police record is late."""
    frame = pd.read_csv(io.StringIO(run("audit", "recording", "--format", "csv")))
    assert len(frame) == len(demo_case_events())
    assert set(frame["recorded_by"]) >= {"pc-5678", "dsl-patel", "hv-okafor", "sw-jones"}
    late = pd.read_csv(io.StringIO(run("audit", "recording", "--late-only", "--format", "csv")))
    assert list(late["recorded_by"]) == ["pc-5678"]
    assert set(frame.loc[frame["type"] == "entry_retracted", "action"]) == {"retracted"}


def test_the_access_audit_lists_each_read_with_its_reader_and_time_asked_about(store, tmp_path):
    """Both reads appear, with who read, the case and the as-known-at time; XLSX is written."""
    frame = pd.read_csv(
        io.StringIO(run("audit", "access", "--case", "FAM-0042", "--format", "csv"))
    )
    assert list(frame["user"]) == ["rev-ada", "rev-ada"]
    assert list(frame["role"]) == ["reviewer", "reviewer"]
    assert frame["as_known_at"].str.startswith("2024-01-16 12:00").iloc[0]
    out = tmp_path / "access.xlsx"
    run("audit", "access", "--user", "rev-ada", "--format", "xlsx", "-o", str(out))
    assert len(pd.read_excel(out)) == 2
    assert "0 rows" in run("audit", "access", "--user", "nobody")


def test_corrections_and_retractions_are_counted_per_agency(store):
    """The per-agency table counts the demo's one correction and one retraction for social care."""
    frame = pd.read_csv(io.StringIO(run("audit", "recording", "--per-agency", "--format", "csv")))
    social_care = frame.set_index("agency").loc["social_care"]
    assert (social_care["corrected"], social_care["retracted"]) == (1, 1)
    assert frame.set_index("agency").loc["police", "late"] == 1
    assert frame["recorded"].sum() + frame["corrected"].sum() + frame["retracted"].sum() + frame[
        "shared"
    ].sum() + frame["marked"].sum() == len(demo_case_events())


def test_reads_of_case_data_at_the_command_line_are_in_the_access_log_too(store):
    """The CLI has no token: its reader is the operating system's user, role `cli`."""
    run("chronology", "FAM-0042", "--as-known-at", "2024-01-16T12:00", "--agency", "police")
    run("report", "timeliness", "--format", "json")
    frame = pd.read_csv(io.StringIO(run("audit", "access", "--format", "csv")))
    cli = frame[frame["role"] == "cli"]
    assert list(cli["endpoint"]) == ["foresight chronology", "foresight report timeliness"]
    assert set(cli["user"]) == {getpass.getuser()}
    assert set(cli["agency"]) == {"(command line)"}
    assert list(cli["case_id"]) == ["FAM-0042", "*"]
    assert list(cli["viewed_as"]) == ["police", "*"]
    assert cli["as_known_at"].iloc[0].startswith("2024-01-16 12:00")
    assert list(frame.loc[frame["role"] != "cli", "user"]) == ["rev-ada", "rev-ada"]


def test_the_recording_table_shows_durations_in_words_and_nothing_for_missing_values(store):
    """The table says "28.1 days" or "5 hours", not 28.0763888887315, and an empty cell, not
    nan; the CSV keeps the numbers."""
    result = CliRunner().invoke(app, ["audit", "recording"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    cells = [
        cell.strip()
        for line in result.stdout.splitlines()
        if line.startswith("│")
        for cell in line.strip("│").split("│")
    ]
    assert "nan" not in cells
    assert "NaT" not in cells
    assert not [cell for cell in cells if re.fullmatch(r"-?\d+\.\d{2,}", cell)]
    in_words = r"-?\d+(\.\d)? (day|hour|minute)s?|under a minute"
    durations = [cell for cell in cells if re.fullmatch(in_words, cell)]
    assert len(durations) == 2 * len(demo_case_events())  # to record, and to store
    frame = pd.read_csv(io.StringIO(run("audit", "recording", "--format", "csv")))
    assert frame["days_to_record"].dtype == float
    assert (frame["days_to_record"] % 1 != 0).any()
