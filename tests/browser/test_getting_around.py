"""Getting around the case and the person: the timeline's Fit and its closest zoom, and the
person page titled by name, replayed as known at a date typed the UK way."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from api.samples.demo import demo_id
from tests.browser.conftest import ARTIFACTS, ids, sign_in
from tests.browser.test_reading_in_words import serious_violations

HOUR = 3600.0


def instant(value: str) -> datetime:
    """A recorded date or instant as a UTC instant (a date at its midnight)."""
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shown_window(page, after: tuple[str, str] | None = None) -> tuple[datetime, datetime]:
    """The timeline's visible window, waiting until it differs from `after` and settles."""
    deadline = time.monotonic() + 10
    last = None
    while time.monotonic() < deadline:
        current = (
            page.get_attribute("#timeline", "data-window-start"),
            page.get_attribute("#timeline", "data-window-end"),
        )
        if current[0] and current != after and current == last:
            return instant(current[0]), instant(current[1])
        last = current
        page.wait_for_timeout(200)
    raise AssertionError(f"the timeline's window did not settle (last {last})")


def window_text(page) -> tuple[str, str]:
    return (
        page.get_attribute("#timeline", "data-window-start") or "",
        page.get_attribute("#timeline", "data-window-end") or "",
    )


def test_fit_shows_the_whole_case_after_focusing_on_one_entry(page, demo):
    """Choosing an entry keeps a readable window around it; Fit then shows every entry."""
    sign_in(page, demo, "reviewer-lee")
    entries = demo.api("reviewer-lee", "/cases/FAM-0042/chronology")
    page.wait_for_selector("#entries tbody tr")
    shown_window(page)

    before = window_text(page)
    page.click(f"#row-{demo_id('decision-assess')} button")
    start, end = shown_window(page, after=before)
    decided = instant("2024-01-16T11:00:00+00:00")
    assert start < decided < end
    assert (end - start).total_seconds() >= HOUR
    assert (end - start).total_seconds() <= 29 * 24 * HOUR

    before = window_text(page)
    page.get_by_role("button", name="Fit", exact=True).click()
    start, end = shown_window(page, after=before)
    happened = sorted(instant(entry["occurred_at"]) for entry in entries)
    assert start <= happened[0]
    assert end >= happened[-1]


def test_the_timeline_never_zooms_closer_than_an_hour(page, demo):
    """Zooming in as far as the wheel goes (Ctrl and scroll) stops at one hour."""
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    shown_window(page)
    before = window_text(page)
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    for _ in range(60):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(20)
    page.keyboard.up("Control")
    start, end = shown_window(page, after=before)
    assert (end - start).total_seconds() >= HOUR - 1
    assert (end - start).total_seconds() < 2 * HOUR


def person_rows(page, expected: list[str]) -> list[str]:
    """The person table's event ids, once they are `expected` (or after 10 seconds)."""
    deadline = time.monotonic() + 10
    while True:
        rows = page.eval_on_selector_all(
            "#person-entries tbody tr", "rows => rows.map(r => r.dataset.eventId)"
        )
        if rows == expected or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(100)


def test_the_person_page_is_titled_by_name_and_replays_as_known_at_a_uk_date(page, demo):
    """Ava's page is titled Ava, shows her own words distinctly, and replays as known at
    20/01/2024 exactly as the API does (fewer entries, status as known then)."""
    sign_in(page, demo, "reviewer-lee", path="/ui/people/ava")
    person = page.locator("#person")
    now = ids(demo.api("reviewer-lee", "/people/ava/chronology"))
    assert person_rows(page, now) == now
    assert person.get_by_role("heading", level=1).inner_text() == "Ava"
    assert "Jay shouts at mummy" in person.locator("blockquote").first.inner_text()
    assert "On a child protection plan today" in page.inner_text("#person-status")
    assert "16 January 2024, 11:00" in page.inner_text("#person-entries")

    known_at = person.get_by_label("As known at")
    known_at.fill("20/01/2024")
    person.get_by_role("button", name="Show").click()
    then = ids(demo.api("reviewer-lee", "/people/ava/chronology", as_known_at="2024-01-20"))
    assert person_rows(page, then) == then
    assert len(then) < len(now)
    assert person.locator("blockquote").count() == 0
    assert page.inner_text("#person-known-label") == "As known at the end of 20 January 2024"
    status = demo.api("reviewer-lee", "/people/ava/status", as_known_at="2024-01-20")
    assert status["has_been_on_child_protection_plan"] is False
    assert "Not known to have been on a child protection plan" in page.inner_text("#person-status")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "person-as-known-at.png"), full_page=True)

    known_at.fill("2024-01-16 11:45")
    person.get_by_role("button", name="Show").click()
    at_time = ids(
        demo.api("reviewer-lee", "/people/ava/chronology", as_known_at="2024-01-16T11:45")
    )
    assert person_rows(page, at_time) == at_time
    assert at_time != then


def test_a_date_that_is_not_a_date_is_said_so_beside_the_field(page, demo):
    """A mistyped date shows an error beside the field, keeps what was typed, and changes
    nothing shown."""
    sign_in(page, demo, "reviewer-lee", path="/ui/people/ava")
    person = page.locator("#person")
    now = ids(demo.api("reviewer-lee", "/people/ava/chronology"))
    assert person_rows(page, now) == now
    person.get_by_label("As known at").fill("31/02/2024")
    person.get_by_role("button", name="Show").click()
    page.wait_for_selector("#person-known-at-error")
    assert "not a real date" in page.inner_text("#person-known-at-error")
    assert person.get_by_label("As known at").input_value() == "31/02/2024"
    assert person_rows(page, now) == now


def test_the_person_page_has_no_serious_accessibility_violation(browser, demo):
    """axe-core finds no serious or critical violation on the person page, its as-known-at
    field in error included, nor in the Fit button (axe is injected in this test's context)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, demo, "reviewer-lee", path="/ui/people/ava")
        page.wait_for_selector("#person-entries tbody tr")
        assert serious_violations(page, "#person") == []
        page.locator("#person").get_by_label("As known at").fill("not a date")
        page.locator("#person").get_by_role("button", name="Show").click()
        page.wait_for_selector("#person-known-at-error")
        assert serious_violations(page, "#person") == []
        page.goto(demo.base + "/ui/cases/FAM-0042")
        page.wait_for_selector("#entries tbody tr")
        assert serious_violations(page, "#fit") == []
    finally:
        context.close()
