"""Single sign-on for the web page: OpenID Connect's authorization code flow with PKCE (S256)
through Authlib, the ID token verified with joserfc against the provider's published keys,
and a server-side session (api/sessions.py) in a Secure, HttpOnly, SameSite cookie.

Agency and role come from an admin's mapping of the provider's subject (`foresight users
map`) or, failing that, from the configured claims of the ID token or userinfo; a user with
neither is refused with a page that says so. Bearer tokens are untouched by any of this."""

from __future__ import annotations

import html
import re
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from api.http.deps import ForesightDep, SettingsDep
from api.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SessionLifetime,
    end_session,
    start_session,
)
from api.settings import Settings
from api.users import User, UserError, checked_identity, mapped_subject
from events.timepoints import utc_now

router = APIRouter(prefix="/auth", include_in_schema=False)

SIGN_IN_COOKIE = "foresight_sign_in"  # state, nonce and PKCE verifier while at the provider
SIGN_IN_SECONDS = 600
PROVIDER_TIMEOUT = 10
# Asymmetric algorithms only: the keys come from the provider's JWKS, never the client secret.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
CLOCK_LEEWAY_SECONDS = 60


class SignInRefused(Exception):
    """The sign-in cannot finish; the message is shown to the person, with the status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class SignInOptions(BaseModel):
    organisation_sign_in: bool


@router.get("/options")
def sign_in_options(settings: SettingsDep) -> SignInOptions:
    """Whether the sign-in page offers the organisation's account (public: no case data)."""
    return SignInOptions(organisation_sign_in=settings.single_sign_on)


def _provider(request: Request, settings: Settings) -> dict[str, Any]:
    """The provider's OpenID configuration (discovery), fetched once per app."""
    cached: dict[str, Any] | None = getattr(request.app.state, "openid_configuration", None)
    if cached is None:
        issuer = (settings.oidc_issuer or "").rstrip("/")
        response = requests.get(
            issuer + "/.well-known/openid-configuration", timeout=PROVIDER_TIMEOUT
        )
        response.raise_for_status()
        cached = dict(response.json())
        if cached.get("issuer", "").rstrip("/") != issuer:
            raise SignInRefused(502, "The sign-in service names another issuer than configured.")
        request.app.state.openid_configuration = cached
    return cached


def _client(request: Request, settings: Settings) -> OAuth2Session:
    secret = settings.oidc_client_secret
    return OAuth2Session(
        client_id=settings.oidc_client_id,
        client_secret=None if secret is None else secret.get_secret_value(),
        scope=settings.oidc_scopes,
        redirect_uri=str(request.url_for("auth_callback")),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
    )


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    assert settings.session_secret is not None  # Settings refuses SSO without it
    return URLSafeTimedSerializer(settings.session_secret.get_secret_value(), "foresight-sign-in")


# A path of the web page's own, with an optional query: nothing that could name another host.
OWN_PAGE = r"/ui(/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%&=+-]*)?"


def web_page_path(path: str | None) -> str:
    """`path` if it is one of the web page's own (under /ui), else /ui: a sign-in link may say
    where to return, but never send anyone off the site."""
    own = path is not None and re.fullmatch(OWN_PAGE, path) is not None
    return path if own and path is not None and "//" not in path and ".." not in path else "/ui"


@router.get("/login")
def auth_login(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    """Off to the provider, with a fresh state, nonce and PKCE verifier kept in a signed,
    short-lived cookie for the return, and the page to return to (`next`, one of the web
    page's own). Without single sign-on: back to the token sign-in."""
    if not settings.single_sign_on:
        return RedirectResponse("/ui", status_code=303)
    try:
        provider = _provider(request, settings)
    except (requests.RequestException, ValueError, SignInRefused):
        return _refusal_page(502, "Your organisation's sign-in service did not answer.")
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _ = _client(request, settings).create_authorization_url(
        provider["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        SIGN_IN_COOKIE,
        _serializer(settings).dumps(
            {"state": state, "nonce": nonce, "verifier": verifier, "next": web_page_path(next)}
        ),
        max_age=SIGN_IN_SECONDS,
        path="/auth/callback",
        secure=not settings.session_cookie_insecure,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on sub-requests
    )
    return response


@router.get("/callback", name="auth_callback")
def auth_callback(request: Request, foresight: ForesightDep, settings: SettingsDep) -> Response:
    """Back from the provider: the code exchanged (with the PKCE verifier), the ID token
    verified, the person mapped to a Foresight user, and a session started."""
    if not settings.single_sign_on:
        return RedirectResponse("/ui", status_code=303)
    response: Response
    try:
        saved = _started_sign_in(request, settings)
        user = _signed_in_user(request, saved, foresight.queries.engine, settings)
    except SignInRefused as refused:
        response = _refusal_page(refused.status, str(refused))
    else:
        session_id, session = start_session(
            foresight.queries.engine, user, SessionLifetime.of(settings)
        )
        response = RedirectResponse(saved.get("next", "/ui"), status_code=303)
        secure = not settings.session_cookie_insecure
        seconds = settings.session_hours * 3600
        response.set_cookie(
            SESSION_COOKIE, session_id, max_age=seconds, secure=secure, httponly=True,
            samesite="lax",
        )  # fmt: skip
        response.set_cookie(
            CSRF_COOKIE, session.csrf_token, max_age=seconds, secure=secure, httponly=False,
            samesite="strict",
        )  # fmt: skip
    response.delete_cookie(SIGN_IN_COOKIE, path="/auth/callback")
    return response


def _started_sign_in(request: Request, settings: Settings) -> dict[str, str]:
    """What `auth_login` kept for the return: state, nonce, PKCE verifier, where to go next."""
    try:
        saved: dict[str, str] = _serializer(settings).loads(
            request.cookies.get(SIGN_IN_COOKIE, ""), max_age=SIGN_IN_SECONDS
        )
    except BadSignature:
        raise SignInRefused(
            400, "This sign-in was not started here, or took too long: sign in again."
        ) from None
    return saved


def _signed_in_user(
    request: Request, saved: dict[str, str], engine: Engine, settings: Settings
) -> User:
    if request.query_params.get("state") != saved["state"]:
        raise SignInRefused(400, "This sign-in does not match the one started: sign in again.")
    if "error" in request.query_params:
        reason = request.query_params.get("error_description") or request.query_params["error"]
        raise SignInRefused(403, f"Your organisation's sign-in service refused: {reason}")
    try:
        provider = _provider(request, settings)
        tokens = _client(request, settings).fetch_token(
            provider["token_endpoint"],
            code=request.query_params.get("code", ""),
            code_verifier=saved["verifier"],
            timeout=PROVIDER_TIMEOUT,
        )
        keys = KeySet.import_key_set(
            requests.get(provider["jwks_uri"], timeout=PROVIDER_TIMEOUT).json()
        )
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(502, f"The sign-in could not be completed: {error}") from None
    except AuthlibBaseError as error:  # the provider refused the code or the verifier
        raise SignInRefused(403, f"The sign-in could not be completed: {error}") from None
    claims = verified_id_token(str(tokens.get("id_token", "")), keys, settings, saved["nonce"])
    claims = _with_userinfo(claims, provider, str(tokens.get("access_token", "")), settings)
    return _foresight_user(engine, claims, settings)


def verified_id_token(
    id_token: str, keys: KeySet, settings: Settings, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, once its signature (the provider's keys), issuer, audience,
    nonce and expiry are all right; otherwise the sign-in is refused."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": (settings.oidc_issuer or "").rstrip("/")},
            aud={"essential": True, "value": settings.oidc_client_id or ""},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignInRefused(403, f"The sign-in's ID token was refused: {error}") from None
    audience = token.claims["aud"]
    several = isinstance(audience, list) and len(audience) > 1
    if several and token.claims.get("azp") != settings.oidc_client_id:
        raise SignInRefused(403, "The sign-in's ID token was issued to another party.")
    return dict(token.claims)


def _with_userinfo(
    claims: dict[str, Any], provider: dict[str, Any], access_token: str, settings: Settings
) -> dict[str, Any]:
    """Agency and role from userinfo when the ID token lacks them (many providers put
    profile claims only there); the same subject's only."""
    wanted = (settings.oidc_agency_claim, settings.oidc_role_claim)
    if all(name in claims for name in wanted) or not provider.get("userinfo_endpoint"):
        return claims
    try:
        response = requests.get(
            provider["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=PROVIDER_TIMEOUT,
        )
        userinfo = response.json() if response.status_code == 200 else {"sub": claims["sub"]}
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(502, f"The sign-in could not be completed: {error}") from None
    if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
        raise SignInRefused(403, "The sign-in service described another person.")
    return {**userinfo, **claims}


def _foresight_user(engine: Engine, claims: dict[str, Any], settings: Settings) -> User:
    subject = str(claims["sub"])
    mapped = mapped_subject(engine, subject)
    if mapped is not None:
        return mapped
    agency = claims.get(settings.oidc_agency_claim)
    role = claims.get(settings.oidc_role_claim)
    if not isinstance(agency, str) or not isinstance(role, str):
        raise SignInRefused(
            403,
            "Your account is not set up for Foresight: your organisation's sign-in gave no "
            f"agency or role for it. Ask an administrator to run: foresight users map {subject} "
            "--name NAME --role ROLE --agency AGENCY",
        )
    name = str(claims.get("preferred_username") or subject)
    try:
        name, role, agency = checked_identity(name, role, agency)
    except UserError as error:
        raise SignInRefused(403, f"Your account cannot be used in Foresight: {error}") from None
    return User(name=name, role=role, agency=agency, created_at=utc_now())


@router.post("/logout", status_code=204)
def auth_logout(request: Request, foresight: ForesightDep, settings: SettingsDep) -> Response:
    """Sign out: the session is deleted server-side, so its cookie is refused from now on.
    Reached only with a live session and its CSRF token (or a bearer token, which ends
    nothing)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        end_session(foresight.queries.engine, session_id)
    response = Response(status_code=204)
    secure = not settings.session_cookie_insecure
    response.delete_cookie(SESSION_COOKIE, secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, secure=secure, samesite="strict")
    return response


def _refusal_page(status: int, message: str) -> HTMLResponse:
    """A plain GOV.UK page saying why the sign-in did not finish, with a way back."""
    body = f"""<!doctype html>
<html lang="en-GB" class="govuk-template">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>You could not be signed in · Foresight</title>
<link rel="stylesheet" href="/static/vendor/govuk-frontend/govuk-frontend.min.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main">
<h1 class="govuk-heading-l">You could not be signed in</h1>
<p class="govuk-body">{html.escape(message)}</p>
<p class="govuk-body"><a class="govuk-link" href="/ui">Back to sign in</a></p>
</main></div></body></html>"""
    return HTMLResponse(body, status_code=status)
