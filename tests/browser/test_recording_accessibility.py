"""The recording forms pass axe-core (no serious or critical violation), each form open with
its More section and its errors showing, at 1280 and 390 px; pictures of them for the docs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in

FORMS = [
    "Record a contact",
    "Record the child's words",
    "Record the child was seen",
    "Record a decision",
    "Share with an agency",
]


@pytest.fixture(params=[1280, 390], ids=["wide", "narrow"])
def sized(request: Any, browser: Any) -> Any:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.width = width
    yield page
    context.close()


def test_the_check_sees_a_violation_in_the_recording_section(page: Any, demo: Any) -> None:
    """A control: an unlabelled field put into the section is reported."""
    sign_in(page, demo, "sw-jones")
    page.locator("#recording").get_by_role("button", name="Record a contact").wait_for()
    page.evaluate(
        "document.getElementById('recording').append(Object.assign("
        "document.createElement('input'), {type: 'text'}))"
    )
    assert any(v["id"] == "label" for v in serious_violations(page, "#recording"))


@pytest.mark.parametrize("name", FORMS)
def test_each_form_open_with_its_errors_passes_axe(sized: Any, demo: Any, name: str) -> None:
    page = sized
    sign_in(page, demo, "sw-jones")
    page.locator("#recording").get_by_role("button", name=name).click()
    form = page.get_by_role("form", name=name)
    form.wait_for()
    more = form.get_by_text("More", exact=True)
    if more.count():
        more.click()
    assert serious_violations(page, "#recording") == []
    # Errors for every required field: shown beside them and in the summary.
    for text_field in form.locator("input[type=text]").all():
        text_field.fill("")
    form.get_by_role("button", name="Save").click()
    form.locator(".govuk-error-summary").wait_for()
    assert serious_violations(page, "#recording") == []
    overflowing = page.evaluate(
        "[...document.querySelectorAll('#recording *')]"
        f".filter(e => e.getBoundingClientRect().right > {page.width}).length"
    )
    assert overflowing == 0
    if name == "Record a contact":
        ARTIFACTS.mkdir(exist_ok=True)
        form.screenshot(path=str(ARTIFACTS / f"record-a-contact-errors-{page.width}.png"))


def test_the_success_message_passes_axe(page: Any, demo: Any) -> None:
    sign_in(page, demo, "sw-jones")
    page.locator("#recording").get_by_role("button", name="Record the child was seen").click()
    form = page.get_by_role("form", name="Record the child was seen")
    form.get_by_label("When", exact=True).fill("18/03/2024")
    form.get_by_role("group", name="About").get_by_label("Ava (child)").check()
    form.get_by_role("group", name="Seen alone").get_by_label("No").check()
    form.get_by_role("button", name="Save").click()
    banner = page.locator("#recording .govuk-notification-banner")
    banner.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('govuk-notification-banner')")
    assert serious_violations(page, "#recording") == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#recording").screenshot(path=str(ARTIFACTS / "recorded.png"))
