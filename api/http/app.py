"""The FastAPI application: built from settings by `create_app`, nothing created at import time."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from api.bootstrap import build_foresight
from api.http.deps import refuse_another_agencys_view
from api.http.middleware import Authentication, SecurityHeaders
from api.http.problems import PROBLEM_JSON, Problem, install_problem_handlers
from api.http.routes import (
    annex_a,
    audit,
    auth,
    cases,
    documents,
    pages,
    people,
    reviews,
    system,
)
from api.http.routes import exports as export_routes
from api.http.routes import imports as import_routes
from api.http.routes import knowledge as knowledge_routes
from api.http.routes import mine as my_cases_routes
from api.http.routes import patterns as pattern_routes
from api.http.routes import practice_quality as practice_quality_routes
from api.http.routes import reports as report_routes
from api.http.routes import timeliness as timeliness_routes
from api.http.upload_limit import BodySizeLimits
from api.sessions import SessionLifetime, find_session
from api.settings import Settings, get_settings
from api.users import authenticate
from events.envelope import EventEnvelope

PROBLEM_RESPONSES = {
    "401": "No valid bearer token",
    "403": "The role or agency may not do this",
    "404": "Unknown case or person",
    "409": "Version conflict, event id reused, or refused by the case",
    "413": "Request larger than 1 MiB (a document: FORESIGHT_MAX_DOCUMENT_BYTES)",
    "422": "Invalid request; the problem names each field",
    "503": "The database is locked, full or unreachable just now, or the read models are "
    "being rebuilt (`reason`); nothing was written or read: send the same request "
    "again after `Retry-After` seconds",
}


def _document_problems(schema: dict[str, Any]) -> None:
    """Every 4xx is an RFC 9457 problem (application/problem+json), not FastAPI's default."""
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema["components"]["schemas"]
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in schema["paths"].items():
        for _method, operation in item.items():
            responses = operation.setdefault("responses", {})
            statuses = {status for status in ("409", "413", "422") if status in responses}
            if operation.get("security"):
                statuses |= {"401", "403", "503"}
            if "{case_id}" in path or "{person_id}" in path:
                statuses.add("404")
            for status in statuses:
                description = responses.get(status, {}).get("description")
                responses[status] = {
                    "description": description or PROBLEM_RESPONSES[status],
                    "content": content,
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


class ForesightApp(FastAPI):
    """FastAPI whose OpenAPI document names the event envelope and documents each problem."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
            )
            envelope = EventEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(envelope.pop("$defs", {}))
            components["EventEnvelope"] = envelope
            _document_problems(schema)
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HTTP API over the store the settings name."""
    settings = settings or get_settings()
    app = ForesightApp(
        # One agency rule for every route, whatever its own parameters (api/http/deps.py).
        dependencies=[Depends(refuse_another_agencys_view)],
        docs_url=None,  # served below from vendored assets: no CDN at run time
        redoc_url=None,
        title="Foresight",
        version="0.1.0",
        description=(
            "An event-sourced case chronology for child protection. Every read takes "
            "`as_known_at`: the case exactly as it was known then, to the whole record or to "
            "one agency. Errors are RFC 9457 problem details naming the field."
        ),
    )
    app.state.foresight = build_foresight(settings)
    app.state.settings = settings  # for routes that read settings, e.g. timescales
    install_problem_handlers(app)
    app.include_router(cases.router)
    app.include_router(knowledge_routes.router)
    app.include_router(documents.router)
    app.include_router(my_cases_routes.router)
    app.include_router(import_routes.router)
    app.include_router(pattern_routes.router)
    app.include_router(timeliness_routes.router)
    app.include_router(practice_quality_routes.router)
    app.include_router(report_routes.router)
    app.include_router(export_routes.router)
    app.include_router(annex_a.router)
    app.include_router(people.router)
    app.include_router(reviews.router)
    app.include_router(audit.router)
    app.include_router(system.router)
    app.include_router(pages.me_router)
    app.include_router(auth.router)  # single sign-on for the web page
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    # The last added runs first: headers on every answer, then the token, before the body.
    engine = app.state.foresight.queries.engine
    app.add_middleware(BodySizeLimits, max_document_bytes=settings.max_document_bytes)
    app.add_middleware(
        Authentication,
        authenticate=partial(authenticate, engine),
        find_session=partial(find_session, engine, SessionLifetime.of(settings)),
    )
    app.add_middleware(SecurityHeaders)
    return app
