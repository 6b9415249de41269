"""Every refusal as RFC 9457 problem details (application/problem+json), naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError as SQLOperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    CaseNotFound,
    DomainError,
    EventIdConflict,
    InvariantViolation,
    NotPermitted,
    ReviewNotFound,
    UnknownReference,
    VersionConflict,
)
from events.envelope import FieldError, InvalidEventError
from events.fieldpaths import field_path, location_path
from projections.rebuild_mark import RebuildUnderWay
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
        self,
        status: int,
        title: str,
        detail: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
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
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = Problem(
        type=type_,
        title=title or TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[ProblemField(field=error.field, reason=error.reason) for error in errors],
        **(extensions or {}),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
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
    (NotPermitted, 403, "Forbidden"),
)


class Unavailable(NamedTuple):
    """Why the database could not do its part just now, and when to try again."""

    reason: str
    retry_after: int
    detail: str


RETRY_IS_SAFE = (
    "Nothing was acknowledged; resending the same request (with the same event_ids) is safe "
    "and stores each event once."
)
DATABASE_LOCKED = Unavailable(
    "database_locked",
    2,
    "The database is locked: another writer held it longer than the lock timeout. " + RETRY_IS_SAFE,
)
DISK_FULL = Unavailable(
    "disk_full",
    60,
    "The database's disk is full: an operator must free space. " + RETRY_IS_SAFE,
)
DATABASE_UNAVAILABLE = Unavailable(
    "database_unavailable",
    5,
    "The database cannot be reached just now. " + RETRY_IS_SAFE,
)
# SQLSTATE classes and codes (PostgreSQL) and message fragments (SQLite, drivers), by reason.
_UNAVAILABLE_SQLSTATES = (
    (("53100",), DISK_FULL),  # disk_full
    (("55P03",), DATABASE_LOCKED),  # lock_not_available (lock_timeout)
    (("08", "57P", "53"), DATABASE_UNAVAILABLE),  # connection, shutdown, other resources
)
_UNAVAILABLE_MESSAGES = (
    (("database or disk is full", "no space left on device", "could not extend file"), DISK_FULL),
    (
        ("database is locked", "database table is locked", "lock timeout", "could not obtain lock"),
        DATABASE_LOCKED,
    ),
    (
        (
            "unable to open database",
            "could not connect",
            "connection refused",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "timed out",
        ),
        DATABASE_UNAVAILABLE,
    ),
)


def unavailable_reason(error: BaseException) -> Unavailable | None:
    """Which passing condition of the database (lock, disk, connection) an error reports.

    Both the eventsourcing library and SQLAlchemy wrap the driver's error: look through the
    chain. None means another kind of error, which stays a 500.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    for link in chain:
        sqlstate = getattr(link, "sqlstate", None) or ""
        for prefixes, found in _UNAVAILABLE_SQLSTATES:
            if sqlstate.startswith(prefixes):
                return found
    text = " ".join(str(link) for link in chain).lower()
    for fragments, found in _UNAVAILABLE_MESSAGES:
        if any(fragment in text for fragment in fragments):
            return found
    return None


def _validation_field(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        source, parts = parts[0], parts[1:]
        if source != "body":
            return field_path(source, location_path(parts)) if parts else source
    return location_path(parts) or "(body)"


# FastAPI's words when the body is not UTF-8 or `json` gives up on it (nesting deeper than the
# recursion limit, a number of more than 4300 digits).
FASTAPI_UNPARSED_BODY = "There was an error parsing the body"
UNREADABLE_BODY = (
    "could not be read as JSON: not UTF-8, nested too deeply, or a number with too many digits"
)


def _validation_error(detail: dict[str, Any]) -> FieldError:
    if detail.get("type") == "json_invalid":
        # FastAPI puts the character offset where a field name would be.
        where = detail.get("loc", ("body", "?"))[-1]
        reason = (detail.get("ctx") or {}).get("error", "malformed")
        return FieldError("(body)", f"is not valid JSON: {reason} (at character {where})")
    return FieldError(
        _validation_field(detail.get("loc", ())),
        str(detail.get("msg", "invalid")).removeprefix("Value error, "),
    )


# Seconds a client is asked to wait while the read models are being rebuilt.
REBUILD_RETRY_AFTER = 30


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
            request,
            422,
            "Invalid event",
            "The event was refused; nothing was written.",
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

    @app.exception_handler(StoreOperationalError)
    @app.exception_handler(SQLOperationalError)
    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        found = unavailable_reason(error)
        if found is None:
            raise error
        return problem_response(
            request,
            503,
            None,
            found.detail,
            headers={"Retry-After": str(found.retry_after)},
            extensions={"reason": found.reason},
        )

    @app.exception_handler(RebuildUnderWay)
    async def _rebuilding(request: Request, error: RebuildUnderWay) -> JSONResponse:
        # Part of the log, answered as if it were all of it, would mislead a reviewer.
        return problem_response(
            request,
            503,
            None,
            f"{error} Nothing was read; try again in {REBUILD_RETRY_AFTER} seconds.",
            headers={"Retry-After": str(REBUILD_RETRY_AFTER)},
            extensions={"reason": "rebuilding", "position": error.position, "head": error.head},
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_validation_error(detail) for detail in error.errors()]
        return problem_response(
            request,
            422,
            "Invalid request",
            "The request was refused; nothing was written.",
            errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == FASTAPI_UNPARSED_BODY:
            return problem_response(
                request,
                422,
                "Invalid request",
                "The request was refused; nothing was written.",
                [FieldError("(body)", UNREADABLE_BODY)],
            )
        return problem_response(
            request,
            error.status_code,
            None,
            str(error.detail) if error.detail else None,
            headers=getattr(error, "headers", None),
        )
