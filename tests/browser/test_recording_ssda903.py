"""The looked-after children return's (SSDA903) fields in the browser: a child's reason for
having no UPN, a worker's registration number and the reason an allocation ends, a placement's
home postcode and previous permanence, and how a child took part in a review. Each is checked
against what the API then holds; each refusal is said beside its field and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.axe import serious_violations
from tests.browser.conftest import sign_in
from tests.browser.test_allocation import events_of, new_case
from tests.browser.test_people import case_events, wait_for_genogram
from tests.browser.test_recording import CASE, new_since, open_case, open_form, saved, stored
from tests.browser.test_recording_statutory import panel_of


def the_only_new(demo: Any, before: list[dict[str, Any]]) -> dict[str, Any]:
    new = new_since(demo, before)
    assert len(new) == 1, new
    return new[0]


def the_only_new_of(demo: Any, case_id: str, before: list[dict[str, Any]]) -> dict[str, Any]:
    new = [event for event in events_of(demo, case_id) if event not in before]
    assert len(new) == 1, new
    return new[0]


def record(demo: Any, user: str, path: str, event: dict[str, Any]) -> None:
    response = httpx.post(
        demo.base + path,
        headers={"Authorization": f"Bearer {demo.tokens[user]}"},
        json=event,
        timeout=10,
    )
    assert response.status_code == 201, response.text


def posts_counted(page: Any) -> list[str]:
    """The events the page sends from now on: a check made before sending sends none."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/events")
            else None
        ),
    )
    return sent


def error_beside(form: Any, group_id: str) -> str:
    error = form.locator(f"#{group_id} .govuk-error-message")
    error.wait_for()
    return str(error.inner_text())


# ---------------------------------------------------------------- adding a person


def open_add_person(page: Any, demo: Any) -> Any:
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    page.get_by_role("button", name="Add a person").click()
    form = page.get_by_role("form", name="Add a person")
    form.get_by_label("Name").fill("Nia Okafor")
    form.get_by_role("radio", name="Child").check()
    return form


def test_a_child_is_added_with_the_reason_they_have_no_upn(page: Any, demo: Any) -> None:
    form = open_add_person(page, demo)
    reason = form.get_by_label("Reason the child has no UPN (optional)")
    reason.select_option(label="Under 6 and not at school (UN1)")
    page.get_by_role("button", name="Save person").click()
    page.get_by_role("table", name="People in the case").get_by_role(
        "rowheader", name="Nia Okafor"
    ).wait_for()
    [added] = [e for e in case_events(demo, "person_added") if e["data"]["name"] == "Nia Okafor"]
    assert added["data"] == {
        "person_id": "nia-okafor",
        "role": "child",
        "name": "Nia Okafor",
        "upn_unknown_reason": "UN1",
    }


def test_a_upn_with_a_reason_for_none_is_refused_beside_the_reason(page: Any, demo: Any) -> None:
    before = case_events(demo, "person_added")
    form = open_add_person(page, demo)
    sent = posts_counted(page)
    form.get_by_label("Unique pupil number (UPN) (optional)").fill("a123456789012")
    form.get_by_label("Reason the child has no UPN (optional)").select_option("UN4")
    page.get_by_role("button", name="Save person").click()
    message = error_beside(form, "people-upn-reason-group")
    assert "Give either the UPN or the reason the child has no UPN, not both" in message
    assert sent == [], "said before sending"
    assert page.locator("#people-upn-group .govuk-error-message").count() == 0, "the UPN is fine"
    assert serious_violations(page, "#people") == []
    assert case_events(demo, "person_added") == before

    form.get_by_label("Unique pupil number (UPN) (optional)").fill("A12345")
    form.get_by_label("Reason the child has no UPN (optional)").select_option("")
    page.get_by_role("button", name="Save person").click()
    assert "13 characters" in error_beside(form, "people-upn-group")
    assert case_events(demo, "person_added") == before


def test_the_apis_refusal_of_a_upn_with_a_reason_is_said_beside_the_reason(
    page: Any, demo: Any
) -> None:
    """The form sends only the reason; on the way the request gains a UPN, as if typed by a
    form that does not check: the API's 422 names the reason, and the page says so there."""
    before = case_events(demo, "person_added")

    def with_a_upn(route: Any) -> None:
        if route.request.method != "POST":
            return route.continue_()
        body = json.loads(route.request.post_data or "{}")
        body["data"]["upn"] = "A123456789012"
        return route.continue_(post_data=json.dumps(body))

    page.route("**/cases/FAM-0042/events", with_a_upn)
    form = open_add_person(page, demo)
    form.get_by_label("Reason the child has no UPN (optional)").select_option("UN2")
    page.get_by_role("button", name="Save person").click()
    message = error_beside(form, "people-upn-reason-group")
    assert "Give either the UPN or the reason the child has no UPN, not both" in message
    assert case_events(demo, "person_added") == before


# ---------------------------------------------------------------- allocations


def test_a_registration_number_is_recorded_and_a_wrong_one_refused_beside_it(
    page: Any, demo: Any
) -> None:
    case_id = new_case(demo)
    sign_in(page, demo, "tm-hughes", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=f"Case {case_id}").wait_for()
    before = events_of(demo, case_id)
    form = open_form(page, "Allocate a worker")
    sent = posts_counted(page)
    number = form.get_by_label("Social Work England registration number (optional)")
    hint = form.locator(f"#{number.get_attribute('aria-describedby')}")
    assert "for example SW123456" in hint.inner_text()
    form.get_by_label("Worker", exact=True).fill("sw-jones")
    number.fill("123456")
    form.get_by_role("button", name="Save").click()
    message = error_beside(form, "rec-allocate-registration-group")
    assert "SW followed by digits, for example SW123456" in message
    assert sent == [], "said before sending"
    assert serious_violations(page, "#recording") == []
    assert events_of(demo, case_id) == before

    number.fill("sw 123456")
    form.get_by_role("button", name="Save").click()
    saved(page, "sw-jones allocated")
    event = the_only_new_of(demo, case_id, before)
    assert event["type"] == "worker_allocated"
    assert event["data"] == {"worker": "sw-jones", "registration_number": "SW123456"}


def test_the_apis_refusal_of_a_registration_number_is_said_beside_it(page: Any, demo: Any) -> None:
    case_id = new_case(demo)

    def with_a_wrong_number(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["data"]["registration_number"] = "XX1"
        return route.continue_(post_data=json.dumps(body))

    page.route(
        f"**/cases/{case_id}/events",
        lambda route: (
            with_a_wrong_number(route) if route.request.method == "POST" else route.continue_()
        ),
    )
    sign_in(page, demo, "tm-hughes", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=f"Case {case_id}").wait_for()
    before = events_of(demo, case_id)
    form = open_form(page, "Allocate a worker")
    form.get_by_label("Worker", exact=True).fill("sw-jones")
    form.get_by_label("Social Work England registration number (optional)").fill("SW1")
    form.get_by_role("button", name="Save").click()
    message = error_beside(form, "rec-allocate-registration-group")
    assert "SW followed by digits" in message
    assert events_of(demo, case_id) == before


def test_an_allocation_ends_with_the_reason_in_words(page: Any, demo: Any) -> None:
    case_id = new_case(demo)
    record(
        demo,
        "tm-hughes",
        f"/cases/{case_id}/events",
        {
            "type": "worker_allocated",
            "occurred_at": "2024-04-03",
            "data": {"worker": "sw-jones"},
        },
    )
    sign_in(page, demo, "tm-hughes", f"/ui/cases/{case_id}")
    page.locator("#allocations-list li").filter(has_text="sw-jones").wait_for()
    before = events_of(demo, case_id)
    form = open_form(page, "End an allocation")
    reason = form.get_by_label("Reason for the change (optional)")
    offered = reason.locator("option").all_inner_texts()
    assert "The worker left the role (LEFTRL)" in offered
    assert "Management decision (MANAGE)" in offered
    form.get_by_label("Worker", exact=True).select_option("sw-jones")
    reason.select_option("LEFTRL")
    form.get_by_role("button", name="Save").click()
    saved(page, "no longer allocated")
    event = the_only_new_of(demo, case_id, before)
    assert event["type"] == "worker_unallocated"
    assert event["data"] == {"worker": "sw-jones", "reason": "LEFTRL"}
    assert serious_violations(page, "#recording") == []


# ---------------------------------------------------------------- placements and reviews


def start_a_placement(page: Any, demo: Any) -> Any:
    open_case(page, demo)
    form = open_form(page, "Start a placement")
    form.get_by_role("group", name="Child").get_by_label("Ava (child)").check()
    form.get_by_label("When", exact=True).fill("01/05/2024")
    form.get_by_text("More", exact=True).click()
    return form


def test_previous_permanence_shows_its_date_and_authority_only_when_there_was_one(
    page: Any, demo: Any
) -> None:
    form = start_a_placement(page, demo)
    date = form.get_by_label("Date of the permanence order (optional)")
    authority = form.get_by_label("Local authority that arranged it (optional)")
    assert not date.is_visible()
    assert not authority.is_visible()
    permanence = form.get_by_role("group", name="Previous permanence (optional)")
    permanence.get_by_label("None, or not known (Z1)").check()
    assert not date.is_visible()
    permanence.get_by_label("Special guardianship order (P2)").check()
    date.wait_for()
    assert authority.is_visible()
    assert serious_violations(page, "#recording") == []

    before = stored(demo)
    form.get_by_label("Child's home postcode (optional)").fill("ls2 7ab")
    date.fill("12/06/2019")
    authority.fill("38")
    form.get_by_role("button", name="Save").click()
    assert "three-digit DfE code" in error_beside(form, "rec-placement-start-authority-group")
    assert new_since(demo, before) == []

    authority.fill("383")
    form.get_by_role("button", name="Save").click()
    saved(page, "Placement started for Ava")
    started = the_only_new(demo, before)
    assert started["type"] == "placement_started"
    data = {key: started["data"][key] for key in started["data"] if key != "placement_id"}
    assert data == {
        "person_id": "ava",
        "home_postcode": "LS2 7AB",
        "previous_permanence": "P2",
        "permanence_date": "2019-06-12",
        "permanence_authority": "383",
    }
    words = panel_of(page, started["event_id"])
    assert "Special guardianship order (P2)" in words
    assert "LS2 7AB" in words


def test_the_apis_refusal_of_a_home_postcode_is_said_beside_it(page: Any, demo: Any) -> None:
    form = start_a_placement(page, demo)
    before = stored(demo)
    form.get_by_label("Child's home postcode (optional)").fill("Leeds")
    form.get_by_role("button", name="Save").click()
    message = error_beside(form, "rec-placement-start-home-group")
    assert "Enter the child's home postcode in full, for example LS1 4AP" in message
    assert new_since(demo, before) == []


def test_no_previous_permanence_sends_no_date_or_authority(page: Any, demo: Any) -> None:
    form = start_a_placement(page, demo)
    permanence = form.get_by_role("group", name="Previous permanence (optional)")
    permanence.get_by_label("Adoption (P1)").check()
    form.get_by_label("Date of the permanence order (optional)").fill("01/01/2020")
    # Changed to none: the date typed is hidden, and neither checked nor sent.
    permanence.get_by_label("None, or not known (Z1)").check()
    before = stored(demo)
    form.get_by_role("button", name="Save").click()
    saved(page, "Placement started for Ava")
    started = the_only_new(demo, before)
    assert started["data"]["previous_permanence"] == "Z1"
    assert "permanence_date" not in started["data"]


def test_a_review_records_how_the_child_took_part(page: Any, demo: Any) -> None:
    record(
        demo,
        "sw-jones",
        CASE,
        {
            "type": "plan_started",
            "occurred_at": "2024-03-01",
            "subjects": ["ava"],
            "data": {"plan_id": "looked-after-ava", "kind": "looked_after"},
        },
    )
    open_case(page, demo)
    before = stored(demo)
    form = open_form(page, "Review a plan")
    form.get_by_label("Plan", exact=True).select_option("looked-after-ava")
    form.get_by_label("When", exact=True).fill("01/06/2024")
    taking_part = form.get_by_label("How the child took part (optional)")
    assert "An advocate spoke for them (PN2)" in taking_part.locator("option").all_inner_texts()
    taking_part.select_option("PN1")
    form.get_by_role("button", name="Save").click()
    saved(page, "reviewed")
    reviewed = the_only_new(demo, before)
    assert reviewed["type"] == "plan_reviewed"
    assert reviewed["data"] == {"plan_id": "looked-after-ava", "participation": "PN1"}
    assert "In person, speaking for themselves (PN1)" in panel_of(page, reviewed["event_id"])
    assert serious_violations(page, "#recording") == []


def test_the_new_fields_fit_a_phone(browser: Any, demo: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        form = start_a_placement(page, demo)
        form.get_by_role("group", name="Previous permanence (optional)").get_by_label(
            "Adoption (P1)"
        ).check()
        form.get_by_label("Local authority that arranged it (optional)").wait_for()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page scrolls sideways: {wide}px"
    finally:
        context.close()
