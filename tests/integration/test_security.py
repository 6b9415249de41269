"""Security of the HTTP API, walked over every route the app has: tokens, roles, agency scoping,
methods that do not exist, and the security headers.

The route table below must name every route of the app (a new endpoint fails
`test_the_route_table_names_every_route_of_the_app` until it is added here with the roles the
README gives it), so no endpoint can be left readable without a token or a role check.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api import users
from api.bootstrap import Foresight
from api.http import app as app_module
from api.http.app import create_app
from api.http.middleware import PAGE_POLICY
from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from api.users import ROLES, TOKEN_PREFIX, add_user, authenticate, issue_token
from events.envelope import EventEnvelope, parse_event

PROBLEM = "application/problem+json"
FIRST_DECISION = demo_id("decision-assess")
OTHER_AGENCY = "police"
DOCUMENT_ID = "doc-minutes"
DOCUMENT_EVENT = "5b0e4f3c-1d2a-4e8b-9c7d-6a5f4e3d2c1b"
# One user per role; practitioners and managers of social care, so `police` is another agency.
USERS = {
    "practitioner": ("sec-sw", "social_care"),
    "manager": ("sec-tm", "social_care"),
    "reviewer": ("sec-rev", "review"),
    "auditor": ("sec-aud", "information_governance"),
    "admin": ("sec-admin", "it"),
}
READERS = frozenset({"practitioner", "manager", "reviewer"})
APPENDERS = frozenset({"practitioner", "manager"})
REVIEWERS = frozenset({"reviewer"})
REPORT_READERS = frozenset({"manager", "reviewer"})
AUDITORS = frozenset({"auditor"})
WHOLE_RECORD = frozenset({"reviewer"})


def note(agency: str | None = None) -> dict[str, Any]:
    body = {"type": "note_added", "occurred_at": "2024-03-01T10:00", "summary": "Phone call"}
    return body if agency is None else {**body, "agency": agency}


@dataclass(frozen=True)
class Route:
    """One route of the app: how to call it, who may, and whether `agency` scopes it."""

    method: str
    path: str
    roles: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    body: Callable[[str | None], Any] | None = None  # the agency named in the body, if any
    agency_in: str | None = None  # "query" or "body": where another agency can be asked for
    csv: str | None = None  # a text/csv body instead of JSON (an agency's chronology)
    upload: bytes | None = None  # a multipart upload of this file instead of JSON (a document)
    answers: int | None = None  # the success status, when not 201 for a POST and 200 otherwise

    @property
    def created(self) -> int:
        if self.answers is not None:
            return self.answers
        return 201 if self.method == "POST" else 200

    def url(self, review_id: str) -> str:
        return self.path.format(
            case_id=DEMO_CASE,
            person_id="ava",
            event_id=FIRST_DECISION,
            review_id=review_id,
            document_id=DOCUMENT_ID,
            version_number=1,
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


# Every route needing a token, with the roles the README's table gives it.
ROUTES = [
    Route("POST", "/cases/{case_id}/events", APPENDERS, body=note, agency_in="body"),
    Route(
        "POST",
        "/cases/{case_id}/imports",
        APPENDERS,
        {"dry_run": "true"},
        csv="date,summary\n2024-03-01,Phone call\n",
        answers=200,
    ),
    Route("GET", "/cases/{case_id}/events", READERS, agency_in="query"),
    Route("POST", "/cases/{case_id}/documents", APPENDERS, upload=b"A letter from school"),
    Route("GET", "/cases/{case_id}/documents", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/documents/{document_id}", READERS, agency_in="query"),
    Route(
        "GET",
        "/cases/{case_id}/documents/{document_id}/versions/{version_number}",
        READERS,
        agency_in="query",
    ),
    Route("GET", "/cases/{case_id}/chronology", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/plans", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/decisions", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/decisions/{event_id}/foresight", REVIEWERS),
    Route("GET", "/cases/{case_id}/knowledge", REVIEWERS),
    Route("GET", "/cases/{case_id}/changes", READERS, {"since": "2024-01-01"}, agency_in="query"),
    Route("GET", "/cases/{case_id}/patterns", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/timeliness", READERS, agency_in="query"),
    Route("GET", "/cases/{case_id}/practice-quality", READERS, agency_in="query"),
    Route("GET", "/people/{person_id}/chronology", READERS, agency_in="query"),
    Route("GET", "/people/{person_id}/status", READERS, agency_in="query"),
    Route("GET", "/reports/timeliness", REPORT_READERS, agency_in="query"),
    Route("GET", "/reports/practice-quality", REPORT_READERS, agency_in="query"),
    Route("GET", "/reports/children-on-plans", REPORT_READERS),
    Route(
        "GET",
        "/exports/annex-a",
        REPORT_READERS,
        {"from": "2024-01-01", "to": "2024-12-31"},
        agency_in="query",
    ),
    Route("GET", "/exports/cin-census", REPORT_READERS, {"year": "2024", "la": "123"}),
    Route("GET", "/exports/ssda903", REPORT_READERS, {"year": "2024", "la": "E08000035"}),
    Route(
        "POST",
        "/reviews",
        REVIEWERS,
        body=lambda _: {"case_id": DEMO_CASE, "title": "Rapid review"},
    ),
    Route("GET", "/reviews", REVIEWERS),
    Route("GET", "/reviews/{review_id}", REVIEWERS),
    Route(
        "POST",
        "/reviews/{review_id}/episodes",
        REVIEWERS,
        body=lambda _: {
            "title": "First contact",
            "starts": "2024-01-15",
            "ends": "2024-01-17",
            "event_ids": [FIRST_DECISION],
        },
    ),
    Route(
        "POST",
        "/reviews/{review_id}/findings",
        REVIEWERS,
        body=lambda _: {
            "text": "Information held by health was not sought",
            "factors": ["multi_agency_communication_in_assessment_and_longer_term_work"],
            "event_ids": [FIRST_DECISION],
        },
    ),
    Route("GET", "/audit/recording", AUDITORS),
    Route("GET", "/audit/access", AUDITORS),
    Route("GET", "/me", frozenset(ROLES)),
    Route("GET", "/me/cases", APPENDERS),
    Route("GET", "/cases", READERS, {"q": "FAM"}),
    # Ends a single sign-on session (with a bearer token there is none to end).
    Route("POST", "/auth/logout", frozenset(ROLES), answers=204),
]
# Deliberately public: they carry no case data. Health is for load balancers (counts only);
# the OpenAPI document and its Swagger page describe the API; the web page is a static shell
# that asks the API, with the user's token, for everything it shows; "/" redirects to it.
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/"),
    ("GET", "/ui"),
    ("GET", "/ui/cases/{case_id}"),
    ("GET", "/ui/people/{person_id}"),
    ("GET", "/ui/reviews"),
    ("GET", "/ui/reviews/{review_id}"),
    ("GET", "/ui/audit"),
    # Single sign-on: whether it is offered, and the way to the provider and back (each
    # back to the token sign-in, with 303, where single sign-on is not configured).
    ("GET", "/auth/options"),
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
}
STATIC_MOUNT = "/static"  # the page's scripts, styles and vendored libraries; no case data
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Client:
    """A TestClient on the app, a token per role, and counters of what the store holds."""

    def __init__(self, app: FastAPI, client: TestClient, tokens: dict[str, str], review_id: str):
        self.app = app
        self.http = client
        self.tokens = tokens
        self.review_id = review_id

    @property
    def engine(self) -> sqlalchemy.Engine:
        foresight: Foresight = self.app.state.foresight
        return foresight.queries.engine

    def call(
        self,
        route: Route,
        role: str | None,
        agency: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        params = dict(route.params)
        if agency is not None and route.agency_in == "query":
            params["agency"] = agency
        body = route.body(agency if route.agency_in == "body" else None) if route.body else None
        auth = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        if route.upload is not None:
            return self.http.request(
                route.method,
                route.url(self.review_id),
                params=params,
                files={"file": ("letter.txt", route.upload, "text/plain")},
                headers={**auth, **(headers or {})},
            )
        if route.csv is not None:
            return self.http.request(
                route.method,
                route.url(self.review_id),
                params=params,
                content=route.csv.encode(),
                headers={"Content-Type": "text/csv", **auth, **(headers or {})},
            )
        return self.http.request(
            route.method,
            route.url(self.review_id),
            params=params,
            json=body,
            headers={**auth, **(headers or {})},
        )

    def counts(self) -> tuple[int, int, str]:
        """Events stored, access-log rows, and the whole access log's content."""
        events = self.app.state.foresight.service.recorder.max_notification_id() or 0
        with self.engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text("SELECT * FROM foresight_access_log ORDER BY access_id")
            ).all()
        return events, len(rows), repr(rows)


@pytest.fixture(scope="module")
def client(store_url: Callable[[], str]) -> Iterator[Client]:
    """The app over a store holding the demo case, a user of every role and one open review."""
    app = create_app(Settings(db_url=store_url()))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    foresight.service.append(shared_document(foresight))
    tokens = {
        role: add_user(foresight.queries.engine, name, role, agency)[1]
        for role, (name, agency) in USERS.items()
    }
    with TestClient(app) as http:
        opened = http.post(
            "/reviews",
            json={"case_id": DEMO_CASE, "title": "Review"},
            headers={"Authorization": f"Bearer {tokens['reviewer']}"},
        )
        assert opened.status_code == 201, opened.text
        yield Client(app, http, tokens, opened.json()["review_id"])
    foresight.service.close()


def shared_document(foresight: Foresight) -> list[EventEnvelope]:
    """A document of social care's, stored and shared with the other agency and the reviewers'
    (so each may read it, as their own agency's view)."""
    content = b"Minutes of the strategy discussion"
    sha256 = hashlib.sha256(content).hexdigest()
    foresight.blobs.put([content], sha256)
    recorded = {"case_id": DEMO_CASE, "occurred_at": "2024-03-01", "agency": "social_care"}
    data = {"name": "minutes.txt", "sha256": sha256, "media_type": "text/plain"}
    return [
        parse_event(
            {
                **recorded,
                "type": "document_version_added",
                "event_id": DOCUMENT_EVENT,
                "data": {**data, "document_id": DOCUMENT_ID, "size": len(content)},
            }
        ),
        *(
            parse_event(
                {
                    **recorded,
                    "type": "information_shared",
                    "data": {"to_agency": agency, "event_ids": [DOCUMENT_EVENT]},
                }
            )
            for agency in (OTHER_AGENCY, USERS["reviewer"][1])
        ),
    ]


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        path = str(context.path)
        if isinstance(context.route, Mount):
            found.add(("*", path))
            continue
        found |= {(method, path) for method in context.methods or () if method != "HEAD"}
    return found


def test_the_route_table_names_every_route_of_the_app(client: Client) -> None:
    """A new endpoint must be added to ROUTES (with its roles) or, deliberately, to PUBLIC."""
    named = {(route.method, route.path) for route in ROUTES} | PUBLIC | {("*", STATIC_MOUNT)}
    assert app_routes(client.app) == named


# -- authentication ---------------------------------------------------------------------------


def bad_credentials(client: Client) -> dict[str, dict[str, str]]:
    """Headers that must not authenticate, some made from a real user's token."""
    real = client.tokens["reviewer"]
    digest = hashlib.sha256(real.encode()).hexdigest()
    return {
        "no token": {},
        "an unknown token": {"Authorization": f"Bearer {TOKEN_PREFIX}{uuid.uuid4().hex}"},
        "an empty bearer": {"Authorization": "Bearer "},
        "another scheme": {"Authorization": f"Basic {real}"},
        "the token without its last character": {"Authorization": f"Bearer {real[:-1]}"},
        "the token with a character more": {"Authorization": f"Bearer {real}A"},
        "the stored digest": {"Authorization": f"Bearer {TOKEN_PREFIX}{digest}"},
    }


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_refuses_a_missing_or_bad_token_with_401_and_writes_nothing(
    client: Client,
    route: Route,
) -> None:
    """401 problem with a Bearer challenge before anything else is looked at, nothing stored
    and no read logged."""
    before = client.counts()
    for name, headers in bad_credentials(client).items():
        response = client.call(route, None, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", name
    if route.method == "POST":  # an invalid body is not examined before the token
        response = client.http.post(route.url(client.review_id), content=b"{not json")
        assert_problem(response, 401)
    assert client.counts() == before


MALFORMED_BODIES = {
    "bad JSON": b"{not json",
    "an unclosed list": b"[1, 2",
    "the wrong type": b'"a string, not an event"',
    "a number": b"42",
    "an empty object": b"{}",
    "an empty list": b"[]",
    "empty": b"",
    "not UTF-8": b"\xff\xfe\x00{",
    "nested too deep": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "huge": b'{"summary": "' + b"x" * (2 * 1024 * 1024) + b'"}',
}
CONTENT_TYPES = {
    "no Content-Type": None,
    "application/json": "application/json",
    "text/csv": "text/csv",
    "multipart": "multipart/form-data; boundary=x",
}
WRITE_ROUTES = [route for route in ROUTES if route.method in WRITE_METHODS]


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=str)
@pytest.mark.parametrize("credentials", ["no token", "a bad token"])
def test_the_token_is_checked_before_any_body_is_read(
    client: Client, route: Route, credentials: str
) -> None:
    """Every malformed body (bad JSON, wrong type, empty, huge, too deep, not UTF-8), with any
    Content-Type or none, to every write endpoint without a valid token: 401 problem each time,
    never a 413 or 422 from a body parser or validator that ran first, and nothing stored."""
    auth = (
        {}
        if credentials == "no token"
        else {"Authorization": f"Bearer {TOKEN_PREFIX}{uuid.uuid4().hex}"}
    )
    before = client.counts()
    for body_name, body in MALFORMED_BODIES.items():
        for type_name, content_type in CONTENT_TYPES.items():
            headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
            response = client.http.request(
                route.method,
                route.url(client.review_id),
                params={**route.params, "as_known_at": "not-a-time"},
                content=body,
                headers=headers,
            )
            assert response.status_code == 401, (body_name, type_name, response.text[:200])
            assert response.headers["content-type"].startswith(PROBLEM)
            assert response.json()["status"] == 401
            assert response.headers["www-authenticate"] == "Bearer"
    assert client.counts() == before


def test_a_database_that_cannot_check_the_token_is_a_503_not_a_401(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token is checked against the users table first: while the database is locked the
    answer is a 503 with Retry-After (try again), not a 401 (a bad token) or a 500."""

    def locked(engine: sqlalchemy.Engine, token: str) -> None:
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(app_module, "authenticate", locked)
    app = create_app(Settings(db_url=db_url))
    with TestClient(app) as http:
        response = http.get(f"/cases/{DEMO_CASE}/chronology", headers={"Authorization": "Bearer x"})
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "2"
    assert response.json()["reason"] == "database_locked"
    app.state.foresight.service.close()


def test_only_the_public_pages_answer_without_a_token(client: Client) -> None:
    """What the middleware lets through without a token is exactly the public set above (and
    the static files); any other path, even one no route has, is a 401, so a caller without a
    token cannot even learn which paths exist."""
    for method, path in PUBLIC:
        url = Route(method, path, frozenset()).url(client.review_id)
        assert client.http.request(method, url).status_code in (200, 303, 307), path
    assert client.http.get("/static/app.js").status_code == 200
    for path in ("/no-such-path", "/cases", "/uix", "/statics/app.js", "/healthz"):
        assert_problem(client.http.get(path), 401)


# -- roles and agencies -----------------------------------------------------------------------


def role_cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for role in ROLES:
            cases.append(pytest.param(route, role, "own", id=f"{route} {role} own agency"))
            if route.agency_in:
                cases.append(pytest.param(route, role, "other", id=f"{route} {role} other agency"))
    return cases


@pytest.mark.parametrize(("route", "role", "whose"), role_cases())
def test_each_role_may_use_exactly_the_routes_the_readme_gives_it(
    client: Client,
    route: Route,
    role: str,
    whose: str,
) -> None:
    """Every route × every role × own or another agency. Practitioners and managers see and
    record only for their own agency; reviewers any agency; refusals are 403 problems that
    store nothing and log no read."""
    agency = USERS[role][1] if whose == "own" else OTHER_AGENCY
    allowed = role in route.roles and (
        whose == "own" or (role in WHOLE_RECORD and route.agency_in == "query")
    )
    before = client.counts()
    response = client.call(route, role, agency if route.agency_in else None)
    if allowed:
        assert response.status_code == route.created, response.text
    else:
        assert_problem(response, 403)
        assert client.counts() == before


def unknown_url(route: Route) -> str:
    """The route's address naming a case, person and review that do not exist."""
    return route.path.format(
        case_id="NO-SUCH-CASE",
        person_id="nobody",
        event_id=FIRST_DECISION,
        review_id="REV-none",
        document_id=DOCUMENT_ID,
        version_number=1,
    )


# A parameter every read route refuses or ignores: it must never be what a caller learns first.
BAD_PARAMETERS = {"as_known_at": "not-a-time", "agency": "!bad"}


@pytest.mark.parametrize(
    ("route", "role"),
    [
        pytest.param(route, role, id=f"{route} {role}")
        for route in ROUTES
        if route.method == "GET"
        for role in ROLES
        if role not in route.roles
    ],
)
def test_a_role_refusal_comes_before_an_unknown_case_or_a_bad_parameter(
    client: Client, route: Route, role: str
) -> None:
    """Who may is checked first: a role a route refuses gets 403, not 404 or 422, and nothing
    is logged."""
    before = client.counts()
    response = client.http.get(
        unknown_url(route),
        params={**route.params, **BAD_PARAMETERS},
        headers={"Authorization": f"Bearer {client.tokens[role]}"},
    )
    assert_problem(response, 403)
    assert client.counts() == before


@pytest.mark.parametrize(
    "route",
    [
        route
        for route in ROUTES
        if route.method == "GET"
        and route.roles == READERS
        and ("{case_id}" in route.path or "{person_id}" in route.path)
    ],
    ids=str,
)
def test_an_unknown_case_or_person_is_404_before_a_bad_parameter(
    client: Client, route: Route
) -> None:
    """A reader is told the case or person is unknown before anything about the parameters."""
    before = client.counts()
    response = client.http.get(
        unknown_url(route),
        params={**route.params, "as_known_at": "not-a-time"},
        headers={"Authorization": f"Bearer {client.tokens['reviewer']}"},
    )
    assert_problem(response, 404)
    assert client.counts() == before


@pytest.mark.parametrize(
    "route",
    [
        route
        for route in ROUTES
        if route.agency_in == "query" and ("{case_id}" in route.path or "{person_id}" in route.path)
    ],
    ids=str,
)
def test_another_agencys_view_is_refused_before_the_case_is_looked_up(
    client: Client, route: Route
) -> None:
    """A practitioner asking for what another agency knew learns nothing about which cases
    exist: 403, whether or not the case does."""
    response = client.http.get(
        unknown_url(route),
        params={**route.params, "agency": OTHER_AGENCY},
        headers={"Authorization": f"Bearer {client.tokens['practitioner']}"},
    )
    assert_problem(response, 403)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_another_agency_is_refused_on_every_route_even_one_that_ignores_agency(
    client: Client, route: Route
) -> None:
    """`agency` naming another agency than a practitioner's or manager's is a 403 on every
    route, those that read it and those that do not (a route that ignored it would answer with
    more than was asked for); nothing is stored and no read logged."""
    for role in ("practitioner", "manager"):
        before = client.counts()
        response = client.http.request(
            route.method,
            route.url(client.review_id),
            params={**route.params, "agency": OTHER_AGENCY},
            json=route.body(None) if route.body else None,
            headers={"Authorization": f"Bearer {client.tokens[role]}"},
        )
        assert_problem(response, 403)
        twice = client.http.request(
            route.method,
            route.url(client.review_id),
            params=[("agency", OTHER_AGENCY), ("agency", USERS[role][1])],
            json=route.body(None) if route.body else None,
            headers={"Authorization": f"Bearer {client.tokens[role]}"},
        )
        assert_problem(twice, 403)
        assert client.counts() == before


@pytest.mark.parametrize("role", ["reviewer", "auditor", "admin"])
def test_reviewers_auditors_and_admins_cannot_append_to_a_case(client: Client, role: str) -> None:
    """Whatever the body, even a batch naming their own agency: 403, and the log is unchanged."""
    before = client.counts()
    for body in (note(), [note(), note()], note(USERS[role][1])):
        response = client.http.post(
            f"/cases/{DEMO_CASE}/events",
            json=body,
            headers={"Authorization": f"Bearer {client.tokens[role]}"},
        )
        assert_problem(response, 403)
    assert client.counts() == before


PATHS = sorted({route.path for route in ROUTES} | {path for _, path in PUBLIC})


@pytest.mark.parametrize("path", PATHS)
def test_methods_a_route_does_not_have_are_405_and_change_nothing(
    client: Client, path: str
) -> None:
    """No PUT, PATCH or DELETE anywhere, and no POST but the documented ones: in particular the
    access log and the audit trail cannot be written or altered through the API, by anyone."""
    has = {route.method for route in ROUTES if route.path == path} | {
        method for method, public in PUBLIC if public == path
    }
    url = Route("GET", path, frozenset()).url(client.review_id)
    before = client.counts()
    for role in ROLES:
        for method in ("GET", *WRITE_METHODS):
            if method in has:
                continue
            response = client.http.request(
                method,
                url,
                json={"user": "someone-else"},
                headers={"Authorization": f"Bearer {client.tokens[role]}"},
            )
            assert_problem(response, 405)
    assert client.counts() == before


def test_reads_add_to_the_access_log_and_nothing_else_does(client: Client) -> None:
    """The only way into the access log is a read of case data (as a side effect)."""
    events, rows, _ = client.counts()
    chronology = next(route for route in ROUTES if route.path.endswith("/chronology"))
    client.call(chronology, "reviewer")
    assert client.counts()[:2] == (events, rows + 1)
    for route in (r for r in ROUTES if r.path.startswith("/audit")):
        client.call(route, "auditor")
    assert client.counts()[:2] == (events, rows + 1)


# -- tokens -----------------------------------------------------------------------------------


def test_a_stored_user_row_holds_no_token_only_its_digest(client: Client) -> None:
    name = f"tok-{uuid.uuid4().hex[:8]}"
    _, token = add_user(client.engine, name, "practitioner", "school")
    with client.engine.connect() as connection:
        row = connection.execute(
            sqlalchemy.text("SELECT * FROM foresight_users WHERE name = :name"), {"name": name}
        ).one()
    secret = token.removeprefix(TOKEN_PREFIX)
    assert not any(secret[:12] in str(value) for value in row)
    assert hashlib.sha256(token.encode()).hexdigest() in row
    database = Path(client.engine.url.database or "")
    if client.engine.dialect.name == "sqlite":
        raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        assert secret[:12].encode() not in raw


def test_a_token_must_match_whole_not_by_prefix_case_or_digest(client: Client) -> None:
    name = f"tok-{uuid.uuid4().hex[:8]}"
    _, token = add_user(client.engine, name, "reviewer", "review")
    assert authenticate(client.engine, token) is not None
    digest = hashlib.sha256(token.encode()).hexdigest()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (
        TOKEN_PREFIX,
        token[: len(token) // 2],
        token[:-1],
        token + "x",
        flipped,
        token.upper(),
        token.lower(),
        digest,
        TOKEN_PREFIX + digest,
        " " + token,
        "",
    ):
        assert authenticate(client.engine, wrong) is None, wrong


def test_the_digests_are_compared_in_constant_time(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared = []

    def compare_digest(left: str, right: str) -> bool:
        compared.append((left, right))
        return left == right

    monkeypatch.setattr(users.hmac, "compare_digest", compare_digest)
    assert authenticate(client.engine, client.tokens["auditor"]) is not None
    assert compared


def test_a_reissued_token_replaces_the_old_one(client: Client) -> None:
    name = f"tok-{uuid.uuid4().hex[:8]}"
    _, old = add_user(client.engine, name, "manager", "health")
    _, new = issue_token(client.engine, name, "manager", "health")
    assert authenticate(client.engine, old) is None
    reissued = authenticate(client.engine, new)
    assert reissued is not None
    assert reissued.name == name


# -- headers ----------------------------------------------------------------------------------


# The whole policy, pinned: a directive widened, added or dropped fails here. frame-src blob:
# is the one opening, for a PDF document shown in the page from the blob: URL of its bytes
# (fetched with the token); <object> and <embed> stay off.
THE_POLICY = {
    "default-src": "default-src 'self'",
    "script-src": "script-src 'self'",
    "style-src": "style-src 'self' 'unsafe-inline'",
    "img-src": "img-src 'self' data: blob:",
    "frame-src": "frame-src blob:",
    "connect-src": "connect-src 'self'",
    "font-src": "font-src 'self'",
    "object-src": "object-src 'none'",
    "base-uri": "base-uri 'none'",
    "form-action": "form-action 'self'",
    "frame-ancestors": "frame-ancestors 'none'",
}


def policy(response: httpx.Response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return {part.split()[0]: part.strip() for part in directives if part.strip()}


def assert_security_headers(response: httpx.Response, *, cached: bool = False) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert policy(response) == THE_POLICY
    assert "unsafe-eval" not in headers["content-security-policy"]
    if not cached:
        assert headers["cache-control"] == "no-store"


ALLOWED_CALLS = [pytest.param(route, sorted(route.roles)[0], id=str(route)) for route in ROUTES]


@pytest.mark.parametrize(("route", "role"), ALLOWED_CALLS)
def test_every_response_carries_the_security_headers_and_no_store(
    client: Client,
    route: Route,
    role: str,
) -> None:
    """Answered or refused: case data is never cached, sniffed, framed or sent as a referrer."""
    assert_security_headers(client.call(route, role))
    assert_security_headers(client.call(route, None))  # 401
    refused = next((r for r in ROLES if r not in route.roles), None)
    if refused:
        assert_security_headers(client.call(route, refused))  # 403


EXPORTS = (
    [("/cases/{case_id}/chronology", "reviewer", fmt) for fmt in ("csv", "xlsx", "html")]
    + [("/reviews/{review_id}", "reviewer", fmt) for fmt in ("html", "xlsx")]
    + [("/audit/access", "auditor", fmt) for fmt in ("csv", "xlsx", "parquet")]
    + [("/reports/timeliness", "reviewer", fmt) for fmt in ("csv", "xlsx")]
)


@pytest.mark.parametrize(
    ("path", "role", "output_format"), EXPORTS, ids=[f"{path} {fmt}" for path, _, fmt in EXPORTS]
)
def test_every_export_format_is_sent_with_no_store(
    client: Client,
    path: str,
    role: str,
    output_format: str,
) -> None:
    route = Route("GET", path, frozenset({role}), {"format": output_format})
    response = client.call(route, role)
    assert response.status_code == 200, response.text
    assert_security_headers(response)


@pytest.mark.parametrize(
    "path",
    [
        "/reports/children-on-plans",
        "/exports/cin-census?year=2024&la=873",
        "/exports/ssda903?year=2024&la=E08000035",
    ],
)
def test_whole_record_reports_are_for_reviewers_and_the_returns_agencys_managers(
    db_url: str,
    path: str,
) -> None:
    """A police manager sees what police know; the census and the plans report are the whole
    record of every child, so they are refused, and nothing is logged as read."""
    app = create_app(Settings(db_url=db_url, returns_agency="social_care"))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    tokens = {
        agency: add_user(foresight.queries.engine, f"tm-{agency}", "manager", agency)[1]
        for agency in ("police", "social_care")
    }
    with TestClient(app) as http:
        refused = http.get(path, headers={"Authorization": f"Bearer {tokens['police']}"})
        allowed = http.get(path, headers={"Authorization": f"Bearer {tokens['social_care']}"})
    assert refused.status_code == 403
    assert "social_care" in refused.json()["detail"]
    assert allowed.status_code == 200, allowed.text
    with foresight.queries.engine.connect() as connection:
        readers = (
            connection.execute(sqlalchemy.text('SELECT "user" FROM foresight_access_log'))
            .scalars()
            .all()
        )
    assert readers == ["tm-social_care"]
    foresight.service.close()


def test_an_unexpected_error_is_a_500_problem_with_the_security_headers(db_url: str) -> None:
    app = create_app(Settings(db_url=db_url))
    token = add_user(app.state.foresight.queries.engine, "err-rev", "reviewer", "review")[1]

    @app.get("/fails")
    def fails() -> None:
        raise RuntimeError("a bug that names FAM-0042")

    with TestClient(app, raise_server_exceptions=False) as http:
        response = http.get("/fails", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert_security_headers(response)
    problem = response.json()
    assert (problem["status"], problem["instance"]) == (500, "/fails")
    assert "FAM-0042" not in response.text  # the error's own text stays in the server's log
    app.state.foresight.service.close()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)


@pytest.mark.parametrize("path", ["/ui", "/ui/cases/FAM-0042", "/ui/people/ava", "/docs"])
def test_the_public_pages_have_no_inline_script_and_the_strict_policy(
    client: Client,
    path: str,
) -> None:
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_security_headers(response)
    assert not INLINE_SCRIPT.search(response.text)
    for script in re.findall(r'<script[^>]*src="([^"]+)"', response.text):
        assert script.startswith("/static/"), script
        asset = client.http.get(script)
        assert asset.status_code == 200
        assert_security_headers(asset, cached=True)


def test_the_html_exports_have_no_script_at_all(client: Client) -> None:
    for path in (f"/cases/{DEMO_CASE}/chronology", f"/reviews/{client.review_id}"):
        response = client.http.get(
            path,
            params={"format": "html"},
            headers={"Authorization": f"Bearer {client.tokens['reviewer']}"},
        )
        assert "<script" not in response.text.lower()
        assert not INLINE_SCRIPT.search(response.text)


def test_the_policy_allows_nothing_from_elsewhere() -> None:
    for directive in PAGE_POLICY.split(";"):
        sources = directive.split()[1:]
        # blob: is the page's own: a document it fetched with the token, shown as an image or
        # (a PDF) in a frame.
        assert all(source.startswith("'") or source in ("data:", "blob:") for source in sources), (
            directive
        )
    assert "'unsafe-inline'" not in next(d for d in PAGE_POLICY.split(";") if "script-src" in d)


def test_health_and_openapi_are_public_and_show_no_case_data(client: Client) -> None:
    health = client.http.get("/health")
    assert health.status_code == 200
    assert set(health.json()) == {
        "status",
        "store",
        "events",
        "read_model_position",
        "projection_lag",
        "rebuilding",
    }
    document = client.http.get("/openapi.json").text
    summaries = [raw["summary"] for raw in demo_case_events() if raw.get("summary")]
    assert summaries
    assert not [summary for summary in summaries if summary in document]
