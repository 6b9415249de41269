"""Single sign-on in Chromium: the sign-in page offers the organisation's account, the real
test OpenID provider (tests/oidc) signs the person in through its own login and consent
pages, the page works with the session cookie (changes carry the CSRF token), and signing
out ends the session on the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.axe import serious_violations
from tests.demo_server import Demo
from tests.oidc.provider import demo_with_single_sign_on


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_with_single_sign_on(tmp_path_factory.mktemp("sso-web")) as (served, _):
        yield served


def post_from_page(page: Any, case_id: str, *, with_fetch: bool) -> int:
    """A contact posted by the page's own script: through fetch (session.js adds the CSRF
    token) or through XMLHttpRequest, which nothing of ours touches."""
    return int(
        page.evaluate(
            """async ([caseId, withFetch]) => {
              const url = `/cases/${caseId}/events`;
              const body = JSON.stringify({type: "contact_received", occurred_at: "2024-04-02",
                summary: "Worried about the baby's weight", data: {contact_kind: "concern"}});
              if (withFetch) {
                const response = await fetch(url, {method: "POST", body,
                  headers: {"Content-Type": "application/json"}});
                return response.status;
              }
              return await new Promise((resolve) => {
                const request = new XMLHttpRequest();
                request.open("POST", url);
                request.setRequestHeader("Content-Type", "application/json");
                request.onload = () => resolve(request.status);
                request.send(body);
              });
            }""",
            [case_id, with_fetch],
        )
    )


def test_sign_in_with_the_organisations_account_then_sign_out(page: Any, demo: Demo) -> None:
    page.goto(demo.base + "/ui")
    organisation = page.get_by_role("link", name="Sign in with your organisation's account")
    organisation.wait_for()
    assert page.get_by_label("Token", exact=True).is_visible()  # the token sign-in stays
    assert page.get_by_role("button", name="Sign in", exact=True).is_visible()
    assert serious_violations(page) == []

    organisation.click()
    page.get_by_role("textbox", name="Enter any login").fill("sw-jones")
    page.get_by_placeholder("and password").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent

    page.get_by_role("heading", name="My cases").wait_for()
    assert page.url == demo.base + "/ui"
    assert page.locator("#who").inner_text() == "sw-jones · practitioner · social_care"
    cookies = {c["name"]: c["value"] for c in page.context.cookies(demo.base)}
    assert {"foresight_session", "foresight_csrf"} <= set(cookies)

    case_id = f"SSO-{uuid.uuid4().hex[:8]}"
    assert post_from_page(page, case_id, with_fetch=False) == 403  # no CSRF token
    bearer = {"Authorization": f"Bearer {demo.tokens['sw-jones']}"}
    assert httpx.get(f"{demo.base}/cases/{case_id}/events", headers=bearer).status_code == 404
    assert post_from_page(page, case_id, with_fetch=True) == 201
    events = httpx.get(f"{demo.base}/cases/{case_id}/events", headers=bearer).json()
    assert [event["recorded_by"] for event in events] == ["sw-jones"]

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    old = {"foresight_session": cookies["foresight_session"]}
    assert httpx.get(demo.base + "/me", cookies=old).status_code == 401
    assert "foresight_session" not in {c["name"] for c in page.context.cookies(demo.base)}
