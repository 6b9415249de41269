"""The web page and the API docs work under the Content Security Policy, in Debian's Chromium,
with no violation reported; and the policy is really enforced (an injected inline script is
blocked and reported)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.samples.demo import demo_id
from tests.browser.conftest import wait_for_rows

# The policy the pages are served with, whole: frame-src blob: lets a PDF document be shown in
# the page (test_documents_in_browser.py); nothing else is allowed from beyond this server.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; frame-src blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Collects every violation the page reports, from before its own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class Watched:
    """A page whose CSP violations and console messages are kept."""

    def __init__(self, page: Any):
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.console.append(str(error)))

    def violations(self) -> list[str]:
        reported = self.page.evaluate("window.__violations")
        logged = [text for text in self.console if "Content Security Policy" in text]
        return list(reported) + logged


@pytest.fixture
def watched(browser: Any, demo: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_VIOLATIONS)
    yield Watched(context.new_page())
    context.close()


def test_the_case_page_works_under_the_policy_without_a_violation(
    watched: Watched, demo: Any
) -> None:
    page = watched.page
    response = page.goto(demo.base + "/ui/cases/FAM-0042")
    assert response.headers["content-security-policy"] == POLICY
    page.get_by_label("Token", exact=True).fill(demo.tokens["reviewer-lee"])
    page.get_by_role("button", name="Sign in").click()
    entries = [
        entry["event_id"] for entry in demo.api("reviewer-lee", "/cases/FAM-0042/chronology")
    ]
    assert wait_for_rows(page, entries) == entries
    page.wait_for_selector(".vis-item")  # the timeline drew its items
    page.click(f"#row-{demo_id('decision-assess')} button")
    page.wait_for_selector("#group-learned-later")
    page.locator("#case").get_by_label("As known at").fill("16/01/2024 12:00")
    page.locator("#case").get_by_label("As known at").press("Enter")
    page.wait_for_function(
        "document.querySelector('#known-label').textContent.includes('16 January 2024')"
    )
    page.goto(demo.base + "/ui/people/ava")
    page.wait_for_selector("#person-entries tbody tr")
    assert watched.violations() == []


def test_the_api_docs_work_under_the_policy_without_a_violation(
    watched: Watched, demo: Any
) -> None:
    page = watched.page
    response = page.goto(demo.base + "/docs")
    assert response.headers["content-security-policy"] == POLICY
    page.wait_for_selector(".opblock-summary-path")  # operations listed from /openapi.json
    assert page.locator(".opblock-summary-path", has_text="/cases/{case_id}/chronology").count()
    page.wait_for_load_state("networkidle")
    assert watched.violations() == []


def test_an_injected_inline_script_is_blocked_and_reported(watched: Watched, demo: Any) -> None:
    """The control: the policy is enforced and the watch sees a violation when there is one."""
    page = watched.page
    page.goto(demo.base + "/ui")
    page.wait_for_selector("#login-form")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.append(script);
    }""")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any(v.startswith("script-src") for v in watched.violations())
