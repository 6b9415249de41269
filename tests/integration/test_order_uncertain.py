"""Foresight's fourth group, `order_uncertain` (SPEC section 5), case by exact case over HTTP on
both backends; and as the CLI, the review's workbook and its printable page show it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.http.app import create_app
from api.samples.demo import DEMO_CASE, demo_id
from api.settings import Settings, get_settings
from tests.demo_app import demo_app
from tests.integration.test_api import Api, new_case

ITEM_FIELDS = {"entry", "changed_later", "retracted_later", "now", "would_join"}


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    app = create_app(Settings(db_url=store_url()))
    with TestClient(app) as client:
        yield Api(app, client, {})
    app.state.foresight.service.close()


class Case:
    """A new case recorded by a social worker and a police officer, read by a reviewer."""

    def __init__(self, api: Api):
        self.api = api
        self.case_id = new_case()
        self.by = {
            "social_care": api.add_user("practitioner", "social_care"),
            "police": api.add_user("practitioner", "police"),
        }
        self.reviewer = api.add_user("reviewer", "review_panel")

    def record(self, agency: str, kind: str, occurred: str, known: str, **fields: Any) -> str:
        body = {
            "type": kind,
            "occurred_at": occurred,
            "source_recorded_at": known,
            "summary": f"{kind} {occurred}",
            **fields,
        }
        if kind == "decision_made":
            body["data"] = {"decision": "Visit at home"}
        response = self.api.post(self.by[agency], self.case_id, body)
        assert response.status_code == 201, response.text
        event_id: str = response.json()["event_id"]
        return event_id

    def foresight(self, decision: str) -> dict[str, Any]:
        response = self.api.get(
            self.reviewer, f"/cases/{self.case_id}/decisions/{decision}/foresight"
        )
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view


def placed(view: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Event id -> (its group, the group it would join if first, for uncertain ones)."""
    found: dict[str, tuple[str, str | None]] = {}
    for group in ("known_to_decider", "held_elsewhere", "learned_later", "order_uncertain"):
        for item in view[group]:
            assert item["entry"]["event_id"] not in found, "in two groups"
            found[item["entry"]["event_id"]] = (group, item.get("would_join"))
            if group == "order_uncertain":
                assert set(item) == ITEM_FIELDS
            else:
                assert "would_join" not in item
    return found


def test_a_decision_dated_by_day_cannot_be_ordered_against_that_days_entries(api: Api) -> None:
    """Decided on 10 May (no time), recorded 16:00Z that day: that day's entries known by 16:00Z
    may have come before or after it; an entry timed after its recording came after it."""
    case = Case(api)
    day_before = case.record("social_care", "note_added", "2024-05-09T10:00Z", "2024-05-09T10:30Z")
    morning = case.record("social_care", "child_seen", "2024-05-10T10:00Z", "2024-05-10T10:30Z")
    police_morning = case.record("police", "note_added", "2024-05-10T09:00Z", "2024-05-10T09:15Z")
    police_dated = case.record("police", "note_added", "2024-05-10", "2024-05-20T09:00Z")
    evening = case.record("social_care", "note_added", "2024-05-10T17:00Z", "2024-05-10T17:05Z")
    decision = case.record("social_care", "decision_made", "2024-05-10", "2024-05-10T16:00Z")

    view = case.foresight(decision)

    assert view["cutoff"] == "2024-05-10T16:00:00+00:00"
    assert placed(view) == {
        day_before: ("known_to_decider", None),
        morning: ("order_uncertain", "known_to_decider"),
        police_morning: ("order_uncertain", "held_elsewhere"),
        police_dated: ("order_uncertain", "learned_later"),
    }
    assert evening not in placed(view)


def test_a_timed_decision_cannot_be_ordered_against_entries_dated_by_its_day_known_after(
    api: Api,
) -> None:
    """Decided at 14:00Z on 10 May: an entry dated 10 May recorded that morning came first (it
    was recorded before the decision); one recorded two days later may have come either side;
    a timed entry is always ordered."""
    case = Case(api)
    recorded_first = case.record("social_care", "note_added", "2024-05-10", "2024-05-10T09:00Z")
    dated_late = case.record("police", "note_added", "2024-05-10", "2024-05-12T09:00Z")
    timed_late = case.record("police", "note_added", "2024-05-10T12:00Z", "2024-05-12T09:00Z")
    after = case.record("police", "note_added", "2024-05-10T15:00Z", "2024-05-12T09:00Z")
    decision = case.record("social_care", "decision_made", "2024-05-10T14:00Z", "2024-05-10T14:10Z")

    assert placed(case.foresight(decision)) == {
        recorded_first: ("known_to_decider", None),
        dated_late: ("order_uncertain", "learned_later"),
        timed_late: ("learned_later", None),
    }
    assert after not in placed(case.foresight(decision))


@pytest.mark.parametrize("decided", ["2024-05-10", "2024-05-10T14:00Z"])
def test_entries_of_other_days_are_never_of_uncertain_order(api: Api, decided: str) -> None:
    """Dated the day before: learned later; dated the day after: in no group."""
    case = Case(api)
    day_before = case.record("police", "note_added", "2024-05-09", "2024-05-15T09:00Z")
    day_after = case.record("police", "note_added", "2024-05-11", "2024-05-15T09:00Z")
    decision = case.record("social_care", "decision_made", decided, "2024-05-10T16:00Z")

    view = case.foresight(decision)

    assert placed(view) == {day_before: ("learned_later", None)}
    assert view["order_uncertain"] == []
    assert day_after not in placed(view)


# -- as the command line, the review's workbook and its printable page show it ------------


def test_the_cli_shows_the_group_and_what_each_entry_would_join(
    db_url: str, point_cli_at: Callable[[str], None]
) -> None:
    """The demo's assessment, dated only to the first decision's day, is of uncertain order."""
    point_cli_at(db_url)
    runner = CliRunner()
    try:
        made = runner.invoke(cli_app, ["demo", "--no-serve", "--authority", "0"])
        assert made.exit_code == 0, made.output
        args = ["foresight", DEMO_CASE, demo_id("decision-assess")]
        table = runner.invoke(cli_app, args, env={"COLUMNS": "200"})
        as_json = runner.invoke(cli_app, [*args, "--format", "json"])
    finally:
        get_settings.cache_clear()
    assert table.exit_code == 0, table.output
    assert "Order uncertain" in table.stdout
    assert "if first: learned later" in table.stdout
    [item] = json.loads(as_json.stdout)["order_uncertain"]
    assert item["entry"]["event_id"] == demo_id("assessment-1")
    assert item["would_join"] == "learned_later"


def test_the_review_workbook_and_page_show_the_uncertain_entries(
    store_url: Callable[[], str],
) -> None:
    users = {"reviewer": ("reviewer", "review_panel")}
    with demo_app(store_url(), users) as (_, client, tokens):
        auth = {"Authorization": f"Bearer {tokens['reviewer']}"}
        opened = client.post(
            "/reviews", headers=auth, json={"case_id": DEMO_CASE, "title": "Learning review"}
        )
        assert opened.status_code == 201, opened.text
        review_id = opened.json()["review_id"]
        episode = client.post(
            f"/reviews/{review_id}/episodes",
            headers=auth,
            json={
                "title": "The first referral",
                "starts": "2024-01-12",
                "ends": "2024-01-16",
                "event_ids": [demo_id("decision-assess")],
            },
        )
        assert episode.status_code == 201, episode.text
        page = client.get(f"/reviews/{review_id}", params={"format": "html"}, headers=auth)
        workbook = client.get(f"/reviews/{review_id}", params={"format": "xlsx"}, headers=auth)

    assert "Order uncertain" in page.text
    assert "(if it came first: learned later)" in page.text
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["foresight"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    uncertain = [
        dict(zip(header, row, strict=True)) for row in rows[1:] if row[2] == "order uncertain"
    ]
    assert [row["would_join_if_first"] for row in uncertain] == ["learned later"]
