"""Recording in the browser: the light forms on the case page, filled in as a person would,
checked against what the API then holds."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.conftest import Demo, sign_in

CASE = "/cases/FAM-0042/events"


def stored(demo: Demo, user: str = "sw-jones") -> list[dict[str, Any]]:
    events = demo.api(user, CASE)
    assert isinstance(events, list)
    return events


def new_since(demo: Demo, before: list[dict[str, Any]], user: str = "sw-jones") -> list[dict]:
    known = {event["event_id"] for event in before}
    return [event for event in stored(demo, user) if event["event_id"] not in known]


def open_case(page, demo: Demo, user: str = "sw-jones") -> None:
    sign_in(page, demo, user)
    page.get_by_role("button", name="Record a contact").wait_for()
    page.wait_for_selector("#entries tbody tr")


# The forms whose buttons are always in sight; the others are under "More ways to record".
EVERYDAY = [
    "Record a contact",
    "Record the child's words",
    "Record the child was seen",
    "Record a decision",
    "Share with an agency",
]


def more_ways_to_record(page):
    """Open "More ways to record" (the less everyday forms' buttons) unless it is open, and
    give back the recording section."""
    recording = page.locator("#recording")
    more = recording.locator("details").filter(has_text="More ways to record")
    if more.get_attribute("open") is None:
        recording.get_by_text("More ways to record", exact=True).click()
    return recording


def open_form(page, name: str):
    """Press a recording button and wait for its form (the case's people load first)."""
    if name not in EVERYDAY:
        more_ways_to_record(page)
    page.locator("#recording").get_by_role("button", name=name).click()
    form = page.get_by_role("form", name=name)
    form.wait_for()
    return form


def saved(page, text: str) -> str:
    """The success message in the recording section, once shown."""
    banner = page.locator("#recording .govuk-notification-banner").filter(has_text=text)
    banner.wait_for()
    return banner.inner_text()


def fill_contact(page, summary: str, when: str = "15/03/2024 10:15"):
    form = open_form(page, "Record a contact")
    form.get_by_role("radio", name="Concern").check()
    form.get_by_label("When", exact=True).fill(when)
    about = form.get_by_role("group", name="About")
    about.get_by_label("Ava (child)").check()
    about.get_by_label("Leo (child)").check()
    form.get_by_label("Summary").fill(summary)
    return form


def test_a_contact_is_recorded_and_shown_without_a_reload(page, demo):
    """Four fields and Save: one contact_received of social care by sw-jones, in the table."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a contact")
    assert page.evaluate("document.activeElement.name") == "kind", "focus moves into the form"
    about = form.get_by_role("group", name="About")
    assert about.get_by_role("checkbox", checked=True).count() == 0, "none preselected"
    page.get_by_role("button", name="Cancel").click()
    page.evaluate("window.notReloaded = true")
    form = fill_contact(page, "Neighbour heard a child screaming at 12 Mill Lane")
    form.get_by_role("button", name="Save").click()

    message = saved(page, "Concern recorded")
    assert "15 March 2024 at 10:15, about Ava and Leo" in message
    assert page.get_by_role("form", name="Record a contact").count() == 0, "the form closes"
    new = new_since(demo, before)
    assert len(new) == 1
    event = new[0]
    assert event["type"] == "contact_received"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["subjects"] == ["ava", "leo"]
    assert event["occurred_at"] == "2024-03-15T10:15:00+00:00"
    assert event["data"]["contact_kind"] == "concern"
    assert event["summary"] == "Neighbour heard a child screaming at 12 Mill Lane"
    page.wait_for_selector(f"#row-{event['event_id']}")
    assert page.evaluate("window.notReloaded") is True, "no page reload"


def test_the_optional_fields_are_behind_more_and_saved(page, demo):
    """Impact, action, significance, source agency, concern categories and outcome."""
    open_case(page, demo)
    before = stored(demo)
    form = fill_contact(page, "Health visitor rang about Leo's weight", when="2 April 2024")
    form.get_by_label("Not sure of the date").check()
    assert not form.get_by_label("Impact on the child").is_visible()
    form.get_by_text("More", exact=True).click()
    assert "null" not in form.inner_text(), "a field without a hint shows no stray text"
    form.get_by_label("Impact on the child").fill("Leo losing weight")
    form.get_by_label("Action taken, or why none").fill("Home visit booked")
    form.get_by_label("Significance of this entry").select_option("significant")
    form.get_by_label("Source agency").select_option("health")
    form.get_by_label("Neglect").check()
    form.get_by_label("Outcome").select_option("assessment")
    form.get_by_role("button", name="Save").click()
    saved(page, "Concern recorded")
    (event,) = new_since(demo, before)
    assert event["occurred_at"] == "2024-04-02"
    assert event["date_uncertain"] is True
    assert event["impact"] == "Leo losing weight"
    assert event["action"] == "Home visit booked"
    assert event["significance"] == "significant"
    assert event["data"] == {
        "contact_kind": "concern",
        "source_agency": "health",
        "concern_categories": ["neglect"],
        "outcome": "assessment",
    }


def test_a_date_refused_by_the_record_is_shown_beside_when_and_nothing_is_written(page, demo):
    """A date in 2099: the server's refusal appears at When; what was typed stays."""
    open_case(page, demo)
    before = stored(demo)
    form = fill_contact(page, "Written in the future", when="15/03/2099")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-contact-when-group .govuk-error-message")
    error.wait_for()
    assert "cannot be in the future" in error.inner_text()
    when = form.get_by_label("When", exact=True)
    assert "rec-contact-when-error" in (when.get_attribute("aria-describedby") or "")
    summary = form.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="The date cannot be in the future").count() == 1
    assert form.get_by_label("Summary").input_value() == "Written in the future"
    assert form.get_by_role("group", name="About").get_by_label("Leo (child)").is_checked()
    assert new_since(demo, before) == []

    when.fill("14/03/2024")
    form.get_by_role("button", name="Save").click()
    saved(page, "Concern recorded")
    assert len(new_since(demo, before)) == 1


def test_an_empty_form_is_refused_in_the_browser_field_by_field(page, demo):
    """Every required field says what is missing, beside it and in the summary at the top."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a contact")
    form.get_by_label("When", exact=True).fill("31/02/2024")
    form.get_by_role("button", name="Save").click()
    summary = form.locator(".govuk-error-summary")
    summary.wait_for()
    links = summary.get_by_role("link").all_inner_texts()
    assert links == [
        "Select what happened: a referral, a concern, a notification or a request for help",
        "Enter a real date: that day does not exist",
        "Select who the contact is about",
        "Enter a summary of what happened",
    ]
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    summary.get_by_role("link", name="Enter a summary of what happened").click()
    assert page.evaluate("document.activeElement.name") == "summary"
    assert new_since(demo, before) == []


def test_a_double_click_on_save_writes_one_event(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = fill_contact(page, "Saved twice by an impatient double click")
    form.get_by_role("button", name="Save").dblclick()
    saved(page, "Concern recorded")
    page.wait_for_timeout(500)
    assert len(new_since(demo, before)) == 1


def test_escape_closes_the_form_and_returns_to_its_button_keeping_what_was_typed(page, demo):
    open_case(page, demo)
    opener = page.locator("#recording").get_by_role("button", name="Record a contact")
    opener.focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Record a contact")
    form.wait_for()
    assert opener.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.value") == "referral"
    page.keyboard.press("Tab")
    page.keyboard.type("1/5/2024")
    assert form.get_by_label("When", exact=True).input_value() == "1/5/2024"
    assert "Read as 1 May 2024" in form.locator("#rec-contact-when-readback").inner_text()
    page.keyboard.press("Escape")
    assert form.count() == 0
    assert page.evaluate("document.activeElement.textContent") == "Record a contact"
    assert opener.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    form.wait_for()
    assert form.get_by_label("When", exact=True).input_value() == "1/5/2024"
    form.get_by_role("button", name="Cancel").click()
    assert form.count() == 0


def test_the_form_fits_a_phone(page, demo):
    """At 390 px wide nothing in the recording section reaches past the screen's edge."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_case(page, demo)
    form = open_form(page, "Record a contact")
    form.get_by_text("More", exact=True).click()
    overflowing = page.evaluate(
        "[...document.querySelectorAll('#recording *')]"
        ".filter(e => e.getBoundingClientRect().right > 390).map(e => e.outerHTML.slice(0, 80))"
    )
    assert overflowing == []


@pytest.mark.parametrize("user", ["reviewer-lee", "auditor-khan"])
def test_reviewers_and_auditors_see_no_recording_buttons(page, demo, user):
    sign_in(page, demo, user)
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Record a contact").count() == 0
    assert page.locator("#recording").is_hidden()


def test_a_manager_sees_the_recording_buttons(page, demo):
    open_case(page, demo, "tm-hughes")
    assert page.locator("#recording").is_visible()


def test_the_childs_own_words_are_recorded_verbatim(page, demo):
    """Only children are offered; the words are kept exactly as typed."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record the child's words")
    about = form.get_by_role("group", name="About")
    offered = about.locator("label").all_inner_texts()
    assert offered == ["Ava (child)", "Leo (child)"]
    form.get_by_label("When", exact=True).fill("16 March 2024 08:40")
    about.get_by_label("Ava (child)").check()
    form.get_by_label("Words", exact=True).fill("Jay shouts at mummy and  I hide under my bed")
    form.get_by_label("Where and how it was said").fill("Said to her teacher at breakfast club")
    form.get_by_role("button", name="Save").click()
    assert "The words of Ava recorded: 16 March 2024 at 08:40" in saved(page, "words of Ava")
    (event,) = new_since(demo, before)
    assert event["type"] == "child_voice_recorded"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["subjects"] == ["ava"]
    assert event["occurred_at"] == "2024-03-16T08:40:00+00:00"
    assert event["data"] == {"words": "Jay shouts at mummy and  I hide under my bed"}
    assert event["summary"] == "Said to her teacher at breakfast club"
    page.wait_for_selector(f"#row-{event['event_id']} blockquote.words")


def test_empty_words_are_refused_beside_words(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record the child's words")
    form.get_by_label("When", exact=True).fill("16/03/2024")
    form.get_by_role("group", name="About").get_by_label("Ava (child)").check()
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-words-words-group .govuk-error-message")
    error.wait_for()
    assert "Enter the child's words" in error.inner_text()
    assert new_since(demo, before) == []


def test_the_child_seen_alone_is_recorded(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record the child was seen")
    form.get_by_label("When", exact=True).fill("2024-03-18 15:30")
    form.get_by_role("group", name="About").get_by_label("Leo (child)").check()
    form.get_by_role("group", name="Seen alone").get_by_label("Yes").check()
    form.get_by_label("Where (optional)").fill("At nursery")
    form.get_by_role("button", name="Save").click()
    assert "Leo seen alone: 18 March 2024 at 15:30" in saved(page, "Leo seen alone")
    (event,) = new_since(demo, before)
    assert event["type"] == "child_seen"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["subjects"] == ["leo"]
    assert event["occurred_at"] == "2024-03-18T15:30:00+00:00"
    assert event["data"] == {"seen_alone": True, "where": "At nursery"}
    page.wait_for_selector(f"#row-{event['event_id']}")


def pick_on_the_table(page, event_id: str) -> None:
    """Choose an entry in the chronology table, as a person clicks its summary."""
    page.locator(f"#entries tr[data-event-id='{event_id}']").get_by_role("button").first.click()


def test_a_decision_cites_two_entries_picked_on_the_table(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a decision")
    cited = [demo_id("s47-done"), demo_id("cp-plan")]
    dropped = demo_id("da-referral")
    for event_id in (cited[0], dropped, cited[1]):
        pick_on_the_table(page, event_id)
    picked = form.locator(".recording-picked__item")
    assert picked.count() == 3
    picked.filter(has_text="domestic abuse outreach").get_by_role("button", name="Remove").click()
    assert form.locator(".recording-picked__item").count() == 2
    form.get_by_label("When", exact=True).fill("20/03/2024 16:00")
    form.get_by_label("Decision", exact=True).fill("Convene a review conference early")
    form.get_by_label("Rationale").fill("The plan's goals are not being met")
    form.get_by_role("button", name="Save").click()
    assert "relying on 2 entries" in saved(page, "Decision recorded")
    (event,) = new_since(demo, before)
    assert event["type"] == "decision_made"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["occurred_at"] == "2024-03-20T16:00:00+00:00"
    assert event["data"] == {
        "decision": "Convene a review conference early",
        "rationale": "The plan's goals are not being met",
        "information_relied_on": cited,
    }
    page.wait_for_selector(f"#row-{event['event_id']}")


def test_a_share_names_the_agency_the_basis_and_the_entries(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Share with an agency")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-share-shared-group .govuk-error-message")
    error.wait_for()
    assert "Choose at least one entry to share" in error.inner_text()
    assert new_since(demo, before) == []

    shared = demo_id("cp-plan")
    pick_on_the_table(page, shared)
    assert "Children's social care" not in form.get_by_label("Agency").inner_text()
    form.get_by_label("Agency").select_option("police")
    form.get_by_role("radio", name="Legal duty").check()
    form.get_by_label("When", exact=True).fill("21/03/2024 09:00")
    form.get_by_role("button", name="Save").click()
    assert "Shared with Police: 1 entry, on the basis of legal duty" in saved(page, "Shared with")
    (event,) = new_since(demo, before)
    assert event["type"] == "information_shared"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["subjects"] == ["ava", "leo"]
    assert event["data"] == {"to_agency": "police", "event_ids": [shared], "basis": "legal_duty"}
    assert shared in {
        entry["event_id"] for entry in demo.api("pc-1234", "/cases/FAM-0042/chronology")
    }


def test_a_refusal_of_the_words_by_the_record_is_shown_beside_words(page, demo):
    """The server's limit (20,000 characters): data.words comes back and lands at Words."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record the child's words")
    form.get_by_label("When", exact=True).fill("16/03/2024")
    form.get_by_role("group", name="About").get_by_label("Leo (child)").check()
    form.get_by_label("Words", exact=True).fill("a" * 20_001)
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-words-words-group .govuk-error-message")
    error.wait_for()
    assert "Words is too long" in error.inner_text()
    assert len(form.get_by_label("Words", exact=True).input_value()) == 20_001
    assert new_since(demo, before) == []


def test_errors_are_placed_by_the_apis_field_paths(page, demo):
    """subjects.0 lands at About; a field no form shows goes in the summary alone."""
    open_case(page, demo)
    before = stored(demo)
    problem = {
        "title": "Invalid event",
        "status": 422,
        "errors": [
            {"field": "subjects.0", "reason": "person 'ava' has not been added to case"},
            {"field": "recorded_by", "reason": "Something only the server knows"},
        ],
    }
    page.route(
        "**/cases/FAM-0042/events",
        lambda route: (
            route.fulfill(
                status=422, content_type="application/problem+json", body=json.dumps(problem)
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    form = fill_contact(page, "Refused on the way")
    form.get_by_role("button", name="Save").click()
    about_error = form.locator("#rec-contact-about-group .govuk-error-message")
    about_error.wait_for()
    assert "not part of this case" in about_error.inner_text()
    about = form.get_by_role("group", name="About")
    assert "rec-contact-about-error" in (about.get_attribute("aria-describedby") or "")
    summary = form.locator(".govuk-error-summary li")
    assert summary.all_inner_texts() == [
        "Someone chosen is not part of this case as recorded",
        "Something only the server knows",
    ]
    assert form.locator(".govuk-error-summary li a").count() == 1
    assert new_since(demo, before) == []


def test_a_save_sent_again_after_a_lost_answer_is_recorded_once(page, demo):
    """The same attempt keeps its event_id: a resend after a network failure stores one event;
    the next contact gets a new id."""
    open_case(page, demo)
    before = stored(demo)
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(json.loads(request.post_data or "{}")["event_id"])
            if request.method == "POST" and request.url.endswith("/events")
            else None
        ),
    )

    def lose_the_answer(route) -> None:
        # The event reaches the store, but its answer never reaches the page.
        route.fetch()
        route.abort()

    page.route("**/cases/FAM-0042/events", lose_the_answer)
    form = fill_contact(page, "Answer lost on the way back")
    form.get_by_role("button", name="Save").click()
    form.locator(".govuk-error-summary").filter(has_text="could not be reached").wait_for()
    assert len(new_since(demo, before)) == 1
    page.unroute("**/cases/FAM-0042/events")
    form.get_by_role("button", name="Save").click()
    saved(page, "Concern recorded")
    assert len(new_since(demo, before)) == 1
    assert sent[0] == sent[1]

    form = fill_contact(page, "A second contact")
    form.get_by_role("button", name="Save").click()
    saved(page, "Concern recorded")
    assert len(new_since(demo, before)) == 2
    assert sent[2] != sent[1]


def test_a_person_added_since_the_form_was_built_is_offered_and_ticks_are_kept(page, demo):
    open_case(page, demo)
    form = open_form(page, "Record a contact")
    form.get_by_role("group", name="About").get_by_label("Sam (adult)").check()
    form.get_by_role("button", name="Cancel").click()
    response = httpx.post(
        demo.base + CASE,
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        json={
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": "nan", "role": "adult", "name": "Nan"},
        },
        timeout=10,
    )
    assert response.status_code == 201
    form = open_form(page, "Record a contact")
    about = form.get_by_role("group", name="About")
    about.get_by_label("Nan (adult)").wait_for()
    assert about.get_by_label("Sam (adult)").is_checked()


def test_an_entry_chosen_on_the_timeline_is_picked_too(page, demo):
    open_case(page, demo)
    form = open_form(page, "Share with an agency")
    item = page.locator("#timeline .vis-item").filter(has_text="Section 47 enquiries completed")
    item.first.click()
    picked = form.locator(".recording-picked__item")
    picked.first.wait_for()
    assert picked.evaluate_all("items => items.map(i => i.dataset.eventId)") == [
        demo_id("s47-done")
    ]


def test_a_name_holding_markup_is_shown_as_text(page, demo):
    response = httpx.post(
        demo.base + CASE,
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        json={
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": "mark", "role": "adult", "name": "<img src=x id=injected>"},
        },
        timeout=10,
    )
    assert response.status_code == 201
    open_case(page, demo)
    form = open_form(page, "Record a contact")
    form.get_by_role("group", name="About").get_by_label(
        "<img src=x id=injected> (adult)"
    ).wait_for()
    assert page.locator("#injected").count() == 0


def tab_to(page, label: str, limit: int = 30) -> None:
    """Press Tab until the focused control is the one labelled `label` (keyboard only)."""
    for _ in range(limit):
        focused = page.evaluate(
            "(() => { const e = document.activeElement;"
            " const label = e.labels && e.labels[0];"
            " return (label ? label.textContent : e.textContent) || ''; })()"
        )
        if focused.strip() == label:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {label!r}")


def test_a_contact_is_recorded_with_the_keyboard_alone(page, demo):
    open_case(page, demo)
    before = stored(demo)
    page.locator("#recording").get_by_role("button", name="Record a contact").focus()
    page.keyboard.press("Enter")
    page.get_by_role("form", name="Record a contact").wait_for()
    page.keyboard.press("ArrowDown")  # from Referral to Concern, as radios move
    tab_to(page, "When")
    page.keyboard.type("22 March 2024 9:30")
    tab_to(page, "Leo (child)")
    page.keyboard.press("Space")
    tab_to(page, "Summary")
    page.keyboard.type("Typed without a mouse")
    tab_to(page, "Save")
    page.keyboard.press("Enter")
    saved(page, "Concern recorded")
    (event,) = new_since(demo, before)
    assert event["data"] == {"contact_kind": "concern"}
    assert event["subjects"] == ["leo"]
    assert event["occurred_at"] == "2024-03-22T09:30:00+00:00"
    assert event["summary"] == "Typed without a mouse"


def test_the_everyday_forms_are_in_sight_and_the_rest_behind_more_ways_to_record(page, demo):
    """Five buttons in sight; the rest are behind a details a keyboard opens, then reaches."""
    open_case(page, demo)
    recording = page.locator("#recording")
    shown = [b.inner_text() for b in recording.get_by_role("button").all() if b.is_visible()]
    assert shown == EVERYDAY
    assert recording.get_by_role("button", name="Mark significance").count() == 0
    # From the last everyday button, Tab reaches the summary; Enter opens it; Tab goes in.
    recording.get_by_role("button", name="Share with an agency").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "More ways to record"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Mark significance"
    page.keyboard.press("Enter")
    page.get_by_role("form", name="Mark significance").wait_for()
    for name in ["Correct an entry", "Retract an entry", "Close the case", "Start a plan"]:
        assert recording.get_by_role("button", name=name).is_visible()
    assert serious_violations(page, "#recording") == []
    page.set_viewport_size({"width": 390, "height": 800})
    overflowing = page.evaluate(
        "[...document.querySelectorAll('#recording *')]"
        ".filter(e => e.getBoundingClientRect().right > 390).length"
    )
    assert overflowing == 0
