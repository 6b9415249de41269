"""Markup recorded in a case is shown as text by the web page, never run or turned into elements.

Events whose summary, impact, action, child's words, decision, person's name and correction
reason hold `<img onerror>`, `<script>` and `"><svg onload>` are appended through the API; the
case page (table, timeline, entry panel, foresight panel, what changed) and the person page
must show each string literally and contain no element built from it.
"""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import sign_in

# The same `foresight demo` server and Chromium fixtures as the web page's own tests.

CASE = "FAM-XSS"
PAYLOADS = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    '"><svg onload=window.__pwned=1>',
    "<a href=javascript:window.__pwned=1>link</a>",
]
INJECTED = (
    "img[src='x'], svg, a[href^='javascript'], iframe, #case script, #person script, #panel script"
)


def post(demo, user: str, events: list[dict]) -> list[dict]:
    response = httpx.post(
        f"{demo.base}/cases/{CASE}/events",
        json=events,
        timeout=10,
        headers={"Authorization": f"Bearer {demo.tokens[user]}"},
    )
    assert response.status_code in (200, 201), response.text
    return list(response.json())


@pytest.fixture(scope="module")
def hostile_case(demo) -> dict[str, str]:
    """The case, and the id of the decision and of a corrected note in it."""
    events = [
        {
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": "mia", "role": "child", "name": PAYLOADS[0]},
        }
    ]
    for text in PAYLOADS:
        events += [
            {
                "type": "note_added",
                "occurred_at": "2024-03-02T09:00",
                "summary": text,
                "impact": text,
                "action": text,
                "subjects": ["mia"],
                "significance": "key",
            },
            {
                "type": "child_voice_recorded",
                "occurred_at": "2024-03-03T09:00",
                "subjects": ["mia"],
                "data": {"words": text},
            },
        ]
    events.append(
        {
            "type": "decision_made",
            "occurred_at": "2024-03-05T10:00",
            "data": {"decision": PAYLOADS[2]},
        }
    )
    stored = post(demo, "tm-hughes", events)
    note = stored[1]["event_id"]
    post(
        demo,
        "tm-hughes",
        [
            {
                "type": "entry_corrected",
                "occurred_at": "2024-03-04",
                "data": {
                    "target_event_id": note,
                    "reason": PAYLOADS[1],
                    "changes": {"summary": PAYLOADS[3]},
                },
            }
        ],
    )
    return {"decision": stored[-1]["event_id"], "note": note}


def assert_nothing_injected(page) -> None:
    page.wait_for_timeout(300)  # an injected <img src=x> would have failed to load by now
    assert page.evaluate("typeof window.__pwned") == "undefined"
    found = page.eval_on_selector_all(INJECTED, "nodes => nodes.map(n => n.outerHTML)")
    assert found == []


def test_markup_in_a_case_is_shown_as_text_in_every_view(page, demo, hostile_case):
    sign_in(page, demo, "reviewer-lee", f"/ui/cases/{CASE}")
    page.wait_for_selector("#entries tbody tr")
    table = page.inner_text("#entries")
    for text in PAYLOADS:
        assert text in table, text
    assert PAYLOADS[0] in page.inner_text("#timeline")
    assert_nothing_injected(page)

    page.click(f"#row-{hostile_case['note']} button")
    page.wait_for_selector("#panel-body .history")
    panel = page.inner_text("#panel-body")
    assert PAYLOADS[1] in panel
    assert PAYLOADS[3] in panel
    assert_nothing_injected(page)

    page.click(f"#row-{hostile_case['decision']} button")
    page.wait_for_selector("#group-learned-later")
    assert PAYLOADS[2] in page.inner_text("#panel-body")
    # Recorded after the decision's date, so learned later: notes and the child's words.
    learned_later = page.inner_text("#group-learned-later")
    assert all(text in learned_later for text in PAYLOADS), learned_later
    assert_nothing_injected(page)

    page.get_by_label("Since").fill("01/01/2000")
    page.get_by_label("Until").fill("1 January 2999 00:00")
    page.get_by_role("button", name="Show changes").click()
    page.wait_for_selector("#changes-list li")
    assert PAYLOADS[0] in page.inner_text("#changes-list")
    assert_nothing_injected(page)


def test_markup_in_a_person_s_chronology_is_shown_as_text(page, demo, hostile_case):
    sign_in(page, demo, "reviewer-lee", "/ui/people/mia")
    page.wait_for_selector("#person-entries tbody tr")
    entries = page.inner_text("#person-entries")
    assert PAYLOADS[0] in entries  # the person's name, shown as their entry's headline
    assert PAYLOADS[1] in entries
    assert_nothing_injected(page)
