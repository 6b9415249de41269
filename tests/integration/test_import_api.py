"""POST /cases/{case_id}/imports on both backends: a dry run reports and writes nothing, a real
import writes each row once as a note of the user's agency, refusals are named by line."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.samples.demo import DEMO_CASE
from domain.errors import CaseNotFound
from domain.service import CaseService
from events.envelope import parse_event
from tests.demo_app import demo_app

PROBLEM = "application/problem+json"
USERS = {
    "dsl-patel": ("practitioner", "school"),
    "tm-hughes": ("manager", "social_care"),
    "reviewer-lee": ("reviewer", "review"),
    "auditor-khan": ("auditor", "information_governance"),
}
# Line 3 is not a real date; line 5 repeats line 2; line 6 names a person the case lacks.
SCHOOL_CSV = (
    "Date,Time,Summary,Significance,Subjects\n"
    "05/03/2024,08:50,Ava arrived without a coat,significant,ava\n"
    "2024-02-30,,Attendance meeting,,ava\n"
    "12/03/2024,,Ava's attendance at 81%,,ava\n"
    "05/03/2024,08:50:00,Ava arrived without a coat,Significant,ava\n"
    "14/03/2024,,Note about nobody known,,zed\n"
)


class ImportApi:
    """A TestClient on the app with a token per user."""

    def __init__(self, app: FastAPI, client: TestClient, tokens: dict[str, str]):
        self.app = app
        self.client = client
        self.tokens = tokens

    @property
    def service(self) -> CaseService:
        service: CaseService = self.app.state.foresight.service
        return service

    def post(
        self,
        user: str | None,
        case_id: str,
        text: str | bytes,
        *,
        content_type: str = "text/csv",
        **params: str,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type}
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.client.post(
            f"/cases/{case_id}/imports", params=params, content=text, headers=headers
        )

    def stored(self, case_id: str) -> list[dict[str, Any]] | None:
        """The case's stored events (None if the store has no such case)."""
        try:
            return [event.model_dump(mode="json") for event in self.service.case_events(case_id)]
        except CaseNotFound:
            return None

    def log_position(self) -> int:
        return self.service.recorder.max_notification_id() or 0


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[ImportApi]:
    """The app over a fresh store holding the demo case, with a user of each role."""
    with demo_app(store_url(), USERS) as (app, client, tokens):
        yield ImportApi(app, client, tokens)


@pytest.fixture
def case_id(api: ImportApi) -> str:
    """A new case holding the child ava, so each test imports into a case of its own."""
    case = f"IMP-{uuid.uuid4().hex[:10]}"
    api.service.append(
        [
            parse_event(
                {
                    "type": "person_added",
                    "case_id": case,
                    "occurred_at": "2023-09-01",
                    "agency": "social_care",
                    "data": {"person_id": "ava", "role": "child", "name": "Ava"},
                }
            )
        ]
    )
    return case


def refused_lines(report: dict[str, Any]) -> dict[int, list[str]]:
    return {row["line"]: [e["field"] for e in row["errors"]] for row in report["refused"]}


def test_a_dry_run_reports_every_row_and_writes_nothing(api: ImportApi, case_id: str) -> None:
    before, position = api.stored(case_id), api.log_position()
    response = api.post("dsl-patel", case_id, SCHOOL_CSV, dry_run="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report == {
        "dry_run": True,
        "rows": 5,
        "to_write": 2,
        "already_stored": 0,
        "repeated": 1,
        "refused": report["refused"],
        "written": 0,
    }
    assert refused_lines(report) == {3: ["date"], 6: ["subjects.0"]}
    assert "not a real calendar date" in report["refused"][0]["errors"][0]["reason"]
    assert api.stored(case_id) == before
    assert api.log_position() == position


def test_refused_rows_without_skip_invalid_are_a_422_naming_each_line_and_nothing_is_written(
    api: ImportApi, case_id: str
) -> None:
    before, position = api.stored(case_id), api.log_position()
    response = api.post("dsl-patel", case_id, SCHOOL_CSV, dry_run="false")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["line 3.date", "line 6.subjects.0"]
    assert "skip_invalid" in problem["detail"]
    assert refused_lines(problem["report"]) == {3: ["date"], 6: ["subjects.0"]}
    assert problem["report"]["written"] == 0
    assert api.stored(case_id) == before
    assert api.log_position() == position


def test_an_import_writes_the_valid_rows_once_as_notes_of_the_users_agency(
    api: ImportApi, case_id: str
) -> None:
    """With skip_invalid the two good rows are written (the repeat once); importing the same
    file again writes nothing new and counts them as already in the case."""
    first = api.post("dsl-patel", case_id, SCHOOL_CSV, dry_run="false", skip_invalid="true")
    assert first.status_code == 200, first.text
    assert first.json()["written"] == 2
    assert first.json()["dry_run"] is False
    stored = api.stored(case_id)
    assert stored is not None
    notes = [event for event in stored if event["type"] == "note_added"]
    assert sorted(note["summary"] for note in notes) == [
        "Ava arrived without a coat",
        "Ava's attendance at 81%",
    ]
    assert {(note["agency"], note["recorded_by"]) for note in notes} == {("school", "dsl-patel")}

    again = api.post("dsl-patel", case_id, SCHOOL_CSV, dry_run="false", skip_invalid="true")
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["written"], report["to_write"], report["already_stored"]) == (0, 0, 2)
    assert api.stored(case_id) == stored


def test_a_clean_file_is_imported_without_skip_invalid_and_a_dry_run_after_it_counts_it_stored(
    api: ImportApi, case_id: str
) -> None:
    text = "date,summary\n2024-03-01,Ava's reading book came back torn\n"
    written = api.post("tm-hughes", case_id, text, dry_run="false")
    assert written.status_code == 200, written.text
    assert written.json()["written"] == 1
    dry = api.post("tm-hughes", case_id, text, dry_run="true").json()
    assert (dry["to_write"], dry["already_stored"], dry["written"]) == (0, 1, 0)
    stored = api.stored(case_id)
    assert stored is not None
    assert stored[-1]["agency"] == "social_care"
    assert stored[-1]["recorded_by"] == "tm-hughes"


def test_a_case_not_yet_in_the_store_is_opened_by_the_import(api: ImportApi) -> None:
    case = f"NEW-{uuid.uuid4().hex[:10]}"
    text = "date,summary\n2024-04-02,Referral letter received from the GP\n"
    dry = api.post("dsl-patel", case, text, dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["to_write"] == 1
    assert api.stored(case) is None
    written = api.post("dsl-patel", case, text, dry_run="false")
    assert written.status_code == 200, written.text
    assert written.json()["written"] == 1
    stored = api.stored(case)
    assert stored is not None
    assert [(event["type"], event["agency"]) for event in stored] == [("note_added", "school")]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("when,what\n2024-01-01,x\n", "missing column(s) date, summary"),
        ("date,notes\n2024-01-01,x\n", "missing column(s) summary"),
        ('date,summary\n2024-01-01,"never closed\n', "never closed"),
        ("", "the file is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb4", "not UTF-8"),
        (b"date,summary\n2024-01-01,caf\xe9\n", "not UTF-8"),
    ],
    ids=["no date or summary", "no summary", "open quote", "empty", "a spreadsheet", "Latin-1"],
)
def test_a_file_that_is_not_a_chronology_is_a_422_naming_the_problem(
    api: ImportApi, case_id: str, text: str | bytes, said: str
) -> None:
    before = api.stored(case_id)
    for dry_run in ("true", "false"):
        response = api.post("dsl-patel", case_id, text, dry_run=dry_run)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        [error] = response.json()["errors"]
        assert error["field"] == "(body)"
        assert said in error["reason"]
    assert api.stored(case_id) == before


def test_every_row_refused_writes_nothing_even_with_skip_invalid(
    api: ImportApi, case_id: str
) -> None:
    before = api.stored(case_id)
    text = "date,summary\n2024-02-30,x\n,no date\n"
    response = api.post("dsl-patel", case_id, text, dry_run="false", skip_invalid="true")
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [
        "line 2.date",
        "line 3.date",
    ]
    assert api.stored(case_id) == before


@pytest.mark.parametrize("user", ["reviewer-lee", "auditor-khan"])
def test_a_reviewer_or_auditor_may_not_import(api: ImportApi, case_id: str, user: str) -> None:
    before = api.stored(case_id)
    for dry_run in ("true", "false"):
        response = api.post(user, case_id, SCHOOL_CSV, dry_run=dry_run)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    assert api.stored(case_id) == before


def test_without_a_token_it_is_a_401_and_nothing_is_written(api: ImportApi, case_id: str) -> None:
    before = api.stored(case_id)
    response = api.post(None, case_id, SCHOOL_CSV, dry_run="false", skip_invalid="true")
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert api.stored(case_id) == before


def test_a_body_that_is_not_text_csv_is_a_415(api: ImportApi, case_id: str) -> None:
    response = api.post(
        "dsl-patel",
        case_id,
        '{"date": "2024-01-01"}',
        content_type="application/json",
        dry_run="true",
    )
    assert response.status_code == 415, response.text
    assert response.json()["errors"] == [
        {"field": "header.Content-Type", "reason": "must be text/csv"}
    ]


def test_dry_run_must_be_said_and_the_app_s_body_limit_holds(api: ImportApi, case_id: str) -> None:
    missing = api.post("dsl-patel", case_id, SCHOOL_CSV)
    assert missing.status_code == 422, missing.text
    assert [error["field"] for error in missing.json()["errors"]] == ["query.dry_run"]
    row = "2024-03-01,Ava seen in class\n"
    too_large = "date,summary\n" + row * (1024 * 1024 // len(row) + 1)
    response = api.post("dsl-patel", case_id, too_large, dry_run="true")
    assert response.status_code == 413, response.text


def test_the_demo_case_takes_the_school_s_notes_beside_its_own(api: ImportApi) -> None:
    """Imported into a case with other agencies' records, the notes are the school's."""
    text = "date,time,summary,subjects\n20/01/2024,15:20,Ava collected late by an aunt,ava\n"
    response = api.post("dsl-patel", DEMO_CASE, text, dry_run="false")
    assert response.status_code == 200, response.text
    chronology = api.client.get(
        f"/cases/{DEMO_CASE}/chronology",
        headers={"Authorization": f"Bearer {api.tokens['dsl-patel']}"},
    ).json()
    [entry] = [e for e in chronology if e["summary"] == "Ava collected late by an aunt"]
    assert (entry["type"], entry["agency"], entry["recorded_by"]) == (
        "note_added",
        "school",
        "dsl-patel",
    )


def test_the_endpoint_is_documented_with_a_csv_body(api: ImportApi) -> None:
    operation = api.client.get("/openapi.json").json()["paths"]["/cases/{case_id}/imports"]["post"]
    assert operation["summary"]
    assert list(operation["requestBody"]["content"]) == ["text/csv"]
    assert {"200", "401", "403", "413", "415", "422"} <= set(operation["responses"])
