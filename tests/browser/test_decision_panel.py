"""A decision's panel: the managers' oversight of it beside it (as known at the time shown),
and its foresight view never mixed up with another decision's when answers arrive late."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from api.samples.demo import demo_id
from tests.browser.axe import serious_violations
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_reading_in_words import panel_value

CASE = "FAM-0042"


def open_decision(page: Any, name: str) -> Any:
    page.click(f"#row-{demo_id(name)} button")
    oversight = page.get_by_role("region", name="Management oversight of this decision")
    oversight.wait_for()
    return oversight


def rows_of(item: Any) -> dict[str, str]:
    """An oversight's summary list as {key: value}."""
    return dict(
        zip(
            [t.strip() for t in item.locator(".govuk-summary-list__key").all_inner_texts()],
            [t.strip() for t in item.locator(".govuk-summary-list__value").all_inner_texts()],
            strict=True,
        )
    )


def record_oversight(demo: Demo, target: str) -> dict[str, Any]:
    response = httpx.post(
        f"{demo.base}/cases/{CASE}/events",
        headers={"Authorization": f"Bearer {demo.tokens['tm-hughes']}"},
        json={
            "type": "oversight_recorded",
            "occurred_at": "2024-05-20T10:00",
            "data": {
                "target_event_id": demo_id(target),
                "view": "agree_with_changes",
                "reasons": "Right threshold, but the visit should be sooner",
                "next_steps": "Visit within 24 hours",
            },
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_oversight_is_shown_beside_its_decision_as_known_at_the_time_shown(
    page: Any, demo: Demo
) -> None:
    oversight_event = record_oversight(demo, "decision-s47")
    sign_in(page, demo, "sw-jones")
    page.wait_for_selector(f"#row-{demo_id('decision-s47')}")

    oversight = open_decision(page, "decision-s47")
    item = oversight.locator(f"[data-event-id='{oversight_event['event_id']}']")
    item.wait_for()
    assert rows_of(item) == {
        "Manager's view": "Agree with changes",
        "Reasons": "Right threshold, but the visit should be sooner",
        "Next steps": "Visit within 24 hours",
        "Recorded by": "tm-hughes, Social care",
        "On": "20 May 2024, 10:00",
    }
    assert serious_violations(page, "#panel") == []

    # The other decision shows its own oversight (the demo's), not this one.
    other = open_decision(page, "decision-assess")
    other.locator(f"[data-event-id='{demo_id('oversight-assess')}']").wait_for()
    assert other.locator("[data-event-id]").count() == 1

    # Before the new oversight was recorded (today), it is not there; the demo's, recorded
    # on 20 May 2024, is.
    known_at(page, "01/06/2024", "1 June 2024, 23:59")
    then = open_decision(page, "decision-s47")
    then.get_by_text("No manager had recorded oversight of this decision by then.").wait_for()
    assert then.locator("[data-event-id]").count() == 0
    other = open_decision(page, "decision-assess")
    other.locator(f"[data-event-id='{demo_id('oversight-assess')}']").wait_for()
    known_at(page, "01/05/2024", "1 May 2024, 23:59")
    other = open_decision(page, "decision-assess")
    other.get_by_text("No manager had recorded oversight of this decision by then.").wait_for()

    page.get_by_role("button", name="Now").click()
    page.get_by_text("as known now").first.wait_for()
    now = open_decision(page, "decision-s47")
    now.locator(f"[data-event-id='{oversight_event['event_id']}']").wait_for()


def known_at(page: Any, typed: str, shown: str) -> None:
    """Type a time in As known at and wait for the case to be drawn as known then."""
    field = page.get_by_role("textbox", name="As known at")
    field.fill(typed)
    field.press("Enter")
    page.locator("#known-label").filter(has_text=f"as known at {shown}").wait_for()
    page.wait_for_load_state("networkidle")


def test_a_reviewer_sees_the_oversight_in_the_foresight_panel(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector(f"#row-{demo_id('decision-s47')}")
    oversight = open_decision(page, "decision-s47")
    page.wait_for_selector("#group-known-to-decider")
    oversight.get_by_text("Agree with changes").first.wait_for()
    assert serious_violations(page, "#panel") == []


def hold(held: list[Any]) -> Any:
    """A route handler keeping each request it intercepts, unanswered, in `held`."""

    def keep(route: Any) -> None:
        held.append(route)

    return keep


def test_a_slow_foresight_answer_for_one_decision_never_shows_beside_another(
    page: Any, demo: Demo
) -> None:
    """The first decision's foresight answer is held back until the second decision's is
    shown; when it then arrives, the panel still shows the second decision alone."""
    first, second = demo_id("decision-assess"), demo_id("decision-s47")
    held: list[Any] = []
    page.route(f"**/decisions/{first}/foresight", hold(held))
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector(f"#row-{second}")

    page.click(f"#row-{first} button")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first decision's foresight view was asked for"
    page.click(f"#row-{second} button")
    page.wait_for_selector("#group-known-to-decider")
    # The page may already have stopped the request: then there is nothing to let through.
    with contextlib.suppress(Exception):
        held[0].continue_()
    page.wait_for_timeout(1000)

    view = demo.api("reviewer-lee", f"/cases/{CASE}/decisions/{second}/foresight")
    expected = [item["entry"]["event_id"] for item in view["known_to_decider"]]
    # The four groups (order_uncertain included, as the API now always gives it), once.
    assert page.locator("#panel-body section.group").count() == 4
    shown = page.eval_on_selector_all(
        "#group-known-to-decider a", "links => links.map(a => a.dataset.eventId)"
    )
    assert shown == expected
    second_entry = next(
        e for e in demo.api("reviewer-lee", f"/cases/{CASE}/events") if e["event_id"] == second
    )
    assert panel_value(page, "Decision") == (
        second_entry["summary"] or second_entry["data"]["decision"]
    )
    assert (
        page.locator("#panel-body dl")
        .first.locator(".govuk-summary-list__key")
        .filter(has_text="Cutoff")
        .count()
        == 1
    )


def test_an_open_decision_is_drawn_again_when_the_time_shown_moves(page: Any, demo: Demo) -> None:
    """The panel follows As known at without choosing the decision again: the demo's oversight
    of the assessment decision (20 May 2024) goes when the case is shown as known on 1 May
    2024, and comes back as known now; an entry not known then is said so."""
    sign_in(page, demo, "sw-jones")
    page.wait_for_selector(f"#row-{demo_id('decision-assess')}")
    oversight = open_decision(page, "decision-assess")
    oversight.locator(f"[data-event-id='{demo_id('oversight-assess')}']").wait_for()

    known_at(page, "01/05/2024", "1 May 2024, 23:59")
    oversight = page.get_by_role("region", name="Management oversight of this decision")
    oversight.get_by_text("No manager had recorded oversight of this decision by then.").wait_for()
    assert page.locator(f"#row-{demo_id('decision-assess')}.chosen").count() == 1

    page.get_by_role("button", name="Now").click()
    page.get_by_text("as known now").first.wait_for()
    oversight = page.get_by_role("region", name="Management oversight of this decision")
    oversight.locator(f"[data-event-id='{demo_id('oversight-assess')}']").wait_for()

    known_at(page, "01/12/2023", "1 December 2023, 23:59")
    page.locator("#panel-body").get_by_text(
        "The entry you chose is not in the chronology as shown"
    ).wait_for()
    assert page.text_content("#panel-title") == "Details"


def test_the_case_page_shows_entries_whose_order_against_the_decision_is_not_known(
    page: Any, demo: Demo
) -> None:
    """The fourth group of the foresight view, drawn by the renderer the review workspace
    shares. The API's answer is extended here, as the group's own tests cover it."""

    def with_order_uncertain(route: Any) -> None:
        answer = route.fetch()
        view = answer.json()
        moved = view["held_elsewhere"][0]
        view["order_uncertain"] = [{**moved, "would_join": "learned_later"}]
        route.fulfill(response=answer, json=view)

    page.route("**/foresight", with_order_uncertain)
    sign_in(page, demo, "reviewer-lee")
    page.wait_for_selector(f"#row-{demo_id('decision-assess')}")
    page.click(f"#row-{demo_id('decision-assess')} button")
    uncertain = page.get_by_role("region", name="Order against the decision not known (1)")
    uncertain.wait_for()
    assert "if it came first: learned later" in uncertain.inner_text()
    assert page.locator("#panel-body section.group").count() == 4
    # Its entry opens in the panel, as the other groups' entries do.
    link = uncertain.get_by_role("link").first
    chosen = link.get_attribute("data-event-id")
    link.click()
    page.locator(f"#row-{chosen}.chosen").wait_for()
    assert serious_violations(page, "#panel") == []
