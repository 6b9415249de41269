"""`GET /cases/{case_id}/patterns` on a real store built through the case service."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event

CASE = "PAT-1"
PATH = f"/cases/{CASE}/patterns"
PROBLEM = "application/problem+json"
NFA = "no_further_action"
USERS = {
    "sw-ali": ("practitioner", "social_care"),
    "pc-ng": ("practitioner", "police"),
    "rev-ada": ("reviewer", "review"),
    "aud-kim": ("auditor", "information_governance"),
}


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"patterns-test/{name}"))


def _event(
    name: str,
    type_: str,
    occurred_at: str,
    known: str,
    *,
    agency: str = "social_care",
    subjects: tuple[str, ...] = ("ava",),
    **data: Any,
) -> dict[str, Any]:
    return {
        "event_id": _id(name),
        "type": type_,
        "case_id": CASE,
        "occurred_at": occurred_at,
        "source_recorded_at": known,
        "agency": agency,
        "recorded_by": f"{agency}-1",
        "subjects": list(subjects),
        "summary": f"{name} summary",
        "data": data,
    }


def _contact(
    name: str,
    occurred_at: str,
    known: str,
    outcome: str,
    *concerns: str,
    source: str | None = None,
    agency: str = "social_care",
    subjects: tuple[str, ...] = ("ava",),
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_kind": "referral",
        "outcome": outcome,
        "concern_categories": list(concerns),
    }
    if source:
        data["source_agency"] = source
    return _event(
        name, "contact_received", occurred_at, known, agency=agency, subjects=subjects, **data
    )


CASE_EVENTS = [
    _event(
        "ava",
        "person_added",
        "2023-05-01",
        "2023-05-01",
        subjects=(),
        person_id="ava",
        role="child",
    ),
    _event(
        "ben",
        "person_added",
        "2023-05-01",
        "2023-05-01",
        subjects=(),
        person_id="ben",
        role="child",
    ),
    _event(
        "cp-1", "plan_started", "2023-06-01", "2023-06-01", plan_id="cp-1", kind="child_protection"
    ),
    _event(
        "cp-1-end",
        "plan_ended",
        "2023-12-01",
        "2023-12-01",
        subjects=(),
        plan_id="cp-1",
        reason="progress on the plan",
    ),
    _contact("k1", "2024-01-01", "2024-01-01", NFA, "neglect", source="school"),
    _contact("k2", "2024-02-15", "2024-02-15", NFA, "neglect", source="school"),
    # Recorded by social care only on 1 June: a late entry.
    _contact("k4-late", "2024-03-01", "2024-06-01", "assessment", "neglect", source="health"),
    # Retracted from 12 March.
    _contact("k5-retracted", "2024-03-10", "2024-03-10", NFA, "neglect", source="school"),
    _event(
        "k5-retraction",
        "entry_retracted",
        "2024-03-12",
        "2024-03-12",
        subjects=(),
        target_event_id=_id("k5-retracted"),
        reason="recorded on the wrong family",
    ),
    # Recorded as no further action, corrected on 1 May to assessment.
    _contact("k6-corrected", "2024-03-20", "2024-03-20", NFA, "neglect", source="school"),
    _event(
        "k6-correction",
        "entry_corrected",
        "2024-05-01",
        "2024-05-01",
        subjects=(),
        target_event_id=_id("k6-corrected"),
        reason="the outcome was misrecorded",
        changes={"data": {"outcome": "assessment"}},
    ),
    _contact(
        "k3-police",
        "2024-03-30",
        "2024-03-30",
        "strategy_discussion",
        "domestic_abuse",
        agency="police",
    ),
    _event(
        "k1-shared",
        "information_shared",
        "2024-01-05",
        "2024-01-05",
        subjects=(),
        to_agency="police",
        event_ids=[_id("k1")],
    ),
    _event(
        "cp-2", "plan_started", "2024-04-01", "2024-04-01", plan_id="cp-2", kind="child_protection"
    ),
    *[
        _contact(
            f"ben-{day}",
            f"2024-05-0{day}",
            f"2024-05-0{day}",
            "signposted",
            "neglect",
            source="school",
            subjects=("ben",),
        )
        for day in (1, 2, 3)
    ],
]


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client = client
        self.tokens = tokens

    def get(self, user: str, path: str = PATH, **params: Any) -> httpx.Response:
        return self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )

    def ok(self, user: str, **params: Any) -> dict[str, Any]:
        response = self.get(user, **params)
        assert response.status_code == 200, response.text
        patterns: dict[str, Any] = response.json()
        return patterns


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    app = create_app(Settings(db_url=store_url()))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in CASE_EVENTS])
    tokens = {
        name: add_user(foresight.queries.engine, name, role, agency)[1]
        for name, (role, agency) in USERS.items()
    }
    with TestClient(app) as client:
        yield Api(client, tokens)
    foresight.service.close()


def contact_ids(found: dict[str, Any]) -> list[str]:
    return [contact["event_id"] for contact in found["contacts"]]


def test_the_whole_record_now_counts_late_and_corrected_contacts_not_retracted_ones(
    api: Api,
) -> None:
    patterns = api.ok("rev-ada", subject="ava")
    assert patterns["case_id"] == CASE
    assert patterns["viewed_as"] is None
    assert patterns["totals"]["contacts"] == 5
    [three, twelve] = patterns["windows"]
    assert three["rule"] == {"min_contacts": 3, "length": 90, "unit": "days"}
    assert twelve["rule"] == {"min_contacts": 5, "length": 12, "unit": "months"}
    [episode] = three["episodes"]
    assert contact_ids(episode) == [
        _id("k1"),
        _id("k2"),
        _id("k4-late"),
        _id("k6-corrected"),
        _id("k3-police"),
    ]
    assert (episode["first_date"], episode["last_date"], episode["contact_count"]) == (
        "2024-01-01",
        "2024-03-30",
        5,
    )
    assert episode["no_further_action_count"] == 2
    corrected = episode["contacts"][3]
    assert (corrected["outcome"], corrected["source_agency"]) == ("assessment", "school")
    police = episode["contacts"][4]
    assert (police["source_agency"], police["source_agency_stated"]) == ("police", False)
    [school] = three["by_source_agency"]
    assert (school["source_agency"], contact_ids(school["episodes"][0])) == (
        "school",
        [_id("k1"), _id("k2"), _id("k6-corrected")],
    )
    assert patterns["totals"]["by_outcome"] == {NFA: 2, "assessment": 2, "strategy_discussion": 1}
    assert [contact_ids(run) for run in patterns["no_further_action_runs"]] == [
        [_id("k1"), _id("k2")]
    ]
    [restart] = patterns["plans_restarted"]
    assert restart == {
        "subject": "ava",
        "kind": "child_protection",
        "ended_plan_id": "cp-1",
        "ended_plan_started_on": "2023-06-01",
        "ended_on": "2023-12-01",
        "end_reason": "progress on the plan",
        "restarted_plan_id": "cp-2",
        "restarted_on": "2024-04-01",
        "days_between": 122,
        "plan_number": 2,
    }


def test_as_known_before_the_late_contact_and_the_correction_it_is_as_recorded_then(
    api: Api,
) -> None:
    patterns = api.ok("rev-ada", subject="ava", as_known_at="2024-04-15")
    assert patterns["as_known_at"].startswith("2024-04-15T")
    [episode] = patterns["windows"][0]["episodes"]
    assert contact_ids(episode) == [_id("k1"), _id("k2"), _id("k6-corrected"), _id("k3-police")]
    assert episode["contacts"][2]["outcome"] == NFA
    assert [contact_ids(run) for run in patterns["no_further_action_runs"]] == [
        [_id("k1"), _id("k2"), _id("k6-corrected")]
    ]
    after_correction = api.ok("rev-ada", subject="ava", as_known_at="2024-05-15")
    assert after_correction["totals"]["contacts"] == 4
    assert after_correction["totals"]["by_outcome"] == {
        NFA: 2,
        "assessment": 1,
        "strategy_discussion": 1,
    }


def test_a_retracted_contact_counts_only_while_not_yet_retracted(api: Api) -> None:
    before = api.ok("rev-ada", subject="ava", as_known_at="2024-03-11")
    assert contact_ids(before["windows"][0]["episodes"][0]) == [
        _id("k1"),
        _id("k2"),
        _id("k5-retracted"),
    ]
    after = api.ok("rev-ada", subject="ava", as_known_at="2024-03-13")
    assert after["totals"]["contacts"] == 2
    assert after["windows"][0]["episodes"] == []
    assert _id("k5-retracted") not in str(api.ok("rev-ada"))


def test_a_practitioner_sees_the_patterns_of_their_own_agencys_knowledge(api: Api) -> None:
    police = api.ok("pc-ng")
    assert police["viewed_as"] == "police"
    totals = police["totals"]
    assert totals["contacts"] == 2  # its own record and the one social care shared
    assert [(t["source_agency"], t["contacts"]) for t in totals["by_source_agency"]] == [
        ("police", 1),
        ("school", 1),
    ]
    assert [window["episodes"] for window in police["windows"]] == [[], []]
    assert police["plans_restarted"] == []
    assert api.ok("rev-ada", agency="police")["totals"] == totals
    refused = api.get("pc-ng", agency="social_care")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith(PROBLEM)


def test_the_subject_narrows_the_patterns_to_one_child(api: Api) -> None:
    ben = api.ok("sw-ali", subject="ben")
    assert ben["subject"] == "ben"
    assert ben["totals"]["contacts"] == 3
    assert [len(window["episodes"]) for window in ben["windows"]] == [1, 0]
    assert ben["plans_restarted"] == []
    everyone = api.ok("sw-ali")
    assert everyone["totals"]["contacts"] == 7  # social care's own: not the police record


def test_window_overrides_replace_the_defaults(api: Api) -> None:
    patterns = api.ok("rev-ada", subject="ava", window=["4:60", "2:1m"])
    assert [window["description"] for window in patterns["windows"]] == [
        "4 or more contacts within 60 days",
        "2 or more contacts within 1 month",
    ]
    # 1 March is exactly 60 days after 1 January: that window holds two; 15 February's four.
    four_in_60 = patterns["windows"][0]["episodes"]
    assert [contact_ids(found) for found in four_in_60] == [
        [_id("k2"), _id("k4-late"), _id("k6-corrected"), _id("k3-police")]
    ]
    two_in_month = patterns["windows"][1]["episodes"]
    assert [contact_ids(found) for found in two_in_month] == [
        [_id("k2"), _id("k4-late"), _id("k6-corrected"), _id("k3-police")]
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"window": "3:0"}, "query.window"),
        ({"window": ["3:90", "often"]}, "query.window"),
        ({"window": "1:90"}, "query.window"),
        ({"min_nfa_run": "1"}, "query.min_nfa_run"),
        ({"as_known_at": "last week"}, "query.as_known_at"),
        ({"subject": "no spaces"}, "query.subject"),
    ],
)
def test_a_bad_parameter_is_a_422_problem_naming_it(
    api: Api, params: dict[str, Any], field: str
) -> None:
    response = api.get("rev-ada", **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_an_unknown_case_is_a_404_and_an_auditor_may_not_read_patterns(api: Api) -> None:
    missing = api.get("rev-ada", "/cases/NO-SUCH-CASE/patterns")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert api.get("aud-kim").status_code == 403
    assert api.client.get(PATH).status_code == 401


def test_each_read_of_the_patterns_is_written_to_the_access_log(api: Api) -> None:
    api.ok("sw-ali", as_known_at="2024-04-01")
    rows = api.get("aud-kim", "/audit/access", reader="sw-ali").json()
    assert any(
        row["endpoint"] == f"GET {PATH}"
        and row["case_id"] == CASE
        and row["viewed_as"] == "social_care"
        and str(row["as_known_at"]).startswith("2024-04-01")
        for row in rows
    )
