"""`GET /cases/{id}/timeliness`, `GET /reports/timeliness` and `foresight report timeliness` on a
small real store: two hand-built cases appended through the service."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.access_log import EVERY_CASE
from api.cli import app as cli
from api.http.app import create_app
from api.settings import Settings, get_settings
from api.users import add_user
from events.envelope import parse_event

PROBLEM = "application/problem+json"
USERS = {
    "sw-one": ("practitioner", "social_care"),
    "tm-one": ("manager", "social_care"),
    "pc-one": ("practitioner", "police"),
    "rev-one": ("reviewer", "review"),
    "aud-one": ("auditor", "information_governance"),
}


def event_id(case_id: str, name: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:test:timeliness:{case_id}:{name}"))


def raw(
    case_id: str,
    name: str,
    type: str,
    occurred_at: str,
    agency: str = "social_care",
    known: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    """One event with a fixed id, recorded by its agency at `known` (default: when it happened)."""
    return {
        "event_id": event_id(case_id, name),
        "type": type,
        "case_id": case_id,
        "occurred_at": occurred_at,
        "agency": agency,
        "recorded_by": f"{agency}-worker",
        "source_recorded_at": known or occurred_at,
        "data": data,
    }


def strategy_case() -> list[dict[str, Any]]:
    """A referral to a child protection plan around Christmas 2024; the conference and plan are
    recorded late (20 January 2025); the police keep their own contact and are told of the
    strategy discussion."""
    case = "TL-1"
    return [
        raw(
            case,
            "contact",
            "contact_received",
            "2024-12-02T10:00",
            known="2024-12-02T11:00",
            contact_kind="referral",
            outcome="strategy_discussion",
        ),
        raw(
            case,
            "decision",
            "decision_made",
            "2024-12-03T09:00",
            decision="Strategy discussion",
            information_relied_on=[event_id(case, "contact")],
        ),
        raw(case, "strategy", "strategy_discussion_held", "2024-12-18T14:00", outcome="section_47"),
        raw(
            case,
            "s47",
            "assessment_started",
            "2024-12-18",
            assessment_id="S47-1",
            kind="section_47",
        ),
        raw(
            case,
            "police-contact",
            "contact_received",
            "2024-12-20T22:00",
            "police",
            outcome="no_further_action",
        ),
        raw(
            case,
            "shared",
            "information_shared",
            "2024-12-19T09:00",
            to_agency="police",
            event_ids=[event_id(case, "strategy")],
        ),
        raw(case, "s47-done", "assessment_completed", "2025-01-10", assessment_id="S47-1"),
        raw(
            case,
            "icpc",
            "conference_held",
            "2025-01-13T10:00",
            known="2025-01-20T09:00",
            kind="initial",
            outcome="child_protection_plan",
        ),
        raw(
            case,
            "plan",
            "plan_started",
            "2025-01-13",
            known="2025-01-20T09:00",
            plan_id="CP-1",
            kind="child_protection",
        ),
    ]


def easter_case() -> list[dict[str, Any]]:
    """A contact with no decision yet, and a single assessment across Easter 2024."""
    case = "TL-2"
    return [
        raw(case, "contact", "contact_received", "2024-03-22T16:00"),
        raw(case, "start", "assessment_started", "2024-03-25", assessment_id="A-1", kind="single"),
        raw(case, "done", "assessment_completed", "2024-04-03", assessment_id="A-1"),
    ]


ROWS_TL1 = 9  # 2 contacts' decisions, 3 assessment rows, conference, plan, core group, review
ROWS_TL2 = 4  # 1 open decision, 3 assessment rows


@dataclass
class Store:
    url: str
    client: TestClient
    tokens: dict[str, str]

    def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )


@pytest.fixture(scope="module")
def store(store_url: Callable[[], str]) -> Iterator[Store]:
    """The app over a fresh store holding the two cases, with a user of each role."""
    url = store_url()
    app = create_app(Settings(db_url=url))
    foresight = app.state.foresight
    foresight.service.append([parse_event(event) for event in strategy_case() + easter_case()])
    tokens = {
        name: add_user(foresight.queries.engine, name, role, agency)[1]
        for name, (role, agency) in USERS.items()
    }
    with TestClient(app) as client:
        yield Store(url, client, tokens)
    foresight.service.close()


def by_milestone(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for interval in body["intervals"]:
        found.setdefault(interval["milestone"], []).append(interval)
    return found


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    if field is not None:
        assert field in [error["field"] for error in response.json()["errors"]]


def test_a_case_shows_each_interval_in_calendar_and_working_days_beside_its_timescale(store):
    """The whole record: the conference 15 working days after the strategy discussion (over
    Christmas), the decision one working day after the referral, the plan awaiting review."""
    response = store.get("rev-one", "/cases/TL-1/timeliness", on="2025-03-03")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["case_id"], body["viewed_as"], body["on"]) == ("TL-1", None, "2025-03-03")
    assert body["rules"]["name"] == "england"
    assert len(body["intervals"]) == ROWS_TL1
    found = by_milestone(body)

    (conference,) = found["strategy_discussion_to_initial_conference"]
    assert conference["from_date"] == "2024-12-18"
    assert conference["to_date"] == "2025-01-13"
    assert (conference["calendar_days"], conference["working_days"]) == (26, 15)
    assert (conference["timescale"], conference["timescale_date"]) == (
        "15 working days",
        "2025-01-13",
    )
    decisions = {d["agency"]: d for d in found["contact_to_decision"]}
    assert decisions["social_care"]["to_event_id"] == event_id("TL-1", "decision")
    assert decisions["social_care"]["working_days"] == 1
    assert decisions["police"]["to_date"] == "2024-12-20"

    (review,) = found["plan_start_to_first_review"]
    assert (review["status"], review["until"], review["timescale_date"]) == (
        "open",
        "2025-03-03",
        "2025-04-13",
    )
    (completion,) = found["contact_to_assessment_completion"]
    assert (completion["working_days"], completion["timescale_date"]) == (26, "2025-02-06")
    (core_group,) = found["initial_conference_to_first_core_group"]
    assert (core_group["status"], core_group["until"], core_group["working_days"]) == (
        "open",
        "2025-03-03",
        35,
    )
    assert core_group["timescale_date"] == "2025-01-27"
    assert body["not_measured"] == []


def test_as_known_before_the_late_conference_record_the_conference_is_still_awaited(store):
    """Known at 15 January 2025 (the conference was recorded on the 20th): the interval is open,
    17 working days to that date, and no plan is known."""
    body = store.get("rev-one", "/cases/TL-1/timeliness", as_known_at="2025-01-15").json()
    found = by_milestone(body)
    (conference,) = found["strategy_discussion_to_initial_conference"]
    assert (conference["status"], conference["to_date"], conference["until"]) == (
        "open",
        None,
        "2025-01-15",
    )
    assert conference["working_days"] == 17
    assert "initial_conference_to_plan_start" not in found
    assert "plan_start_to_first_review" not in found


def test_a_practitioner_of_another_agency_sees_only_what_their_agency_knows(store):
    """The police know their own contact and the shared strategy discussion, not the conference,
    so the conference is open to them; they may not ask for social care's knowledge."""
    body = store.get("pc-one", "/cases/TL-1/timeliness", on="2025-03-03").json()
    assert body["viewed_as"] == "police"
    found = by_milestone(body)
    assert sorted(found) == ["contact_to_decision", "strategy_discussion_to_initial_conference"]
    assert [d["agency"] for d in found["contact_to_decision"]] == ["police"]
    assert found["strategy_discussion_to_initial_conference"][0]["status"] == "open"
    assert_problem(store.get("pc-one", "/cases/TL-1/timeliness", agency="social_care"), 403)
    assert_problem(store.get("aud-one", "/cases/TL-1/timeliness"), 403)


def test_an_unknown_case_is_404_and_an_unknown_rule_pack_is_422_naming_rules(store):
    """Problems name what is wrong."""
    assert_problem(store.get("rev-one", "/cases/NO-SUCH-CASE/timeliness"), 404)
    assert_problem(
        store.get("rev-one", "/cases/TL-1/timeliness", rules="scotland"), 422, "query.rules"
    )
    assert_problem(
        store.get("rev-one", "/cases/TL-1/timeliness", rules="Wales!"), 422, "query.rules"
    )
    assert_problem(
        store.get("rev-one", "/reports/timeliness", rules="scotland"), 422, "query.rules"
    )
    assert_problem(
        store.get("rev-one", "/reports/timeliness", **{"from": "2024-13-01"}), 422, "query.from"
    )


def test_the_welsh_rules_set_42_working_days_beside_the_assessment(store):
    """Easter 2024: 42 working days from 22 March fall on 24 May (45 in England: 30 May)."""
    wales = by_milestone(store.get("rev-one", "/cases/TL-2/timeliness", rules="wales").json())
    england = by_milestone(store.get("rev-one", "/cases/TL-2/timeliness").json())
    assert wales["contact_to_assessment_completion"][0]["timescale_date"] == "2024-05-24"
    assert england["contact_to_assessment_completion"][0]["timescale_date"] == "2024-05-30"
    assert england["assessment_start_to_completion"][0]["working_days"] == 5


def test_the_apps_own_settings_choose_the_default_rule_pack(store, monkeypatch):
    """An app created with `timescales="wales"` measures by Welsh rules, whatever the process's
    environment says (settings are the app's, not read from the environment per request)."""
    monkeypatch.setenv("FORESIGHT_TIMESCALES", "england")
    app = create_app(Settings(db_url=store.url, timescales="wales"))
    headers = {"Authorization": f"Bearer {store.tokens['rev-one']}"}
    with TestClient(app) as client:
        body = client.get("/cases/TL-2/timeliness", headers=headers).json()
    app.state.foresight.service.close()
    assert body["rules"]["name"] == "wales"
    assert (
        by_milestone(body)["contact_to_assessment_completion"][0]["timescale_date"] == "2024-05-24"
    )


def test_reading_a_case_timeliness_is_written_to_the_access_log(store):
    """The read names the case, the agency viewed as, and the time asked about."""
    store.get("pc-one", "/cases/TL-1/timeliness", as_known_at="2025-02-01")
    rows = store.get("aud-one", "/audit/access", reader="pc-one").json()
    assert {
        "endpoint": "GET /cases/TL-1/timeliness",
        "case_id": "TL-1",
        "viewed_as": "police",
    }.items() <= rows[-1].items()


def test_the_report_has_one_csv_row_per_interval_across_every_case(store):
    """Twelve intervals in all; from/to select by the first milestone's date."""
    response = store.get("rev-one", "/reports/timeliness", format="csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == ROWS_TL1 + ROWS_TL2
    assert {row["case_id"] for row in rows} == {"TL-1", "TL-2"}

    december = store.get(
        "rev-one", "/reports/timeliness", format="csv", **{"from": "2024-12-01", "to": "2024-12-10"}
    )
    rows = list(csv.DictReader(io.StringIO(december.text)))
    assert sorted(row["milestone"] for row in rows) == [
        "contact_to_assessment_completion",
        "contact_to_assessment_start",
        "contact_to_decision",
    ]


def test_the_report_summarises_each_milestone_and_is_logged_once_for_all_cases(store):
    """JSON has the summary; one access-log row against every case for the whole report."""
    before = len(store.get("aud-one", "/audit/access", reader="rev-one").json())
    body = store.get("rev-one", "/reports/timeliness", on="2025-03-03").json()
    summary = {item["milestone"]: item for item in body["summary"]}
    decisions = summary["contact_to_decision"]
    assert (decisions["intervals"], decisions["completed"], decisions["open"]) == (3, 2, 1)
    assert decisions["median_working_days"] == 0.5  # 1 (social care) and 0 (police, same day)
    assert (decisions["with_timescale"], decisions["beyond_timescale"]) == (3, 1)
    assert body["cases"] == 2
    rows = store.get("aud-one", "/audit/access", reader="rev-one").json()
    assert len(rows) == before + 1
    assert (rows[-1]["endpoint"], rows[-1]["case_id"]) == ("GET /reports/timeliness", EVERY_CASE)


def test_a_manager_reports_their_agencys_knowledge_and_a_practitioner_may_not(store):
    """Social care does not know the police's own contact; practitioners get 403."""
    rows = list(
        csv.DictReader(io.StringIO(store.get("tm-one", "/reports/timeliness", format="csv").text))
    )
    assert len(rows) == ROWS_TL1 + ROWS_TL2 - 1
    assert "police" not in {row["agency"] for row in rows}
    assert_problem(store.get("sw-one", "/reports/timeliness"), 403)


def test_the_report_as_xlsx_has_summary_intervals_and_rules_sheets(store):
    """The workbook carries the rule pack the intervals were set beside."""
    response = store.get("rev-one", "/reports/timeliness", format="xlsx", rules="wales")
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["summary", "intervals", "rules"]
    assert book["intervals"].max_row == 1 + ROWS_TL1 + ROWS_TL2
    settings = {row[0]: row[1] for row in book["rules"].iter_rows(min_row=2, values_only=True)}
    assert (settings["name"], settings["assessment_working_days"]) == ("wales", 42)


@pytest.fixture
def cli_store(store, point_cli_at):
    """The CLI pointed at the same store."""
    point_cli_at(store.url)
    return store


def run(*arguments: str) -> str:
    result = CliRunner().invoke(cli, list(arguments), env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_cli_report_writes_csv_json_and_a_table(cli_store, tmp_path):
    """`foresight report timeliness` gives the same rows as the API."""
    rows = list(csv.DictReader(io.StringIO(run("report", "timeliness", "--format", "csv"))))
    assert len(rows) == ROWS_TL1 + ROWS_TL2
    body = json.loads(run("report", "timeliness", "--format", "json", "--from", "2024-12-01"))
    assert len(body["intervals"]) == ROWS_TL1
    table = run("report", "timeliness", "--to", "2024-04-01")
    assert "Assessment start to completion" in table
    assert "TL-2" in table
    assert "TL-1" not in table
    target = tmp_path / "timeliness.xlsx"
    run("report", "timeliness", "--format", "xlsx", "-o", str(target))
    assert openpyxl.load_workbook(target).sheetnames == ["summary", "intervals", "rules"]
    refused = CliRunner().invoke(cli, ["report", "timeliness", "--rules", "scotland"])
    assert refused.exit_code == 2
    assert "england, wales" in refused.output


def test_a_local_rule_pack_file_in_the_settings_becomes_the_default(
    cli_store, monkeypatch, tmp_path
):
    """FORESIGHT_TIMESCALES names a JSON pack based on Wales with 40 working days: 40 working
    days from 22 March 2024 fall on 22 May."""
    pack = tmp_path / "local.json"
    pack.write_text(json.dumps({"name": "local", "base": "wales", "assessment_working_days": 40}))
    monkeypatch.setenv("FORESIGHT_TIMESCALES", str(pack))
    get_settings.cache_clear()
    body = json.loads(run("report", "timeliness", "--format", "json", "--to", "2024-04-01"))
    assert (body["rules"]["name"], body["rules"]["subdivision"]) == ("local", "WLS")
    (completion,) = [
        i for i in body["intervals"] if i["milestone"] == "contact_to_assessment_completion"
    ]
    assert completion["timescale_date"] == "2024-05-22"
