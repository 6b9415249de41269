"""The details panel reads an entry in words: every recorded field, entries named as links,
a correction as "was … / now …", in Debian's Chromium against `foresight demo`."""

from __future__ import annotations

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in


def open_entry(page, name: str) -> None:
    """Click the entry's row in the chronology table, as a person would."""
    page.click(f"#row-{demo_id(name)} button")
    page.wait_for_selector("#panel-body .govuk-summary-list")


def panel_value(page, label: str) -> str:
    """The text of the panel's summary-list row labelled `label`."""
    row = page.locator("#panel-body .govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=label)
    )
    return row.first.locator(".govuk-summary-list__value").inner_text()


def test_a_decision_shows_its_rationale_and_the_entries_it_relied_on_as_links(page, demo):
    """The first decision's rationale, options and urgency are in words, and the entry it
    relied on is a link that opens that entry in the panel."""
    sign_in(page, demo, "reviewer-lee")
    open_entry(page, "decision-assess")
    panel = page.locator("#panel-body")
    assert panel_value(page, "Rationale") == (
        "One police notification, no injuries seen, mother engaging"
    )
    options = panel_value(page, "Options considered")
    assert "No further action" in options
    assert "Strategy discussion" in options
    assert panel_value(page, "Urgency") == "Routine"
    assert panel_value(page, "Review by") == "16 February 2024"
    relied_on = (
        panel.locator(".govuk-summary-list__row")
        .filter(has=page.locator(".govuk-summary-list__key", has_text="Information relied on"))
        .get_by_role("link", name="Police notification: neighbour reported")
    )
    assert relied_on.count() == 1
    relied_on.click()
    page.wait_for_selector("#panel-body .govuk-summary-list__key:text-is('Kind of contact')")
    assert panel_value(page, "Kind of contact") == "Notification"
    assert "chosen" in (page.get_attribute(f"#row-{demo_id('police-notification')}", "class") or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "decision-in-words.png"), full_page=True)


def test_a_contacts_outcome_and_concerns_are_in_words(page, demo):
    """A contact's kind, source agency, concerns, outcome and census codes are spelled out."""
    sign_in(page, demo, "reviewer-lee")
    open_entry(page, "police-notification")
    assert panel_value(page, "Source agency") == "Police"
    assert panel_value(page, "Concerns") == "Domestic abuse"
    assert panel_value(page, "Outcome") == "Assessment"
    assert panel_value(page, "Referral source") == "Police (6)"
    assert panel_value(page, "Primary need") == "Abuse or neglect (N1)"
    assert panel_value(page, "When") == "12 January 2024, 23:40"
    assert "domestic_abuse" not in page.inner_text("#panel-body")


def test_a_plan_and_a_share_in_words(page, demo):
    """A plan's goals are a list and its category is spelled out; a share names its agency,
    its basis and the entries shared as links."""
    sign_in(page, demo, "reviewer-lee")
    open_entry(page, "cp-plan")
    assert panel_value(page, "Kind") == "Child protection plan"
    assert panel_value(page, "Category of abuse") == "Emotional abuse"
    goals = page.locator("#panel-body .govuk-summary-list__row", has_text="Goals").locator("li")
    assert goals.count() == 3
    assert panel_value(page, "Review due") == "14 May 2024"

    open_entry(page, "school-shares")
    assert panel_value(page, "Shared with") == "Social care"
    assert panel_value(page, "Basis for sharing") == "Legal duty"
    page.locator("#panel-body").get_by_role("link", name="Ava spoke to her teacher").click()
    page.wait_for_selector("#panel-body blockquote")
    assert "Jay shouts at mummy" in page.inner_text("#panel-body blockquote")


def test_the_corrected_entry_reads_was_and_now_in_words_not_json(page, demo):
    """The demo's corrected visit shows the place it was and is now, who corrected it and why."""
    sign_in(page, demo, "reviewer-lee")
    open_entry(page, "ava-seen")
    panel = page.inner_text("#panel-body")
    assert panel_value(page, "Seen alone") == "Yes"
    assert panel_value(page, "Where") == "home, with Sam in the next room"
    history = page.inner_text("#panel-body .history")
    assert "Corrected by sw-jones (Social care), known from 1 February 2024, 09:00" in history
    assert "Reason: Visit location recorded wrongly" in history
    assert "was school" in history
    assert "now home, with Sam in the next room" in history
    assert "{" not in panel
    assert '"data"' not in panel
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "correction-in-words.png"), full_page=True)


def test_a_retracted_entry_shows_its_reason(page, demo):
    """With retracted entries shown, the withdrawn note says it was retracted and why."""
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector("#entries tbody tr")
    page.get_by_label("Show retracted").check()
    page.wait_for_selector(f"#row-{demo_id('wrong-case-note')}")
    open_entry(page, "wrong-case-note")
    assert panel_value(page, "Retracted") == "Yes: Recorded on the wrong family's case"


def test_the_panel_in_words_has_no_serious_accessibility_violation(browser, demo):
    """axe-core finds no serious or critical violation in the panel describing a decision,
    the child's words and a corrected entry (the test's context lets axe be injected)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, demo, "reviewer-lee")
        page.wait_for_selector("#entries tbody tr")
        for name in ("decision-assess", "ava-voice", "ava-seen"):
            open_entry(page, name)
            assert serious_violations(page, "#panel") == [], name
    finally:
        context.close()


def test_an_entry_relied_on_but_not_in_this_view_is_said_so(page, demo):
    """With key entries only, the second decision's relied-on police notification (significant)
    is "not in this view", while the child's words and the health visit (key) are links."""
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector(f"#row-{demo_id('police-notification')}")
    page.locator("#controls").get_by_label("Significance").select_option("key")
    page.wait_for_selector(f"#row-{demo_id('police-notification')}", state="detached")
    open_entry(page, "decision-s47")
    relied_on = page.locator("#panel-body .govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text="Information relied on")
    )
    assert relied_on.locator("li").count() == 3
    assert relied_on.get_by_role("link").count() == 2
    assert "not in this view" in relied_on.inner_text()
