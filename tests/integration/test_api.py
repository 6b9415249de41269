"""The HTTP API through FastAPI's TestClient on real SQLite files: every endpoint, role, refusal."""

from __future__ import annotations

import csv
import html
import io
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pandas as pd
import pytest
import sqlalchemy
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap import Foresight
from api.formats.tables import CHRONOLOGY_COLUMNS, MEDIA_TYPES
from api.http.app import create_app
from api.http.middleware import MAX_BODY_BYTES
from api.samples.demo import DEMO_CASE, demo_id
from api.settings import Settings
from api.users import add_user
from domain.errors import CaseNotFound
from domain.service import CaseService
from events.timepoints import parse_timepoint, start_of
from tests.demo_app import demo_app

PROBLEM = "application/problem+json"
USERS = {
    "sw-jones": ("practitioner", "social_care"),
    "tm-hughes": ("manager", "social_care"),
    "pc-1234": ("practitioner", "police"),
    "dsl-patel": ("practitioner", "school"),
    "reviewer-lee": ("reviewer", "review"),
    "auditor-khan": ("auditor", "information_governance"),
    "admin-root": ("admin", "it"),
}
BY_ROLE = {
    "practitioner": "sw-jones",
    "manager": "tm-hughes",
    "reviewer": "reviewer-lee",
    "auditor": "auditor-khan",
    "admin": "admin-root",
}
FIRST_DECISION = demo_id("decision-assess")
SECOND_DECISION = demo_id("decision-s47")


class Api:
    """A TestClient on the app, with a token per user and a few helpers."""

    def __init__(self, app: FastAPI, client: TestClient, tokens: dict[str, str]):
        self.app = app
        self.client = client
        self.tokens = tokens

    @property
    def foresight(self) -> Foresight:
        foresight: Foresight = self.app.state.foresight
        return foresight

    @property
    def service(self) -> CaseService:
        return self.foresight.service

    @property
    def engine(self) -> sqlalchemy.Engine:
        return self.foresight.queries.engine

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str | None, path: str, **params: Any) -> httpx.Response:
        headers = self.auth(user) if user else {}
        return self.client.get(path, params=params, headers=headers)

    def post(
        self, user: str | None, case_id: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.client.post(
            f"/cases/{case_id}/events",
            json=body,
            headers={**(self.auth(user) if user else {}), **(headers or {})},
        )

    def add_user(self, role: str, agency: str) -> str:
        """A new user with a unique name; returns the name (its token is kept)."""
        name = f"{role[:4]}-{uuid.uuid4().hex[:10]}"
        self.tokens[name] = add_user(self.engine, name, role, agency)[1]
        return name

    def snapshot(self, case_id: str) -> tuple[int, list[dict[str, Any]] | None]:
        """The log's last position and one case's stored events (None if it has none)."""
        last = self.service.recorder.max_notification_id() or 0
        try:
            events = [event.model_dump(mode="json") for event in self.service.case_events(case_id)]
        except CaseNotFound:
            events = None
        return last, events

    @contextmanager
    def writes_nothing(self, case_id: str) -> Iterator[None]:
        """Assert that the block leaves the whole store, and this case, exactly as it was."""
        before = self.snapshot(case_id)
        yield
        assert self.snapshot(case_id) == before

    def access_rows(self, reader: str) -> list[dict[str, Any]]:
        response = self.get("auditor-khan", "/audit/access", reader=reader)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    """The app over a fresh store holding the demo case, with a user of every role."""
    with demo_app(store_url(), USERS) as (app, client, tokens):
        yield Api(app, client, tokens)


def new_case() -> str:
    return f"T-{uuid.uuid4().hex[:12]}"


def note(summary: str = "Telephone call with the school", **fields: Any) -> dict[str, Any]:
    return {"type": "note_added", "occurred_at": "2024-03-01T10:00", "summary": summary, **fields}


def assert_problem(
    response: httpx.Response,
    status: int,
    field: str | None = None,
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (naming `field` if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert isinstance(problem["errors"], list)
    if field is not None:
        assert field in [error["field"] for error in problem["errors"]], problem
        assert all(error["reason"] for error in problem["errors"])
    return problem


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["event_id"] for entry in entries]


def instant(text: str) -> datetime:
    return pd.Timestamp(text).to_pydatetime()


# -- appending --------------------------------------------------------------------------------


def test_appending_one_event_answers_201_with_the_stored_event_and_the_case_version_as_etag(
    api: Api,
) -> None:
    """A new event comes back as stored, with agency and recorder from the token and an ETag."""
    case_id = new_case()
    response = api.post("sw-jones", case_id, note(source_recorded_at="2024-03-01T11:00"))
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    stored = response.json()
    assert stored["case_id"] == case_id
    assert stored["agency"] == "social_care"
    assert stored["recorded_by"] == "sw-jones"
    assert stored["version"] == 1
    assert stored["position"] == api.service.recorder.max_notification_id()
    assert instant(stored["known_at"]) == datetime(2024, 3, 1, 11, tzinfo=UTC)
    assert uuid.UUID(stored["event_id"])
    assert stored["hash"]
    assert stored["recorded_at"]
    assert [event.model_dump(mode="json") for event in api.service.case_events(case_id)] == [stored]


def test_appending_a_batch_answers_every_stored_event_in_order(api: Api) -> None:
    """A list in gives a list out, versions in order, and the ETag is the last version."""
    case_id = new_case()
    batch = [
        {
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": "kim", "role": "child", "name": "Kim"},
        },
        {
            "type": "child_seen",
            "occurred_at": "2024-03-02T15:00",
            "subjects": ["kim"],
            "data": {"seen_alone": True, "where": "school"},
        },
    ]
    response = api.post("sw-jones", case_id, batch)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"2"'
    stored = response.json()
    assert [event["type"] for event in stored] == ["person_added", "child_seen"]
    assert [event["version"] for event in stored] == [1, 2]
    assert ids(stored) == [str(event.event_id) for event in api.service.case_events(case_id)]


def test_an_idempotent_retry_answers_200_with_the_same_stored_event_and_writes_nothing(
    api: Api,
) -> None:
    """Sending the same event_id and content again is a no-op returning the stored event."""
    case_id = new_case()
    body = note(event_id=str(uuid.uuid4()))
    first = api.post("sw-jones", case_id, body)
    assert first.status_code == 201
    with api.writes_nothing(case_id):
        again = api.post("sw-jones", case_id, body)
        as_batch = api.post("sw-jones", case_id, [body])
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["etag"] == '"1"'
    assert as_batch.status_code == 200
    assert as_batch.json() == [first.json()]


def test_an_event_id_reused_with_other_content_is_a_409_and_writes_nothing(api: Api) -> None:
    """The same event_id with a different summary, or in another case, is a conflict."""
    case_id = new_case()
    event_id = str(uuid.uuid4())
    assert api.post("sw-jones", case_id, note("first", event_id=event_id)).status_code == 201
    with api.writes_nothing(case_id):
        changed = api.post("sw-jones", case_id, note("second", event_id=event_id))
    assert_problem(changed, 409, "event_id")
    other_case = new_case()
    with api.writes_nothing(other_case):
        elsewhere = api.post("sw-jones", other_case, note("first", event_id=event_id))
    assert_problem(elsewhere, 409, "event_id")


def test_if_match_with_the_current_version_appends_and_a_stale_one_is_a_409(api: Api) -> None:
    """Optimistic concurrency: If-Match must name the case's current version."""
    case_id = new_case()
    assert api.post("sw-jones", case_id, note(), {"If-Match": "0"}).status_code == 201
    assert api.post("sw-jones", case_id, note("b"), {"If-Match": '"1"'}).status_code == 201
    with api.writes_nothing(case_id):
        stale = api.post("sw-jones", case_id, note("c"), {"If-Match": '"1"'})
    assert_problem(stale, 409, "version")
    current = api.post("sw-jones", case_id, note("c"), {"If-Match": 'W/"2"'})
    assert current.status_code == 201
    assert current.headers["etag"] == '"3"'


def test_an_if_match_that_is_not_a_version_is_a_422_naming_the_header(api: Api) -> None:
    """If-Match must be a case version number."""
    case_id = new_case()
    with api.writes_nothing(case_id):
        response = api.post("sw-jones", case_id, note(), {"If-Match": "yesterday"})
    assert_problem(response, 422, "header.If-Match")


def test_ending_a_plan_twice_is_a_409_naming_the_plan_and_writes_nothing(api: Api) -> None:
    """An invariant of the case record is refused with 409 and the field it concerns."""
    case_id = new_case()
    start = {
        "type": "plan_started",
        "occurred_at": "2024-03-01",
        "data": {"plan_id": "P-1", "kind": "child_in_need"},
    }
    end = {"type": "plan_ended", "occurred_at": "2024-04-01", "data": {"plan_id": "P-1"}}
    assert api.post("sw-jones", case_id, [start, end]).status_code == 201
    with api.writes_nothing(case_id):
        again = api.post("sw-jones", case_id, {**end, "occurred_at": "2024-04-02"})
    assert_problem(again, 409, "data.plan_id")


@pytest.mark.parametrize("existing", [True, False], ids=["existing case", "new case"])
def test_a_batch_with_one_bad_event_writes_none_of_it(api: Api, existing: bool) -> None:
    """One invalid or refused event in a batch refuses the whole batch, on a new or known case."""
    case_id = new_case()
    if existing:
        assert api.post("sw-jones", case_id, note("already here")).status_code == 201
    invalid = [
        note("fine"),
        {"type": "plan_started", "occurred_at": "2024-03-01", "data": {"kind": "child_in_need"}},
    ]
    refused = [
        note("fine"),
        {"type": "plan_ended", "occurred_at": "2024-03-01", "data": {"plan_id": "never-started"}},
    ]
    with api.writes_nothing(case_id):
        assert_problem(api.post("sw-jones", case_id, invalid), 422, "1.data.plan_id")
        assert_problem(api.post("sw-jones", case_id, refused), 409, "1.data.plan_id")
    if not existing:
        assert_problem(api.get("reviewer-lee", f"/cases/{case_id}/chronology"), 404, "case_id")


INVALID_BODIES = {
    "plan_id of the wrong type": (
        {"type": "plan_reviewed", "occurred_at": "2024-03-01", "data": {"plan_id": 7}},
        "data.plan_id",
    ),
    "plan_id missing": (
        {"type": "plan_started", "occurred_at": "2024-03-01", "data": {"kind": "early_help"}},
        "data.plan_id",
    ),
    "case_id other than the URL": ({**note(), "case_id": "SOMEONE-ELSE"}, "case_id"),
    "case_id other than the URL in a batch": (
        [note(), {**note(), "case_id": "X-1"}],
        "1.case_id",
    ),
    "items that are not objects": ([note(), 42], "1"),
    "a body that is not an object": ("just text", "(body)"),
    "an empty batch": ([], "(body)"),
    "an unknown field": ({**note(), "colour": "blue"}, "colour"),
    "a bad occurred_at": ({**note(), "occurred_at": "last Tuesday"}, "occurred_at"),
    "a bad significance": ({**note(), "significance": "huge"}, "significance"),
    "an unknown type": ({**note(), "type": "gossip"}, "type"),
}


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_event_is_a_422_problem_naming_the_field_and_writes_nothing(
    api: Api,
    body: Any,
    field: str,
) -> None:
    """Bad envelopes are refused with 422 naming the field; nothing is stored."""
    case_id = new_case()
    assert api.post("sw-jones", case_id, note("exists")).status_code == 201
    with api.writes_nothing(case_id):
        problem = assert_problem(api.post("sw-jones", case_id, body), 422, field)
    assert "nothing was written" in problem["detail"]


BEYOND_THE_CALENDAR = {
    "occurred_at before year 1 in UTC": (
        "sw-jones",
        {**note(), "occurred_at": "0001-01-01T00:00:00+00:01"},
        "occurred_at",
    ),
    "occurred_at after year 9999 in UTC": (
        "sw-jones",
        {**note(), "occurred_at": "9999-12-31T23:59:59-01:00"},
        "occurred_at",
    ),
    "source_recorded_at before year 1 in UTC": (
        "sw-jones",
        {**note(), "source_recorded_at": "0001-01-01T00:00:00+00:01"},
        "source_recorded_at",
    ),
    "a decision's review_by before year 1 in UTC": (
        "tm-hughes",
        {
            "type": "decision_made",
            "occurred_at": "2024-03-01",
            "data": {"decision": "Review", "review_by": "0001-01-01T00:00:00+00:01"},
        },
        "data.review_by",
    ),
}


@pytest.mark.parametrize(
    ("user", "body", "field"), BEYOND_THE_CALENDAR.values(), ids=BEYOND_THE_CALENDAR.keys()
)
def test_an_event_time_that_overflows_in_utc_is_a_422_not_a_server_error(
    api: Api,
    user: str,
    body: dict[str, Any],
    field: str,
) -> None:
    """Times that cannot be put in UTC are invalid fields (events/ raises OverflowError: a 500)."""
    case_id = new_case()
    with TestClient(api.app, raise_server_exceptions=False) as client, api.writes_nothing(case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=api.auth(user))
    assert_problem(response, 422, field)


def test_a_body_that_is_not_json_is_refused_as_a_problem_and_writes_nothing(api: Api) -> None:
    """Malformed JSON is a 4xx problem, not a server error."""
    case_id = new_case()
    with api.writes_nothing(case_id):
        response = api.client.post(
            f"/cases/{case_id}/events",
            content=b'{"type": ',
            headers={**api.auth("sw-jones"), "Content-Type": "application/json"},
        )
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


FORBIDDEN_BODIES = {
    "another agency": ({**note(), "agency": "police"}, "agency"),
    "another recorder": ({**note(), "recorded_by": "someone-else"}, "recorded_by"),
    "another agency in a batch": ([note(), {**note(), "agency": "health"}], "1.agency"),
}


@pytest.mark.parametrize(("body", "field"), FORBIDDEN_BODIES.values(), ids=FORBIDDEN_BODIES.keys())
def test_a_body_naming_another_agency_or_recorder_is_a_403_and_writes_nothing(
    api: Api,
    body: Any,
    field: str,
) -> None:
    """agency and recorded_by come from the token; a body naming others is forbidden."""
    case_id = new_case()
    with api.writes_nothing(case_id):
        assert_problem(api.post("sw-jones", case_id, body), 403, field)


def test_a_body_naming_the_users_own_agency_and_name_is_accepted(api: Api) -> None:
    """Naming oneself (in any letter case for the agency) is allowed."""
    response = api.post(
        "sw-jones", new_case(), {**note(), "agency": "Social_Care", "recorded_by": "sw-jones"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["agency"] == "social_care"


PRACTITIONERS_RECORD = {
    "decision_made": {
        "type": "decision_made",
        "occurred_at": "2024-03-02",
        "data": {"decision": "Strategy discussion today"},
    },
    "marked_significant": {
        "type": "marked_significant",
        "occurred_at": "2024-03-02",
        "data": {"target_event_id": "TARGET", "significance": "key"},
    },
    "information_shared": {
        "type": "information_shared",
        "occurred_at": "2024-03-02",
        "data": {"to_agency": "police", "event_ids": ["TARGET"]},
    },
}


@pytest.mark.parametrize("kind", PRACTITIONERS_RECORD)
def test_practitioners_record_decisions_marks_and_shares_themselves(api: Api, kind: str) -> None:
    """No manager's step between a practitioner and the record (SPEC section 5): a
    practitioner's decision, mark or share is stored as theirs; a manager's too."""
    case_id = new_case()
    target = api.post("sw-jones", case_id, note()).json()["event_id"]
    body = json.loads(json.dumps(PRACTITIONERS_RECORD[kind]).replace("TARGET", target))
    for user in ("sw-jones", "tm-hughes"):
        response = api.post(user, case_id, body)
        assert response.status_code == 201, response.text
        assert (response.json()["type"], response.json()["recorded_by"]) == (kind, user)


@pytest.mark.parametrize("kind", ["entry_corrected", "entry_retracted"])
def test_correcting_or_retracting_another_agencys_entry_is_a_403(api: Api, kind: str) -> None:
    """Only the agency that recorded an entry may correct or retract it."""
    case_id = new_case()
    target = api.post("sw-jones", case_id, note()).json()["event_id"]
    data: dict[str, Any] = {"target_event_id": target, "reason": "wrong"}
    if kind == "entry_corrected":
        data["changes"] = {"summary": "Telephone call with the nursery"}
    body = {"type": kind, "occurred_at": "2024-03-02", "data": data}
    with api.writes_nothing(case_id):
        assert_problem(api.post("pc-1234", case_id, body), 403, "data.target_event_id")
    assert api.post("sw-jones", case_id, body).status_code == 201


def test_a_refused_amendment_in_a_batch_is_named_by_its_index_and_nothing_is_written(
    api: Api,
) -> None:
    """In a batch, the refusal names the event at fault; the batch's own entries may be
    amended by their agency in the same batch."""
    case_id = new_case()
    target = api.post("sw-jones", case_id, note()).json()["event_id"]
    own_note = {**note("Police call-out"), "event_id": str(uuid.uuid4())}

    def retraction(of: str) -> dict[str, Any]:
        data = {"target_event_id": of, "reason": "wrong family"}
        return {"type": "entry_retracted", "occurred_at": "2024-03-02", "data": data}

    with api.writes_nothing(case_id):
        refused = api.post("pc-1234", case_id, [own_note, retraction(target)])
        assert_problem(refused, 403, "1.data.target_event_id")
    accepted = api.post("pc-1234", case_id, [own_note, retraction(own_note["event_id"])])
    assert accepted.status_code == 201, accepted.text


def test_a_correction_through_the_api_shows_in_the_chronology(api: Api) -> None:
    """A correction by the recording agency changes the entry as now known."""
    case_id = new_case()
    target = api.post("sw-jones", case_id, note("Call with the school")).json()["event_id"]
    api.post(
        "sw-jones",
        case_id,
        {
            "type": "entry_corrected",
            "occurred_at": "2024-03-02",
            "data": {
                "target_event_id": target,
                "changes": {"summary": "Call with the nursery"},
                "reason": "wrong setting",
            },
        },
    )
    entries = api.get("sw-jones", f"/cases/{case_id}/chronology").json()
    assert [(entry["summary"], entry["corrected"]) for entry in entries] == [
        ("Call with the nursery", True)
    ]


def test_a_body_over_one_mebibyte_is_a_413_problem_and_writes_nothing(api: Api) -> None:
    """Bodies over 1 MiB are refused, whether the length is declared or streamed."""
    case_id = new_case()
    payload = json.dumps(note("x" * (MAX_BODY_BYTES + 10))).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    headers = {**api.auth("sw-jones"), "Content-Type": "application/json"}
    with api.writes_nothing(case_id):
        declared = api.client.post(f"/cases/{case_id}/events", content=payload, headers=headers)
        streamed = api.client.post(f"/cases/{case_id}/events", content=chunks(), headers=headers)
    assert_problem(declared, 413)
    assert_problem(streamed, 413)


def test_a_body_just_under_one_mebibyte_is_accepted(api: Api) -> None:
    """The limit is 1 MiB, not less: a batch just under it is stored."""
    case_id = new_case()
    text = "y" * 19_000  # texts are at most 20,000 characters
    batch = [note(text, impact=text, action=text) for _ in range(18)]
    assert MAX_BODY_BYTES - 50_000 < len(json.dumps(batch)) < MAX_BODY_BYTES
    response = api.post("sw-jones", case_id, batch)
    assert response.status_code == 201, response.text
    assert len(response.json()) == 18


# -- roles and authentication -----------------------------------------------------------------


def _try_append(api: Api, user: str) -> httpx.Response:
    return api.post(user, new_case(), note())


ENDPOINT_KINDS: dict[str, Callable[[Api, str], httpx.Response]] = {
    "append": _try_append,
    "read chronology": lambda api, user: api.get(user, f"/cases/{DEMO_CASE}/chronology"),
    "read a person": lambda api, user: api.get(user, "/people/ava/chronology"),
    "foresight": lambda api, user: api.get(
        user, f"/cases/{DEMO_CASE}/decisions/{FIRST_DECISION}/foresight"
    ),
    "audit recording": lambda api, user: api.get(user, "/audit/recording"),
    "audit access": lambda api, user: api.get(user, "/audit/access"),
}
ALLOWED = {
    "practitioner": {"append", "read chronology", "read a person"},
    "manager": {"append", "read chronology", "read a person"},
    "reviewer": {"read chronology", "read a person", "foresight"},
    "auditor": {"audit recording", "audit access"},
    "admin": set(),
}


@pytest.mark.parametrize("kind", ENDPOINT_KINDS)
@pytest.mark.parametrize("role", ALLOWED)
def test_each_role_may_use_exactly_its_kinds_of_endpoint(api: Api, role: str, kind: str) -> None:
    """The role matrix: allowed calls succeed, every other one is a 403 problem writing nothing."""
    user = BY_ROLE[role]
    before = api.service.recorder.max_notification_id()
    response = ENDPOINT_KINDS[kind](api, user)
    if kind in ALLOWED[role]:
        assert response.status_code == (201 if kind == "append" else 200), response.text
    else:
        assert_problem(response, 403)
        assert api.service.recorder.max_notification_id() == before


PROTECTED = [
    ("POST", f"/cases/{DEMO_CASE}/events"),
    ("GET", f"/cases/{DEMO_CASE}/events"),
    ("GET", f"/cases/{DEMO_CASE}/chronology"),
    ("GET", f"/cases/{DEMO_CASE}/plans"),
    ("GET", f"/cases/{DEMO_CASE}/decisions"),
    ("GET", f"/cases/{DEMO_CASE}/decisions/{FIRST_DECISION}/foresight"),
    ("GET", f"/cases/{DEMO_CASE}/changes?since=2024-01-01"),
    ("GET", "/people/ava/chronology"),
    ("GET", "/people/ava/status"),
    ("GET", "/audit/recording"),
    ("GET", "/audit/access"),
    ("GET", "/me"),
]
BAD_CREDENTIALS = {
    "no token": {},
    "an unknown token": {"Authorization": "Bearer fst_not-a-real-token"},
    "a token without the prefix": {"Authorization": "Bearer abc"},
    "another scheme": {"Authorization": "Basic c3ctam9uZXM6cGFzc3dvcmQ="},
}


@pytest.mark.parametrize("headers", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_every_protected_endpoint_answers_401_without_a_valid_token(
    api: Api,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    """401 problem with a WWW-Authenticate: Bearer challenge, and nothing written or logged."""
    before = api.service.recorder.max_notification_id()
    with api.engine.connect() as connection:
        reads = connection.execute(sqlalchemy.text("SELECT count(*) FROM foresight_access_log"))
        logged = reads.scalar()
    body = note() if method == "POST" else None
    response = api.client.request(method, path, json=body, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert api.service.recorder.max_notification_id() == before
    with api.engine.connect() as connection:
        reads = connection.execute(sqlalchemy.text("SELECT count(*) FROM foresight_access_log"))
        assert reads.scalar() == logged


# -- not found and invalid queries ------------------------------------------------------------

UNKNOWN = [
    (f"/cases/NO-SUCH-CASE/{tail}", params)
    for tail, params in [
        ("events", {}),
        ("chronology", {}),
        ("plans", {}),
        ("decisions", {}),
        (f"decisions/{FIRST_DECISION}/foresight", {}),
        ("changes", {"since": "2024-01-01"}),
    ]
] + [("/people/nobody-here/chronology", {}), ("/people/nobody-here/status", {})]


@pytest.mark.parametrize(("path", "params"), UNKNOWN, ids=[path for path, _ in UNKNOWN])
def test_an_unknown_case_or_person_is_a_404_problem(api: Api, path: str, params: dict) -> None:
    """404 for a case with no events, or a person no case names."""
    assert_problem(api.get("reviewer-lee", path, **params), 404)


def test_the_foresight_of_an_event_that_is_not_a_decision_is_refused_naming_the_event(
    api: Api,
) -> None:
    """Asking for the foresight view of a non-decision is a 4xx problem naming event_id."""
    path = f"/cases/{DEMO_CASE}/decisions/{demo_id('hv-visit')}/foresight"
    response = api.get("reviewer-lee", path)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code, "event_id")


BAD_QUERIES = [
    (
        f"/cases/{DEMO_CASE}/chronology",
        {"as_known_at": "the day before yesterday"},
        "query.as_known_at",
    ),
    (f"/cases/{DEMO_CASE}/chronology", {"as_known_at": "2024-02-30"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/events", {"as_known_at": "soon"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/decisions", {"as_known_at": "2024-13-01"}, "query.as_known_at"),
    ("/people/ava/chronology", {"as_known_at": "never"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/plans", {"on": "2024-03-01T10:00"}, "query.on"),
    (f"/cases/{DEMO_CASE}/plans", {"on": "March"}, "query.on"),
    ("/people/ava/status", {"on": "tomorrow"}, "query.on"),
    ("/people/ava/status", {"as_known_at": "x"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/chronology", {"significance": "huge"}, "query.significance"),
    (f"/cases/{DEMO_CASE}/chronology", {"format": "pdf"}, "query.format"),
    (f"/cases/{DEMO_CASE}/chronology", {"from": "whenever"}, "query.from"),
    (f"/cases/{DEMO_CASE}/changes", {}, "query.since"),
    ("/audit/access", {"format": "docx"}, "query.format"),
    (f"/cases/{DEMO_CASE}/chronology", {"as_known_at": "0500-01-01"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/chronology", {"as_known_at": "9999-12-31"}, "query.as_known_at"),
    (f"/cases/{DEMO_CASE}/chronology", {"from": "0900-01-01"}, "query.from"),
    (f"/cases/{DEMO_CASE}/changes", {"since": "0001-01-01T00:00"}, "query.since"),
    ("/audit/access", {"since": "9999-12-31"}, "query.since"),
    ("/audit/recording", {"until": "0100-01-01"}, "query.until"),
]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    BAD_QUERIES,
    ids=[f"{path} {field} {params}" for path, params, field in BAD_QUERIES],
)
def test_a_bad_query_parameter_is_a_422_problem_naming_it(
    api: Api,
    path: str,
    params: dict,
    field: str,
) -> None:
    """Unparseable times, dates and choices are refused naming the parameter."""
    user = "auditor-khan" if path.startswith("/audit") else "reviewer-lee"
    assert_problem(api.get(user, path, **params), 422, field)


def test_an_as_known_at_in_the_earliest_supported_year_is_logged_and_the_log_stays_readable(
    api: Api,
) -> None:
    """Year 1900 is accepted, and the access log holding it still opens in every format."""
    reader = api.add_user("reviewer", "review")
    early = api.get(reader, f"/cases/{DEMO_CASE}/chronology", as_known_at="1900-06-01")
    assert (early.status_code, early.json()) == (200, [])
    for output_format in ("json", "csv", "xlsx", "parquet"):
        response = api.get("auditor-khan", "/audit/access", reader=reader, format=output_format)
        assert response.status_code == 200, response.text
        assert len(_read_frame(response, output_format)) == 1


def test_an_event_dated_before_the_year_1000_is_refused_or_kept_in_order_without_breaking_audit(
    db_url: str,
) -> None:
    """An ancient occurred_at is refused (422), or stored so that order and the audit still work."""
    # Today it is accepted and its read-model instants are written with a three-digit year
    # ("900-01-01 …", projections/tables.py): it sorts after 2024, and every later
    # GET /audit/recording is a 500 (the text cannot be read back as a datetime).
    app = create_app(Settings(db_url=db_url))
    engine = app.state.foresight.queries.engine
    sw = add_user(engine, "sw-old", "practitioner", "social_care")[1]
    auditor = add_user(engine, "auditor-old", "auditor", "information_governance")[1]
    case_id = new_case()
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {sw}"}
        client.post(f"/cases/{case_id}/events", json=note("recent"), headers=headers)
        ancient = client.post(
            f"/cases/{case_id}/events",
            headers=headers,
            json=note("a typing slip for 2009", occurred_at="0900-01-01"),
        )
        if ancient.status_code != 422:
            assert ancient.status_code == 201, ancient.text
            entries = client.get(f"/cases/{case_id}/chronology", headers=headers).json()
            assert [entry["summary"] for entry in entries] == ["a typing slip for 2009", "recent"]
        audit = client.get("/audit/recording", headers={"Authorization": f"Bearer {auditor}"})
        assert audit.status_code == 200, audit.text
    app.state.foresight.service.close()


# -- reading a case ---------------------------------------------------------------------------


def _sort_key(entry: dict[str, Any]) -> tuple[datetime, int]:
    return start_of(parse_timepoint(entry["occurred_at"])), entry["position"]


def test_the_chronology_is_the_whole_record_in_order_of_occurrence_for_a_reviewer(api: Api) -> None:
    """Entries are ordered by occurred_at then position; amendments applied; retractions hidden."""
    response = api.get("reviewer-lee", f"/cases/{DEMO_CASE}/chronology")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    entries = response.json()
    assert entries == sorted(entries, key=_sort_key)
    by_id = {entry["event_id"]: entry for entry in entries}
    assert {"school", "health", "police", "social_care"} == {entry["agency"] for entry in entries}
    assert demo_id("wrong-case-note") not in by_id
    assert demo_id("ava-seen-corrected") not in by_id
    seen = by_id[demo_id("ava-seen")]
    assert seen["corrected"] is True
    assert seen["data"]["where"] == "home, with Sam in the next room"
    assert by_id[demo_id("hv-visit")]["significance"] == "key"
    retracted = api.get(
        "reviewer-lee", f"/cases/{DEMO_CASE}/chronology", include_retracted="true"
    ).json()
    flags = {entry["event_id"]: entry["retracted"] for entry in retracted}
    assert flags[demo_id("wrong-case-note")] is True
    assert len(retracted) == len(entries) + 1


def test_the_chronology_as_known_at_a_time_omits_what_was_recorded_later(api: Api) -> None:
    """The police's late record (known at the end of 2 February) is absent before then."""
    path = f"/cases/{DEMO_CASE}/chronology"
    late = demo_id("police-earlier")
    assert late not in ids(api.get("reviewer-lee", path, as_known_at="2024-02-02T12:00").json())
    assert late in ids(api.get("reviewer-lee", path, as_known_at="2024-02-02").json())
    assert late in ids(api.get("reviewer-lee", path, as_known_at="2024-02-03T09:00").json())
    early = api.get("reviewer-lee", path, as_known_at="2024-01-16T12:00").json()
    assert demo_id("ava-voice") not in ids(early)
    assert all(
        instant(entry["known_at"]) <= datetime(2024, 1, 16, 12, tzinfo=UTC) for entry in early
    )
    # As known then, Ava's visit was uncorrected.
    before_fix = api.get("reviewer-lee", path, as_known_at="2024-01-31").json()
    seen = {entry["event_id"]: entry for entry in before_fix}[demo_id("ava-seen")]
    assert (seen["data"]["where"], seen["corrected"]) == ("school", False)


def test_an_event_appended_now_about_the_past_is_absent_as_known_a_moment_before(api: Api) -> None:
    """A late record made through the API is known from its recording, not from when it happened."""
    case_id = new_case()
    api.post("sw-jones", case_id, note("opened"))
    between = datetime.now(UTC)
    late = api.post("sw-jones", case_id, note("a late record of 2023", occurred_at="2023-06-01"))
    path = f"/cases/{case_id}/chronology"
    assert late.json()["event_id"] not in ids(
        api.get("sw-jones", path, as_known_at=between.isoformat()).json()
    )
    assert ids(api.get("sw-jones", path).json())[0] == late.json()["event_id"]


def test_the_chronology_as_known_to_an_agency_holds_its_own_and_shared_records(api: Api) -> None:
    """On 16 January social care knew the police notification, not the school or health notes."""
    path = f"/cases/{DEMO_CASE}/chronology"
    then = ids(
        api.get("reviewer-lee", path, as_known_at="2024-01-16T12:00", agency="social_care").json()
    )
    assert demo_id("police-notification") in then
    assert demo_id("school-hungry") not in then
    assert demo_id("hv-visit") not in then
    later = ids(api.get("reviewer-lee", path, agency="social_care").json())
    assert demo_id("hv-visit") in later  # shared by health on 25 January
    assert demo_id("school-hungry") not in later  # never shared
    school = ids(api.get("reviewer-lee", path, agency="school").json())
    assert demo_id("school-hungry") in school


def test_practitioners_see_only_their_own_agencys_knowledge_and_403_for_another(api: Api) -> None:
    """Agency scoping: no agency means one's own; another agency is forbidden and not logged."""
    path = f"/cases/{DEMO_CASE}/chronology"
    police = api.get("pc-1234", path).json()
    assert {entry["agency"] for entry in police} == {"police"}
    assert ids(police) == ids(api.get("reviewer-lee", path, agency="police").json())
    assert ids(api.get("pc-1234", path, agency="POLICE").json()) == ids(police)
    social_care = api.get("sw-jones", path).json()
    assert demo_id("school-hungry") not in ids(social_care)
    assert ids(social_care) == ids(api.get("tm-hughes", path).json())
    reader = api.add_user("practitioner", "police")
    for forbidden in (
        path,
        f"/cases/{DEMO_CASE}/events",
        f"/cases/{DEMO_CASE}/decisions",
        "/people/ava/chronology",
    ):
        assert_problem(api.get(reader, forbidden, agency="social_care"), 403)
    assert_problem(
        api.get(reader, f"/cases/{DEMO_CASE}/changes", since="2024-01-01", agency="social_care"),
        403,
    )
    assert api.access_rows(reader) == []


def test_the_chronology_filters_by_subject_significance_types_and_dates(api: Api) -> None:
    """subject, minimum significance, types and the from/to window each narrow the entries."""
    path = f"/cases/{DEMO_CASE}/chronology"
    everything = api.get("reviewer-lee", path).json()
    leo = api.get("reviewer-lee", path, subject="leo").json()
    assert leo
    assert all("leo" in entry["subjects"] for entry in leo)
    assert ids(leo) == [e["event_id"] for e in everything if "leo" in e["subjects"]]
    significant = api.get("reviewer-lee", path, significance="significant").json()
    assert {entry["significance"] for entry in significant} == {"significant", "key"}
    key = api.get("reviewer-lee", path, significance="key").json()
    assert key
    assert {entry["significance"] for entry in key} == {"key"}
    chosen = api.get("reviewer-lee", path, types="decision_made, plan_started").json()
    assert sorted(entry["type"] for entry in chosen) == [
        "decision_made",
        "decision_made",
        "plan_started",
    ]
    window = api.get("reviewer-lee", path, **{"from": "2024-01-20", "to": "2024-01-31"}).json()
    assert window
    assert all(
        datetime(2024, 1, 20, tzinfo=UTC)
        <= start_of(parse_timepoint(e["occurred_at"]))
        <= datetime(2024, 2, 1, tzinfo=UTC)
        for e in window
    )
    assert ids(window) == [
        e["event_id"] for e in everything if "2024-01-20" <= e["occurred_at"][:10] <= "2024-01-31"
    ]


def test_the_chronology_as_csv_has_one_row_per_json_entry(api: Api) -> None:
    """CSV is text/csv with the chronology columns and the same entries as the JSON."""
    path = f"/cases/{DEMO_CASE}/chronology"
    entries = api.get("reviewer-lee", path).json()
    response = api.get("reviewer-lee", path, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES["csv"]
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(CHRONOLOGY_COLUMNS)
    assert [row["event_id"] for row in rows] == ids(entries)
    for row, entry in zip(rows, entries, strict=True):
        assert row["type"] == entry["type"]
        assert row["agency"] == entry["agency"]
        assert row["summary"] == (entry["summary"] or "")
        assert row["significance"] == entry["significance"]
        assert row["subjects"] == " ".join(entry["subjects"])
        assert start_of(parse_timepoint(row["occurred_at"])) == start_of(
            parse_timepoint(entry["occurred_at"])
        )
        assert instant(row["known_at"]) == instant(entry["known_at"])


def test_the_chronology_as_xlsx_opens_in_openpyxl_with_every_entry(api: Api) -> None:
    """XLSX has a header row and one row per entry, in the same order as the JSON."""
    path = f"/cases/{DEMO_CASE}/chronology"
    entries = api.get("reviewer-lee", path, as_known_at="2024-02-10").json()
    response = api.get("reviewer-lee", path, as_known_at="2024-02-10", format="xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book[DEMO_CASE].iter_rows(values_only=True))
    assert list(rows[0]) == list(CHRONOLOGY_COLUMNS)
    column = list(CHRONOLOGY_COLUMNS).index("event_id")
    assert [row[column] for row in rows[1:]] == ids(entries)
    summary = list(CHRONOLOGY_COLUMNS).index("summary")
    assert [row[summary] for row in rows[1:]] == [entry["summary"] for entry in entries]


def test_the_chronology_as_html_is_printable_and_escapes_every_summary(api: Api) -> None:
    """HTML is text/html with each entry, and a script in a summary is shown, never run."""
    case_id = new_case()
    hostile = "<script>alert(1)</script>"
    api.post("sw-jones", case_id, note(hostile, impact='"><img src=x onerror=alert(2)>'))
    response = api.get("sw-jones", f"/cases/{case_id}/chronology", format="html")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES["html"]
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert hostile not in page
    assert "<img" not in page
    assert html.escape(hostile) in page
    demo = api.get("reviewer-lee", f"/cases/{DEMO_CASE}/chronology", format="html").text
    for entry in api.get("reviewer-lee", f"/cases/{DEMO_CASE}/chronology").json():
        if entry["summary"]:
            assert html.escape(entry["summary"]) in demo


def test_the_raw_log_is_every_stored_event_in_recording_order(api: Api) -> None:
    """GET events returns the stored events as the write side holds them, filtered by time."""
    path = f"/cases/{DEMO_CASE}/events"
    log = api.get("reviewer-lee", path).json()
    assert log == [event.model_dump(mode="json") for event in api.service.case_events(DEMO_CASE)]
    assert [event["version"] for event in log] == list(range(1, len(log) + 1))
    kept = ids(api.get("reviewer-lee", path, include_retracted="false").json())
    assert demo_id("wrong-case-note") not in kept
    assert len(kept) == len(log) - 1
    early = api.get("reviewer-lee", path, as_known_at="2024-01-16T12:00").json()
    assert early
    assert all(
        instant(event["known_at"]) <= datetime(2024, 1, 16, 12, tzinfo=UTC) for event in early
    )
    assert {event["agency"] for event in api.get("pc-1234", path).json()} == {"police"}


def test_a_persons_chronology_spans_every_case_that_names_them(api: Api) -> None:
    """The child's own chronology includes entries from two cases, and nothing not naming them."""
    person = f"kid-{uuid.uuid4().hex[:8]}"
    first, second = new_case(), new_case()
    for case_id in (first, second):
        api.post(
            "sw-jones",
            case_id,
            [
                {
                    "type": "person_added",
                    "occurred_at": "2024-02-01",
                    "data": {"person_id": person, "role": "child"},
                },
                note(f"seen in {case_id}", subjects=[person]),
                note("not about the child"),
            ],
        )
    response = api.get("sw-jones", f"/people/{person}/chronology")
    assert response.status_code == 200
    entries = response.json()
    assert {entry["case_id"] for entry in entries} == {first, second}
    assert all(person in entry["subjects"] or entry["type"] == "person_added" for entry in entries)
    assert f"seen in {first}" in [entry["summary"] for entry in entries]
    assert "not about the child" not in [entry["summary"] for entry in entries]
    ava = api.get(
        "reviewer-lee",
        "/people/ava/chronology",
        as_known_at="2024-01-16T12:00",
        agency="social_care",
    ).json()
    assert demo_id("police-notification") in ids(ava)
    assert demo_id("school-hungry") not in ids(ava)


def test_plans_active_on_a_date_as_known_at_a_time(api: Api) -> None:
    """The child protection plan as it stood on a date (reviews held by then), as known at T."""
    path = f"/cases/{DEMO_CASE}/plans"
    plans = api.get("sw-jones", path, on="2024-03-01").json()
    assert [plan["plan_id"] for plan in plans] == ["CP-0042-1"]
    plan = plans[0]
    assert plan["kind"] == "child_protection"
    assert len(plan["goals"]) == 3
    assert plan["subjects"] == ["ava", "leo"]
    assert plan["started_on"] == "2024-02-14"
    assert (plan["review_due"], plan["last_review"], plan["review_overdue"]) == (
        "2024-05-14",
        None,
        False,
    )
    reviewed = api.get("sw-jones", path, on="2024-06-01").json()[0]
    assert reviewed["review_due"] == "2024-11-10"
    assert reviewed["last_review"]["occurred_at"] == "2024-05-10"
    assert (reviewed["reviews"], reviewed["review_overdue"]) == (1, False)
    # As known on 1 May, the review of 10 May was not yet held: by 1 June it looked overdue.
    as_then = api.get("sw-jones", path, on="2024-06-01", as_known_at="2024-05-01").json()[0]
    assert (as_then["review_due"], as_then["last_review"], as_then["review_overdue"]) == (
        "2024-05-14",
        None,
        True,
    )
    assert api.get("sw-jones", path, on="2024-01-20").json() == []
    assert api.get("sw-jones", path, on="2024-03-01", as_known_at="2024-02-13").json() == []


def test_plans_are_known_to_an_agency_like_any_entry(api: Api) -> None:
    """Police were never sent the plan: no plan for them, and another agency's view is a 403
    (a reviewer may view as police, and sees what police knew)."""
    path = f"/cases/{DEMO_CASE}/plans"
    assert api.get("pc-1234", path, on="2024-06-01").json() == []
    assert_problem(api.get("pc-1234", path, on="2024-06-01", agency="social_care"), 403)
    assert api.get("reviewer-lee", path, on="2024-06-01", agency="police").json() == []
    viewed = api.get("reviewer-lee", path, on="2024-06-01", agency="social_care").json()
    assert [plan["plan_id"] for plan in viewed] == ["CP-0042-1"]


def share_with_police(api: Api, case_id: str, event_id: str) -> None:
    """Social care sends police one of its entries."""
    shared = api.post(
        "sw-jones",
        case_id,
        {
            "type": "information_shared",
            "occurred_at": "2024-03-02",
            "data": {"to_agency": "police", "event_ids": [event_id]},
        },
    )
    assert shared.status_code == 201, shared.text


def test_a_case_an_agency_was_never_told_of_is_not_found_to_it(api: Api) -> None:
    """A case of social care's alone is a 404 to police, as a case that does not exist is,
    until social care shares something of it; a reviewer finds it, viewed as police or not."""
    case_id = new_case()
    written = api.post("sw-jones", case_id, note("Home visit"))
    assert written.status_code == 201, written.text
    for tail in ("chronology", "events", "plans", "decisions", "patterns", "timeliness"):
        assert_problem(api.get("pc-1234", f"/cases/{case_id}/{tail}"), 404)
        assert_problem(api.get("pc-1234", f"/cases/NO-SUCH-{case_id}/{tail}"), 404)
    assert api.get("reviewer-lee", f"/cases/{case_id}/chronology", agency="police").json() == []
    share_with_police(api, case_id, written.json()["event_id"])
    chronology = api.get("pc-1234", f"/cases/{case_id}/chronology").json()
    assert [entry["summary"] for entry in chronology][:1] == ["Home visit"]


def test_a_child_an_agency_was_never_told_of_is_not_found_to_it(api: Api) -> None:
    """A child named only in social care's entries is a 404 to police in their own chronology,
    until social care shares an entry naming them; signposting answers every agency; a
    reviewer finds the child."""
    case_id = new_case()
    child = f"child-{case_id}"
    added = api.post(
        "sw-jones",
        case_id,
        {
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": child, "role": "child"},
        },
    )
    assert added.status_code == 201, added.text
    named = {**note("Visit to the child at home"), "subjects": [child]}
    written = api.post("sw-jones", case_id, named)
    assert written.status_code == 201, written.text
    path = f"/people/{child}/chronology"
    assert_problem(api.get("pc-1234", path), 404)
    assert api.get("pc-1234", f"/people/{child}/status").status_code == 200
    whole_record = [entry["summary"] for entry in api.get("reviewer-lee", path).json()]
    assert "Visit to the child at home" in whole_record
    assert api.get("reviewer-lee", path, agency="police").json() == []
    share_with_police(api, case_id, written.json()["event_id"])
    summaries = [entry["summary"] for entry in api.get("pc-1234", path).json()]
    assert summaries == ["Visit to the child at home"]


def test_a_persons_status_signposts_the_child_protection_plan(api: Api) -> None:
    """Ava is on a child protection plan on 1 March as known now, not as known on 1 February."""
    now = api.get("pc-1234", "/people/ava/status", on="2024-03-01").json()
    assert now["person_id"] == "ava"
    assert now["on_child_protection_plan"] is True
    assert now["has_been_on_child_protection_plan"] is True
    assert now["looked_after"] is False
    assert now["periods"] == [
        {
            "kind": "child_protection",
            "started_on": "2024-02-14",
            "ended_on": None,
            "contact": {"agency": "social_care", "team": "Child protection team"},
        }
    ]
    assert set(now) == {
        "person_id",
        "on",
        "as_known_at",
        "on_child_protection_plan",
        "has_been_on_child_protection_plan",
        "looked_after",
        "has_been_looked_after",
        "periods",
    }
    before = api.get(
        "pc-1234", "/people/ava/status", on="2024-03-01", as_known_at="2024-02-01"
    ).json()
    assert before["on_child_protection_plan"] is False
    assert before["has_been_on_child_protection_plan"] is False
    sam = api.get("pc-1234", "/people/sam/status", on="2024-03-01").json()
    assert sam["on_child_protection_plan"] is False


def test_the_decisions_register_as_known_at_a_time_and_to_an_agency(api: Api) -> None:
    """Both decisions now, only the first as known on 20 January, none as known to the police."""
    path = f"/cases/{DEMO_CASE}/decisions"
    now = api.get("reviewer-lee", path).json()
    assert ids(now) == [FIRST_DECISION, SECOND_DECISION]
    assert now[0]["data"]["information_relied_on"] == [demo_id("police-notification")]
    assert ids(api.get("reviewer-lee", path, as_known_at="2024-01-20").json()) == [FIRST_DECISION]
    assert ids(api.get("tm-hughes", path).json()) == [FIRST_DECISION, SECOND_DECISION]
    assert api.get("pc-1234", path).json() == []


def test_the_foresight_view_of_the_first_decision_matches_the_readme(api: Api) -> None:
    """Known: police notification; held elsewhere: school, health; learned later: the call-out."""
    response = api.get("reviewer-lee", f"/cases/{DEMO_CASE}/decisions/{FIRST_DECISION}/foresight")
    assert response.status_code == 200
    view = response.json()
    assert view["deciding_agency"] == "social_care"
    assert instant(view["cutoff"]) == datetime(2024, 1, 16, 11, tzinfo=UTC)
    assert view["decision"]["event_id"] == FIRST_DECISION

    def group(name: str) -> list[str]:
        return [item["entry"]["event_id"] for item in view[name]]

    assert demo_id("police-notification") in group("known_to_decider")
    assert set(group("held_elsewhere")) == {demo_id("school-hungry"), demo_id("hv-visit")}
    assert group("learned_later") == [demo_id("police-earlier")]
    every = group("known_to_decider") + group("held_elsewhere") + group("learned_later")
    assert FIRST_DECISION not in every
    assert len(every) == len(set(every))
    hv = next(
        item for item in view["held_elsewhere"] if item["entry"]["event_id"] == demo_id("hv-visit")
    )
    assert hv["entry"]["significance"] == "significant"
    assert (hv["changed_later"], hv["now"]["significance"]) == (True, "key")


def test_changes_list_what_became_known_in_a_window(api: Api) -> None:
    """Events whose knowledge falls in (since, until], to the record or to one agency."""
    path = f"/cases/{DEMO_CASE}/changes"
    since, until = datetime(2024, 1, 20, tzinfo=UTC), datetime(2024, 1, 27, tzinfo=UTC)
    window = {"since": since.isoformat(), "until": until.isoformat()}
    record = api.get("reviewer-lee", path, **window).json()
    assert demo_id("ava-voice") in ids(record)
    assert demo_id("decision-s47") in ids(record)
    assert all(since < instant(event["known_at"]) <= until for event in record)
    police = api.get("reviewer-lee", path, since="2024-01-01", agency="police").json()
    assert ids(police) == [demo_id("police-earlier"), demo_id("allocate-pc-1234")]
    social_care = ids(api.get("sw-jones", path, **window).json())
    assert demo_id("hv-visit") in social_care  # shared with social care on 25 January
    assert demo_id("school-shares") not in ids(api.get("sw-jones", path, since="2024-02-01").json())


# -- audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["json", "csv", "xlsx", "parquet"])
def test_the_recording_audit_comes_in_every_format_with_a_row_per_stored_event(
    api: Api,
    output_format: str,
) -> None:
    """Each format opens and has one row per stored event of the case, recorder named."""
    response = api.get("auditor-khan", "/audit/recording", case_id=DEMO_CASE, format=output_format)
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES[output_format]
    frame = _read_frame(response, output_format)
    stored = api.service.case_events(DEMO_CASE)
    assert list(frame["event_id"]) == [str(event.event_id) for event in stored]
    assert list(frame["recorded_by"]) == [event.recorded_by for event in stored]
    actions = dict(zip(frame["event_id"], frame["action"], strict=True))
    assert actions[demo_id("ava-seen-corrected")] == "corrected"
    assert actions[demo_id("wrong-case-retracted")] == "retracted"
    assert actions[demo_id("school-shares")] == "shared"


def test_the_recording_audit_lists_late_entries_only_when_asked(api: Api) -> None:
    """late_only keeps entries recorded more than late_after_days after they happened."""
    late = api.get("auditor-khan", "/audit/recording", case_id=DEMO_CASE, late_only="true").json()
    assert [row["event_id"] for row in late] == [demo_id("police-earlier")]
    assert late[0]["days_to_record"] > 27
    stricter = api.get(
        "auditor-khan", "/audit/recording", case_id=DEMO_CASE, late_only="true", late_after_days=0.5
    ).json()
    assert len(stricter) > 1


def _read_frame(response: httpx.Response, output_format: str) -> pd.DataFrame:
    if output_format == "json":
        return pd.DataFrame(response.json())
    if output_format == "csv":
        return pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)
    if output_format == "xlsx":
        return pd.read_excel(io.BytesIO(response.content), dtype=str, keep_default_na=False)
    return pd.read_parquet(io.BytesIO(response.content))


@pytest.mark.parametrize("output_format", ["json", "csv", "xlsx", "parquet"])
def test_the_access_audit_comes_in_every_format(api: Api, output_format: str) -> None:
    """The access log opens in each format, with who read what and as known when."""
    reader = api.add_user("reviewer", "review")
    api.get(reader, f"/cases/{DEMO_CASE}/chronology", as_known_at="2024-01-16T12:00")
    response = api.get("auditor-khan", "/audit/access", reader=reader, format=output_format)
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES[output_format]
    frame = _read_frame(response, output_format)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["user"], row["role"], row["agency"]) == (reader, "reviewer", "review")
    assert (row["case_id"], row["endpoint"]) == (DEMO_CASE, f"GET /cases/{DEMO_CASE}/chronology")
    assert pd.Timestamp(row["as_known_at"]).tz_localize(None) == pd.Timestamp("2024-01-16 12:00")


READS = {
    "raw log": (f"/cases/{DEMO_CASE}/events", {"as_known_at": "2024-01-20"}, "case"),
    "chronology": (f"/cases/{DEMO_CASE}/chronology", {"as_known_at": "2024-01-20"}, "case"),
    "chronology csv": (
        f"/cases/{DEMO_CASE}/chronology",
        {"as_known_at": "2024-01-20", "format": "csv"},
        "case",
    ),
    "chronology html": (
        f"/cases/{DEMO_CASE}/chronology",
        {"as_known_at": "2024-01-20", "format": "html"},
        "case",
    ),
    "plans": (f"/cases/{DEMO_CASE}/plans", {"as_known_at": "2024-01-20"}, "case"),
    "decisions": (f"/cases/{DEMO_CASE}/decisions", {"as_known_at": "2024-01-20"}, "case"),
    "changes": (
        f"/cases/{DEMO_CASE}/changes",
        {"since": "2024-01-01", "until": "2024-01-20"},
        "case",
    ),
    "person chronology": ("/people/ava/chronology", {"as_known_at": "2024-01-20"}, "person"),
    "person status": ("/people/ava/status", {"as_known_at": "2024-01-20"}, "person"),
}


@pytest.mark.parametrize(("path", "params", "about"), READS.values(), ids=READS.keys())
def test_every_read_of_case_data_adds_one_access_log_row(
    api: Api,
    path: str,
    params: dict[str, str],
    about: str,
) -> None:
    """Who, role, agency, the case or person, the endpoint and as_known_at are logged once."""
    reader = api.add_user("practitioner", "social_care")
    assert api.get(reader, path, **params).status_code == 200
    rows = api.access_rows(reader)
    assert len(rows) == 1
    row = rows[0]
    assert (row["user"], row["role"], row["agency"]) == (reader, "practitioner", "social_care")
    assert row["endpoint"] == f"GET {path}"
    if about == "case":
        assert (row["case_id"], row["person_id"]) == (DEMO_CASE, None)
    else:
        assert (row["case_id"], row["person_id"]) == (None, "ava")
    # 2024-01-20 means the end of that (London, winter) day.
    assert instant(row["as_known_at"]) == datetime(2024, 1, 20, 23, 59, 59, 999000, tzinfo=UTC)
    assert abs(instant(row["at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_foresight_read_is_logged_as_known_at_the_decisions_cutoff(api: Api) -> None:
    """The foresight view is a read of the case as known at the cutoff, and is logged so."""
    reader = api.add_user("reviewer", "review")
    path = f"/cases/{DEMO_CASE}/decisions/{FIRST_DECISION}/foresight"
    assert api.get(reader, path).status_code == 200
    [row] = api.access_rows(reader)
    assert (row["role"], row["case_id"], row["endpoint"]) == ("reviewer", DEMO_CASE, f"GET {path}")
    assert instant(row["as_known_at"]) == datetime(2024, 1, 16, 11, tzinfo=UTC)
    assert row["viewed_as"] == "*"


def test_no_endpoint_can_change_the_access_log(api: Api) -> None:
    """PUT, PATCH, DELETE and POST on the audit endpoints are 405, and the log is unchanged."""
    before = api.get("auditor-khan", "/audit/access").json()
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/audit/access", "/audit/recording"):
            response = api.client.request(method, path, headers=api.auth("auditor-khan"), json={})
            assert_problem(response, 405)
    assert api.get("auditor-khan", "/audit/access").json() == before
    paths = api.client.get("/openapi.json").json()["paths"]
    writes = {
        (method, path)
        for path, operations in paths.items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert ("post", "/cases/{case_id}/events") in writes
    assert not [path for _, path in writes if path.startswith("/audit") or "access" in path]
    assert set(paths["/audit/access"]) == {"get"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE foresight_access_log SET \"user\" = 'someone-else'",
        "DELETE FROM foresight_access_log",
    ],
)
def test_the_database_refuses_to_update_or_delete_access_log_rows(api: Api, statement: str) -> None:
    """Triggers make the access log append-only in SQL too."""
    api.get("reviewer-lee", f"/cases/{DEMO_CASE}/decisions")
    with api.engine.connect() as connection:
        before = connection.execute(sqlalchemy.text("SELECT * FROM foresight_access_log")).all()
    assert before
    with (
        pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"),
        api.engine.begin() as connection,
    ):
        connection.execute(sqlalchemy.text(statement))
    with api.engine.connect() as connection:
        after = connection.execute(sqlalchemy.text("SELECT * FROM foresight_access_log")).all()
    assert after == before


# -- system -----------------------------------------------------------------------------------


def test_health_needs_no_token_and_reports_the_store_and_lag(api: Api) -> None:
    """Health shows the store kind, the number of events and the read models' lag."""
    api.get("reviewer-lee", f"/cases/{DEMO_CASE}/decisions")  # brings the read models up to date
    response = api.get(None, "/health")
    assert response.status_code == 200
    health = response.json()
    events = api.service.recorder.max_notification_id()
    assert health == {
        "status": "ok",
        "store": api.engine.dialect.name,
        "events": events,
        "read_model_position": events,
        "projection_lag": 0,
        "rebuilding": False,
    }
    api.post("sw-jones", new_case(), note())
    assert api.get(None, "/health").json()["projection_lag"] == 1


def test_the_openapi_document_lists_every_endpoint_and_the_event_envelope(api: Api) -> None:
    """/openapi.json is public and documents each path of SPEC section 5 built so far."""
    response = api.get(None, "/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) >= {
        "/cases/{case_id}/events",
        "/cases/{case_id}/chronology",
        "/cases/{case_id}/plans",
        "/cases/{case_id}/decisions",
        "/cases/{case_id}/decisions/{event_id}/foresight",
        "/cases/{case_id}/changes",
        "/people/{person_id}/chronology",
        "/people/{person_id}/status",
        "/audit/recording",
        "/audit/access",
        "/health",
    }
    assert "EventEnvelope" in schema["components"]["schemas"]
    body = schema["paths"]["/cases/{case_id}/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["oneOf"]
    assert "bearer" in json.dumps(schema["components"]["securitySchemes"]).lower()
    chronology = schema["paths"]["/cases/{case_id}/chronology"]["get"]["responses"]
    for status in ("401", "403", "404", "422", "503"):
        assert chronology[status]["content"] == {
            PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert schema["paths"]["/cases/{case_id}/events"]["post"]["responses"]["413"]["content"]


def test_me_names_the_tokens_user(api: Api) -> None:
    """/me answers any signed-in user with their name, role and agency."""
    assert api.get("pc-1234", "/me").json() == {
        "name": "pc-1234",
        "role": "practitioner",
        "agency": "police",
    }
    assert api.get("admin-root", "/me").json()["role"] == "admin"


def test_the_docs_page_is_served(api: Api) -> None:
    """/docs is the Swagger UI page pointing at /openapi.json."""
    response = api.get(None, "/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
