"""My cases (`GET /me/cases`) and finding a case (`GET /cases?q=`) over HTTP, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli.serving import DEMO_USERS
from api.http.app import create_app
from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from replay import caseload
from tests.integration.test_api import Api, assert_problem, instant, new_case

ITEM_FIELDS = {"case_id", "children", "last_entry_on", "new_since_last_look", "last_looked_at"}


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    """The app over a fresh, empty store; each test makes its own users and cases."""
    app = create_app(Settings(db_url=store_url()))
    engine = app.state.foresight.queries.engine
    tokens = {"auditor-khan": add_user(engine, "auditor-khan", "auditor", "ig")[1]}
    with TestClient(app) as client:
        yield Api(app, client, tokens)
    app.state.foresight.service.close()


def child(person_id: str, name: str | None = None, on: str = "2024-03-01") -> dict[str, Any]:
    data = {"person_id": person_id, "role": "child", **({"name": name} if name else {})}
    return {"type": "person_added", "occurred_at": on, "data": data}


def allocation(worker: str, on: str = "2024-03-02", undo: bool = False) -> dict[str, Any]:
    kind = "worker_unallocated" if undo else "worker_allocated"
    return {"type": kind, "occurred_at": on, "data": {"worker": worker, "team": "Assessment"}}


def note(
    on: str = "2024-03-05T10:00", summary: str = "Telephone call with school"
) -> dict[str, Any]:
    return {"type": "note_added", "occurred_at": on, "summary": summary}


def record(api: Api, user: str, case_id: str, *events: dict[str, Any]) -> None:
    response = api.post(user, case_id, list(events))
    assert response.status_code == 201, response.text


def my_cases(api: Api, user: str) -> list[dict[str, Any]]:
    response = api.get(user, "/me/cases")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    for item in found:
        assert set(item) == ITEM_FIELDS
    return found


def search(api: Api, user: str, text: str) -> list[str]:
    response = api.get(user, "/cases", q=text)
    assert response.status_code == 200, response.text
    return [item["case_id"] for item in response.json()]


class Team:
    """A social care worker, their manager, and a police manager, new for each test."""

    def __init__(self, api: Api):
        self.worker = api.add_user("practitioner", "social_care")
        self.colleague = api.add_user("practitioner", "social_care")
        self.manager = api.add_user("manager", "social_care")
        self.police_manager = api.add_user("manager", "police")


@pytest.fixture
def team(api: Api) -> Team:
    return Team(api)


# -- my cases --------------------------------------------------------------------------------


def test_my_cases_are_those_allocated_to_me_for_my_agency(api: Api, team: Team) -> None:
    """Allocated to me: listed. To a colleague, allocated and unallocated again, or allocated
    by another agency under my name: not listed."""
    mine, colleagues, undone, polices = new_case(), new_case(), new_case(), new_case()
    record(api, team.manager, mine, child("c1", "Ava"), child("c2"), allocation(team.worker))
    record(api, team.manager, colleagues, child("c1", "Ben"), allocation(team.colleague))
    record(api, team.manager, undone, allocation(team.worker))
    record(api, team.manager, undone, allocation(team.worker, on="2024-03-03", undo=True))
    record(api, team.police_manager, polices, child("c1", "Cai"), allocation(team.worker))

    [item] = my_cases(api, team.worker)
    assert item == {
        "case_id": mine,
        "children": ["Ava", "c2"],  # the person id where no name is recorded
        "last_entry_on": "2024-03-02",
        "new_since_last_look": 3,
        "last_looked_at": None,
    }
    assert [item["case_id"] for item in my_cases(api, team.colleague)] == [colleagues]


def test_an_unallocation_takes_the_case_off_my_list(api: Api, team: Team) -> None:
    case_id = new_case()
    record(api, team.manager, case_id, allocation(team.worker))
    assert [item["case_id"] for item in my_cases(api, team.worker)] == [case_id]
    record(api, team.manager, case_id, allocation(team.worker, undo=True))
    assert my_cases(api, team.worker) == []


def test_my_cases_show_what_my_agency_knows(api: Api, team: Team) -> None:
    """A child another agency added and never shared is not among the children; an entry
    shared with my agency counts from the share (and the share is an entry my agency sees)."""
    case_id = new_case()
    record(api, team.manager, case_id, child("c1", "Ava"), allocation(team.worker))
    police = api.add_user("practitioner", "police")
    response = api.post(police, case_id, [child("c2", "Dan"), note("2024-04-01T09:00")])
    assert response.status_code == 201, response.text
    shared_note = response.json()[1]["event_id"]
    [item] = my_cases(api, team.worker)
    assert (item["children"], item["last_entry_on"]) == (["Ava"], "2024-03-02")
    share = {
        "type": "information_shared",
        "occurred_at": "2024-04-01T12:00",
        "data": {"to_agency": "social_care", "event_ids": [shared_note]},
    }
    record(api, police, case_id, share)
    [item] = my_cases(api, team.worker)
    assert (item["children"], item["last_entry_on"]) == (["Ava"], "2024-04-01")
    assert item["new_since_last_look"] == 4


def test_new_since_my_last_look_resets_when_i_read_the_case(api: Api, team: Team) -> None:
    """Every entry is new until I read the case; listing my cases is not reading one; a later
    entry is new again."""
    case_id = new_case()
    record(api, team.manager, case_id, child("c1", "Ava"), allocation(team.worker), note())
    assert my_cases(api, team.worker)[0]["new_since_last_look"] == 3
    assert my_cases(api, team.worker)[0]["new_since_last_look"] == 3

    assert api.get(team.worker, f"/cases/{case_id}/chronology").status_code == 200
    [item] = my_cases(api, team.worker)
    assert item["new_since_last_look"] == 0
    looked = instant(item["last_looked_at"])
    assert abs(looked - datetime.now(UTC)) < timedelta(minutes=1)

    record(api, team.manager, case_id, note("2024-03-06T10:00", "Home visit"))
    [item] = my_cases(api, team.worker)
    assert (item["new_since_last_look"], instant(item["last_looked_at"])) == (1, looked)
    # A colleague's read is not mine.
    assert api.get(team.colleague, f"/cases/{case_id}/chronology").status_code == 200
    assert my_cases(api, team.worker)[0]["new_since_last_look"] == 1


def test_an_old_record_imported_after_my_last_look_is_new(api: Api, team: Team) -> None:
    """New is when it reached Foresight, not the date its own system recorded it."""
    case_id = new_case()
    record(api, team.manager, case_id, allocation(team.worker))
    assert api.get(team.worker, f"/cases/{case_id}/events").status_code == 200
    late = {**note("2023-12-01T10:00"), "source_recorded_at": "2023-12-01T11:00"}
    record(api, team.manager, case_id, late)
    [item] = my_cases(api, team.worker)
    assert (item["new_since_last_look"], item["last_entry_on"]) == (1, "2024-03-02")


def test_allocation_is_a_managers_to_record_and_to_undo(api: Api, team: Team) -> None:
    """A practitioner neither allocates nor, by retracting the allocation, unallocates."""
    case_id = new_case()
    with api.writes_nothing(case_id):
        refused = assert_problem(api.post(team.worker, case_id, allocation(team.worker)), 403)
    assert refused["errors"][0]["field"] == "type"
    response = api.post(team.manager, case_id, allocation(team.worker))
    assert response.status_code == 201, response.text
    retraction = {
        "type": "entry_retracted",
        "occurred_at": "2024-03-03",
        "data": {"target_event_id": response.json()["event_id"], "reason": "Not mine"},
    }
    with api.writes_nothing(case_id):
        refused = assert_problem(api.post(team.worker, case_id, retraction), 403)
    assert refused["errors"][0]["field"] == "data.target_event_id"
    assert [item["case_id"] for item in my_cases(api, team.worker)] == [case_id]
    record(api, team.manager, case_id, retraction)
    assert my_cases(api, team.worker) == []


def test_my_cases_come_newest_activity_first(api: Api, team: Team) -> None:
    first, second = new_case(), new_case()
    record(api, team.manager, first, allocation(team.worker))
    record(api, team.manager, second, allocation(team.worker))
    assert [item["case_id"] for item in my_cases(api, team.worker)] == [second, first]
    record(api, team.manager, first, note())
    assert [item["case_id"] for item in my_cases(api, team.worker)] == [first, second]


def test_my_cases_are_logged_as_a_read_across_cases(api: Api, team: Team) -> None:
    case_id = new_case()
    record(api, team.manager, case_id, allocation(team.worker))
    my_cases(api, team.worker)
    [row] = api.access_rows(team.worker)
    assert (row["endpoint"], row["case_id"], row["viewed_as"]) == (
        "GET /me/cases",
        "*",
        "social_care",
    )


def test_managers_hold_cases_too(api: Api, team: Team) -> None:
    case_id = new_case()
    record(api, team.manager, case_id, allocation(team.manager))
    assert [item["case_id"] for item in my_cases(api, team.manager)] == [case_id]


@pytest.mark.parametrize(("role", "agency"), [("auditor", "ig"), ("reviewer", "review")])
def test_my_cases_are_for_practitioners_and_managers(api: Api, role: str, agency: str) -> None:
    problem = assert_problem(api.get(api.add_user(role, agency), "/me/cases"), 403)
    assert f"A {role} may not hold cases" in problem["detail"]


def test_my_cases_need_a_token(api: Api) -> None:
    assert_problem(api.get(None, "/me/cases"), 401)


# -- finding a case ---------------------------------------------------------------------------


def test_a_case_is_found_by_part_of_its_id(api: Api, team: Team) -> None:
    case_id = new_case()
    record(api, team.manager, case_id, note())
    assert search(api, team.worker, case_id[2:10].upper()) == [case_id]
    assert search(api, team.worker, case_id.lower()) == [case_id]


def test_a_case_is_found_by_a_childs_name_my_agency_knows(api: Api, team: Team) -> None:
    """A child's name my agency recorded finds the case; one only the police recorded does not
    (for me), though it does for the police and for a reviewer."""
    ours, theirs = new_case(), new_case()
    tag = uuid.uuid4().hex[:8]
    record(api, team.manager, ours, child("c1", f"Ava {tag}"), allocation(team.worker))
    police = api.add_user("practitioner", "police")
    record(api, police, theirs, child("c1", f"Zed {tag}"))

    found = api.get(team.worker, "/cases", q=f"ava {tag}")
    assert found.status_code == 200, found.text
    [item] = found.json()
    assert set(item) == ITEM_FIELDS
    assert (item["case_id"], item["children"]) == (ours, [f"Ava {tag}"])
    assert search(api, team.worker, f"ZED {tag}") == []
    assert search(api, police, f"zed {tag}") == [theirs]
    reviewer = api.add_user("reviewer", "review")
    assert search(api, reviewer, tag) == [theirs, ours]
    assert search(api, team.worker, tag) == [ours]


def test_a_case_my_agency_knows_nothing_of_is_not_found_by_its_id(api: Api) -> None:
    case_id = new_case()
    police = api.add_user("practitioner", "police")
    record(api, police, case_id, note())
    assert search(api, api.add_user("practitioner", "social_care"), case_id) == []
    assert search(api, police, case_id) == [case_id]


def test_a_search_answers_at_most_the_limit(
    api: Api, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    cases = [f"LIM-{tag}-{number}" for number in range(3)]
    for case_id in cases:
        record(api, team.manager, case_id, note())
    monkeypatch.setattr(caseload, "SEARCH_LIMIT", 2)
    assert search(api, team.worker, tag) == [cases[2], cases[1]]


def test_a_search_is_logged_as_a_read_across_cases(api: Api) -> None:
    reader = api.add_user("reviewer", "review")
    search(api, reader, "FAM")
    [row] = api.access_rows(reader)
    assert (row["endpoint"], row["case_id"], row["viewed_as"]) == ("GET /cases", "*", "*")


@pytest.mark.parametrize("text", ["a", " a ", ""])
def test_a_search_needs_two_characters(api: Api, team: Team, text: str) -> None:
    assert_problem(api.get(team.worker, "/cases", q=text), 422, "query.q")


def test_a_search_needs_its_text(api: Api, team: Team) -> None:
    assert_problem(api.get(team.worker, "/cases"), 422, "query.q")


def test_auditors_do_not_search_cases(api: Api) -> None:
    assert_problem(api.get(api.add_user("auditor", "ig"), "/cases", q="FAM"), 403)


# -- the demo --------------------------------------------------------------------------------


def test_the_demos_workers_each_hold_the_demo_case(api: Api) -> None:
    """The demo allocates FAM-0042 to its social worker (by the team manager) and to the
    police officer, teacher and health visitor; each sees it as their own agency knows it."""
    api.service.append([parse_event(raw) for raw in demo_case_events()])
    for name, role, agency in DEMO_USERS:
        if name not in api.tokens:
            api.tokens[name] = add_user(api.engine, name, role, agency)[1]
    [social_worker] = my_cases(api, "sw-jones")
    assert (social_worker["case_id"], social_worker["children"]) == (DEMO_CASE, ["Ava", "Leo"])
    assert social_worker["last_entry_on"] == "2024-05-20"  # the manager's oversight
    for worker in ("pc-1234", "dsl-patel", "hv-okafor"):
        assert [item["case_id"] for item in my_cases(api, worker)] == [DEMO_CASE]
    assert my_cases(api, "tm-hughes") == []
    oversight = api.get("tm-hughes", f"/cases/{DEMO_CASE}/events").json()[-1]
    assert (oversight["type"], oversight["data"]["target_event_id"]) == (
        "oversight_recorded",
        demo_id("decision-assess"),
    )


def test_a_search_takes_its_text_literally(api: Api, team: Team) -> None:
    """SQL's wildcards in `q` are characters to find, not patterns matching every case."""
    record(api, team.manager, new_case(), child("c1", "Ava"))
    assert search(api, team.worker, "%%") == []
    assert search(api, team.worker, "__") == []
