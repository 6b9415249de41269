"""Single sign-on in Chromium: the sign-in page offers the organisation's account, the real
test OpenID provider (tests/oidc) signs the person in through its own login and consent
pages, the page works with the session cookie (changes carry the CSRF token), and signing
out ends the session on the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.axe import serious_violations
from tests.browser.test_recording import fill_contact, saved
from tests.demo_server import Demo
from tests.oidc.provider import demo_with_single_sign_on

CASE = "FAM-0042"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_with_single_sign_on(tmp_path_factory.mktemp("sso-web")) as (served, _):
        yield served


def sign_in_with_the_organisations_account(
    page: Any, demo: Demo, login: str, start: str = "/ui"
) -> None:
    """From the sign-in page (at `start`) through the provider's own login and consent pages."""
    page.goto(demo.base + start)
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    page.get_by_role("textbox", name="Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    # The provider asks for consent once per browser, and each test has a browser of its own.
    page.get_by_role("button", name="Continue").click()


def post_without_the_csrf_token(page: Any, case_id: str) -> int:
    """A contact posted by script with the session cookie but through XMLHttpRequest, which
    session.js does not give the CSRF token (as a forged request from elsewhere would not)."""
    return int(
        page.evaluate(
            """(caseId) => new Promise((resolve) => {
              const request = new XMLHttpRequest();
              request.open("POST", `/cases/${caseId}/events`);
              request.setRequestHeader("Content-Type", "application/json");
              request.onload = () => resolve(request.status);
              request.send(JSON.stringify({type: "contact_received", occurred_at: "2024-04-02",
                summary: "Forged", data: {contact_kind: "concern"}}));
            })""",
            case_id,
        )
    )


def test_sign_in_with_the_organisations_account_record_then_sign_out(page: Any, demo: Demo) -> None:
    page.goto(demo.base + "/ui")
    organisation = page.get_by_role("link", name="Sign in with your organisation's account")
    organisation.wait_for()
    assert page.get_by_label("Token", exact=True).is_visible()  # the token sign-in stays
    assert page.get_by_role("button", name="Sign in", exact=True).is_visible()
    assert serious_violations(page) == []

    sign_in_with_the_organisations_account(page, demo, "sw-jones")
    page.get_by_role("heading", name="My cases").wait_for()
    assert page.url == demo.base + "/ui"
    assert page.locator("#who").inner_text() == "sw-jones · practitioner · social_care"
    cookies = {c["name"]: c["value"] for c in page.context.cookies(demo.base)}
    assert {"foresight_session", "foresight_csrf"} <= set(cookies)

    # Recording through the page's own form: its POST carries the session's CSRF token.
    page.get_by_role("link", name="FAM-0042").click()
    page.get_by_role("button", name="Record a contact").wait_for()
    page.wait_for_selector("#entries tbody tr")
    before = demo.api("sw-jones", f"/cases/{CASE}/events")
    assert post_without_the_csrf_token(page, CASE) == 403
    assert demo.api("sw-jones", f"/cases/{CASE}/events") == before  # nothing written
    form = fill_contact(page, "Recorded after signing in with the organisation's account")
    form.get_by_role("button", name="Save").click()
    saved(page, "Concern recorded")
    after = demo.api("sw-jones", f"/cases/{CASE}/events")
    new = [event for event in after if event not in before]
    assert [(event["type"], event["recorded_by"]) for event in new] == [
        ("contact_received", "sw-jones")
    ]

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    old = {"foresight_session": cookies["foresight_session"]}
    assert httpx.get(demo.base + "/me", cookies=old).status_code == 401
    assert "foresight_session" not in {c["name"] for c in page.context.cookies(demo.base)}


def test_signing_in_from_a_case_returns_to_that_case(page: Any, demo: Demo) -> None:
    sign_in_with_the_organisations_account(page, demo, "sw-jones", start="/ui/cases/FAM-0042")
    page.get_by_role("heading", name="Case FAM-0042").wait_for()
    assert page.url == demo.base + "/ui/cases/FAM-0042"


def test_a_session_ended_elsewhere_sends_the_page_back_to_sign_in(page: Any, demo: Demo) -> None:
    sign_in_with_the_organisations_account(page, demo, "sw-jones")
    page.get_by_role("heading", name="My cases").wait_for()
    cookies = {c["name"]: c["value"] for c in page.context.cookies(demo.base)}
    ended = httpx.post(  # signed out in another tab
        demo.base + "/auth/logout",
        cookies={"foresight_session": cookies["foresight_session"]},
        headers={"X-CSRF-Token": cookies["foresight_csrf"]},
    )
    assert ended.status_code == 204
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_role("alert").get_by_text("Your session has ended: sign in again").count()
    assert page.get_by_role("link", name="Sign in with your organisation's account").count() == 1


def test_a_person_the_authority_has_not_set_up_is_told_why(page: Any, demo: Demo) -> None:
    sign_in_with_the_organisations_account(page, demo, "sam-unmapped")
    page.get_by_role("heading", name="You could not be signed in").wait_for()
    assert "foresight users map sam-unmapped" in page.get_by_role("main").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Back to sign in").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_the_audit_screens_work_with_the_session_and_sign_out_ends_it(
    page: Any, demo: Demo
) -> None:
    """An auditor lands on the audit screens (session.js's own sign-in), which read with the
    session cookie; their Sign out ends the session on the server too."""
    sign_in_with_the_organisations_account(page, demo, "auditor-khan")
    page.get_by_role("heading", name="Access log").wait_for()
    assert page.url.startswith(demo.base + "/ui/audit")
    assert "auditor-khan" in page.locator("#who").inner_text()
    cookies = {c["name"]: c["value"] for c in page.context.cookies(demo.base)}
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    old = {"foresight_session": cookies["foresight_session"]}
    assert httpx.get(demo.base + "/me", cookies=old).status_code == 401
