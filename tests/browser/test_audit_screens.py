"""The auditor's screens in Debian's Chromium against `foresight demo`: landing on them after
signing in, filtering the access log and paging through it, the recording audit's late entries,
downloads with the token, errors beside their fields, accessibility and 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in

READS = 23


@pytest.fixture(scope="module")
def reads(demo: Any) -> int:
    """The reviewer reads the case READS times: the access log then holds exactly that many
    reads by reviewer-lee (nothing else in this module reads as the reviewer)."""
    for _ in range(READS):
        demo.api("reviewer-lee", "/cases/FAM-0042/chronology")
    return READS


def test_an_auditor_lands_on_the_audit_screens_and_pages_through_the_access_log(
    page: Any, demo: Any, reads: int
) -> None:
    sign_in(page, demo, "auditor-khan", "/ui")
    page.get_by_role("heading", name="Access log").wait_for()
    assert page.url == f"{demo.base}/ui/audit"

    page.get_by_label("User").fill("reviewer-lee")
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_role("button", name="Show").click()
    status = page.get_by_role("status").filter(has_text="reads")
    status.filter(has_text=f"Showing 1 to 10 of {reads} reads.").wait_for()
    table = page.get_by_role("table", name="Access log, this page")
    assert table.locator("tbody tr").count() == 10
    users = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert set(users) == {"reviewer-lee"}
    assert page.get_by_text("Page 1 of 3").is_visible()

    page.get_by_role("link", name="Next page").click()
    status.filter(has_text=f"Showing 11 to 20 of {reads} reads.").wait_for()
    page.get_by_role("link", name="Next page").click()
    status.filter(has_text=f"Showing 21 to 23 of {reads} reads.").wait_for()
    assert table.locator("tbody tr").count() == 3
    assert page.get_by_role("link", name="Next page").count() == 0
    page.get_by_role("link", name="Previous page").click()
    status.filter(has_text=f"Showing 11 to 20 of {reads} reads.").wait_for()
    assert table.locator("tbody tr td:nth-child(9)").all_inner_texts() == ["the whole record"] * 10
    # The picture in docs/web.md (copied from the test artifacts when the screen changes).
    page.set_viewport_size({"width": 1100, "height": 700})
    page.locator("main").screenshot(path=str(ARTIFACTS / "audit-access-log.png"))


def test_the_downloads_are_the_whole_filtered_log(page: Any, demo: Any, reads: int) -> None:
    sign_in(page, demo, "auditor-khan", "/ui/audit")
    page.get_by_label("User").fill("reviewer-lee")
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_role("button", name="Show").click()
    page.get_by_text(f"Showing 1 to 10 of {reads} reads.").wait_for()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download CSV").click()
    download = caught.value
    assert download.suggested_filename == "access.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + reads
    assert all(",reviewer-lee," in line for line in lines[1:])
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download XLSX").click()
    assert caught.value.suggested_filename == "access.xlsx"


def test_the_recording_audit_shows_late_entries_only(page: Any, demo: Any) -> None:
    sign_in(page, demo, "auditor-khan", "/ui/audit")
    page.get_by_role("heading", name="Access log").wait_for()
    page.get_by_label("Recording audit").check()
    page.get_by_label("Case").fill("FAM-0042")
    page.get_by_label("Late entries only").check()
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Showing 1 to 1 of 1 event.").wait_for()
    table = page.get_by_role("table", name="Recording audit, this page")
    [row] = table.locator("tbody tr").all()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "5 January 2024, 22:10"
    assert cells[3] == "Yes"
    assert cells[7] == "police"


def test_a_wrong_filter_is_said_beside_its_field_and_kept(page: Any, demo: Any) -> None:
    sign_in(page, demo, "auditor-khan", "/ui/audit")
    page.get_by_role("heading", name="Access log").wait_for()
    page.get_by_label("From").fill("31/02/2024")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "not a real date" in page.text_content("#audit-since-error")
    assert page.get_by_label("From").input_value() == "31/02/2024"
    page.get_by_label("From").fill("")
    page.get_by_label("Case").fill("not a case id!")
    page.get_by_role("button", name="Show").click()
    page.locator("#audit-case-error").wait_for()
    assert page.get_by_label("Case").input_value() == "not a case id!"


def test_only_auditors_have_the_audit_screens(page: Any, demo: Any) -> None:
    sign_in(page, demo, "reviewer-lee", "/ui/audit")
    page.get_by_text("The audit screens are for auditors").wait_for()
    assert page.get_by_role("button", name="Show").count() == 0


def test_no_serious_accessibility_problem_and_no_sideways_scroll_at_390px(
    page: Any, demo: Any, reads: int
) -> None:
    sign_in(page, demo, "auditor-khan", "/ui/audit")
    page.get_by_role("heading", name="Access log").wait_for()
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Next page").wait_for()
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    page.wait_for_timeout(300)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    page.get_by_label("From").fill("not a date")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert serious_violations(page) == []


def test_a_refused_token_is_said_beside_the_field_and_a_good_one_opens_the_screen(
    page: Any, demo: Any
) -> None:
    page.goto(demo.base + "/ui/audit")
    page.get_by_label("Token", exact=True).fill("fst_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#token-error").wait_for()
    assert "not accepted" in page.text_content("#token-error")
    page.get_by_label("Token", exact=True).fill(demo.tokens["auditor-khan"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Access log").wait_for()
    assert page.get_by_label("Token", exact=True).count() == 0
