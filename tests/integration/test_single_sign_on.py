"""Single sign-on end to end over HTTP: the demo served with OpenID Connect against a real
provider (oidc-provider under Node, started on loopback by tests/oidc/provider.py), its
login and consent forms filled in as a browser would, then the session cookie, its CSRF
token and signing out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from api.http.app import create_app
from api.settings import Settings
from tests.demo_server import Demo, free_port
from tests.oidc.provider import Provider, demo_with_single_sign_on

ROOT = Path(__file__).resolve().parents[2]
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, Provider, Path]]:
    directory = tmp_path_factory.mktemp("sso")
    with demo_with_single_sign_on(directory) as (demo, provider):
        yield demo, provider, directory


def to_callback(client: httpx.Client, demo: Demo, login: str, **params: str) -> str:
    """Start at /auth/login (with `params`) and go through the provider's login and consent
    pages as `login`; the URL the provider sends the browser back to (not yet followed)."""
    response = client.get(demo.base + "/auth/login", params=params)
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(demo.base + "/auth/callback"):
                return location
            response = client.get(location)
            continue
        assert response.status_code == 200, response.text
        found = FORM_ACTION.search(response.text)
        assert found is not None, response.text
        action = urljoin(str(response.url), unescape(found[1]))
        if 'name="login"' in response.text:  # the login page: any password
            form = {"prompt": "login", "login": login, "password": "any"}
            response = client.post(action, data=form)
        else:  # the consent page
            response = client.post(action, data={"prompt": "consent"})
    raise AssertionError("the provider never sent the browser back")


def signed_in(demo: Demo, login: str) -> httpx.Client:
    client = httpx.Client(timeout=20)
    callback = client.get(to_callback(client, demo, login))
    assert callback.status_code == 303, callback.text
    assert callback.headers["location"] == "/ui"
    return client


def contact(case_id: str) -> dict[str, object]:
    return {
        "type": "contact_received",
        "occurred_at": "2024-04-02",
        "summary": "Health visitor worried about the baby's weight",
        "data": {"contact_kind": "concern"},
    }


def test_sign_in_reads_with_the_cookie_and_writes_only_with_its_csrf_token(served) -> None:
    demo, _, _ = served
    client = signed_in(demo, "sw-jones")
    cookies = {name: client.cookies[name] for name in ("foresight_session", "foresight_csrf")}
    me = client.get(demo.base + "/me")
    assert me.status_code == 200, me.text
    assert me.json() == {"name": "sw-jones", "role": "practitioner", "agency": "social_care"}
    assert client.get(demo.base + "/cases/FAM-0042/chronology").status_code == 200

    case_id = f"SSO-{uuid.uuid4().hex[:8]}"
    refused = client.post(f"{demo.base}/cases/{case_id}/events", json=contact(case_id))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "X-CSRF-Token" in refused.json()["detail"]
    wrong = client.post(
        f"{demo.base}/cases/{case_id}/events",
        json=contact(case_id),
        headers={"X-CSRF-Token": "not-the-sessions"},
    )
    assert wrong.status_code == 403
    bearer = {"Authorization": f"Bearer {demo.tokens['sw-jones']}"}
    assert httpx.get(f"{demo.base}/cases/{case_id}/events", headers=bearer).status_code == 404

    csrf = {"X-CSRF-Token": cookies["foresight_csrf"]}
    made = client.post(f"{demo.base}/cases/{case_id}/events", json=contact(case_id), headers=csrf)
    assert made.status_code == 201, made.text
    assert made.json()["recorded_by"] == "sw-jones"

    assert client.post(demo.base + "/auth/logout").status_code == 403  # its CSRF token too
    assert client.get(demo.base + "/me").status_code == 200
    assert client.post(demo.base + "/auth/logout", headers=csrf).status_code == 204
    after = httpx.get(demo.base + "/me", cookies=cookies)
    assert after.status_code == 401
    assert "session has ended" in after.json()["detail"]
    # Bearer tokens are untouched, and need no CSRF token.
    assert httpx.post(demo.base + "/auth/logout", headers=bearer).status_code == 204
    assert httpx.get(demo.base + "/me", headers=bearer).json()["name"] == "sw-jones"


@pytest.mark.parametrize(
    ("start", "lands"),
    [
        ("/ui/cases/FAM-0042", "/ui/cases/FAM-0042"),
        ("/ui/people/ava?as_known_at=2024-03-01", "/ui/people/ava?as_known_at=2024-03-01"),
        ("https://elsewhere.example/ui", "/ui"),
        ("//elsewhere.example/ui", "/ui"),
        ("/ui//elsewhere.example", "/ui"),
        ("/ui/../auth/logout", "/ui"),
        ("/cases/FAM-0042/chronology", "/ui"),
        ("/ui\\elsewhere.example", "/ui"),
    ],
)
def test_sign_in_returns_to_the_page_it_started_from_and_never_off_the_site(
    served, start: str, lands: str
) -> None:
    demo, _, _ = served
    with httpx.Client(timeout=20) as client:
        callback = client.get(to_callback(client, demo, "sw-jones", next=start))
    assert (callback.status_code, callback.headers["location"]) == (303, lands)


def test_the_session_cookie_is_http_only_same_site_and_opaque(served) -> None:
    demo, _, _ = served
    client = httpx.Client(timeout=20)
    callback = client.get(to_callback(client, demo, "sw-jones"))
    set_cookies = callback.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("foresight_session="))
    csrf = next(c for c in set_cookies if c.startswith("foresight_csrf="))
    assert "HttpOnly" in session
    assert "samesite=lax" in session.lower()
    assert "HttpOnly" not in csrf  # the page's script reads it, to send it back
    assert "samesite=strict" in csrf.lower()
    value = session.split(";")[0].partition("=")[2]
    assert len(value) >= 40  # an opaque random id, not a payload
    assert "sw-jones" not in value


def test_a_person_without_claims_is_refused_until_an_admin_maps_them(served) -> None:
    demo, _, directory = served
    client = httpx.Client(timeout=20)
    refused = client.get(to_callback(client, demo, "sam-unmapped"))
    assert refused.status_code == 403
    assert "not set up for Foresight" in refused.text
    assert "foresight users map sam-unmapped" in refused.text
    assert "foresight_session" not in client.cookies

    mapped = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "users",
            "map",
            "sam-unmapped",
            "--name",
            "pc-sam",
            "--role",
            "practitioner",
            "--agency",
            "police",
        ],
        check=False,
        cwd=ROOT,
        env={**os.environ, "FORESIGHT_DB_URL": f"sqlite:///{directory / 'f.db'}"},
        capture_output=True,
        text=True,
    )
    assert mapped.returncode == 0, mapped.stderr
    me = signed_in(demo, "sam-unmapped").get(demo.base + "/me").json()
    assert me == {"name": "pc-sam", "role": "practitioner", "agency": "police"}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def test_a_wrong_state_or_a_sign_in_started_elsewhere_is_refused(served) -> None:
    demo, _, _ = served
    client = httpx.Client(timeout=20)
    callback = to_callback(client, demo, "sw-jones")
    wrong_state = client.get(with_query(callback, state="forged"))
    assert wrong_state.status_code == 400
    assert "does not match" in wrong_state.text
    # The same (real) code and state in another browser, which never started this sign-in.
    elsewhere = httpx.get(callback, timeout=20)
    assert elsewhere.status_code == 400
    assert "not started here" in elsewhere.text
    assert "foresight_session" not in elsewhere.cookies


def test_a_code_is_exchanged_only_with_its_pkce_verifier(served) -> None:
    demo, _, _ = served
    first, second = httpx.Client(timeout=20), httpx.Client(timeout=20)
    first_callback = to_callback(first, demo, "sw-jones")
    to_callback(second, demo, "sw-jones")
    # The first sign-in's code presented with the second's state, verifier and nonce.
    second_state = parse_qs(urlsplit(to_callback(second, demo, "sw-jones")).query)["state"][0]
    mixed = second.get(with_query(first_callback, state=second_state))
    assert mixed.status_code == 403
    assert "foresight_session" not in mixed.cookies


def test_options_say_whether_the_organisation_sign_in_is_offered(served) -> None:
    demo, _, _ = served
    assert httpx.get(demo.base + "/auth/options").json() == {"organisation_sign_in": True}


def test_without_an_issuer_there_is_no_organisation_sign_in(tmp_path: Path) -> None:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'f.db'}"))
    with TestClient(app) as http:
        assert http.get("/auth/options").json() == {"organisation_sign_in": False}
        login = http.get("/auth/login", follow_redirects=False)
        assert (login.status_code, login.headers["location"]) == (303, "/ui")
        # A cookie that no sign-in made authenticates nothing.
        http.cookies.set("foresight_session", "made-up")
        assert http.get("/me").status_code == 401
    app.state.foresight.service.close()


def test_an_issuer_needs_a_client_and_a_session_secret() -> None:
    with pytest.raises(ValidationError, match="FORESIGHT_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://login.example.gov.uk")


def test_a_secret_too_short_to_sign_with_is_refused() -> None:
    with pytest.raises(ValidationError, match="session_secret"):
        Settings(
            oidc_issuer="https://x.example", oidc_client_id="c", session_secret=SecretStr("short")
        )


def test_a_provider_that_does_not_answer_is_a_page_saying_so(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'f.db'}",
        oidc_issuer=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        oidc_client_id="foresight-web",
        session_secret=SecretStr("s" * 32),
    )
    app = create_app(settings)
    with TestClient(app) as http:
        login = http.get("/auth/login", follow_redirects=False)
    assert login.status_code == 502
    assert "sign-in service did not answer" in login.text
    app.state.foresight.service.close()
