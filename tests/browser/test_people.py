"""People and relationships on the case page: the genogram, its text alternative and the forms
that add people and relationships, in Debian's Chromium against `foresight demo`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in

# Collects every Content Security Policy violation from before the page's own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
GENOGRAM = re.compile("^Genogram of the case's people")


def people_named(page: Any) -> list[str]:
    table = page.get_by_role("table", name="People in the case")
    return [text.strip() for text in table.locator("tbody th").all_text_contents()]


def relationships_in_words(page: Any) -> list[str]:
    return [
        text.strip()
        for text in page.get_by_role("list", name="Relationships").locator("li").all_text_contents()
    ]


def case_events(demo: Any, event_type: str) -> list[dict[str, Any]]:
    events = demo.api("sw-jones", "/cases/FAM-0042/events")
    assert isinstance(events, list)
    return [event for event in events if event["type"] == event_type]


def wait_for_genogram(page: Any) -> None:
    page.get_by_role("img", name=GENOGRAM).locator("canvas").wait_for()
    page.get_by_role("table", name="People in the case").locator("tbody th").first.wait_for()


@pytest.fixture
def watched(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []  # the console's CSP reports and any uncaught script error
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()


def test_the_genogram_draws_the_demo_people_under_the_policy(watched: Any, demo: Any) -> None:
    """The genogram draws on a canvas with no CSP violation; its text alternative names everyone."""
    page, errors = watched
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    known = demo.api("sw-jones", "/cases/FAM-0042/chronology", types="person_added")
    assert isinstance(known, list)
    assert people_named(page) == [entry["data"]["name"] for entry in known]
    assert people_named(page)[:4] == ["Ava", "Leo", "Sam", "Jay"]
    rows = page.get_by_role("table", name="People in the case").locator("tbody tr")
    assert rows.nth(0).locator("td").all_text_contents() == [
        "child",
        "female",
        "12/09/2016",
        "daughter of Sam",
        "12 Mill Lane",
    ]
    assert page.get_by_role("list", name="Households by colour").inner_text().strip() == (
        "Household: 12 Mill Lane"
    )
    drawn = page.evaluate(
        "() => { const c = document.querySelector('#people-genogram canvas');"
        " return c.width > 0 && c.height > 0; }"
    )
    assert drawn
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__violations") == []
    assert errors == []


def test_a_person_and_a_relationship_added_through_the_forms(page: Any, demo: Any) -> None:
    """Each form saves one event (a double click too), shown in the text alternative at once."""
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    page.evaluate("window.__notReloaded = true")

    page.get_by_role("button", name="Add a person").click()
    form = page.get_by_role("form", name="Add a person")
    form.get_by_label("Name").fill("Kai Morgan")
    form.get_by_role("radio", name="Child").check()
    form.get_by_label("Date of birth (optional)").fill("03/04/2019")
    form.get_by_label("Sex (optional)").select_option(label="Male")
    form.get_by_label("Relationship to the child (optional)").fill("half-brother")
    form.get_by_label("Household (optional)").fill("4 Quay Street")
    page.get_by_role("button", name="Save person").dblclick()
    page.get_by_role("table", name="People in the case").get_by_role(
        "rowheader", name="Kai Morgan"
    ).wait_for()
    assert people_named(page)[-1] == "Kai Morgan"
    assert page.get_by_role("status").filter(has_text="Kai Morgan was added").count() == 1

    page.get_by_role("button", name="Record a relationship").click()
    form = page.get_by_role("form", name="Record a relationship")
    form.get_by_label("Person", exact=True).select_option(label="Sam")
    form.get_by_label("Relationship", exact=True).select_option("mother")
    form.get_by_label("Other person").select_option(label="Kai Morgan")
    page.get_by_role("button", name="Save relationship").dblclick()
    page.get_by_role("list", name="Relationships").get_by_text(
        "Sam is the mother of Kai Morgan"
    ).wait_for()
    assert relationships_in_words(page).count("Sam is the mother of Kai Morgan") == 1
    assert page.evaluate("window.__notReloaded") is True
    households = page.get_by_role("list", name="Households by colour").locator("li")
    assert "Household: 4 Quay Street" in households.all_text_contents()

    added = [e for e in case_events(demo, "person_added") if e["data"]["person_id"] == "kai-morgan"]
    assert len(added) == 1
    assert added[0]["agency"] == "social_care"
    assert added[0]["recorded_by"] == "sw-jones"
    assert added[0]["data"] == {
        "person_id": "kai-morgan",
        "role": "child",
        "name": "Kai Morgan",
        "date_of_birth": "2019-04-03",
        "sex": "M",
        "relationship": "half-brother",
        "household": "4 Quay Street",
    }
    related = [
        e
        for e in case_events(demo, "relationship_recorded")
        if e["data"]["other_person_id"] == "kai-morgan"
    ]
    assert len(related) == 1
    assert related[0]["agency"] == "social_care"
    assert related[0]["recorded_by"] == "sw-jones"
    assert related[0]["data"] == {
        "person_id": "sam",
        "other_person_id": "kai-morgan",
        "relationship": "mother",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("region", name="People and relationships").screenshot(
        path=str(ARTIFACTS / "people-genogram.png")
    )


def test_a_refused_form_shows_the_error_beside_the_field_and_writes_nothing(
    page: Any, demo: Any
) -> None:
    """The API's refusal (the same person twice) and an empty name: said beside the field."""
    before = len(demo.api("sw-jones", "/cases/FAM-0042/events"))
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)

    page.get_by_role("button", name="Record a relationship").click()
    relate = page.get_by_role("form", name="Record a relationship")
    relate.get_by_label("Person", exact=True).select_option(label="Ava")
    relate.get_by_label("Relationship", exact=True).select_option("sibling")
    relate.get_by_label("Other person").select_option(label="Ava")
    page.get_by_role("button", name="Save relationship").click()
    beside = page.locator("#people-relate-other-group .govuk-error-message")
    beside.wait_for()
    assert beside.text_content() == "Error: Choose two different people"
    assert relate.get_by_label("Other person").get_attribute("aria-describedby") == (
        "people-relate-other-error"
    )
    assert page.get_by_role("alert").filter(has_text="There is a problem").count() == 1
    assert relate.get_by_label("Person", exact=True).input_value() == "ava"  # nothing lost
    assert relate.get_by_label("Relationship", exact=True).input_value() == "sibling"

    page.get_by_role("button", name="Add a person").click()
    add = page.get_by_role("form", name="Add a person")
    add.get_by_role("radio", name="Adult").check()
    add.get_by_label("Household (optional)").fill("12 Mill Lane")
    page.get_by_role("button", name="Save person").click()
    name_error = page.locator("#people-name-group .govuk-error-message")
    name_error.wait_for()
    assert name_error.text_content() == "Error: Enter the person's name"
    assert add.get_by_label("Household (optional)").input_value() == "12 Mill Lane"
    assert add.get_by_role("radio", name="Adult").is_checked()

    add.get_by_label("Name").fill("Robin")
    add.get_by_label("Date of birth (optional)").fill("31/02/1990")
    page.get_by_role("button", name="Save person").click()
    dob_error = page.locator("#people-dob-group .govuk-error-message")
    dob_error.wait_for()
    assert "day/month/year" in (dob_error.text_content() or "")
    assert page.locator("#people-name-group .govuk-error-message").count() == 0

    assert len(demo.api("sw-jones", "/cases/FAM-0042/events")) == before


def test_reviewers_see_the_genogram_without_the_forms(page: Any, demo: Any) -> None:
    sign_in(page, demo, "reviewer-lee")
    wait_for_genogram(page)
    assert "Ava" in people_named(page)
    assert page.get_by_role("button", name="Add a person").count() == 0
    assert page.get_by_role("button", name="Record a relationship").count() == 0


def test_the_forms_are_usable_390_pixels_wide(browser: Any, demo: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, demo, "sw-jones")
        wait_for_genogram(page)
        page.get_by_role("button", name="Add a person").click()
        form = page.get_by_role("form", name="Add a person")
        form.get_by_label("Name").wait_for()
        width = page.evaluate("document.documentElement.clientWidth")
        for label in ("Name", "Household (optional)"):
            box = form.get_by_label(label).bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= width
        assert page.get_by_role("img", name=GENOGRAM).bounding_box()["width"] <= width
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "people-390.png"), full_page=True)
    finally:
        context.close()


def test_markup_in_a_name_is_shown_as_text(page: Any, demo: Any) -> None:
    """A name holding markup is written as text in the table and the relationships, never run."""
    hostile = "<img src=x onerror=window.__pwned=1>"
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    page.get_by_role("button", name="Add a person").click()
    form = page.get_by_role("form", name="Add a person")
    form.get_by_label("Name").fill(hostile)
    form.get_by_role("radio", name="Adult").check()
    form.get_by_role("button", name="Save person").click()
    page.get_by_role("table", name="People in the case").get_by_role(
        "rowheader", name=hostile
    ).wait_for()
    page.get_by_role("button", name="Record a relationship").click()
    relate = page.get_by_role("form", name="Record a relationship")
    relate.get_by_label("Person", exact=True).select_option(label=hostile)
    relate.get_by_label("Relationship", exact=True).select_option("other")
    relate.get_by_label("Other person").select_option(label="Sam")
    relate.get_by_role("button", name="Save relationship").click()
    page.get_by_role("list", name="Relationships").get_by_text(
        f"{hostile} and Sam are related in another way"
    ).wait_for()
    assert page.locator("#people img, #people script").count() == 0
    assert page.evaluate("window.__pwned") is None
    added = [e for e in case_events(demo, "person_added") if e["data"].get("name") == hostile]
    assert [e["data"]["person_id"] for e in added] == ["img-src-x-onerror-window-pwned-1"]


def test_a_person_is_added_with_the_keyboard_alone(page: Any, demo: Any) -> None:
    """The button opens the form at its first field; Tab, Space and Enter do the rest."""
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    opener = page.get_by_role("button", name="Add a person")
    opener.focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Add a person")
    assert form.get_by_label("Name").evaluate("field => field === document.activeElement")
    page.keyboard.type("Noor Khan")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first radio, Child
    assert form.get_by_role("radio", name="Child").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("1/12/2020")
    page.keyboard.press("Enter")
    page.get_by_role("table", name="People in the case").get_by_role(
        "rowheader", name="Noor Khan"
    ).wait_for()
    assert opener.evaluate("button => button === document.activeElement")
    added = [e for e in case_events(demo, "person_added") if e["data"]["person_id"] == "noor-khan"]
    assert [e["data"]["date_of_birth"] for e in added] == ["2020-12-01"]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_section_and_its_forms_pass_the_accessibility_check(
    browser: Any, demo: Any, width: int
) -> None:
    """No serious axe violation in the section, with both forms open and showing errors."""
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, demo, "sw-jones")
        wait_for_genogram(page)
        assert serious_violations(page, "#people") == []
        page.get_by_role("button", name="Add a person").click()
        page.get_by_role("button", name="Save person").click()
        page.locator("#people-name-group .govuk-error-message").wait_for()
        assert serious_violations(page, "#people") == []
        page.get_by_role("button", name="Record a relationship").click()
        page.get_by_role("button", name="Save relationship").click()
        page.locator("#people-relate-person-group .govuk-error-message").wait_for()
        assert serious_violations(page, "#people") == []
        # Nothing in the section reaches past the window's right edge (no sideways scrolling of
        # the page); the people table scrolls sideways inside its own box on a narrow screen.
        beyond = page.evaluate(
            "() => [...document.querySelectorAll('#people *')]"
            ".filter((n) => !n.parentElement.closest('.people-table-wrap'))"
            ".filter((n) => n.getBoundingClientRect().right >"
            " document.documentElement.clientWidth + 0.5).map((n) => n.id || n.tagName)"
        )
        assert beyond == []
    finally:
        context.close()


def test_a_person_added_elsewhere_is_drawn_when_the_case_is_redrawn(page: Any, demo: Any) -> None:
    """Someone added outside the section (here straight through the API) joins the genogram's
    text alternative as soon as the page redraws the case as known now."""
    sign_in(page, demo, "sw-jones")
    wait_for_genogram(page)
    response = httpx.post(
        f"{demo.base}/cases/FAM-0042/events",
        json={
            "event_id": str(uuid.uuid4()),
            "type": "person_added",
            "occurred_at": "2024-02-01",
            "data": {"person_id": "ola", "role": "adult", "name": "Ola", "sex": "F"},
        },
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert "Ola" not in people_named(page)
    page.get_by_role("button", name="Now").click()  # the case drawn again, as known now
    page.get_by_role("table", name="People in the case").get_by_role(
        "rowheader", name="Ola"
    ).wait_for()
    assert "Ola" in people_named(page)


def test_a_name_another_agency_already_gave_an_id_is_refused_beside_the_name(
    page: Any, demo: Any
) -> None:
    """The person_id is unique among the people the reader's agency knows; one another agency
    added is refused by the API, and the form says so beside the name, writing nothing."""
    known = demo.api("pc-1234", "/cases/FAM-0042/chronology", types="person_added")
    assert isinstance(known, list)
    assert "leo" not in {entry["data"]["person_id"] for entry in known}
    before = len(demo.api("sw-jones", "/cases/FAM-0042/events"))
    sign_in(page, demo, "pc-1234")
    page.get_by_role("img", name=GENOGRAM).locator("canvas").wait_for()
    page.get_by_role("button", name="Add a person").click()
    form = page.get_by_role("form", name="Add a person")
    form.get_by_label("Name").fill("Leo")
    form.get_by_role("radio", name="Child").check()
    form.get_by_role("button", name="Save person").click()
    beside = page.locator("#people-name-group .govuk-error-message")
    beside.wait_for()
    assert "already in the case" in (beside.text_content() or "")
    assert form.get_by_label("Name").input_value() == "Leo"
    assert len(demo.api("sw-jones", "/cases/FAM-0042/events")) == before


def post_event(demo: Any, case_id: str, event: dict[str, Any]) -> None:
    response = httpx.post(
        f"{demo.base}/cases/{case_id}/events",
        headers={"Authorization": f"Bearer {demo.tokens['sw-jones']}"},
        json=event,
        timeout=10,
    )
    assert response.status_code == 201, response.text


def drawn(page: Any) -> str:
    """The people the genogram draws, by id (the genogram says so in data-people)."""
    return str(page.get_attribute("#people-genogram", "data-people"))


def wait_for_drawn(page: Any, expected: str) -> str:
    for _ in range(100):
        if drawn(page) == expected:
            break
        page.wait_for_timeout(100)
    return drawn(page)


def test_the_genogram_follows_the_as_known_at_control(page: Any, demo: Any) -> None:
    """A case built here: Mia recorded first, then her father Tom. Replayed to the moment only
    Mia was known, the genogram draws her alone; at now, both again."""
    case_id = f"GENO-{uuid.uuid4().hex[:8]}"
    post_event(
        demo,
        case_id,
        {
            "type": "person_added",
            "occurred_at": "2024-02-01",
            "subjects": [],
            "data": {"person_id": "mia", "role": "child", "name": "Mia", "sex": "F"},
        },
    )
    post_event(
        demo,
        case_id,
        {
            "type": "person_added",
            "occurred_at": "2024-02-01",
            "subjects": [],
            "data": {
                "person_id": "tom",
                "role": "adult",
                "name": "Tom",
                "sex": "M",
                "relationship": "father",
            },
        },
    )
    sign_in(page, demo, "sw-jones", f"/ui/cases/{case_id}")
    wait_for_genogram(page)
    assert wait_for_drawn(page, "mia tom") == "mia tom"
    assert people_named(page) == ["Mia", "Tom"]

    # The replay slider's stops are the moments of recording: back one is Tom's, back two Mia's.
    slider = page.get_by_role("slider", name="Replay the recording")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert wait_for_drawn(page, "mia") == "mia"
    assert people_named(page) == ["Mia"]
    assert page.get_by_role("img", name=GENOGRAM).locator("canvas").is_visible()

    page.keyboard.press("End")
    assert wait_for_drawn(page, "mia tom") == "mia tom"
    assert people_named(page) == ["Mia", "Tom"]
