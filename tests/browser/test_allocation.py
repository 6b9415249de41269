"""Allocating a worker in the browser: a manager allocates a practitioner to a case (and ends
it), the case page lists who holds the case, and the practitioner finds it under My cases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.browser.axe import serious_violations
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_recording import open_form, saved


def new_case(demo: Demo) -> str:
    """A case of the manager's agency with one contact and no worker allocated."""
    case_id = f"ALLOC-{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        f"{demo.base}/cases/{case_id}/events",
        headers={"Authorization": f"Bearer {demo.tokens['tm-hughes']}"},
        json={
            "type": "contact_received",
            "occurred_at": "2024-04-02",
            "summary": "Health visitor worried about the baby's weight",
            "data": {"contact_kind": "concern"},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return case_id


def events_of(demo: Demo, case_id: str) -> list[dict[str, Any]]:
    events = demo.api("tm-hughes", f"/cases/{case_id}/events")
    assert isinstance(events, list)
    return events


def my_case_ids(demo: Demo, user: str) -> list[str]:
    mine = demo.api(user, "/me/cases")
    assert isinstance(mine, list)
    return [item["case_id"] for item in mine]


def allocated(page: Any) -> list[str]:
    return [
        text.strip()
        for text in page.locator("#allocations-list li").all_text_contents()
        if text.strip()
    ]


def test_a_manager_allocates_a_practitioner_who_then_finds_the_case_in_my_cases(
    page: Any, demo: Demo
) -> None:
    case_id = new_case(demo)
    assert case_id not in my_case_ids(demo, "sw-jones")
    sign_in(page, demo, "tm-hughes", f"/ui/cases/{case_id}")
    page.get_by_role("heading", name=f"Case {case_id}").wait_for()
    page.locator("#allocations-list li").filter(has_text="No worker allocated.").wait_for()
    before = events_of(demo, case_id)

    form = open_form(page, "Allocate a worker")
    # Refused: no worker named. The error is beside the field, and nothing is written.
    form.get_by_role("button", name="Save").click()
    error = form.locator("#rec-allocate-worker-group .govuk-error-message")
    error.wait_for()
    assert "Enter the user name of the worker to allocate" in error.inner_text()
    assert form.get_by_role("alert").get_by_role("link").first.inner_text() == (
        "Enter the user name of the worker to allocate"
    )
    assert events_of(demo, case_id) == before
    assert serious_violations(page, "#recording") == []

    form.get_by_label("Worker", exact=True).fill("sw-jones")
    form.get_by_label("Team (optional)").fill("Child protection team")
    form.get_by_label("Role in the case (optional)").fill("Social worker")
    form.get_by_role("button", name="Save").click()
    assert "sw-jones allocated to the case" in saved(page, "sw-jones allocated")
    new = [e for e in events_of(demo, case_id) if e not in before]
    assert len(new) == 1, new
    [event] = new
    assert (event["type"], event["agency"], event["recorded_by"]) == (
        "worker_allocated",
        "social_care",
        "tm-hughes",
    )
    assert event["data"] == {
        "worker": "sw-jones",
        "team": "Child protection team",
        "role": "Social worker",
    }
    page.locator("#allocations-list li").filter(has_text="sw-jones").wait_for()
    [line] = allocated(page)
    assert line.startswith("sw-jones (Social worker, Child protection team), Social care, since ")
    # The chronology names the worker, as the recording's message did.
    entries = page.get_by_role("table", name="Entries in the order they happened")
    entries.get_by_role("row").filter(has_text="sw-jones allocated to the case").wait_for()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, demo, "sw-jones", "/ui")
    page.get_by_role("heading", name="My cases").wait_for()
    page.get_by_role("link", name=case_id, exact=True).wait_for()
    assert case_id in my_case_ids(demo, "sw-jones")
    # The practitioner sees who holds the case, and no allocation form.
    page.get_by_role("link", name=case_id, exact=True).click()
    page.locator("#allocations-list li").filter(has_text="sw-jones").wait_for()
    assert page.locator("#recording").get_by_role("button", name="Allocate a worker").count() == 0


def test_a_manager_ends_an_allocation_and_the_case_leaves_my_cases(page: Any, demo: Demo) -> None:
    case_id = new_case(demo)
    response = httpx.post(
        f"{demo.base}/cases/{case_id}/events",
        headers={"Authorization": f"Bearer {demo.tokens['tm-hughes']}"},
        json={
            "type": "worker_allocated",
            "occurred_at": "2024-04-03",
            "data": {"worker": "sw-jones"},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert case_id in my_case_ids(demo, "sw-jones")
    sign_in(page, demo, "tm-hughes", f"/ui/cases/{case_id}")
    page.locator("#allocations-list li").filter(has_text="sw-jones").wait_for()
    before = events_of(demo, case_id)

    form = open_form(page, "End an allocation")
    form.get_by_role("button", name="Save").click()
    form.locator("#rec-unallocate-worker-group .govuk-error-message").wait_for()
    assert events_of(demo, case_id) == before
    assert serious_violations(page, "#recording") == []

    form.get_by_label("Worker", exact=True).select_option("sw-jones")
    form.get_by_role("button", name="Save").click()
    saved(page, "sw-jones no longer allocated")
    new = [e for e in events_of(demo, case_id) if e not in before]
    assert [(e["type"], e["agency"], e["data"]) for e in new] == [
        ("worker_unallocated", "social_care", {"worker": "sw-jones"})
    ]
    page.locator("#allocations-list li").filter(has_text="No worker allocated.").wait_for()
    entries = page.get_by_role("table", name="Entries in the order they happened")
    ended = entries.get_by_role("row").filter(has_text="sw-jones no longer allocated to the case")
    ended.wait_for()
    assert case_id not in my_case_ids(demo, "sw-jones")
