"""Schemathesis on the app's own /openapi.json: no server errors, answers fit their schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.app import create_app
from api.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event

CHECKS = [not_a_server_error, response_schema_conformance]
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(store_url: Callable[[], str]) -> Iterator[FastAPI]:
    """The API over a fresh store holding the demo case, with a reviewer and a manager."""
    application = create_app(Settings(db_url=store_url()))
    foresight = application.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    engine = foresight.queries.engine
    TOKENS["reviewer"] = add_user(engine, "reviewer-st", "reviewer", "review")[1]
    TOKENS["manager"] = add_user(engine, "tm-st", "manager", "social_care")[1]
    yield application
    foresight.service.close()


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> OpenApiSchema:
    """The schema the app serves, called through ASGI (no network)."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")
BOUNDED = settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_a_reviewer_without_server_errors_and_as_documented(
    case: schemathesis.Case,
) -> None:
    """With a reviewer's token no generated request gets a 5xx, and each answer fits its schema."""
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['reviewer']}"}, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_a_manager_without_server_errors_and_as_documented(
    case: schemathesis.Case,
) -> None:
    """With a manager's token (who may append) no request gets a 5xx; answers fit their schemas."""
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['manager']}"}, checks=CHECKS)


KNOWN_GOOD = [
    ("reviewer", "GET", "/cases/{case_id}/events", {"case_id": DEMO_CASE}, {}),
    ("reviewer", "GET", "/cases/{case_id}/chronology", {"case_id": DEMO_CASE},
     {"as_known_at": "2024-01-16T12:00", "agency": "social_care"}),
    ("reviewer", "GET", "/cases/{case_id}/plans", {"case_id": DEMO_CASE}, {"on": "2024-03-01"}),
    ("reviewer", "GET", "/cases/{case_id}/decisions", {"case_id": DEMO_CASE}, {}),
    ("reviewer", "GET", "/cases/{case_id}/decisions/{event_id}/foresight",
     {"case_id": DEMO_CASE, "event_id": demo_id("decision-assess")}, {}),
    ("reviewer", "GET", "/cases/{case_id}/changes", {"case_id": DEMO_CASE},
     {"since": "2024-01-20", "until": "2024-02-10"}),
    ("reviewer", "GET", "/people/{person_id}/chronology", {"person_id": "ava"}, {}),
    ("reviewer", "GET", "/people/{person_id}/status", {"person_id": "ava"}, {"on": "2024-03-01"}),
    ("reviewer", "GET", "/health", {}, {}),
    ("manager", "GET", "/me", {}, {}),
]


@pytest.mark.parametrize(("role", "method", "path", "path_parameters", "query"), KNOWN_GOOD,
                         ids=[f"{method} {path}" for _, method, path, _, _ in KNOWN_GOOD])
def test_a_successful_answer_of_every_read_conforms_to_its_documented_schema(
    api_schema: OpenApiSchema, role: str, method: str, path: str,
    path_parameters: dict[str, str], query: dict[str, str],
) -> None:
    """Requests known to succeed (which random generation rarely hits) answer 200 as documented."""
    case = api_schema[path][method].Case(path_parameters=path_parameters, query=query)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKENS[role]}"}, checks=CHECKS)
    assert response.status_code == 200, response.text
    assert response.content


def test_an_append_and_its_retry_conform_to_the_documented_schema(
    api_schema: OpenApiSchema,
) -> None:
    """A manager's new event (201) and its idempotent retry (200) answer as documented."""
    operation = api_schema["/cases/{case_id}/events"]["POST"]
    body = {"event_id": "0b8f4f36-5d7c-4b8e-9d0e-4c5e7f1a2b3c", "type": "decision_made",
            "occurred_at": "2024-03-01T10:00",
            "data": {"decision": "Convene a review", "urgency": "routine"}}
    statuses = []
    for _ in range(2):
        case = operation.Case(path_parameters={"case_id": "ST-APPEND"}, body=body,
                              media_type="application/json")
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKENS['manager']}"}, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses == [201, 200]
