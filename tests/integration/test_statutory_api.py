"""The statutory entries over HTTP on both backends: recorded, refused with a problem naming the
field (nothing written), in the chronology in words, and in the child's status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from replay.looked_after import care_entries
from tests.integration.test_api import Api, assert_problem, new_case


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    """The app over a fresh, empty store; each test makes its own users and cases."""
    app = create_app(Settings(db_url=store_url()))
    with TestClient(app) as client:
        yield Api(app, client, {})
    app.state.foresight.service.close()


def entry(event_type: str, on: str, **data: Any) -> dict[str, Any]:
    return {"type": event_type, "occurred_at": on, "data": data}


def looked_after_child(child: str) -> list[dict[str, Any]]:
    """A child accommodated under section 20 on 1 April, moved on 1 June, home on 1 August."""
    return [
        {**entry("person_added", "2024-03-01", person_id=child, role="child"), "subjects": [child]},
        entry("legal_status_changed", "2024-04-01", status="V2", person_id=child),
        entry(
            "placement_started", "2024-04-01", placement_id="PL1", person_id=child,
            kind="U6", provider="PR1", postcode="LS1 4", reason="S",
        ),
        entry("placement_ended", "2024-06-01", placement_id="PL1", person_id=child, reason="X1"),
        entry(
            "placement_started", "2024-06-01", placement_id="PL2", person_id=child,
            kind="K2", reason="P", change_reason="CARPL",
        ),
        entry(
            "missing_episode_recorded", "2024-06-20", person_id=child,
            started="2024-06-20T21:00", ended="2024-06-21T09:30", kind="missing",
            return_interview_offered=True,
        ),
        entry("placement_ended", "2024-08-01", placement_id="PL2", person_id=child, reason="E13"),
    ]  # fmt: skip


def test_a_period_of_care_is_recorded_and_read_back_in_words(api: Api) -> None:
    """Legal status, placements and a missing episode go in through the API and come back in
    the chronology, as sent and as a sentence in its HTML."""
    worker = api.add_user("practitioner", "social_care")
    case_id, child = new_case(), f"child-{new_case()}"
    response = api.post(worker, case_id, looked_after_child(child))
    assert response.status_code == 201, response.text

    chronology = api.get(worker, f"/cases/{case_id}/chronology").json()
    assert [item["type"] for item in chronology][1:] == [
        "legal_status_changed",
        "placement_started",
        "placement_ended",
        "placement_started",
        "missing_episode_recorded",
        "placement_ended",
    ]
    assert chronology[2]["data"]["postcode"] == "LS1 4"
    assert chronology[5]["data"]["started"] == "2024-06-20T20:00:00+00:00"  # summer time
    page = api.get(worker, f"/cases/{case_id}/chronology", format="html").text
    assert f"Legal status for {child}: Single period of accommodation under section 20" in page
    assert f"Placement PL2 for {child} ended (reason E13)" in page


def test_the_childs_status_says_looked_after_from_placements(api: Api) -> None:
    """Signposting reads the placements and legal status, with no looked-after plan."""
    worker = api.add_user("practitioner", "social_care")
    case_id, child = new_case(), f"child-{new_case()}"
    assert api.post(worker, case_id, looked_after_child(child)).status_code == 201

    def status(on: str) -> tuple[bool, bool]:
        found = api.get(worker, f"/people/{child}/status", on=on).json()
        return found["looked_after"], found["has_been_looked_after"]

    assert status("2024-03-31") == (False, False)
    assert status("2024-04-01") == (True, True)
    assert status("2024-06-01") == (True, True)
    assert status("2024-07-31") == (True, True)
    assert status("2024-08-01") == (False, True)

    # The period of care is listed with its dates and whom to contact (no one allocated: the
    # agency alone), for every agency alike; not before it began.
    police = api.add_user("practitioner", "police")
    found = api.get(police, f"/people/{child}/status", on="2024-09-01").json()
    assert found["periods"] == [
        {
            "kind": "looked_after",
            "started_on": "2024-04-01",
            "ended_on": "2024-08-01",
            "contact": {"agency": "social_care", "team": None},
        }
    ]
    assert api.get(police, f"/people/{child}/status", on="2024-03-31").json()["periods"] == []


@pytest.mark.parametrize(
    ("events", "status", "field"),
    [
        ([entry("placement_ended", "2024-05-01", placement_id="PL9")], 409, "data.placement_id"),
        (
            [
                entry("placement_started", "2024-05-01", placement_id="PL1"),
                entry("placement_started", "2024-05-02", placement_id="PL1"),
            ],
            409,
            "1.data.placement_id",
        ),
        (
            [
                entry(
                    "missing_episode_recorded", "2024-05-01", person_id="CHILD",
                    started="2024-05-02", ended="2024-05-01",
                )
            ],
            422,
            "data.ended",
        ),
        ([entry("legal_status_changed", "2024-05-01", status="C9")], 422, "0.data.status"),
        (
            [entry("legal_status_changed", "2024-05-01", status="C2", person_id="nobody")],
            422,
            "data.person_id",
        ),
        ([entry("core_group_held", "2024-05-01", plan_id="CP9")], 409, "data.plan_id"),
    ],
    ids=["end-unstarted", "start-twice", "missing-backwards", "bad-code", "no-such-child",
         "core-group-no-plan"],
)  # fmt: skip
def test_a_refused_statutory_entry_is_a_problem_naming_the_field_and_writes_nothing(
    api: Api, events: list[dict[str, Any]], status: int, field: str
) -> None:
    """Each invariant answers with a problem naming the field; the case is left as it was."""
    worker = api.add_user("practitioner", "social_care")
    case_id, child = new_case(), f"child-{new_case()}"
    first = entry("person_added", "2024-03-01", person_id=child, role="child")
    assert api.post(worker, case_id, [first]).status_code == 201
    before = api.snapshot(case_id)
    for event in events:
        if event["data"].get("person_id") == "CHILD":
            event["data"]["person_id"] = child
    assert_problem(api.post(worker, case_id, events), status, field)
    assert api.snapshot(case_id) == before


def test_the_care_facts_are_read_as_known_to_an_agency(api: Api) -> None:
    """Social care's placements are not the police's to read until shared."""
    worker = api.add_user("practitioner", "social_care")
    case_id, child = new_case(), f"child-{new_case()}"
    assert api.post(worker, case_id, looked_after_child(child)).status_code == 201
    api.foresight.runner.catch_up()
    queries = api.foresight.queries
    assert len(care_entries(queries, child)) == 5  # legal status, two starts, two ends
    assert len(care_entries(queries, child, agency="social_care")) == 5
    assert care_entries(queries, child, agency="police") == []
    before = care_entries(queries, child, as_known_at=datetime(2000, 1, 1, tzinfo=UTC))
    assert before == []
