"""Authority-wide: the children on a plan of a kind on date D, as known at T, across cases."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.audit import access_audit
from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from events.timepoints import parse_instant
from replay.authority import AuthorityQueries

RECORDED = parse_instant("2024-06-01T12:00")  # when the whole story was stored


def raw(case_id: str, type_: str, occurred: str, known: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "case_id": case_id,
        "occurred_at": occurred,
        "agency": "social_care",
        "recorded_by": "sw-1",
        "source_recorded_at": known,
        **fields,
    }


def child(case_id: str, person: str) -> dict[str, Any]:
    return raw(
        case_id,
        "person_added",
        "2024-01-01",
        "2024-01-01",
        subjects=[person],
        data={"person_id": person, "role": "child"},
    )


def story() -> list[dict[str, Any]]:
    """Ava (FAM-A): CP plan 10 Jan to 1 Mar, the end recorded late on 20 Mar. Ben (FAM-B): CP
    plan from 1 Feb, recorded late on 20 Feb. Cal (FAM-B): a child in need plan from 5 Jan."""
    return [
        child("FAM-A", "ava"),
        raw(
            "FAM-A",
            "plan_started",
            "2024-01-10",
            "2024-01-10",
            subjects=["ava"],
            data={"plan_id": "A1", "kind": "child_protection", "category": "NEG"},
        ),
        raw(
            "FAM-A",
            "plan_ended",
            "2024-03-01",
            "2024-03-20",
            subjects=["ava"],
            data={"plan_id": "A1", "reason": "Progress sustained"},
        ),
        child("FAM-B", "ben"),
        child("FAM-B", "cal"),
        raw(
            "FAM-B",
            "plan_started",
            "2024-02-01",
            "2024-02-20",
            subjects=["ben"],
            data={"plan_id": "B1", "kind": "child_protection", "category": "EMO"},
        ),
        raw(
            "FAM-B",
            "plan_started",
            "2024-01-05",
            "2024-01-05",
            subjects=["cal"],
            data={"plan_id": "B2", "kind": "child_in_need"},
        ),
    ]


@pytest.fixture
def app(db_url: str):
    web = create_app(Settings(db_url=db_url))
    foresight = web.state.foresight
    foresight.service.append([parse_event(item) for item in story()], recorded_at=RECORDED)
    foresight.caught_up()
    yield web
    foresight.service.close()


def on_plans(app, on: str, as_known_at: str | None = None, kind: str = "child_protection"):
    queries = AuthorityQueries(app.state.foresight.queries.engine)
    found = queries.children_on_plans(
        kind=kind,
        on=date.fromisoformat(on),
        as_known_at=parse_instant(as_known_at) if as_known_at else None,
    )
    return [(item.person_id, item.case_id, item.plan_id, item.category) for item in found]


def test_the_children_on_a_child_protection_plan_on_a_date_as_known_now(app) -> None:
    assert on_plans(app, "2024-01-09") == []
    assert on_plans(app, "2024-02-15") == [
        ("ava", "FAM-A", "A1", "NEG"),
        ("ben", "FAM-B", "B1", "EMO"),
    ]
    assert on_plans(app, "2024-03-01") == [
        ("ava", "FAM-A", "A1", "NEG"),
        ("ben", "FAM-B", "B1", "EMO"),
    ]
    assert on_plans(app, "2024-03-02") == [("ben", "FAM-B", "B1", "EMO")]


def test_what_the_record_knew_at_a_time_leaves_out_later_records(app) -> None:
    """On 10 Feb nobody knew of Ben's plan; until 20 Mar Ava's plan was thought still open."""
    assert on_plans(app, "2024-02-15", "2024-02-10") == [("ava", "FAM-A", "A1", "NEG")]
    assert on_plans(app, "2024-03-10", "2024-03-19") == [
        ("ava", "FAM-A", "A1", "NEG"),
        ("ben", "FAM-B", "B1", "EMO"),
    ]
    assert on_plans(app, "2024-03-10", "2024-03-21") == [("ben", "FAM-B", "B1", "EMO")]


def test_other_kinds_of_plan_are_asked_for_by_kind(app) -> None:
    assert on_plans(app, "2024-02-15", kind="child_in_need") == [("cal", "FAM-B", "B2", None)]


def test_the_report_endpoint_is_for_managers_and_reviewers_and_is_access_logged(app) -> None:
    engine = app.state.foresight.queries.engine
    manager = add_user(engine, "tm-1", "manager", "social_care")[1]
    practitioner = add_user(engine, "sw-2", "practitioner", "social_care")[1]
    client = TestClient(app)
    path = "/reports/children-on-plans"
    params = {"on": "2024-02-15", "as_known_at": "2024-02-10"}
    answer = client.get(path, params=params, headers={"Authorization": f"Bearer {manager}"})
    assert answer.status_code == 200, answer.text
    assert [item["person_id"] for item in answer.json()] == ["ava"]
    as_csv = client.get(
        path, params={**params, "format": "csv"}, headers={"Authorization": f"Bearer {manager}"}
    )
    assert list(pd.read_csv(io.StringIO(as_csv.text))["person_id"]) == ["ava"]
    refused = client.get(path, params=params, headers={"Authorization": f"Bearer {practitioner}"})
    assert refused.status_code == 403
    bad = client.get(path, params={"on": "someday"}, headers={"Authorization": f"Bearer {manager}"})
    assert bad.status_code == 422
    assert "on" in bad.text
    reads = access_audit(engine, user="tm-1")
    assert list(reads["endpoint"]) == [f"GET {path}"] * 2
