"""The reviewer's workspace in Debian's Chromium against `foresight demo`: a whole review driven
as a panel would (open it from the case, pick an episode, read a decision's foresight view and
what each agency knew, record a finding, print), the timeline's own ways of choosing, errors
beside their fields, accessibility and 390 px, and the managers' oversight beside each
decision's foresight view."""

from __future__ import annotations

from typing import Any

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_decision_panel import record_oversight, rows_of

POLICE_NOTIFICATION = "12 January 2024, 23:40"
FIRST_DECISION = "16 January 2024, 11:00"
SCHOOL_HUNGRY = "4 December 2023, 08:50"


def open_new_review(page: Any, demo: Any, title: str, known_at: str = "31/03/2024") -> str:
    """From the case page, as the reviewer (signing in if this tab has not): Start a review of
    FAM-0042 as known at 31/03/2024 (or `known_at`; empty: now)."""
    page.goto(demo.base + "/ui/cases/FAM-0042")
    if page.evaluate("() => !sessionStorage.getItem('foresight.token')"):
        sign_in(page, demo, "reviewer-lee", "/ui/cases/FAM-0042")
    page.get_by_role("button", name="Start a review").click()
    page.get_by_role("heading", name="Start a review").wait_for()
    assert page.get_by_label("Case", exact=True).input_value() == "FAM-0042"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Review the case as known at").fill(known_at)
    page.get_by_role("button", name="Start a review").click()
    page.get_by_role("heading", name=title).wait_for()
    page.get_by_role("checkbox", name=f"Choose {POLICE_NOTIFICATION}").wait_for()
    return page.url.rsplit("/", 1)[-1]


def test_a_reviewer_drives_a_whole_review(page: Any, demo: Any) -> None:
    review_id = open_new_review(page, demo, "Learning review: Ava and Leo")

    # A key practice episode: two entries ticked in the table (the keyboard's way).
    page.get_by_role("checkbox", name=f"Choose {POLICE_NOTIFICATION}").check()
    page.get_by_role("checkbox", name=f"Choose {FIRST_DECISION}").check()
    assert page.text_content("#chosen-count") == "(2)"
    page.get_by_label("Episode title").fill("The first referral")
    page.get_by_role("button", name="Save episode").click()
    episode = page.get_by_role("article", name="E1. The first referral")
    episode.wait_for()
    assert "Foresight view: Single assessment; no strategy discussion" in episode.inner_text()

    # The decision's foresight view beside the timeline.
    page.get_by_role("button", name="Decision: Single assessment").click()
    panel = page.locator("#panel")
    panel.get_by_role("heading", name="Held elsewhere (2)").wait_for()
    held = panel.get_by_role("region", name="Held elsewhere (2)").inner_text()
    assert "Ava arrived hungry in unwashed uniform" in held
    assert "Leo's weight fallen" in held
    later = panel.get_by_role("region", name="Learned later (1)").inner_text()
    assert "Earlier call-out" in later

    # What each agency knew at the decision's cutoff, and when each entry reached each agency.
    panel.get_by_role("button", name="What each agency knew then").click()
    page.locator("#reach-table").wait_for()
    assert page.text_content("#matrix-moment") == (
        "At 16 January 2024, 11:00, with every share known by 31 March 2024."
    )
    school = page.get_by_role("region", name="school")
    assert "Knew 1; 1 that no other agency knew." in school.inner_text()
    reach = page.get_by_role("table", name="When each entry reached each agency")
    hungry_row = reach.get_by_role("row", name=f"{SCHOOL_HUNGRY} · school")
    assert hungry_row.get_by_role("cell").all_inner_texts() == [
        "Never shared",
        "Never shared",
        "Recorded it, by the end of 4 December 2023",
        "Never shared",
    ]
    visit = reach.get_by_role("row", name="10 January 2024, 14:00 · health")
    assert visit.get_by_role("cell").all_inner_texts()[-1] == "Shared later, 25 January 2024, 09:00"

    # A finding resting on the school's entry, with a Learning Together factor and a tag.
    page.get_by_role("checkbox", name=f"Choose {SCHOOL_HUNGRY}").check()
    page.get_by_label("Finding", exact=True).fill(
        "The school's concern about hunger never reached social care"
    )
    page.get_by_label("Multi-agency communication in assessment and longer-term work").check()
    page.get_by_label("Other factors (optional)").fill("information sharing, school")
    page.get_by_label("Episode (optional)").select_option("E1")
    page.get_by_role("button", name="Record finding").click()
    page.get_by_role("heading", name="F1. The school's concern").wait_for()

    stored = demo.api("reviewer-lee", f"/reviews/{review_id}")
    assert stored["case_as_known_at"] == "2024-03-31"
    [saved] = stored["episodes"]
    assert [entry["event_id"] for entry in saved["entries"]] == [
        demo_id("police-notification"),
        demo_id("decision-assess"),
    ]
    [finding] = stored["findings"]
    assert finding["factors"] == ["multi_agency_communication_in_assessment_and_longer_term_work"]
    assert finding["tags"] == ["information sharing", "school"]
    assert finding["event_ids"] == [demo_id("school-hungry")]
    assert finding["episode_id"] == "E1"

    # Print: the button asks the browser to print; the print rendering is the review alone.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print this review").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    assert page.locator("#timeline").is_hidden()
    assert page.get_by_role("button", name="Save episode").is_hidden()
    assert page.locator("header").is_hidden()
    assert page.get_by_role("heading", name="E1. The first referral").is_visible()
    assert page.get_by_role("heading", name="F1. The school's concern").is_visible()
    assert page.locator("#reach-table").is_visible()
    # The picture in docs/reviews.md (copied from the test artifacts when the screen changes).
    ARTIFACTS.mkdir(exist_ok=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1100, "height": 700})
    page.locator(".fs-matrix").screenshot(path=str(ARTIFACTS / "review-knowledge-matrix.png"))


def test_entries_are_chosen_on_the_timeline_and_by_the_span_shown(page: Any, demo: Any) -> None:
    open_new_review(page, demo, "Choosing on the timeline")
    page.locator(".vis-item", has_text="Health visitor home visit: Leo").click()
    page.locator(".vis-item", has_text="Ava arrived hungry").click(modifiers=["Control"])
    assert page.text_content("#chosen-count") == "(2)"
    assert page.get_by_role("checkbox", name=f"Choose {SCHOOL_HUNGRY}").is_checked()
    assert page.get_by_role("checkbox", name="Choose 10 January 2024, 14:00").is_checked()
    # The health visit is not a decision: the panel describes it.
    assert page.text_content("#panel-title") != "Decision: foresight view"

    page.get_by_role("button", name="Show the whole case").click()
    page.get_by_role("button", name="Choose every entry shown on the timeline").click()
    every = page.locator("#review-entries tbody tr").count()
    assert page.text_content("#chosen-count") == f"({every})"
    assert page.get_by_label("Starts").input_value() != ""
    page.get_by_role("button", name="Clear the chosen entries").click()
    assert page.text_content("#chosen-count") == "(0)"

    # By keyboard alone: Space ticks an entry in the table, and the timeline follows.
    page.get_by_role("checkbox", name=f"Choose {FIRST_DECISION}").focus()
    page.keyboard.press("Space")
    assert page.text_content("#chosen-count") == "(1)"
    selected = page.locator(".vis-item.vis-selected .vis-item-content").all_inner_texts()
    assert len(selected) == 1
    assert "Single assessment" in selected[0]


def test_what_is_wrong_is_said_beside_the_field_and_kept(page: Any, demo: Any) -> None:
    sign_in(page, demo, "reviewer-lee", "/ui/reviews")
    page.get_by_role("heading", name="Start a review").wait_for()
    page.get_by_label("Case", exact=True).fill("NO-SUCH-CASE")
    page.get_by_label("Review the case as known at").fill("31/02/2024")
    page.get_by_role("button", name="Start a review").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "Enter a title for the review" in page.text_content("#review-title-error")
    assert "not a real date" in page.text_content("#review-known-at-error")
    page.get_by_label("Title").fill("A review of nothing")
    page.get_by_label("Review the case as known at").fill("")
    page.get_by_role("button", name="Start a review").click()
    page.locator("#review-case-error").wait_for()
    assert "NO-SUCH-CASE" in page.text_content("#review-case-error")
    assert page.get_by_label("Title").input_value() == "A review of nothing"

    open_new_review(page, demo, "Saving too soon")
    page.get_by_label("Episode title").fill("Nothing chosen")
    page.get_by_role("button", name="Save episode").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Choose the episode's entries" in summary.inner_text()
    page.get_by_label("Finding", exact=True).fill("")
    page.get_by_role("button", name="Record finding").click()
    page.locator("#finding-text-error").wait_for()
    assert page.get_by_label("Episode title").input_value() == "Nothing chosen"


def test_the_reviews_are_listed_and_open(page: Any, demo: Any) -> None:
    open_new_review(page, demo, "Listed review")
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.get_by_role("link", name="Listed review").click()
    page.get_by_role("heading", name="Listed review").wait_for()


def test_only_reviewers_have_the_workspace(page: Any, demo: Any) -> None:
    sign_in(page, demo, "sw-jones", "/ui/cases/FAM-0042")
    page.get_by_role("heading", name="Case FAM-0042").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Start a review").count() == 0
    page.goto(demo.base + "/ui/reviews")
    page.get_by_text("Reviews are for reviewers").wait_for()


def test_no_serious_accessibility_problem_and_no_sideways_scroll_at_390px(
    page: Any, demo: Any
) -> None:
    sign_in(page, demo, "reviewer-lee", "/ui/reviews")
    page.get_by_role("heading", name="Start a review").wait_for()
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []
    open_new_review(page, demo, "Accessible review")
    page.get_by_role("checkbox", name=f"Choose {FIRST_DECISION}").check()
    page.get_by_label("Episode title").fill("The first decision")
    page.get_by_role("button", name="Save episode").click()
    page.get_by_role("article", name="E1. The first decision").wait_for()
    page.get_by_role("button", name="Decision: Single assessment").click()
    page.get_by_role("button", name="What each agency knew then").click()
    page.locator("#reach-table").wait_for()
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    page.wait_for_timeout(300)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    assert serious_violations(page) == []


def test_a_foresight_view_with_order_uncertain_entries_shows_them_and_their_group(
    page: Any, demo: Any
) -> None:
    """When the foresight view has `order_uncertain` (entries on the decision's own day whose
    order against it cannot be told), the panel shows them, each with the group it would join
    if it came first. The API's answer is extended here, as the group's own tests cover it."""
    open_new_review(page, demo, "Order uncertain")

    def with_order_uncertain(route: Any) -> None:
        answer = route.fetch()
        view = answer.json()
        moved = view["known_to_decider"][0]
        view["order_uncertain"] = [
            {**moved, "would_join": "held_elsewhere"},
        ]
        route.fulfill(response=answer, json=view)

    page.route("**/foresight*", with_order_uncertain)  # with or without as_known_at
    page.get_by_role("button", name="Decision: Single assessment").click()
    uncertain = page.locator("#panel").get_by_role(
        "region", name="Order against the decision not known (1)"
    )
    uncertain.wait_for()
    assert "if it came first: held elsewhere" in uncertain.inner_text()
    assert "Police notification" in uncertain.inner_text()


def test_a_managers_oversight_shows_beside_the_decisions_foresight_view(
    page: Any, demo: Any
) -> None:
    """A manager records oversight of the first decision; the reviewer's workspace (the record
    as known now) shows it, and the demo's, beside that decision's foresight view in the panel
    and in its episode; a review of the record as known at 31/03/2024 shows none."""
    recorded = record_oversight(demo, "decision-assess")
    open_new_review(page, demo, "Oversight of the first decision", known_at="")
    page.get_by_role("button", name="Decision: Single assessment").click()
    panel = page.locator("#panel")
    panel.get_by_role("heading", name="Held elsewhere (2)").wait_for()
    oversight = panel.get_by_role("region", name="Management oversight of this decision")
    demo_item = oversight.locator(f"[data-event-id='{demo_id('oversight-assess')}']")
    assert rows_of(demo_item) == {
        "Manager's view": "Agree with changes",
        "Reasons": "A single assessment was proportionate to the one police notification "
        "known then",
        "Next steps": "Ask the police for any earlier call-outs to the address before deciding; "
        "discuss in supervision",
        "Recorded by": "tm-hughes, Social care",
        "On": "20 May 2024, 14:00",
        "Known to the record": "20 May 2024, 14:00",
    }
    new_item = oversight.locator(f"[data-event-id='{recorded['event_id']}']")
    new_rows = rows_of(new_item)
    assert new_rows.pop("Known to the record")  # today, when it was recorded
    assert new_rows == {
        "Manager's view": "Agree with changes",
        "Reasons": "Right threshold, but the visit should be sooner",
        "Next steps": "Visit within 24 hours",
        "Recorded by": "tm-hughes, Social care",
        "On": "20 May 2024, 10:00",
    }
    # In the order things happened: the new one (20 May 2024, 10:00) before the demo's (14:00).
    assert oversight.locator("[data-event-id]").evaluate_all(
        "items => items.map(item => item.dataset.eventId)"
    ) == [recorded["event_id"], demo_id("oversight-assess")]
    assert serious_violations(page, "#panel") == []

    # The episode holding the decision shows the same beside its foresight view.
    page.get_by_role("checkbox", name=f"Choose {FIRST_DECISION}").check()
    page.get_by_label("Episode title").fill("The first decision")
    page.get_by_role("button", name="Save episode").click()
    episode = page.get_by_role("article", name="E1. The first decision")
    episode.wait_for()
    in_episode = episode.get_by_role("region", name="Management oversight of this decision")
    in_episode.locator(f"[data-event-id='{recorded['event_id']}']").wait_for()
    assert in_episode.locator("[data-event-id]").count() == 2
    assert serious_violations(page, "#episodes") == []

    # Reviewing the record as known at 31/03/2024, no manager had recorded oversight yet.
    open_new_review(page, demo, "Oversight not yet recorded")
    page.get_by_role("button", name="Decision: Single assessment").click()
    panel.get_by_role("heading", name="Held elsewhere (2)").wait_for()
    panel.get_by_role("region", name="Management oversight of this decision").get_by_text(
        "No manager had recorded oversight of this decision by the end of 31 March 2024."
    ).wait_for()
    assert panel.locator(".fs-oversight [data-event-id]").count() == 0
