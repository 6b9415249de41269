"""Signing in and landing on My cases, finding a case, and what reviewers and auditors see
instead, in Debian's Chromium against `foresight demo` (its users are allocated FAM-0042)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in


def uk_date(iso: str | None) -> str:
    """2024-03-15 as the page shows it: 15 March 2024."""
    if not iso:
        return "no entries"
    day = date.fromisoformat(iso[:10])
    return f"{day.day} {day:%B %Y}"


def rows_of(page: Any, table: str) -> list[list[str]]:
    """The table's body as text, cell by cell (the case id is a row header)."""
    return page.eval_on_selector_all(
        f"{table} tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )


def expected_rows(cases: list[dict]) -> list[list[str]]:
    rows = []
    for item in cases:
        new = item["new_since_last_look"]
        rows.append(
            [
                item["case_id"],
                ", ".join(item["children"]) or "none recorded",
                uk_date(item["last_entry_on"]),
                f"{new} new"
                if new
                else ("nothing new" if item["last_looked_at"] else "not opened yet"),
            ]
        )
    return rows


def wait_for_table(page: Any, table: str, expected: list[list[str]]) -> list[list[str]]:
    for _ in range(100):
        rows = rows_of(page, table)
        if rows == expected:
            break
        page.wait_for_timeout(100)
    return rows


def test_a_social_worker_signs_in_to_their_cases_and_opens_one(page: Any, demo: Any) -> None:
    """The sign-in page asks for a Token; after it /ui shows My cases as /me/cases lists them,
    FAM-0042 among them, each linking to its case page."""
    page.goto(demo.base + "/ui")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Token", exact=True).fill(demo.tokens["sw-jones"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My cases").wait_for()
    mine = demo.api("sw-jones", "/me/cases")
    assert isinstance(mine, list)
    assert "FAM-0042" in [item["case_id"] for item in mine]
    assert wait_for_table(page, "#my-cases", expected_rows(mine)) == expected_rows(mine)
    assert page.evaluate("sessionStorage.getItem('foresight.token')") == demo.tokens["sw-jones"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1000, "height": 560})
    page.screenshot(path=str(ARTIFACTS / "my-cases.png"))

    link = page.get_by_role("link", name="FAM-0042", exact=True)
    assert link.get_attribute("href") == "/ui/cases/FAM-0042"
    link.click()
    page.get_by_role("heading", name="Case FAM-0042").wait_for()
    page.wait_for_selector("#entries tbody tr")


def test_finding_a_case_lists_what_the_api_finds_and_a_short_search_is_refused_beside_the_field(
    page: Any, demo: Any
) -> None:
    sign_in(page, demo, "sw-jones", "/ui")
    page.get_by_role("heading", name="My cases").wait_for()
    page.get_by_label("Find a case").fill("FAM-0042")
    page.get_by_role("button", name="Search").click()
    found = demo.api("sw-jones", "/cases", q="FAM-0042")
    assert isinstance(found, list)
    assert found
    assert wait_for_table(page, "#found-cases", expected_rows(found)) == expected_rows(found)
    assert "1 case found" in page.text_content("#found-status")

    # Too short, or empty: said in plain words beside the field and in the error summary,
    # never in the API's wording, and nothing is asked of the API.
    for typed, words in [
        ("A", "Enter at least 2 characters of a case id or a child's name"),
        ("   ", "Enter a case id or a child's name to search for"),
    ]:
        searches = len([url for url in page.requested if "/cases?q=" in url])
        page.get_by_label("Find a case").fill(typed)
        page.get_by_role("button", name="Search").click()
        error = page.locator("#find-error")
        error.filter(has_text=words).wait_for()
        assert error.text_content() == f"Error: {words}"
        # The field's error is announced with the field, and listed in the error summary.
        assert "find-error" in (page.get_attribute("#find", "aria-describedby") or "")
        assert page.get_by_role("alert").get_by_role("link", name=words).count() == 1
        assert page.input_value("#find") == typed  # nothing typed is lost
        assert page.locator("#found").is_hidden()
        assert len([url for url in page.requested if "/cases?q=" in url]) == searches
    assert serious_violations(page) == []

    # The API's own refusal of a short search reads the same way.
    refused = httpx.get(
        demo.base + "/cases",
        params={"q": "A"},
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        timeout=10,
    )
    assert refused.status_code == 422
    page.route(
        "**/cases?q=*",
        lambda route: route.fulfill(
            status=422,
            headers={"Content-Type": "application/problem+json"},
            body=refused.text,
        ),
    )
    page.get_by_label("Find a case").fill("Ava")
    page.get_by_role("button", name="Search").click()
    page.locator("#find-error").filter(has_text="Enter at least 2 characters").wait_for()
    assert "String should" not in page.text_content("#main")


def test_a_wrong_token_is_refused_beside_the_token_field(page: Any, demo: Any) -> None:
    page.goto(demo.base + "/ui")
    page.get_by_label("Token", exact=True).fill("fst_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#token-error").wait_for()
    assert "not accepted" in page.text_content("#token-error")
    assert page.get_by_role("heading", name="There is a problem").count() == 1
    assert page.evaluate("sessionStorage.getItem('foresight.token')") is None


def test_a_reviewer_lands_on_finding_a_case_and_an_auditor_on_the_audit_trail(
    page: Any, demo: Any
) -> None:
    """No allocations for reviewers and auditors, and no refusal: what they can do instead."""
    sign_in(page, demo, "reviewer-lee", "/ui")
    page.get_by_role("heading", name="Cases to review").wait_for()
    assert page.get_by_role("heading", name="There is a problem").count() == 0
    assert page.locator("#my-cases").is_hidden()
    page.get_by_label("Find a case").fill("FAM-0042")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="FAM-0042", exact=True).click()
    page.get_by_role("heading", name="Case FAM-0042").wait_for()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, demo, "auditor-khan", "/ui")
    page.get_by_role("heading", name="Audit", exact=True).wait_for()
    assert page.url == f"{demo.base}/ui/audit"
    assert page.get_by_role("heading", name="There is a problem").count() == 0
    assert page.get_by_label("Find a case").count() == 0
