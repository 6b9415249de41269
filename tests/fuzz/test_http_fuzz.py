"""POST /cases/{case_id}/events with hostile bodies: stored exactly, or a 4xx problem naming the
field and nothing written; never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.settings import Settings
from api.users import add_user
from tests.backends import new_sqlite_url
from tests.fuzz.strategies import FUZZ, edge_time, hostile_envelopes, json_values, nested

CASE = "FUZZ-HTTP"
TEXT_FIELDS = ("summary", "impact", "action")


class Api:
    def __init__(self, client: TestClient, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def events_stored(self) -> int:
        return int(self.client.get("/health").json()["events"])

    def post(self, content: bytes, content_type: str = "application/json") -> httpx.Response:
        return self.client.post(
            f"/cases/{CASE}/events",
            content=content,
            headers={**self.headers, "Content-Type": content_type},
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A manager of social care, over a fresh SQLite store (SQLite only: this checks parsing)."""
    application = create_app(Settings(db_url=new_sqlite_url(tmp_path_factory.mktemp("fuzz"))))
    token = add_user(
        application.state.foresight.queries.engine, "tm-fuzz", "manager", "social_care"
    )[1]
    with TestClient(application, raise_server_exceptions=False) as client:
        yield Api(client, token)
    application.state.foresight.service.close()


def assert_refused_naming_fields(response: httpx.Response) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["errors"], problem
    assert all(error["field"] and error["reason"] for error in problem["errors"]), problem
    return problem


def assert_accepted_or_refused(api: Api, content: bytes, sent: Any) -> None:
    before = api.events_stored()
    response = api.post(content)
    if response.status_code >= 400:
        assert_refused_naming_fields(response)
        assert api.events_stored() == before, "a refused append wrote something"
        return
    assert response.status_code in (200, 201), response.text[:500]
    answered = response.json()
    stored = {
        event["event_id"]: event
        for event in api.client.get(f"/cases/{CASE}/events", headers=api.headers).json()
    }
    for submitted, recorded in zip(
        sent if isinstance(sent, list) else [sent],
        answered if isinstance(answered, list) else [answered],
        strict=True,
    ):
        assert stored[recorded["event_id"]] == recorded
        for name in TEXT_FIELDS:
            if isinstance(submitted.get(name), str):
                assert recorded[name].strip() == submitted[name].strip()
                assert recorded[name] in submitted[name]


def encoded(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(st.one_of(hostile_envelopes(), st.lists(hostile_envelopes(), min_size=1, max_size=3)))
def test_a_hostile_event_is_stored_exactly_or_refused_naming_its_field(
    api: Api,
    body: dict[str, Any] | list[dict[str, Any]],
) -> None:
    assert_accepted_or_refused(api, encoded(body), body)


@FUZZ
@given(json_values)
def test_any_json_body_is_answered_without_a_server_error(api: Api, body: Any) -> None:
    assert_accepted_or_refused(api, encoded(body), body)


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_are_answered_without_a_server_error(api: Api, content: bytes) -> None:
    before = api.events_stored()
    response = api.post(content)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_refused_naming_fields(response)
        assert api.events_stored() == before


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        pytest.param(nested(10_000).encode(), 422, "(body)", id="10k nested objects"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, 422, "(body)", id="10k nested arrays"),
        pytest.param(
            b'{"summary": "' + b"x" * (10 * 1024 * 1024) + b'"}', 413, "(body)", id="a 10 MB body"
        ),
        pytest.param(b'{"type": "note_added", "summary": "\xff"}', 422, "(body)", id="not UTF-8"),
        # FastAPI names the character offset where a field name would be ("8").
        pytest.param(b'{"type":', 422, "(body)", id="broken JSON"),
        pytest.param(
            b'{"type": "note_added", "occurred_at": "2024-03-01", "date_uncertain": '
            + b"9" * 5000
            + b"}",
            422,
            "(body)",
            id="a 5000-digit number",
        ),
        pytest.param(
            b'{"type": [], "occurred_at": "2024-03-01"}', 422, "type", id="a list as the type"
        ),
        pytest.param(
            b'{"type": "note_added", "occurred_at": "2024-01-01T10:00\\u0000"}',
            422,
            "occurred_at",
            id="a NUL after a time",
        ),
    ],
)
def test_an_unreadable_body_is_a_problem_naming_the_body_and_writes_nothing(
    api: Api,
    content: bytes,
    status: int,
    field: str,
) -> None:
    before = api.events_stored()
    problem = assert_refused_naming_fields(api.post(content))
    assert problem["status"] == status
    assert [error["field"] for error in problem["errors"]] == [field]
    assert api.events_stored() == before


def test_odd_unicode_and_injection_strings_are_stored_and_read_back_exactly(api: Api) -> None:
    texts = [
        "a\x00b",
        "\u202eevil\u202c",
        "e\u0301",
        "\U0001f469\u200d\U0001f467",
        "<script>alert(1)</script>",
        "'; DROP TABLE stored_events; --",
        "line\u2028two",
    ]
    body = [{"type": "note_added", "occurred_at": "2024-03-01", "summary": text} for text in texts]
    response = api.post(encoded(body))
    assert response.status_code == 201, response.text
    stored = api.client.get(f"/cases/{CASE}/chronology", headers=api.headers).json()
    assert set(texts) <= {entry["summary"] for entry in stored}


READS = [
    ("/cases/{case}/chronology", ("as_known_at", "from", "to")),
    ("/cases/{case}/plans", ("on", "as_known_at")),
    ("/cases/{case}/changes", ("since", "until")),
    ("/cases/{case}/timeliness", ("on", "as_known_at")),
    ("/people/ava/status", ("on", "as_known_at")),
]


@FUZZ
@given(st.sampled_from(READS), st.data())
def test_a_read_at_an_edge_time_answers_or_refuses_naming_the_parameter(
    api: Api,
    read: tuple[str, tuple[str, ...]],
    data: st.DataObject,
) -> None:
    path, names = read
    params = {name: data.draw(edge_time, label=name) for name in names}
    api.post(encoded({"type": "note_added", "occurred_at": "2024-03-01", "summary": "x"}))
    response = api.client.get(path.format(case=CASE), params=params, headers=api.headers)
    if response.status_code in (200, 404):
        return
    problem = assert_refused_naming_fields(response)
    assert {error["field"] for error in problem["errors"]} <= {f"query.{name}" for name in names}
