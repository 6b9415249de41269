"""The knowledge matrix (GET /cases/{id}/knowledge) over a small case built here: what each
agency knew at a moment, what it alone held, and when each entry reached each agency."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.access_log import access_log
from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event

CASE = "KM-1"
IDS = {
    "ava": "00000000-0000-4000-8000-000000000001",
    "hungry": "00000000-0000-4000-8000-000000000002",
    "police-call": "00000000-0000-4000-8000-000000000003",
    "school-shares": "00000000-0000-4000-8000-000000000004",
    "police-shares": "00000000-0000-4000-8000-000000000005",
}


def _event(name: str, agency: str, occurred: str, known: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": IDS[name],
        "case_id": CASE,
        "agency": agency,
        "occurred_at": occurred,
        "source_recorded_at": known,
        **fields,
    }


def small_case() -> list[dict[str, Any]]:
    """Social care adds Ava; the school notes hunger and shares it with social care on the
    12th; the police attend on the 11th and share it with social care only on the 20th."""
    return [
        _event(
            "ava",
            "social_care",
            "2024-01-01",
            "2024-01-01T09:00:00+00:00",
            type="person_added",
            data={"person_id": "ava", "role": "child", "name": "Ava"},
        ),
        _event(
            "hungry",
            "school",
            "2024-01-10",
            "2024-01-10T12:00:00+00:00",
            type="note_added",
            subjects=["ava"],
            summary="Ava came to school hungry",
        ),
        _event(
            "police-call",
            "police",
            "2024-01-11",
            "2024-01-11T09:00:00+00:00",
            type="note_added",
            subjects=["ava"],
            summary="Police called to shouting at home",
        ),
        _event(
            "school-shares",
            "school",
            "2024-01-12",
            "2024-01-12T10:00:00+00:00",
            type="information_shared",
            data={"to_agency": "social_care", "event_ids": [IDS["hungry"]]},
        ),
        _event(
            "police-shares",
            "police",
            "2024-01-20",
            "2024-01-20T10:00:00+00:00",
            type="information_shared",
            data={"to_agency": "social_care", "event_ids": [IDS["police-call"]]},
        ),
    ]


@pytest.fixture(scope="module")
def served(store_url: Callable[[], str]) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    app = create_app(Settings(db_url=store_url()))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in small_case()])
    tokens = {
        role: add_user(foresight.queries.engine, name, role, agency)[1]
        for name, role, agency in (
            ("rev-km", "reviewer", "review"),
            ("sw-km", "practitioner", "social_care"),
        )
    }
    try:
        with TestClient(app) as client:
            yield client, tokens, foresight
    finally:
        foresight.service.close()


def _get(served, role: str = "reviewer", **params: str):
    client, tokens, _ = served
    return client.get(
        f"/cases/{CASE}/knowledge",
        params=params,
        headers={"Authorization": f"Bearer {tokens[role]}"},
    )


def _name(event_id: str) -> str:
    return next(name for name, known in IDS.items() if known == event_id)


def _reach(row: dict[str, Any]) -> dict[str, tuple[str, str | None, str | None, bool]]:
    return {
        reach["agency"]: (
            reach["route"],
            reach["known_from"],
            reach["share_event_id"] and _name(reach["share_event_id"]),
            reach["known_at_moment"],
        )
        for reach in row["reached"]
    }


def test_each_agency_s_column_at_a_moment(served):
    """On the 15th: the school's note had reached social care, the police call had not."""
    response = _get(served, at="2024-01-15T00:00:00+00:00")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agencies"] == ["police", "school", "social_care"]
    columns = {column["agency"]: column for column in body["columns"]}
    knew = {agency: [_name(e["event_id"]) for e in c["knew"]] for agency, c in columns.items()}
    assert knew == {
        "police": ["police-call"],
        "school": ["hungry", "school-shares"],
        "social_care": ["ava", "hungry", "school-shares"],
    }
    alone = {agency: [_name(e) for e in c["held_alone"]] for agency, c in columns.items()}
    assert alone == {"police": ["police-call"], "school": [], "social_care": ["ava"]}
    assert [_name(row["entry"]["event_id"]) for row in body["rows"]] == [
        "ava",
        "hungry",
        "police-call",
        "school-shares",
    ]


def test_when_each_entry_reached_each_agency(served):
    """Recorded, addressed, shared (by which share, from when, even after the moment), never."""
    rows = {
        _name(row["entry"]["event_id"]): _reach(row)
        for row in _get(served, at="2024-01-15T00:00:00+00:00").json()["rows"]
    }
    assert rows["hungry"] == {
        "police": ("never", None, None, False),
        "school": ("recorded", "2024-01-10T12:00:00+00:00", None, True),
        "social_care": ("shared", "2024-01-12T10:00:00+00:00", "school-shares", True),
    }
    assert rows["police-call"] == {
        "police": ("recorded", "2024-01-11T09:00:00+00:00", None, True),
        "school": ("never", None, None, False),
        "social_care": ("shared", "2024-01-20T10:00:00+00:00", "police-shares", False),
    }
    assert rows["school-shares"]["social_care"] == (
        "addressed",
        "2024-01-12T10:00:00+00:00",
        "school-shares",
        True,
    )


def test_shares_are_read_as_known_at_the_review_s_date(served):
    """Read as known on the 18th, the police share of the 20th had not happened: never shared,
    and the police's own share is not yet an entry or an agency's knowledge."""
    body = _get(served, at="2024-01-15", as_known_at="2024-01-18").json()
    rows = {_name(row["entry"]["event_id"]): _reach(row) for row in body["rows"]}
    assert rows["police-call"]["social_care"] == ("never", None, None, False)
    assert "police-shares" not in rows
    assert body["at"] == "2024-01-15T23:59:59.999999+00:00"
    assert body["as_known_at"] == "2024-01-18T23:59:59.999999+00:00"


def test_the_moment_defaults_to_as_known_at(served):
    """Without `at`, the moment is the record as known at `as_known_at`; after the 20th the
    police call is in social care's column."""
    body = _get(served, as_known_at="2024-01-21").json()
    columns = {column["agency"]: column for column in body["columns"]}
    assert [_name(e["event_id"]) for e in columns["social_care"]["knew"]] == [
        "ava",
        "hungry",
        "police-call",
        "school-shares",
        "police-shares",
    ]
    assert [_name(e) for e in columns["police"]["held_alone"]] == []


def test_a_moment_after_as_known_at_is_refused_naming_the_field(served):
    response = _get(served, at="2024-01-20", as_known_at="2024-01-15")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "query.at"


def test_only_reviewers_read_it_and_it_is_access_logged(served):
    client, tokens, foresight = served
    assert _get(served, role="practitioner").status_code == 403
    unknown = client.get(
        "/cases/NOPE-1/knowledge", headers={"Authorization": f"Bearer {tokens['reviewer']}"}
    )
    assert unknown.status_code == 404
    _get(served, at="2024-01-13T00:00:00+00:00")
    with foresight.queries.engine.connect() as connection:
        last = connection.execute(
            select(access_log).order_by(access_log.c.access_id.desc()).limit(1)
        ).one()
    expected = ("rev-km", CASE, f"GET /cases/{CASE}/knowledge")
    assert (last.user, last.case_id, last.endpoint) == expected
    assert last.as_known_at.isoformat().startswith("2024-01-13T00:00")
