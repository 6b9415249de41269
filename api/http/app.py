"""The FastAPI application: built from settings by `create_app`, nothing created at import time."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_log import AccessLog
from api.bootstrap import build_case_service, build_case_views_runner
from api.http.deps import Foresight
from api.http.problems import PROBLEM_JSON, Problem, install_problem_handlers
from api.http.routes import audit, cases, pages, people, reviews, system
from api.http.routes import exports as export_routes
from api.http.routes import patterns as pattern_routes
from api.http.routes import reports as report_routes
from api.http.routes import timeliness as timeliness_routes
from api.settings import Settings, get_settings
from events.envelope import EventEnvelope
from projections.rebuild_mark import RebuildUnderWay
from replay.queries import CaseQueries

MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimit:
    """Refuse request bodies over 1 MiB with a 413 problem, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, send)
            return
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # The app saw a cut-off body (and may answer 400): answer 413 instead.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if too_large and not started:
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await send_problem(send, {
            "type": "about:blank", "title": "Request too large", "status": 413,
            "detail": f"Requests are limited to {self.limit} bytes; split the batch.",
            "instance": scope.get("path", ""),
            "errors": [{"field": "(body)", "reason": f"larger than {self.limit} bytes"}],
        })


async def send_problem(send: Send, problem: dict[str, Any]) -> None:
    """A whole problem+json response, sent at the ASGI level (outside FastAPI's handlers)."""
    body = json.dumps(problem).encode()
    await send({"type": "http.response.start", "status": problem["status"],
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers on every response, errors included: no sniffing, framing or referrer; nothing
    but the static assets cached (any other response may carry case data); and one strict
    Content Security Policy (scripts only from this server, none inline) for the web page, the
    API docs and the printable HTML exports alike."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"DENY")]
                if not path.startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            # An error no handler expected would otherwise be answered by the server's
            # outermost layer, in plain text and without the headers above.
            if not started:
                await send_problem(with_headers, {
                    "type": "about:blank", "title": "Internal Server Error", "status": 500,
                    "detail": "The server met an error it did not expect, and logged it. "
                              "After an append, read the case before sending it again "
                              "(resending the same event ids is safe).",
                    "instance": path,
                })
            raise  # for the server to log


def build_foresight(settings: Settings) -> Foresight:
    """The service, read models, queries and access log over the configured store."""
    service = build_case_service(settings)
    runner = build_case_views_runner(settings, service)
    with suppress(RebuildUnderWay):  # serve anyway: reads answer 503 until it is done
        runner.catch_up()
    engine = runner.views.engine
    return Foresight(
        service=service,
        runner=runner,
        queries=CaseQueries(engine),
        access=AccessLog(engine),
        store_kind=make_url(settings.db_url).get_backend_name(),
        returns_agency=settings.returns_agency.lower(),
    )


PROBLEM_RESPONSES = {
    "401": "No valid bearer token",
    "403": "The role or agency may not do this",
    "404": "Unknown case or person",
    "409": "Version conflict, event id reused, or refused by the case",
    "413": "Request larger than 1 MiB",
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
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            statuses = {status for status in ("409", "413", "422") if status in responses}
            if operation.get("security"):
                statuses |= {"401", "403", "503"}
            if "{case_id}" in path or "{person_id}" in path:
                statuses.add("404")
            for status in statuses:
                description = responses.get(status, {}).get("description")
                responses[status] = {"description": description or PROBLEM_RESPONSES[status],
                                     "content": content}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HTTP API over the store the settings name."""
    settings = settings or get_settings()
    app = FastAPI(
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
    app.include_router(pattern_routes.router)
    app.include_router(timeliness_routes.router)
    app.include_router(report_routes.router)
    app.include_router(export_routes.router)
    app.include_router(people.router)
    app.include_router(reviews.router)
    app.include_router(audit.router)
    app.include_router(system.router)
    app.include_router(pages.me_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            envelope = EventEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(envelope.pop("$defs", {}))
            components["EventEnvelope"] = envelope
            _document_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
