"""Every refusal as RFC 9457 problem details (application/problem+json), naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    CaseNotFound,
    DomainError,
    EventIdConflict,
    InvariantViolation,
    ReviewNotFound,
    UnknownReference,
    VersionConflict,
)
from events.envelope import FieldError, InvalidEventError
from replay.foresight import NotADecision

PROBLEM_JSON = "application/problem+json"


class ProblemField(BaseModel):
    """One refused field: a dotted path and the reason."""

    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the refused fields listed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] = []


class ProblemError(Exception):
    """Raise from a route to answer with a problem."""

    def __init__(
        self, status: int, title: str, detail: str | None = None,
        errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None,
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = headers


TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    503: "Service unavailable",
}


def problem_response(
    request: Request,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
    type_: str = "about:blank",
) -> JSONResponse:
    body = Problem(
        type=type_,
        title=title or TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[ProblemField(field=error.field, reason=error.reason) for error in errors],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON,
        headers=headers,
    )


DOMAIN_STATUS: tuple[tuple[type[DomainError], int, str], ...] = (
    (CaseNotFound, 404, "Case not found"),
    (ReviewNotFound, 404, "Review not found"),
    (NotADecision, 404, "Decision not found"),
    (VersionConflict, 409, "Version conflict"),
    (EventIdConflict, 409, "Event id conflict"),
    (InvariantViolation, 409, "Refused by the case record"),
    (UnknownReference, 422, "Unknown reference"),
)


def _validation_field(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        source, parts = parts[0], parts[1:]
        if source != "body":
            return f"{source}.{'.'.join(parts)}" if parts else source
    return ".".join(parts) or "(body)"


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error the routes can meet to a problem, in one place."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(
            request, error.status, error.title, error.detail, error.errors, error.headers
        )

    @app.exception_handler(InvalidEventError)
    async def _invalid_event(request: Request, error: InvalidEventError) -> JSONResponse:
        return problem_response(
            request, 422, "Invalid event", "The event was refused; nothing was written.",
            error.errors,
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> JSONResponse:
        for kind, status, title in DOMAIN_STATUS:
            if isinstance(error, kind):
                detail = str(error)
                if status != 404:
                    detail += " (nothing was written)"
                return problem_response(request, status, title, detail, error.errors)
        return problem_response(request, 422, "Refused", str(error), error.errors)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(_validation_field(detail.get("loc", ())),
                       str(detail.get("msg", "invalid")).removeprefix("Value error, "))
            for detail in error.errors()
        ]
        return problem_response(
            request, 422, "Invalid request", "The request was refused; nothing was written.",
            errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request, error.status_code, None, str(error.detail) if error.detail else None,
            headers=getattr(error, "headers", None),
        )
