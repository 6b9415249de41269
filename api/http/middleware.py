"""ASGI middleware for every request: authentication first, a body size limit, and the security
headers."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.problems import PROBLEM_JSON, Problem, unavailable_reason
from api.sessions import CSRF_HEADER, SESSION_COOKIE, Session, csrf_matches
from api.users import User

# What answers without a token: no case data. Health is for load balancers (counts only); the
# OpenAPI document and its Swagger page describe the API; the web page (with its sign-in) is a
# static shell that asks the API, with the user's token, for everything it shows.
# Single sign-on's start and return (api/http/routes/auth.py) come before any session.
PUBLIC_PATHS = frozenset({"/", "/health", "/openapi.json", "/docs", "/ui"}) | {
    "/auth/login",
    "/auth/callback",
    "/auth/options",
}
# Requests that change nothing; any other made with a session cookie must carry its CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIXES = ("/ui/", "/static/")


def is_public(path: str) -> bool:
    """Whether a path answers without a token."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def session_cookie(scope: Scope) -> str | None:
    """The session id of a `foresight_session` cookie, or None."""
    header = dict(scope.get("headers", [])).get(b"cookie", b"").decode("latin-1")
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


class Authentication:
    """The token is checked before anything else: before routing, body parsing, validation or
    any handler. A request for anything but the public pages without a valid token is a 401
    problem whatever its body (which is never read); a valid one puts its user on the
    request's state for the routes (`api.http.deps.get_current_user`).

    Without a bearer token, the web page's session cookie (single sign-on) is the credential;
    a browser sends it by itself, so a state-changing request with it must also carry the
    session's CSRF token in `X-CSRF-Token` (403 otherwise, before the body is read). A bearer
    token is never sent by itself, so it needs none."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str], User | None],
        find_session: Callable[[str], Session | None] | None = None,
    ):
        self.app = app
        self.authenticate = authenticate
        self.find_session = find_session

    def _identify(self, scope: Scope) -> tuple[User | None, tuple[int, str]]:
        """The user, or None and why not (the problem's status and detail)."""
        token = bearer_token(scope)
        if token is not None:
            user = self.authenticate(token)
            return user, (401, "The token is not valid")
        session_id = session_cookie(scope) if self.find_session else None
        if session_id is None or self.find_session is None:
            return None, (401, "Send Authorization: Bearer <token>")
        session = self.find_session(session_id)
        if session is None:
            return None, (401, "The session has ended or expired: sign in again")
        if scope.get("method", "GET") not in SAFE_METHODS:
            presented = dict(scope.get("headers", [])).get(CSRF_HEADER.encode())
            if not csrf_matches(session, None if presented is None else presented.decode()):
                return None, (
                    403,
                    "A change made with a session cookie must send the session's "
                    "CSRF token in X-CSRF-Token",
                )
        return session.user, (200, "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        try:
            user, refusal = await run_in_threadpool(self._identify, scope)
        except Exception as error:
            found = unavailable_reason(error)
            if found is None:
                raise
            await send_problem(
                send,
                {
                    "type": "about:blank",
                    "title": "Service unavailable",
                    "status": 503,
                    "detail": found.detail,
                    "instance": scope.get("path", ""),
                    "reason": found.reason,
                },
                headers={"Retry-After": str(found.retry_after)},
            )
            return
        if user is None:
            status, detail = refusal
            await send_problem(
                send,
                {
                    "type": "about:blank",
                    "title": "Not authenticated" if status == 401 else "Forbidden",
                    "status": status,
                    "detail": detail,
                    "instance": scope.get("path", ""),
                },
                headers={"WWW-Authenticate": "Bearer"} if status == 401 else None,
            )
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


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
        await send_problem(
            send,
            {
                "type": "about:blank",
                "title": "Request too large",
                "status": 413,
                "detail": f"Requests are limited to {self.limit} bytes; split the batch.",
                "instance": scope.get("path", ""),
                "errors": [{"field": "(body)", "reason": f"larger than {self.limit} bytes"}],
            },
        )


async def send_problem(
    send: Send, problem: dict[str, object], headers: dict[str, str] | None = None
) -> None:
    """A whole problem+json response, sent at the ASGI level (outside FastAPI's handlers)."""
    body = json.dumps(Problem.model_validate(problem).model_dump(exclude_none=True)).encode()
    extra = headers or {}
    await send(
        {
            "type": "http.response.start",
            "status": problem["status"],
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *((name.lower().encode(), value.encode()) for name, value in extra.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# frame-src blob: is for a PDF document shown in the page: its bytes are fetched with the
# token and framed from a blob: URL of this page's own (Chromium's viewer needs nothing more,
# so object-src stays 'none').
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; frame-src blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
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
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
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
                await send_problem(
                    with_headers,
                    {
                        "type": "about:blank",
                        "title": "Internal Server Error",
                        "status": 500,
                        "detail": "The server met an error it did not expect, and logged it. "
                        "After an append, read the case before sending it again "
                        "(resending the same event ids is safe).",
                        "instance": path,
                    },
                )
            raise  # for the server to log
