"""Recording in the browser, the forms about other entries and about the case: marks of
significance, corrections, retractions, management oversight, closing and reopening."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.test_recording import (
    CASE,
    more_ways_to_record,
    new_since,
    open_case,
    open_form,
    pick_on_the_table,
    saved,
    stored,
)


def the_only_new(demo: Any, before: list[dict[str, Any]], user: str) -> dict[str, Any]:
    new = new_since(demo, before, user)
    assert len(new) == 1, new
    return new[0]


def test_an_entry_is_marked_key(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Mark significance")
    target = demo_id("ava-voice")
    pick_on_the_table(page, target)
    form.get_by_role("group", name="Significance").get_by_label("Key").check()
    form.get_by_label("Reason (optional)").fill("Ava's first disclosure")
    form.get_by_role("button", name="Save").click()
    assert "Marked key" in saved(page, "Marked key")
    event = the_only_new(demo, before, "sw-jones")
    assert event["type"] == "marked_significant"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["data"] == {
        "target_event_id": target,
        "significance": "key",
        "reason": "Ava's first disclosure",
    }
    assert page.evaluate("document.getElementById('rec-significance') === null")


def test_a_mark_without_an_entry_is_refused_beside_the_entry(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Mark significance")
    form.get_by_role("group", name="Significance").get_by_label("Significant").check()
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-significance-entry-group .govuk-error-message")
    error.wait_for()
    assert "Choose the entry to mark" in error.inner_text()
    assert form.get_by_role("group", name="Significance").get_by_label("Significant").is_checked()
    assert new_since(demo, before) == []


def test_a_correction_sends_only_what_changed(page, demo):
    """The fields are filled in from the entry; only the summary changed is sent."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Correct an entry")
    target = demo_id("ava-seen")
    pick_on_the_table(page, target)
    when = form.get_by_label("When", exact=False).first
    assert when.input_value() == "24/01/2024 15:30"
    summary = form.get_by_label("Summary")
    assert summary.input_value() != ""
    summary.fill("Ava seen alone at school, in the library")
    form.get_by_label("Reason", exact=True).fill("The room was wrong")
    form.get_by_role("button", name="Save").click()
    saved(page, "Corrected")
    event = the_only_new(demo, before, "sw-jones")
    assert event["type"] == "entry_corrected"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    assert event["data"] == {
        "target_event_id": target,
        "changes": {"summary": "Ava seen alone at school, in the library"},
        "reason": "The room was wrong",
    }
    row = page.locator(f"#row-{target}")
    row.filter(has_text="in the library").wait_for()
    panel = page.locator("#panel-body")
    panel.locator(".now").filter(has_text="in the library").wait_for()
    assert panel.locator(".was").count() >= 1, "the history stays in the panel"
    assert page.evaluate("document.activeElement.closest('#recording') !== null")


def test_a_correction_changing_nothing_is_refused(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Correct an entry")
    pick_on_the_table(page, demo_id("decision-assess"))
    form.get_by_label("Reason", exact=True).fill("No reason really")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-correct-summary-group .govuk-error-message")
    error.wait_for()
    assert "Change at least one thing" in error.inner_text()
    assert new_since(demo, before) == []


def test_an_entry_of_another_agency_is_named_before_sending_and_not_retracted(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Retract an entry")
    pick_on_the_table(page, demo_id("hv-visit"))
    notice = form.locator(".recording-picked__notice")
    notice.wait_for()
    assert "recorded by Health: only Health can correct or retract it" in notice.inner_text()
    form.get_by_label("Reason", exact=True).fill("Not ours to withdraw")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-retract-entry-group .govuk-error-message")
    error.wait_for()
    assert "only Health can correct or retract it" in error.inner_text()
    assert form.get_by_label("Reason", exact=True).input_value() == "Not ours to withdraw"
    assert new_since(demo, before) == []


def test_the_api_refusal_of_another_agencys_entry_is_said_too(page, demo):
    """Were the page's own check passed by, the API's 403 is shown, and nothing written."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Retract an entry")
    pick_on_the_table(page, demo_id("hv-visit"))
    # The page's own check of the agency, taken away: the API must refuse alone.
    page.evaluate("document.querySelector('#recording').recording.me.agency = 'health'")
    form.get_by_label("Reason", exact=True).fill("Not ours to withdraw")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-retract-entry-group .govuk-error-message")
    error.wait_for()
    assert "recorded by Health: only Health can correct or retract it" in error.inner_text()
    assert new_since(demo, before) == []


def test_one_of_my_agencys_entries_is_retracted_and_leaves_the_table(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Retract an entry")
    target = demo_id("da-referral")
    pick_on_the_table(page, target)
    assert form.locator(".recording-picked__notice").count() == 0
    form.get_by_label("Reason", exact=True).fill("Recorded on the wrong family")
    form.get_by_role("button", name="Save").click()
    saved(page, "Retracted")
    event = the_only_new(demo, before, "sw-jones")
    assert event["type"] == "entry_retracted"
    assert event["agency"] == "social_care"
    assert event["data"] == {"target_event_id": target, "reason": "Recorded on the wrong family"}
    page.locator(f"#row-{target}").wait_for(state="detached")


def test_practitioners_do_not_see_record_oversight(page, demo):
    open_case(page, demo)
    recording = more_ways_to_record(page)
    assert recording.get_by_role("button", name="Mark significance").count() == 1
    assert recording.get_by_role("button", name="Record oversight").count() == 0
    assert recording.get_by_role("button", name="Allocate a worker").count() == 0


def test_a_manager_records_oversight_of_a_decision(page, demo):
    open_case(page, demo, "tm-hughes")
    before = stored(demo, "tm-hughes")
    form = open_form(page, "Record oversight")
    target = demo_id("decision-s47")
    pick_on_the_table(page, target)
    form.get_by_role("group", name="View").get_by_label("Agree with changes").check()
    form.get_by_label("Reasons").fill("Right threshold; visit sooner")
    form.get_by_label("Next steps (optional)").fill("Visit within 24 hours")
    form.get_by_role("button", name="Save").click()
    assert "agree with changes, on the decision chosen" in saved(page, "Oversight recorded")
    event = the_only_new(demo, before, "tm-hughes")
    assert event["type"] == "oversight_recorded"
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "tm-hughes"
    assert event["data"] == {
        "target_event_id": target,
        "view": "agree_with_changes",
        "reasons": "Right threshold; visit sooner",
        "next_steps": "Visit within 24 hours",
    }
    page.wait_for_selector(f"#row-{event['event_id']}")


def test_oversight_without_a_view_is_refused_beside_view(page, demo):
    open_case(page, demo, "tm-hughes")
    before = stored(demo, "tm-hughes")
    form = open_form(page, "Record oversight")
    form.get_by_label("Reasons").fill("The case as a whole is drifting")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-oversight-view-group .govuk-error-message")
    error.wait_for()
    assert "Select your view" in error.inner_text()
    assert new_since(demo, before, "tm-hughes") == []
    form.get_by_role("group", name="View").get_by_label("Disagree").check()
    form.get_by_role("button", name="Save").click()
    assert "on the case as a whole" in saved(page, "Oversight recorded")
    event = the_only_new(demo, before, "tm-hughes")
    assert event["data"] == {"view": "disagree", "reasons": "The case as a whole is drifting"}


def test_oversight_of_what_is_not_a_decision_is_refused_beside_the_pick(page, demo):
    open_case(page, demo, "tm-hughes")
    before = stored(demo, "tm-hughes")
    form = open_form(page, "Record oversight")
    pick_on_the_table(page, demo_id("ava-voice"))
    assert "not a decision" in form.locator(".recording-picked__notice").inner_text()
    form.get_by_role("group", name="View").get_by_label("Agree", exact=True).check()
    form.get_by_label("Reasons").fill("Fine")
    form.get_by_role("button", name="Save").click()
    form.locator("#rec-oversight-entry-group .govuk-error-message").wait_for()
    assert new_since(demo, before, "tm-hughes") == []


def test_the_case_is_closed_and_reopened(page, demo):
    """Only the button that applies shows: Close while open, Reopen while closed."""
    open_case(page, demo)
    more_ways_to_record(page).get_by_role("button", name="Close the case").wait_for()
    assert page.locator("#recording").get_by_role("button", name="Reopen the case").count() == 0
    before = stored(demo)
    form = open_form(page, "Close the case")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-close-code-group .govuk-error-message")
    error.wait_for()
    assert "Select the reason for closing" in error.inner_text()
    assert new_since(demo, before) == []
    reasons = form.get_by_label("Reason for closing")
    assert "Case closed after assessment, referred to early help (RC9)" in reasons.inner_text()
    reasons.select_option("RC8")
    form.get_by_role("button", name="Save").click()
    assert "no further action" in saved(page, "Case closed")
    closed = the_only_new(demo, before, "sw-jones")
    assert closed["type"] == "case_closed"
    assert closed["agency"] == "social_care"
    assert closed["data"] == {"reason_code": "RC8"}
    page.wait_for_selector(f"#row-{closed['event_id']}")
    recording = page.locator("#recording")
    assert recording.get_by_role("button", name="Close the case").count() == 0
    assert recording.get_by_role("button", name="Reopen the case").is_visible()

    before = stored(demo)
    form = open_form(page, "Reopen the case")
    form.get_by_label("Reason (optional)").fill("A new referral from the school")
    form.get_by_role("button", name="Save").click()
    saved(page, "Case reopened")
    reopened = the_only_new(demo, before, "sw-jones")
    assert reopened["type"] == "case_reopened"
    assert reopened["data"] == {"reason": "A new referral from the school"}
    recording.get_by_role("button", name="Close the case").wait_for()
    assert recording.get_by_role("button", name="Reopen the case").count() == 0


@pytest.mark.parametrize(
    ("user", "form", "pick"),
    [
        ("sw-jones", "Mark significance", "ava-voice"),
        ("sw-jones", "Correct an entry", "hv-visit"),
        ("sw-jones", "Retract an entry", "hv-visit"),
        ("tm-hughes", "Record oversight", "ava-voice"),
        ("sw-jones", "Close the case", None),
        ("sw-jones", "Reopen the case", None),
    ],
)
def test_each_new_form_passes_axe_with_its_errors_showing(page, demo, user, form, pick):
    if form == "Reopen the case":
        # Reopen shows only while the case is closed: closed here, and opened again after.
        record(demo, {"type": "case_closed", "occurred_at": "2024-06-01", "data": {}})
    try:
        check_form_with_axe(page, demo, user, form, pick)
    finally:
        if form == "Reopen the case":
            record(demo, {"type": "case_reopened", "occurred_at": "2024-06-02", "data": {}})


def record(demo: Any, event: dict[str, Any]) -> None:
    response = httpx.post(
        demo.base + CASE,
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        json=event,
        timeout=10,
    )
    assert response.status_code == 201, response.text


def check_form_with_axe(page: Any, demo: Any, user: str, form: str, pick: str | None) -> None:
    open_case(page, demo, user)
    opened = open_form(page, form)
    if pick:
        pick_on_the_table(page, demo_id(pick))
    if form == "Reopen the case":
        # Nothing is required there: a date that does not exist brings the errors out.
        opened.get_by_label("When", exact=True).fill("31/02/2024")
    opened.get_by_role("button", name="Save").click()
    opened.locator(".govuk-error-summary").wait_for()
    assert serious_violations(page, "#recording") == []


def test_a_plan_is_started_reviewed_and_ended(page, demo):
    """The plan id is made for the person; a started plan is then offered to review and end."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Start a plan")
    form.get_by_role("group", name="Kind of plan").get_by_label("Child in need plan").check()
    form.get_by_label("When", exact=True).fill("01/03/2024")
    form.get_by_role("group", name="About").get_by_label("Leo (child)").check()
    form.get_by_label("Goals (optional)").fill("Leo gains weight\n\nNursery five days a week")
    form.get_by_label("Review due (optional)").fill("1 June 2024")
    form.get_by_role("button", name="Save").click()
    message = saved(page, "Child in need plan started")
    started = the_only_new(demo, before, "sw-jones")
    assert f"as plan {started['data']['plan_id']}" in message, "the id made is named"
    assert started["type"] == "plan_started"
    assert started["agency"] == "social_care"
    assert started["subjects"] == ["leo"]
    plan_id = started["data"]["plan_id"]
    assert plan_id.startswith("child-in-need-2024-03-01-")
    assert started["data"] == {
        "plan_id": plan_id,
        "kind": "child_in_need",
        "goals": ["Leo gains weight", "Nursery five days a week"],
        "review_due": "2024-06-01",
    }
    page.wait_for_selector(f"#row-{started['event_id']}")

    before = stored(demo)
    form = open_form(page, "Review a plan")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-plan-review-plan-group .govuk-error-message")
    error.wait_for()
    assert "Select the plan reviewed" in error.inner_text()
    assert new_since(demo, before) == []
    form.get_by_label("Plan", exact=True).select_option(plan_id)
    form.get_by_label("When", exact=True).fill("01/04/2024")
    form.get_by_label("Progress (optional)").fill("Weight steady")
    form.get_by_role("button", name="Save").click()
    saved(page, "reviewed")
    reviewed = the_only_new(demo, before, "sw-jones")
    assert reviewed["type"] == "plan_reviewed"
    assert reviewed["data"] == {"plan_id": plan_id, "progress": "Weight steady"}

    before = stored(demo)
    form = open_form(page, "End a plan")
    form.get_by_label("Plan", exact=True).select_option(plan_id)
    form.get_by_label("When", exact=True).fill("02/04/2024")
    form.get_by_label("Reason (optional)").fill("Goals met")
    form.get_by_role("button", name="Save").click()
    saved(page, "ended")
    ended = the_only_new(demo, before, "sw-jones")
    assert ended["type"] == "plan_ended"
    assert ended["data"] == {"plan_id": plan_id, "reason": "Goals met"}
    form = open_form(page, "Review a plan")
    offered = (
        form.get_by_label("Plan", exact=True)
        .locator("option")
        .evaluate_all("options => options.map(o => o.value)")
    )
    assert plan_id not in offered, "an ended plan is no longer offered"


def test_an_assessment_is_started_and_completed(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Start an assessment")
    form.get_by_role("group", name="Kind of assessment").get_by_label("Single assessment").check()
    form.get_by_label("When", exact=True).fill("05/03/2024")
    form.get_by_role("button", name="Save").click()
    saved(page, "Single assessment started")
    started = the_only_new(demo, before, "sw-jones")
    assert started["type"] == "assessment_started"
    assessment_id = started["data"]["assessment_id"]
    assert started["data"] == {"assessment_id": assessment_id, "kind": "single"}

    before = stored(demo)
    form = open_form(page, "Complete an assessment")
    form.get_by_label("Assessment", exact=True).select_option(assessment_id)
    form.get_by_label("When", exact=True).fill("20/03/2024")
    form.get_by_label("Outcome (optional)").fill("Child in need plan")
    form.get_by_label("Analysis (optional)").fill("Needs met with support")
    form.get_by_role("button", name="Save").click()
    saved(page, "completed")
    completed = the_only_new(demo, before, "sw-jones")
    assert completed["type"] == "assessment_completed"
    assert completed["agency"] == "social_care"
    assert completed["data"] == {
        "assessment_id": assessment_id,
        "outcome": "Child in need plan",
        "analysis": "Needs met with support",
    }
    page.wait_for_selector(f"#row-{completed['event_id']}")


def test_a_strategy_discussion_is_recorded(page, demo):
    open_case(page, demo, "pc-1234")
    before = stored(demo, "pc-1234")
    form = open_form(page, "Record a strategy discussion")
    form.get_by_label("When", exact=True).fill("06/03/2024 11:00")
    agencies = form.get_by_role("group", name="Agencies taking part")
    agencies.get_by_label("Police").check()
    agencies.get_by_label("Children's social care").check()
    form.get_by_label("Outcome (optional)").select_option("section_47")
    form.get_by_role("button", name="Save").click()
    saved(page, "Strategy discussion recorded")
    event = the_only_new(demo, before, "pc-1234")
    assert event["type"] == "strategy_discussion_held"
    assert event["agency"] == "police"
    assert event["recorded_by"] == "pc-1234"
    assert event["occurred_at"] == "2024-03-06T11:00:00+00:00"
    assert event["data"] == {"agencies": ["police", "social_care"], "outcome": "section_47"}
    page.wait_for_selector(f"#row-{event['event_id']}")


def test_a_conference_without_its_kind_is_refused_then_recorded(page, demo):
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a conference")
    form.get_by_label("When", exact=True).fill("07/03/2024 10:00")
    form.get_by_label("Outcome (optional)").select_option("child_protection_plan")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-conference-kind-group .govuk-error-message")
    error.wait_for()
    assert "initial or a review" in error.inner_text()
    assert new_since(demo, before) == []
    form.get_by_role("group", name="Conference").get_by_label(
        "Review child protection conference"
    ).check()
    form.get_by_label("Category of abuse (optional)").select_option("EMO")
    form.get_by_role("button", name="Save").click()
    saved(page, "Review conference recorded")
    event = the_only_new(demo, before, "sw-jones")
    assert event["type"] == "conference_held"
    assert event["data"]["kind"] == "review"
    assert event["data"]["outcome"] == "child_protection_plan"
    assert event["data"]["category"] in ("EMO", "emotional")


@pytest.mark.parametrize(
    "form",
    [
        "Start a plan",
        "Review a plan",
        "End a plan",
        "Start an assessment",
        "Complete an assessment",
        "Record a strategy discussion",
        "Record a conference",
    ],
)
def test_each_plan_and_assessment_form_passes_axe_with_its_errors_showing(page, demo, form):
    open_case(page, demo)
    opened = open_form(page, form)
    opened.get_by_label("When", exact=True).fill("31/02/2024")
    opened.get_by_role("button", name="Save").click()
    opened.locator(".govuk-error-summary").wait_for()
    assert serious_violations(page, "#recording") == []


def test_a_correction_of_when_and_who_sends_those_alone(page, demo):
    open_case(page, demo)
    target = demo_id("police-notification")
    entry = next(e for e in stored(demo) if e["event_id"] == target)
    before = stored(demo)
    form = open_form(page, "Correct an entry")
    pick_on_the_table(page, target)
    assert form.locator(".recording-picked__notice").count() == 0
    form.get_by_label("When", exact=False).first.fill("12/01/2024 23:10")
    about = form.get_by_role("group", name="About")
    for name in ("Ava (child)", "Leo (child)", "Sam (adult)", "Jay (adult)"):
        box = about.get_by_label(name)
        assert box.is_checked() == (name.split(" ")[0].lower() in entry["subjects"])
        box.set_checked(name == "Jay (adult)")
    form.get_by_label("Reason", exact=True).fill("The call was logged at 23:10, about Jay")
    form.get_by_role("button", name="Save").click()
    saved(page, "Corrected")
    event = the_only_new(demo, before, "sw-jones")
    assert event["data"]["changes"] == {
        "occurred_at": "2024-01-12T23:10:00+00:00",
        "subjects": ["jay"],
    }


def test_the_new_forms_fit_a_phone(page, demo):
    """At 390 px wide the buttons and a correction with its note stay on the screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_case(page, demo)
    form = open_form(page, "Correct an entry")
    pick_on_the_table(page, demo_id("hv-visit"))
    form.locator(".recording-picked__notice").wait_for()
    overflowing = page.evaluate(
        "[...document.querySelectorAll('#recording *')]"
        ".filter(e => e.getBoundingClientRect().right > 390).map(e => e.outerHTML.slice(0, 80))"
    )
    assert overflowing == []
