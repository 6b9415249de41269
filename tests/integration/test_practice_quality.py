"""Practice quality as information, over HTTP on both backends: a case's children seen, seen
alone and heard, the gaps between, oversight of decisions; the authority-wide report; roles,
agency scoping and `as_known_at`. And the command line's report."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.http.app import create_app
from api.settings import Settings, get_settings
from tests.integration.test_api import Api, new_case


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    app = create_app(Settings(db_url=store_url()))
    with TestClient(app) as client:
        yield Api(app, client, {})
    app.state.foresight.service.close()


class Team:
    def __init__(self, api: Api):
        self.worker = api.add_user("practitioner", "social_care")
        self.manager = api.add_user("manager", "social_care")
        self.police = api.add_user("practitioner", "police")
        self.police_manager = api.add_user("manager", "police")
        self.reviewer = api.add_user("reviewer", "review_panel")


def recorded(api: Api, user: str, case_id: str, *events: dict[str, Any]) -> list[str]:
    response = api.post(user, case_id, list(events))
    assert response.status_code == 201, response.text
    return [event["event_id"] for event in response.json()]


def event(kind: str, on: str, known: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "occurred_at": on, "source_recorded_at": known or on, **fields}


def child(person_id: str, name: str) -> dict[str, Any]:
    return event(
        "person_added", "2024-02-01", data={"person_id": person_id, "role": "child", "name": name}
    )


@pytest.fixture(scope="module")
def family(api: Api) -> tuple[Team, str, dict[str, str]]:
    """Two children: Sam seen three times (once alone) and heard once, Mia never seen; two
    decisions, one overseen three days after; the police saw Sam once, unshared."""
    team = Team(api)
    case_id = new_case()
    recorded(api, team.worker, case_id, child("sam", "Sam"), child("mia", "Mia"))
    seen = [
        event("child_seen", "2024-02-05T10:00Z", subjects=["sam"], data={"seen_alone": False}),
        event(
            "child_seen",
            "2024-02-12",
            "2024-02-12T18:00Z",
            subjects=["sam"],
            data={"seen_alone": True},
        ),
        event(
            "child_voice_recorded",
            "2024-02-12T11:00Z",
            subjects=["sam"],
            data={"words": "I like my teacher"},
        ),
        event("child_seen", "2024-03-04T09:00Z", "2024-03-10T09:00Z", subjects=["sam"]),
    ]
    recorded(api, team.worker, case_id, *seen)
    first, second = recorded(
        api,
        team.worker,
        case_id,
        event("decision_made", "2024-02-06T12:00Z", data={"decision": "Assess"}),
        event("decision_made", "2024-03-05T12:00Z", data={"decision": "Strategy discussion"}),
    )
    oversight = {"target_event_id": first, "view": "agree", "reasons": "Proportionate"}
    recorded(
        api, team.manager, case_id, event("oversight_recorded", "2024-02-09T09:00Z", data=oversight)
    )
    recorded(
        api,
        team.police,
        case_id,
        event("child_seen", "2024-02-20T22:00Z", subjects=["sam"], data={"seen_alone": True}),
    )
    return team, case_id, {"first": first, "second": second}


def quality(api: Api, user: str, case_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(user, f"/cases/{case_id}/practice-quality", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_case_shows_when_each_child_was_seen_seen_alone_and_heard(api: Api, family) -> None:
    team, case_id, decisions = family
    body = quality(api, team.worker, case_id, on="2024-03-20")

    assert body["viewed_as"] == "social_care"
    sam, mia = body["children"]
    assert sam == {
        "person_id": "sam",
        "name": "Sam",
        "seen_on": ["2024-02-05", "2024-02-12", "2024-03-04"],
        "seen_alone_on": ["2024-02-12"],
        "words_recorded_on": ["2024-02-12"],
        "gaps_between_visits_days": [7, 21],
        "longest_gap_days": 21,
        "days_since_seen": 16,
        "days_since_seen_alone": 37,
        "days_since_words_recorded": 37,
    }
    assert mia["seen_on"] == []
    assert mia["days_since_seen"] is None
    first, second = body["decisions"]
    assert first["event_id"] == decisions["first"]
    assert first["days_to_first_oversight"] == 3
    assert [item["view"] for item in first["oversight"]] == ["agree"]
    assert second["oversight"] == []
    assert second["days_to_first_oversight"] is None
    assert body["decisions_with_oversight"] == 1


def test_a_case_as_known_at_a_time_leaves_out_what_was_recorded_later(api: Api, family) -> None:
    """The visit of 4 March was recorded on 10 March: on 8 March it was not yet known."""
    team, case_id, _ = family
    body = quality(api, team.worker, case_id, as_known_at="2024-03-08T12:00:00Z")
    assert body["on"] == "2024-03-08"
    assert body["children"][0]["seen_on"] == ["2024-02-05", "2024-02-12"]
    assert body["children"][0]["days_since_seen"] == 25


def test_each_agency_sees_what_it_knows(api: Api, family) -> None:
    """The police's unshared visit counts for the police and the whole record, not social care;
    the police never learned who the children are."""
    team, case_id, _ = family
    assert "2024-02-20" not in quality(api, team.worker, case_id)["children"][0]["seen_on"]
    assert quality(api, team.police, case_id)["children"] == []
    record = quality(api, team.reviewer, case_id)
    assert record["viewed_as"] is None
    assert "2024-02-20" in record["children"][0]["seen_on"]
    assert "2024-02-20" in record["children"][0]["seen_alone_on"]
    refused = api.get(team.worker, f"/cases/{case_id}/practice-quality", agency="police")
    assert refused.status_code == 403


def test_the_authority_wide_report_has_a_row_per_case_and_totals(api: Api, family) -> None:
    team, case_id, _ = family
    response = api.get(team.reviewer, "/reports/practice-quality", on="2024-03-20")
    assert response.status_code == 200, response.text
    report = response.json()
    [row] = [row for row in report["rows"] if row["case_id"] == case_id]
    assert row == {
        "case_id": case_id,
        "children": 2,
        "children_seen": 1,
        "children_seen_alone": 1,
        "children_with_words_recorded": 1,
        "visits": 4,
        "visits_alone": 2,
        "words_recorded": 1,
        "longest_gap_days": 13,
        "longest_since_seen_days": 16,
        "decisions": 2,
        "decisions_with_oversight": 1,
    }
    assert report["children"] >= 2
    assert report["decisions_with_oversight"] >= 1
    assert "score" not in json.dumps(report)

    scoped = api.get(team.manager, "/reports/practice-quality", on="2024-03-20").json()
    assert scoped["viewed_as"] == "social_care"
    [mine] = [row for row in scoped["rows"] if row["case_id"] == case_id]
    assert mine["visits"] == 3
    assert api.get(team.worker, "/reports/practice-quality").status_code == 403


def test_the_authority_wide_report_downloads_as_csv_and_xlsx(api: Api, family) -> None:
    """The CSV has the JSON's rows; the workbook adds the totals."""
    team, case_id, _ = family
    report = api.get(team.reviewer, "/reports/practice-quality", on="2024-03-20").json()
    as_csv = api.get(team.reviewer, "/reports/practice-quality", on="2024-03-20", format="csv")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    [row] = [row for row in rows if row["case_id"] == case_id]
    [expected] = [row for row in report["rows"] if row["case_id"] == case_id]
    assert row == {key: "" if value is None else str(value) for key, value in expected.items()}
    assert len(rows) == len(report["rows"])

    as_xlsx = api.get(team.reviewer, "/reports/practice-quality", on="2024-03-20", format="xlsx")
    assert as_xlsx.status_code == 200, as_xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["totals", "cases"]
    header, totals = (list(line) for line in book["totals"].iter_rows(values_only=True))
    assert dict(zip(header, totals, strict=True))["visits"] == report["visits"]
    assert book["cases"].max_row == len(report["rows"]) + 1


def test_the_command_line_report(
    db_url: str, point_cli_at: Callable[[str], None], tmp_path: Path
) -> None:
    point_cli_at(db_url)
    runner = CliRunner()
    try:
        made = runner.invoke(cli_app, ["demo", "--no-serve", "--authority", "0"])
        assert made.exit_code == 0, made.output
        table = runner.invoke(cli_app, ["report", "practice-quality"], env={"COLUMNS": "200"})
        case = runner.invoke(
            cli_app, ["report", "practice-quality", "--case", "FAM-0042", "--format", "json"]
        )
        unknown = runner.invoke(cli_app, ["report", "practice-quality", "--case", "NOPE"])
        as_csv = runner.invoke(cli_app, ["report", "practice-quality", "--format", "csv"])
        workbook = tmp_path / "practice.xlsx"
        as_xlsx = runner.invoke(
            cli_app, ["report", "practice-quality", "--format", "xlsx", "-o", str(workbook)]
        )
        no_file = runner.invoke(cli_app, ["report", "practice-quality", "--format", "xlsx"])
    finally:
        get_settings.cache_clear()
    assert table.exit_code == 0, table.output
    assert "FAM-0042" in table.stdout
    assert "decisions with management oversight" in table.stdout
    body = json.loads(case.stdout)
    assert [child["name"] for child in body["children"]] == ["Ava", "Leo"]
    assert unknown.exit_code == 1
    assert as_csv.exit_code == 0, as_csv.output
    assert "FAM-0042" in [row["case_id"] for row in csv.DictReader(io.StringIO(as_csv.stdout))]
    assert as_xlsx.exit_code == 0, as_xlsx.output
    assert openpyxl.load_workbook(workbook).sheetnames == ["totals", "cases"]
    assert no_file.exit_code == 2
