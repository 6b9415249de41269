"""A case id nothing is recorded under yet: the case page says so and offers to start it, by
importing an agency's chronology or by recording a first contact; a reviewer is only told."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.browser.axe import serious_violations
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_recording import saved

NOT_YET = "This case is not in the record yet"
CSV = (
    "Date,Time,Summary\n"
    "04/03/2024,09:10,Mia told her teacher she had no breakfast again\n"
    "11/03/2024,,Mia absent without explanation\n"
)


def fresh_case_id() -> str:
    return f"NEW-{uuid.uuid4().hex[:8]}"


def status_of(demo: Demo, case_id: str) -> int:
    response = httpx.get(
        f"{demo.base}/cases/{case_id}/events",
        headers={"Authorization": f"Bearer {demo.tokens['dsl-patel']}"},
        timeout=10,
    )
    return response.status_code


def events_of(demo: Demo, user: str, case_id: str) -> list[dict[str, Any]]:
    events = demo.api(user, f"/cases/{case_id}/events")
    assert isinstance(events, list)
    return events


def test_a_new_case_is_started_by_importing_a_chronology(page: Any, demo: Demo) -> None:
    case_id = fresh_case_id()
    assert status_of(demo, case_id) == 404
    sign_in(page, demo, "dsl-patel", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=NOT_YET).wait_for()
    assert page.get_by_role("heading", name="There is a problem").count() == 0
    assert page.locator("#entries tbody tr").count() == 0
    page.get_by_text("No one has been added to this case yet.").wait_for()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Start by importing a chronology").click()
    page.get_by_label("Chronology (CSV)").set_input_files(
        files=[{"name": "school.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8")}]
    )
    page.get_by_role("button", name="Check", exact=True).click()
    page.get_by_role("table", name="2 rows in the file").wait_for()
    assert status_of(demo, case_id) == 404  # the check wrote nothing
    page.get_by_role("button", name="Import 2 entries").click()
    page.locator("#import").get_by_role("alert").filter(has_text="2 entries imported").wait_for()

    events = events_of(demo, "dsl-patel", case_id)
    assert {(e["type"], e["agency"], e["recorded_by"]) for e in events} == {
        ("note_added", "school", "dsl-patel")
    }
    assert len(events) == 2
    for event in events:
        page.wait_for_selector(f"#row-{event['event_id']}")
    assert page.get_by_role("heading", name=NOT_YET).is_hidden()


def test_a_new_case_is_started_with_a_first_contact(page: Any, demo: Demo) -> None:
    case_id = fresh_case_id()
    sign_in(page, demo, "sw-jones", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=NOT_YET).wait_for()
    page.get_by_role("button", name="Start with a first contact").click()
    form = page.get_by_role("form", name="Record a contact")
    form.wait_for()
    # Refused first: nothing typed, nothing written, and the case is still not started.
    form.get_by_role("button", name="Save").click()
    form.locator(".govuk-error-summary").wait_for()
    assert status_of(demo, case_id) == 404
    form.get_by_role("radio", name="Referral").check()
    form.get_by_label("When", exact=True).fill("02/04/2024 09:30")
    form.get_by_label("Summary").fill("Referral from the GP: Mia has lost weight")
    form.get_by_role("button", name="Save").click()
    saved(page, "Referral recorded")
    [event] = events_of(demo, "sw-jones", case_id)
    assert (event["type"], event["agency"], event["recorded_by"]) == (
        "contact_received",
        "social_care",
        "sw-jones",
    )
    assert event["summary"] == "Referral from the GP: Mia has lost weight"
    page.wait_for_selector(f"#row-{event['event_id']}")
    assert page.get_by_role("heading", name=NOT_YET).is_hidden()


def test_a_reviewer_is_told_there_is_no_such_case(page: Any, demo: Demo) -> None:
    case_id = fresh_case_id()
    sign_in(page, demo, "reviewer-lee", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert f"There is no case {case_id} in the record." in page.text_content("#problems")
    assert page.get_by_role("heading", name=NOT_YET).is_hidden()
    assert page.get_by_role("button", name="Start with a first contact").count() == 0


def test_a_new_case_shows_no_replay_controls_or_empty_strips_until_started(
    page: Any, demo: Demo
) -> None:
    case_id = fresh_case_id()
    sign_in(page, demo, "sw-jones", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=NOT_YET).wait_for()
    for hidden in (
        "#controls",
        "#plans",
        "#allocations",
        "#timeline",
        "#fit",
        "#case-columns",
        "#changes",
    ):
        assert page.locator(hidden).is_hidden(), hidden
    assert page.get_by_role("textbox", name="As known at").count() == 0

    page.get_by_role("button", name="Start with a first contact").click()
    form = page.get_by_role("form", name="Record a contact")
    form.get_by_role("radio", name="Referral").check()
    form.get_by_label("When", exact=True).fill("02/04/2024 09:30")
    form.get_by_label("Summary").fill("Referral from the GP: Mia has lost weight")
    form.get_by_role("button", name="Save").click()
    saved(page, "Referral recorded")
    page.get_by_role("textbox", name="As known at").wait_for()
    for shown in ("#controls", "#plans", "#timeline", "#case-columns", "#changes"):
        assert page.locator(shown).is_visible(), shown
    # The timeline, drawn while hidden, is drawn again at its width once shown.
    page.locator("#timeline").get_by_text("Referral from the GP: Mia has lost weight").wait_for()
