"""The web page in Debian's Chromium, driven by Playwright, against `foresight demo` on loopback."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from api.samples.demo import demo_id
from tests.browser.conftest import ARTIFACTS, CHROMIUM, ids, sign_in, wait_for_rows


def test_replaying_as_known_at_a_date_shows_exactly_what_the_api_says(page, demo):
    """Moving "as known at" back, choosing an agency and using the slider match the API."""
    sign_in(page, demo, "reviewer-lee")
    now = ids(demo.api("reviewer-lee", "/cases/FAM-0042/chronology"))
    assert wait_for_rows(page, now) == now

    known_at = page.locator("#case").get_by_label("As known at")
    known_at.fill("32/01/2024")  # not a real date: said beside the field, the view unchanged
    known_at.press("Enter")
    page.locator("#known-at-error").wait_for()
    assert "not a real date" in page.text_content("#known-at-error")
    assert wait_for_rows(page, now) == now
    known_at.fill("16/01/2024 12:00")  # typed the UK way
    known_at.press("Enter")
    then = ids(
        demo.api("reviewer-lee", "/cases/FAM-0042/chronology", as_known_at="2024-01-16T12:00")
    )
    assert wait_for_rows(page, then) == then
    assert len(then) < len(now)
    assert page.text_content("#known-label") == "as known at 16 January 2024, 12:00"

    page.select_option("#agency", "social_care")
    social_care = ids(
        demo.api(
            "reviewer-lee",
            "/cases/FAM-0042/chronology",
            as_known_at="2024-01-16T12:00",
            agency="social_care",
        )
    )
    assert wait_for_rows(page, social_care) == social_care
    assert social_care != then

    page.select_option("#agency", "")
    page.focus("#known-slider")
    page.eval_on_selector(
        "#known-slider", "s => { s.value = '5'; s.dispatchEvent(new Event('input')); }"
    )
    moments = sorted(
        {event["known_at"] for event in demo.api("reviewer-lee", "/cases/FAM-0042/events")}
    )
    at_stop = ids(demo.api("reviewer-lee", "/cases/FAM-0042/chronology", as_known_at=moments[5]))
    assert wait_for_rows(page, at_stop) == at_stop

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-as-known-at.png"), full_page=True)


def test_a_decision_opens_its_three_foresight_groups(page, demo):
    """Clicking the first decision shows known, held elsewhere and learned later as the API does."""
    sign_in(page, demo, "reviewer-lee")
    decision = demo_id("decision-assess")
    page.click(f"#row-{decision} button")
    page.wait_for_selector("#group-learned-later")
    view = demo.api("reviewer-lee", f"/cases/FAM-0042/decisions/{decision}/foresight")
    for group, key in (
        ("known-to-decider", "known_to_decider"),
        ("held-elsewhere", "held_elsewhere"),
        ("learned-later", "learned_later"),
    ):
        shown = page.eval_on_selector_all(
            f"#group-{group} a", "links => links.map(a => a.dataset.eventId)"
        )
        assert shown == [item["entry"]["event_id"] for item in view[key]], group
    assert demo_id("school-hungry") in page.eval_on_selector_all(
        "#group-held-elsewhere a", "links => links.map(a => a.dataset.eventId)"
    )
    page.click(f"#group-learned-later a[data-event-id='{demo_id('police-earlier')}']")
    assert "chosen" in (page.get_attribute(f"#row-{demo_id('police-earlier')}", "class") or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "decision-foresight.png"), full_page=True)


def test_the_page_loads_nothing_from_outside_loopback(page, demo):
    """Every request the page makes, assets included, goes to 127.0.0.1."""
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    page.wait_for_load_state("networkidle")
    assert page.requested
    outside = [url for url in page.requested if not url.startswith(demo.base)]
    assert outside == []
    assert page.evaluate("typeof vis") == "object"
    # govuk-frontend is started by app.js, and the GDS Transport font and the crown its CSS
    # still names (for GOV.UK services only) are never asked for.
    assert "govuk-frontend-supported" in (page.get_attribute("body", "class") or "")
    assert page.get_attribute(".govuk-skip-link", "data-govuk-skip-link-init") == ""
    assert [url for url in page.requested if "/assets/" in url] == []
    font = page.eval_on_selector("h1", "h => getComputedStyle(h).fontFamily")
    assert "GDS Transport" not in font


def test_a_practitioner_sees_only_their_agency_and_no_foresight_view(page, demo):
    """The agency selector is fixed to the user's agency and a decision shows why foresight is
    withheld."""
    sign_in(page, demo, "sw-jones")
    mine = ids(demo.api("sw-jones", "/cases/FAM-0042/chronology"))
    assert wait_for_rows(page, mine) == mine
    assert page.is_disabled("#agency")
    assert page.input_value("#agency") == "social_care"
    page.click(f"#row-{demo_id('decision-assess')} button")
    page.wait_for_selector("#panel-body .error")
    assert "reviewers" in page.text_content("#panel-body .error")


def test_record_text_is_shown_as_text_never_as_html(page, demo):
    """A summary holding markup appears literally and creates no element."""
    hostile = "<img src=x onerror=\"document.title='owned'\">"
    response = httpx.post(
        demo.base + "/cases/FAM-0042/events",
        json={"type": "note_added", "occurred_at": "2024-03-01", "summary": hostile},
        headers={"Authorization": f"Bearer {demo.tokens['pc-1234']}"},
        timeout=10,
    )
    assert response.status_code == 201
    sign_in(page, demo, "reviewer-lee")
    row = f"#row-{response.json()['event_id']}"
    page.wait_for_selector(row)
    assert page.text_content(f"{row} button") == hostile
    assert page.query_selector(f"{row} img") is None
    assert page.query_selector("#timeline img") is None
    assert page.title() != "owned"


def test_the_page_works_on_a_narrow_screen_and_by_keyboard(browser, demo):
    """At 390px wide nothing overflows sideways, and the slider moves with the arrow keys."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, demo, "reviewer-lee")
        page.wait_for_selector("#entries tbody tr")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        page.focus("#known-slider")
        page.keyboard.press("ArrowLeft")
        # Polled from here: the page's CSP (rightly) forbids the evaluated predicates
        # that wait_for_function would inject.
        deadline = time.monotonic() + 5
        while page.text_content("#known-label") == "as known now" and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert page.text_content("#known-label").startswith("as known at ")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "narrow.png"), full_page=False)
    finally:
        context.close()


def test_the_page_is_served_with_a_policy_forbidding_inline_scripts(demo):
    """The page's Content Security Policy allows scripts from this server only."""
    response = httpx.get(demo.base + "/ui/cases/FAM-0042", timeout=10)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["cache-control"] == "no-store"
    assert shutil.which("chromium") or Path(CHROMIUM).exists()


def test_the_case_page_as_a_reviewer_first_sees_it(browser, demo):
    """The picture of the case page in the docs (docs/images/case-page.png is this one): the
    replay controls, the plans and allocations strips and the timeline, at three quarters of
    the pixels so that the file stays small."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 1500}, device_scale_factor=0.75
    )
    page = context.new_page()
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    page.get_by_role("button", name="Start a review").wait_for()
    page.locator("#allocations-list li").first.wait_for()
    page.locator("#timeline .vis-item").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("textbox", name="As known at").is_visible()
    timeline = page.locator("#timeline").bounding_box()
    assert timeline is not None
    assert timeline["height"] > 200
    ARTIFACTS.mkdir(exist_ok=True)
    # Down to the timeline's first lanes: enough to see it, small enough a file (under 150 KB).
    page.screenshot(
        path=str(ARTIFACTS / "case-page.png"),
        clip={"x": 0, "y": 0, "width": 1280, "height": timeline["y"] + 480},
    )
    context.close()
