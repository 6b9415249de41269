"""Schemathesis on the app's own /openapi.json: no server errors, answers fit their schemas,
every refusal is a problem+json naming the field; and a stateful run that appends events and
follows the OpenAPI links to read the case back.

On SQLite only: this checks the HTTP contract, which does not depend on the store, and the
backends are compared elsewhere. FORESIGHT_FUZZ_EXAMPLES raises the bounds for a longer run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, rule
from schemathesis.checks import not_a_server_error
from schemathesis.core.jsonschema.types import JsonValue
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from tests.backends import new_sqlite_url
from tests.fuzz.strategies import hostile_text

pytestmark = pytest.mark.slow  # every operation, for every role: in the slow tier

EXAMPLES = int(os.environ.get("FORESIGHT_FUZZ_EXAMPLES", "0")) or None
TOKENS: dict[str, str] = {}


def refusals_are_problems_naming_the_field(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is RFC 9457 problem+json; a refusal of bad input names what was refused."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])
    media_type = media_type[0] if isinstance(media_type, list) else media_type
    assert media_type.startswith(PROBLEM_JSON), (
        f"{response.status_code} answered as {media_type!r}, not {PROBLEM_JSON}"
    )
    problem = response.json()
    assert problem["status"] == response.status_code, problem
    assert problem["title"], problem
    if response.status_code in (400, 413, 422):
        assert problem["errors"], problem
        assert all(error["field"] for error in problem["errors"]), problem
    return True


CHECKS = [not_a_server_error, response_schema_conformance, refusals_are_problems_naming_the_field]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The API over a fresh SQLite store holding the demo case, with a reviewer and a manager."""
    application = create_app(Settings(db_url=new_sqlite_url(tmp_path_factory.mktemp("st"))))
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
    max_examples=EXAMPLES or 10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
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
    (
        "reviewer",
        "GET",
        "/cases/{case_id}/chronology",
        {"case_id": DEMO_CASE},
        {"as_known_at": "2024-01-16T12:00", "agency": "social_care"},
    ),
    ("reviewer", "GET", "/cases/{case_id}/plans", {"case_id": DEMO_CASE}, {"on": "2024-03-01"}),
    ("reviewer", "GET", "/cases/{case_id}/decisions", {"case_id": DEMO_CASE}, {}),
    (
        "reviewer",
        "GET",
        "/cases/{case_id}/decisions/{event_id}/foresight",
        {"case_id": DEMO_CASE, "event_id": demo_id("decision-assess")},
        {},
    ),
    (
        "reviewer",
        "GET",
        "/cases/{case_id}/changes",
        {"case_id": DEMO_CASE},
        {"since": "2024-01-20", "until": "2024-02-10"},
    ),
    ("reviewer", "GET", "/people/{person_id}/chronology", {"person_id": "ava"}, {}),
    ("reviewer", "GET", "/people/{person_id}/status", {"person_id": "ava"}, {"on": "2024-03-01"}),
    ("reviewer", "GET", "/health", {}, {}),
    ("manager", "GET", "/me", {}, {}),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "path_parameters", "query"),
    KNOWN_GOOD,
    ids=[f"{method} {path}" for _, method, path, _, _ in KNOWN_GOOD],
)
def test_a_successful_answer_of_every_read_conforms_to_its_documented_schema(
    api_schema: OpenApiSchema,
    role: str,
    method: str,
    path: str,
    path_parameters: dict[str, str],
    query: dict[str, str],
) -> None:
    """Requests known to succeed (which random generation rarely hits) answer 200 as documented."""
    case = api_schema[path][method].Case(path_parameters=path_parameters, query=query)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKENS[role]}"}, checks=CHECKS
    )
    assert response.status_code == 200, response.text
    assert response.content


def test_an_append_and_its_retry_conform_to_the_documented_schema(
    api_schema: OpenApiSchema,
) -> None:
    """A manager's new event (201) and its idempotent retry (200) answer as documented."""
    operation = api_schema["/cases/{case_id}/events"]["POST"]
    body: JsonValue = {
        "event_id": "0b8f4f36-5d7c-4b8e-9d0e-4c5e7f1a2b3c",
        "type": "decision_made",
        "occurred_at": "2024-03-01T10:00",
        "data": {"decision": "Convene a review", "urgency": "routine"},
    }
    statuses = []
    for _ in range(2):
        case = operation.Case(
            path_parameters={"case_id": "ST-APPEND"}, body=body, media_type="application/json"
        )
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKENS['manager']}"}, checks=CHECKS
        )
        statuses.append(response.status_code)
    assert statuses == [201, 200]


def bearer(case: schemathesis.Case) -> dict[str, str]:
    """Managers append to cases; reviewers read everything and run reviews."""
    role = "manager" if case.method == "POST" and case.path.startswith("/cases") else "reviewer"
    return {"Authorization": f"Bearer {TOKENS[role]}"}


NEW_EVENTS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["decision_made", "note_added", "contact_received"]),
        "occurred_at": st.sampled_from(["2024-03-01T10:00", "2024-10-27T01:30", "2024-02-29"]),
        "summary": hostile_text,
    }
).map(
    lambda event: (
        {**event, "data": {"decision": "Convene a strategy discussion"}}
        if event["type"] == "decision_made"
        else event
    )
)


def test_appending_then_following_the_links_reads_the_case_back_as_documented(
    api_schema: OpenApiSchema,
) -> None:
    """Stateful: an append's 201 links to the case's chronology, events, decisions, plans,
    changes, timeliness, patterns and (for a decision) its foresight view; every step of every
    scenario is checked like a single request."""
    machine = api_schema.as_state_machine()
    links = {
        name.rstrip("_") for name in dir(machine) if name.startswith("POST_cases_case_id_events")
    }
    assert {
        "POST_cases_case_id_events___201_Chronology__GET_cases_case_id_chronology",
        (
            "POST_cases_case_id_events___201_Foresight__GET_cases_case_id_decisions_event_id_"
            "foresight"
        ),
    } <= links, sorted(links)
    append = api_schema["/cases/{case_id}/events"]["POST"]
    followed: list[str] = []

    class Authenticated(machine):  # type: ignore[misc, valid-type]
        # Schemathesis starts scenarios only from operations it expects to succeed with random
        # data; a random event rarely does, so each scenario may also start from a real one.
        def __init__(self) -> None:
            super().__init__()
            # A case of its own per scenario: what the server answers (and so which links the
            # machine can follow) must depend only on this scenario's draws, or Hypothesis
            # sees the same draws lead to other steps and reports a flaky strategy.
            self.case_id = f"ST-FLOW-{uuid.uuid4().hex[:12]}"

        @rule(target=Bundle("catch_all"), body=NEW_EVENTS)
        def append_an_event(self, body: dict[str, Any]) -> Any:
            case = append.Case(
                path_parameters={"case_id": self.case_id}, body=body, media_type="application/json"
            )
            self.recorder.record_case(case=case)
            return self.step(StepInput.initial(case))

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": bearer(case)}

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            followed.append(f"{case.method} {case.formatted_path} {response.status_code}")
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    Authenticated.run(
        settings=settings(
            max_examples=EXAMPLES or 15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # Which links a scenario follows is Hypothesis's choice; that some were followed from this
    # test's appends (and checked) is not.
    assert any(re.match(r"GET /cases/ST-FLOW-\w+/\w+", step) for step in followed), followed
