"""Recording the statutory facts in the browser: core groups, legal statuses, placements,
missing episodes and emergency protection, each under "More ways to record", checked against
what the API then holds and read back in words in the entry's panel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import serious_violations
from tests.browser.test_recording import new_since, open_case, open_form, saved, stored

FORMS = [
    "Record a core group",
    "Record a legal status",
    "Start a placement",
    "End a placement",
    "Record a missing episode",
    "Record emergency protection",
]


def the_only_new(demo: Any, before: list[dict[str, Any]]) -> dict[str, Any]:
    new = new_since(demo, before)
    assert len(new) == 1, new
    event = new[0]
    assert event["agency"] == "social_care"
    assert event["recorded_by"] == "sw-jones"
    return event


def panel_of(page: Any, event_id: str) -> str:
    """The entry chosen in the table, its panel's words once drawn."""
    row = page.locator(f"#row-{event_id}")
    row.wait_for()
    row.get_by_role("button").first.click()
    page.locator("#panel-body .govuk-summary-list").first.wait_for()
    return page.inner_text("#panel-body")


# Runs first in this module: no placement has been started in the demo case yet.
def test_a_placement_cannot_end_before_one_started(page: Any, demo: Any) -> None:
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "End a placement")
    placement = form.get_by_label("Placement", exact=True)
    assert placement.locator("option").all_inner_texts() == ["Choose"], "no placement to end"
    form.get_by_label("When", exact=True).fill("02/04/2024")
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-placement-end-placement-group .govuk-error-message")
    error.wait_for()
    assert "a placement must be started before it can end" in error.inner_text()
    assert form.get_by_label("When", exact=True).input_value() == "02/04/2024", (
        "nothing typed is lost"
    )
    assert new_since(demo, before) == []


def test_a_placement_is_started_then_ended_and_read_in_words(page: Any, demo: Any) -> None:
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Start a placement")
    children = form.get_by_role("group", name="Child")
    assert children.get_by_role("radio", checked=True).count() == 0, (
        "two children: none preselected"
    )
    children.get_by_label("Leo (child)").check()
    form.get_by_label("When", exact=True).fill("01/04/2024")
    form.get_by_label("Placement type (optional)").select_option("U6")
    form.get_by_label("Provider (optional)").select_option("PR1")
    form.get_by_label("Postcode of the placement, in part (optional)").fill("ls1 4")
    form.get_by_text("More", exact=True).click()
    form.get_by_label("Reason for new episode (optional)").select_option("S")
    form.get_by_role("button", name="Save").click()
    message = saved(page, "Placement started for Leo")
    started = the_only_new(demo, before)
    placement_id = started["data"]["placement_id"]
    assert placement_id.startswith("placement-2024-04-01-")
    assert f"as {placement_id}" in message
    assert started["type"] == "placement_started"
    assert started["subjects"] == ["leo"]
    assert started["data"] == {
        "placement_id": placement_id,
        "person_id": "leo",
        "kind": "U6",
        "provider": "PR1",
        "postcode": "LS1 4",
        "reason": "S",
    }
    words = panel_of(page, started["event_id"])
    assert (
        "Foster placement with another foster carer, not long term or fostering for adoption (U6)"
        in words
    )
    assert "The local authority's own provision (PR1)" in words
    assert "Started to be looked after (S)" in words

    before = stored(demo)
    form = open_form(page, "End a placement")
    form.get_by_label("Placement", exact=True).select_option(placement_id)
    form.get_by_label("When", exact=True).fill("20/04/2024")
    form.get_by_label("Reason (optional)").select_option("X1")
    form.get_by_role("button", name="Save").click()
    saved(page, f"Placement {placement_id} ended")
    ended = the_only_new(demo, before)
    assert ended["type"] == "placement_ended"
    assert ended["subjects"] == ["leo"]
    assert ended["data"] == {"placement_id": placement_id, "person_id": "leo", "reason": "X1"}
    assert "Placement changed: the child stays looked after (X1)" in panel_of(
        page, ended["event_id"]
    )
    # Ended, it is no longer offered to end.
    form = open_form(page, "End a placement")
    assert placement_id not in form.get_by_label("Placement", exact=True).inner_text()


def test_a_legal_status_is_recorded_and_read_in_words(page: Any, demo: Any) -> None:
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a legal status")
    form.get_by_role("button", name="Save").click()
    form.locator(".govuk-error-summary").wait_for()
    assert "Select the child" in form.locator("#rec-legal-status-child-group").inner_text()
    assert "Select the legal status" in form.locator("#rec-legal-status-status-group").inner_text()
    assert new_since(demo, before) == []
    form.get_by_role("group", name="Child").get_by_label("Ava (child)").check()
    form.get_by_label("Legal status", exact=True).select_option("C1")
    form.get_by_label("When", exact=True).fill("15/04/2024")
    form.get_by_role("button", name="Save").click()
    assert "Interim care order (C1)" in saved(page, "Legal status for Ava")
    event = the_only_new(demo, before)
    assert event["type"] == "legal_status_changed"
    assert event["subjects"] == ["ava"]
    assert event["occurred_at"] == "2024-04-15"
    assert event["data"] == {"status": "C1", "person_id": "ava"}
    words = panel_of(page, event["event_id"])
    assert "Interim care order (C1)" in words
    assert "Child\tAva" in words or "Child\nAva" in words


def test_a_core_group_is_recorded_for_the_plan(page: Any, demo: Any) -> None:
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a core group")
    form.get_by_label("When", exact=True).fill("28/02/2024 14:00")
    form.get_by_label("Plan (optional)").select_option("CP-0042-1")
    agencies = form.get_by_role("group", name="Agencies taking part (optional)")
    agencies.get_by_label("Health").check()
    agencies.get_by_label("School").check()
    form.get_by_label("Outcome (optional)").fill("Plan updated; next core group in four weeks")
    form.get_by_role("button", name="Save").click()
    assert "for plan CP-0042-1" in saved(page, "Core group recorded")
    event = the_only_new(demo, before)
    assert event["type"] == "core_group_held"
    assert event["occurred_at"] == "2024-02-28T14:00:00+00:00"
    assert event["data"] == {
        "plan_id": "CP-0042-1",
        "agencies": ["health", "school"],
        "outcome": "Plan updated; next core group in four weeks",
    }
    words = panel_of(page, event["event_id"])
    assert "CP-0042-1" in words
    assert "Plan updated; next core group in four weeks" in words


def test_a_missing_episode_ended_before_it_started_is_refused_beside_ended(
    page: Any, demo: Any
) -> None:
    """The API refuses it on `data.ended`: the error is shown beside Ended, nothing is written,
    and what was typed stays; corrected, it saves once."""
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record a missing episode")
    form.get_by_role("group", name="Child").get_by_label("Ava (child)").check()
    form.get_by_label("Started", exact=True).fill("10/03/2024 22:30")
    form.get_by_label("Ended (optional)").fill("09/03/2024 08:00")
    form.get_by_role("group", name="Missing or away (optional)").get_by_label("Missing").check()
    form.get_by_role("group", name="Return interview offered (optional)").get_by_label(
        "Yes"
    ).check()
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-missing-ended-group .govuk-error-message")
    error.wait_for()
    assert "before the episode started" in error.inner_text()
    assert new_since(demo, before) == []
    assert form.get_by_label("Started", exact=True).input_value() == "10/03/2024 22:30"

    form.get_by_label("Ended (optional)").fill("11/03/2024 08:00")
    form.get_by_role("button", name="Save").click()
    assert "from 10 March 2024 at 22:30 to 11 March 2024 at 08:00" in saved(
        page, "Missing episode for Ava recorded"
    )
    event = the_only_new(demo, before)
    assert event["type"] == "missing_episode_recorded"
    assert event["subjects"] == ["ava"]
    assert event["data"] == {
        "person_id": "ava",
        "started": "2024-03-10T22:30:00+00:00",
        "ended": "2024-03-11T08:00:00+00:00",
        "kind": "missing",
        "return_interview_offered": True,
    }
    words = panel_of(page, event["event_id"])
    assert "Return interview offered\tYes" in words or "Return interview offered\nYes" in words
    assert "10 March 2024, 22:30" in words


def test_emergency_protection_is_recorded(page: Any, demo: Any) -> None:
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Record emergency protection")
    form.get_by_role("group", name="Kind").get_by_label("Police protection").check()
    form.get_by_role("group", name="Child").get_by_label("Leo (child)").check()
    form.get_by_label("When", exact=True).fill("05/04/2024 18:00")
    form.get_by_label("Ends (optional)").fill("08/04/2024 18:00")
    form.get_by_role("button", name="Save").click()
    saved(page, "Police protection for Leo recorded")
    event = the_only_new(demo, before)
    assert event["type"] == "emergency_protection"
    assert event["subjects"] == ["leo"]
    assert event["data"] == {
        "kind": "police_protection",
        "person_id": "leo",
        "ends": "2024-04-08T17:00:00+00:00",
    }
    words = panel_of(page, event["event_id"])
    assert "Police protection" in words
    assert "8 April 2024, 18:00" in words


@pytest.mark.parametrize("name", FORMS)
def test_each_statutory_form_passes_axe_open_and_with_its_errors_and_fits_390_px(
    page: Any, demo: Any, name: str
) -> None:
    open_case(page, demo)
    form = open_form(page, name)
    more = form.get_by_text("More", exact=True)
    if more.count():
        more.click()
    assert serious_violations(page, "#recording") == []
    form.get_by_role("button", name="Save").click()
    form.locator(".govuk-error-summary").wait_for()
    assert serious_violations(page, "#recording") == []
    # At 390 px, with its errors showing, nothing goes past the screen's right edge.
    page.set_viewport_size({"width": 390, "height": 800})
    page.wait_for_timeout(200)
    overflowing = page.evaluate(
        "[...document.querySelectorAll('#recording *')]"
        ".filter(e => e.getBoundingClientRect().right > 390).length"
    )
    assert overflowing == 0
