"""Every screen passes an automated accessibility check: axe-core (vendored from the npm registry
in tests/browser/vendor/) finds no serious or critical violation on the sign-in page, My cases,
the case page with its panel open on an entry and on a decision, and the person page, at
1280 px and at 390 px wide, where the sign-in page and My cases never scroll sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.conftest import sign_in


@pytest.fixture(params=[1280, 390], ids=["wide", "narrow"])
def sized(request: Any, browser: Any) -> Iterator[Any]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 800 if width > 400 else 844})
    page = context.new_page()
    page.width = width
    yield page
    context.close()


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= page.width)


def test_the_axe_check_finds_a_violation_when_there_is_one(page: Any, demo: Any) -> None:
    """The control: an unlabelled field added to the page is reported as a serious violation."""
    page.goto(demo.base + "/ui")
    page.get_by_label("Token", exact=True).wait_for()
    page.evaluate("""() => {
        const input = document.createElement("input");
        input.type = "text";
        document.querySelector("#login-form").append(input);
    }""")
    assert "label" in [v["id"] for v in serious_violations(page)]


def test_the_sign_in_page(sized: Any, demo: Any) -> None:
    sized.goto(demo.base + "/ui")
    sized.get_by_label("Token", exact=True).wait_for()
    assert serious_violations(sized) == []
    assert no_sideways_scroll(sized)
    # A refused token: the error summary and the error message beside the field pass too.
    sized.get_by_label("Token", exact=True).fill("fst_wrong")
    sized.get_by_role("button", name="Sign in").click()
    sized.locator("#token-error").wait_for()
    assert serious_violations(sized) == []
    assert no_sideways_scroll(sized)


def test_my_cases_and_a_refused_search(sized: Any, demo: Any) -> None:
    sign_in(sized, demo, "sw-jones", "/ui")
    sized.get_by_role("link", name="FAM-0042", exact=True).wait_for()
    assert serious_violations(sized) == []
    assert no_sideways_scroll(sized)
    sized.get_by_label("Find a case").fill("x")
    sized.get_by_role("button", name="Search").click()
    sized.locator("#find-error").wait_for()
    assert serious_violations(sized) == []
    assert no_sideways_scroll(sized)


def test_the_case_page_with_the_panel_on_an_entry_and_on_a_decision(page: Any, demo: Any) -> None:
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    page.wait_for_selector(".vis-item")
    page.click(f"#row-{demo_id('school-hungry')} button")
    page.wait_for_selector("#panel-body dl")
    assert serious_violations(page) == []
    page.click(f"#row-{demo_id('decision-assess')} button")
    page.wait_for_selector("#group-learned-later")
    assert serious_violations(page) == []


def test_the_person_page(page: Any, demo: Any) -> None:
    sign_in(page, demo, "reviewer-lee", "/ui/people/ava")
    page.wait_for_selector("#person-entries tbody tr")
    assert serious_violations(page) == []


def test_signing_in_and_opening_a_case_by_keyboard_alone(page: Any, demo: Any) -> None:
    """Tab reaches the skip link first, which moves focus to the main content; the token is
    typed and sent with Enter; Tab reaches the case's link and Enter opens it."""
    page.goto(demo.base + "/ui")
    page.get_by_label("Token", exact=True).wait_for()
    assert page.title() == "Sign in · Foresight"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "token":
            break
    page.keyboard.type(demo.tokens["sw-jones"])
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="My cases").wait_for()
    page.get_by_role("link", name="FAM-0042", exact=True).wait_for()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "FAM-0042":
            break
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Case FAM-0042").wait_for()
