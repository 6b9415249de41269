"""Importing an agency's chronology in the browser: a CSV chosen, the dry-run report read as a
table with the refused line, the rest imported, and the entries in the table and the API."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, Demo, ids, sign_in, wait_for_rows

CHRONOLOGY = "/cases/FAM-0042/chronology"
# Line 3 is not a real date; the other two are the school's notes about Ava.
SCHOOL_CSV = (
    "Date,Time,Summary,Significance,Subjects\n"
    "05/03/2024,08:50,Ava arrived at school without a coat in the rain,significant,ava\n"
    "30/02/2024,,Attendance meeting with mother,,ava\n"
    "12/03/2024,,Ava's attendance has fallen to 81%,,ava\n"
)
IMPORTED = {
    "Ava arrived at school without a coat in the rain",
    "Ava's attendance has fallen to 81%",
}


def school_events(demo: Demo) -> list[dict[str, Any]]:
    events = demo.api("dsl-patel", "/cases/FAM-0042/events")
    assert isinstance(events, list)
    return events


def count_in(counts, row: str) -> str:
    """The number the report's table gives for a row (its header names it)."""
    return str(counts.get_by_role("row", name=row).get_by_role("cell").inner_text())


def choose_and_check(page, name: str, text: str) -> None:
    page.get_by_role("button", name="Import a chronology").click()
    page.get_by_label("Chronology (CSV)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    page.get_by_role("button", name="Check", exact=True).click()


def test_a_school_chronology_is_checked_then_imported_and_shown_without_a_reload(page, demo):
    """As the school's DSL: the report names line 3 as refused and writes nothing; Import 2
    entries writes them as notes of the school, shown in the table as the API has them."""
    sign_in(page, demo, "dsl-patel")
    before = ids(demo.api("dsl-patel", CHRONOLOGY))
    assert wait_for_rows(page, before) == before
    events_before = school_events(demo)

    choose_and_check(page, "school-chronology.csv", SCHOOL_CSV)
    counts = page.get_by_role("table", name="3 rows in the file")
    counts.wait_for()
    assert count_in(counts, "To write as new entries") == "2"
    assert count_in(counts, "Refused") == "1"
    refused = page.get_by_role("table", name="Refused rows")
    [line] = refused.locator("tbody tr").all()
    assert line.get_by_role("rowheader").inner_text() == "3"
    assert "Date: '2024-02-30' is not a real calendar date" in line.inner_text()
    assert school_events(demo) == events_before  # the check wrote nothing
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-report.png"), full_page=True)

    page.get_by_role("button", name="Import 2 entries").click()
    page.locator("#import").get_by_role("alert").filter(
        has_text="2 entries imported into the chronology"
    ).wait_for()

    new = [e for e in school_events(demo) if e["event_id"] not in ids(events_before)]
    assert {event["summary"] for event in new} == IMPORTED
    assert {(e["type"], e["agency"], e["recorded_by"]) for e in new} == {
        ("note_added", "school", "dsl-patel")
    }
    after = ids(demo.api("dsl-patel", CHRONOLOGY))
    assert set(after) - set(before) == set(ids(new))
    assert wait_for_rows(page, after) == after  # in the table, without a reload
    shown = page.locator("#entries tbody").inner_text()
    for summary in IMPORTED:
        assert summary in shown


def test_a_file_already_imported_has_nothing_new_to_import(page, demo):
    """Checked after it was imported (here through the API), the file writes nothing: no
    Import button. At 390 px wide the report fits: nothing scrolls sideways."""
    text = (
        "date,summary,subjects\n"
        "2024-04-08,Ava's PE kit missing again,ava\n"
        "2024-04-15,Ava's mother called to explain the absence,ava\n"
    )
    imported = httpx.post(
        f"{demo.base}/cases/FAM-0042/imports",
        params={"dry_run": "false"},
        content=text,
        headers={
            "Authorization": f"Bearer {demo.tokens['dsl-patel']}",
            "Content-Type": "text/csv",
        },
        timeout=10,
    )
    assert imported.json()["written"] == 2, imported.text
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo, "dsl-patel")
    page.wait_for_selector("#entries tbody tr")
    choose_and_check(page, "already.csv", text)
    counts = page.get_by_role("table", name="2 rows in the file")
    counts.wait_for()
    assert count_in(counts, "Already in the case") == "2"
    assert count_in(counts, "To write as new entries") == "0"
    assert page.get_by_text("Nothing new to import").is_visible()
    assert page.get_by_role("button", name="Import 0 entries").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_file_that_is_not_a_chronology_is_said_so_beside_the_picker(page, demo):
    """A file without a summary column: an error beside the field and in the summary."""
    sign_in(page, demo, "dsl-patel")
    page.wait_for_selector("#entries tbody tr")
    events_before = school_events(demo)
    choose_and_check(page, "notes.csv", "date,notes\n2024-03-01,Ava seen\n")
    error = page.locator("#import-file-error")
    error.wait_for()
    assert "missing column(s) summary" in error.inner_text()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    assert "missing column(s) summary" in summary.inner_text()
    assert school_events(demo) == events_before
    assert serious_violations(page) == []


def test_only_practitioners_and_managers_are_offered_the_import(page, demo):
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:  # the page sets itself up after the rows are drawn
        page.wait_for_timeout(100)
    assert page.get_by_role("button", name="Import a chronology").count() == 0
