"""Systems-approach reviews over the demo case: episodes, foresight groups, findings, exports,
and the managers' oversight of each decision beside its foresight view."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Foresight
from api.http.app import create_app
from api.samples.demo import demo_case_events, demo_id
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from events.recorded import RecordedEvent


class ReviewClient(TestClient):
    """A TestClient with a token per role, the demo case's stored events, and an event id of
    another case."""

    tokens: dict[str, str]
    case_events: Callable[[], list[RecordedEvent]]
    other_event: str


@pytest.fixture(scope="module")
def client(store_url: Callable[[], str]) -> ReviewClient:
    url = store_url()
    app = create_app(Settings(db_url=url))
    foresight: Foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    foresight.service.append(
        [
            parse_event(
                {
                    "type": "note_added",
                    "case_id": "OTHER-1",
                    "occurred_at": "2024-01-10",
                    "agency": "school",
                    "summary": "Another family",
                }
            )
        ]
    )
    client = ReviewClient(app)
    tokens = {}
    for name, role, agency in (
        ("rev-ada", "reviewer", "review"),
        ("sw-bo", "practitioner", "social_care"),
        ("aud-cy", "auditor", "ig"),
        ("tm-di", "manager", "social_care"),
    ):
        tokens[role] = add_user(foresight.queries.engine, name, role, agency)[1]
    client.tokens = tokens
    client.case_events = lambda: foresight.service.case_events("FAM-0042")
    client.other_event = str(foresight.service.case_events("OTHER-1")[0].event_id)
    return client


def as_(client: ReviewClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}


# The episode around the first decision.
FIRST_REFERRAL = {
    "title": "The first referral",
    "starts": "2024-01-12",
    "ends": "2024-01-16",
    "event_ids": [demo_id("police-notification"), demo_id("decision-assess")],
}


@pytest.fixture(scope="module")
def review(client):
    """A review of the demo case with one episode around the first decision and a finding."""
    opened = client.post(
        "/reviews",
        headers=as_(client, "reviewer"),
        json={"case_id": "FAM-0042", "title": "Learning review: Ava and Leo"},
    )
    assert opened.status_code == 201, opened.text
    review_id = opened.json()["review_id"]
    episode = client.post(
        f"/reviews/{review_id}/episodes",
        headers=as_(client, "reviewer"),
        json=FIRST_REFERRAL,
    )
    assert episode.status_code == 201, episode.text
    finding = client.post(
        f"/reviews/{review_id}/findings",
        headers=as_(client, "reviewer"),
        json={
            "text": "The school's concern about hunger never reached social care",
            "factors": ["multi_agency_communication_in_assessment_and_longer_term_work"],
            "tags": ["information sharing"],
            "event_ids": [demo_id("school-hungry")],
            "episode_id": "E1",
        },
    )
    assert finding.status_code == 201, finding.text
    return review_id


def test_an_episode_shows_the_foresight_groups_of_its_decision(client, review):
    """The first decision's episode shows what was known, held elsewhere and learned later."""
    body = client.get(f"/reviews/{review}", headers=as_(client, "reviewer")).json()
    episode = body["episodes"][0]
    assert [e["event_id"] for e in episode["entries"]] == [
        demo_id("police-notification"),
        demo_id("decision-assess"),
    ]
    [decision] = episode["decisions"]
    held = {item["entry"]["event_id"] for item in decision["held_elsewhere"]}
    later = {item["entry"]["event_id"] for item in decision["learned_later"]}
    known = {item["entry"]["event_id"] for item in decision["known_to_decider"]}
    assert held == {demo_id("school-hungry"), demo_id("hv-visit")}
    assert later == {demo_id("police-earlier")}
    assert demo_id("police-notification") in known
    assert body["findings"][0]["factors"] == [
        "multi_agency_communication_in_assessment_and_longer_term_work"
    ]
    assert body["findings"][0]["tags"] == ["information sharing"]


def test_a_finding_citing_an_event_that_is_not_in_the_case_is_refused(client, review):
    """An event of another case, or of none, is refused naming the field; nothing is added."""
    before = client.get(f"/reviews/{review}", headers=as_(client, "reviewer")).json()
    for outsider in (client.other_event, "6a1c8f0e-51d4-4c55-9b7e-1f7d1d0e9a01"):
        refused = client.post(
            f"/reviews/{review}/findings",
            headers=as_(client, "reviewer"),
            json={"text": "Rests on another record", "event_ids": [outsider]},
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "event_ids.0"
    after = client.get(f"/reviews/{review}", headers=as_(client, "reviewer")).json()
    assert after["findings"] == before["findings"]


def test_a_factor_outside_the_typology_must_be_a_free_tag(client, review):
    """An unknown contributory factor is refused; the same words are accepted as a tag."""
    refused = client.post(
        f"/reviews/{review}/findings",
        headers=as_(client, "reviewer"),
        json={"text": "Workload", "factors": ["workload"]},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("factors")


def test_reviews_never_change_the_case_record(client, review):
    """Opening, selecting and finding leave the case's events exactly as they were."""
    events = client.case_events()
    client.post(
        f"/reviews/{review}/episodes",
        headers=as_(client, "reviewer"),
        json={
            "title": "Conference",
            "starts": "2024-02-14",
            "ends": "2024-02-14",
            "event_ids": [demo_id("icpc")],
        },
    )
    assert client.case_events() == events


def test_only_reviewers_open_or_read_reviews(client, review):
    """Practitioners and auditors get 403; an unknown review is 404."""
    for role in ("practitioner", "auditor"):
        assert client.get(f"/reviews/{review}", headers=as_(client, role)).status_code == 403
        assert (
            client.post(
                "/reviews", headers=as_(client, role), json={"case_id": "FAM-0042", "title": "x"}
            ).status_code
            == 403
        )
    assert client.get("/reviews/REV-nope", headers=as_(client, "reviewer")).status_code == 404


def test_the_review_exports_as_html_and_xlsx_for_the_panel(client, review):
    """The HTML names the groups and the finding; the workbook has the three sheets with rows."""
    page = client.get(
        f"/reviews/{review}", params={"format": "html"}, headers=as_(client, "reviewer")
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "Held elsewhere (2)" in page.text
    assert "never reached social care" in page.text
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                f"/reviews/{review}", params={"format": "xlsx"}, headers=as_(client, "reviewer")
            ).content
        )
    )
    assert book.sheetnames == ["episodes", "findings", "foresight", "oversight"]
    assert book["foresight"].max_row > 5


def test_the_reviews_are_listed_newest_first_and_by_case(client, review):
    """The list a reviewer opens a review from: titles and cases, the newest first."""
    later = client.post(
        "/reviews",
        headers=as_(client, "reviewer"),
        json={"case_id": "OTHER-1", "title": "Another family", "case_as_known_at": "2024-02-01"},
    ).json()["review_id"]
    listed = client.get("/reviews", headers=as_(client, "reviewer")).json()
    assert [item["review_id"] for item in listed][:2] == [later, review]
    assert listed[0]["case_as_known_at"] == "2024-02-01"
    assert listed[0]["opened_by"] == "rev-ada"
    of_demo = client.get(
        "/reviews", params={"case_id": "FAM-0042"}, headers=as_(client, "reviewer")
    )
    assert later not in {item["review_id"] for item in of_demo.json()}
    assert review in {item["review_id"] for item in of_demo.json()}
    assert client.get("/reviews", headers=as_(client, "practitioner")).status_code == 403


# The demo's own oversight of the first decision (tm-hughes, known 20 May 2024 14:00).
DEMO_OVERSIGHT_REASONS = (
    "A single assessment was proportionate to the one police notification known then"
)


@pytest.fixture(scope="module")
def overseen(client: ReviewClient, review: str) -> dict[str, str]:
    """A manager's oversight recorded now: of the first decision, of the later section 47
    decision, and of the case as a whole (the last two never show on the first decision)."""
    ids = {}
    for key, target, view in (
        ("assess", demo_id("decision-assess"), "disagree"),
        ("s47", demo_id("decision-s47"), "agree"),
        ("case", None, "agree"),
    ):
        data = {"view": view, "reasons": f"Reasons ({key})", "next_steps": f"Next ({key})"}
        if target:
            data["target_event_id"] = target
        response = client.post(
            "/cases/FAM-0042/events",
            headers=as_(client, "manager"),
            json={"type": "oversight_recorded", "occurred_at": "2024-06-03T10:00", "data": data},
        )
        assert response.status_code == 201, response.text
        ids[key] = response.json()["event_id"]
    return ids


def foresight_oversight(client: ReviewClient, decision: str, **params: str) -> list[str]:
    response = client.get(
        f"/cases/FAM-0042/decisions/{demo_id(decision)}/foresight",
        params=params,
        headers=as_(client, "reviewer"),
    )
    assert response.status_code == 200, response.text
    return [item["event_id"] for item in response.json()["oversight"]]


def test_a_foresight_view_shows_the_oversight_of_its_decision_as_known_then(client, overseen):
    """Oversight recorded after T is not there at T; another decision's or the case's never."""
    demo_oversight = demo_id("oversight-assess")
    assert foresight_oversight(client, "decision-assess") == [demo_oversight, overseen["assess"]]
    assert foresight_oversight(client, "decision-assess", as_known_at="2024-05-20T14:00") == [
        demo_oversight
    ]
    assert foresight_oversight(client, "decision-assess", as_known_at="2024-05-20T13:59") == []
    assert foresight_oversight(client, "decision-s47") == [overseen["s47"]]
    assert foresight_oversight(client, "decision-s47", as_known_at="2024-05-31") == []

    view = client.get(
        f"/cases/FAM-0042/decisions/{demo_id('decision-assess')}/foresight",
        params={"as_known_at": "2024-05-31"},
        headers=as_(client, "reviewer"),
    ).json()
    [item] = view["oversight"]
    assert item["data"]["view"] == "agree_with_changes"
    assert item["data"]["reasons"] == DEMO_OVERSIGHT_REASONS
    assert item["recorded_by"] == "tm-hughes"
    assert item["known_at"].startswith("2024-05-20T1")
    assert view["hindsight_as_known_at"].startswith("2024-05-31T")
    # Police's earlier call-out, entered on 2 February, was learned later by 31 May.
    assert {i["entry"]["event_id"] for i in view["learned_later"]} == {demo_id("police-earlier")}


def test_a_foresight_view_as_known_on_a_past_date_shows_only_the_hindsight_of_that_date(client):
    """Read as known on 31 January, the first decision had learned nothing later yet (police
    entered their earlier call-out on 2 February), and the visit to Ava known to the section 47
    decision had not yet been corrected (1 February); both show as known now. The groups at
    the cutoff are the same either way."""

    def view(decision: str, **params: str) -> dict[str, Any]:
        response = client.get(
            f"/cases/FAM-0042/decisions/{demo_id(decision)}/foresight",
            params=params,
            headers=as_(client, "reviewer"),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def learned_later(body: dict[str, Any]) -> set[str]:
        return {item["entry"]["event_id"] for item in body["learned_later"]}

    def visit_to_ava(body: dict[str, Any]) -> dict[str, Any]:
        [item] = [
            item
            for item in body["known_to_decider"]
            if item["entry"]["event_id"] == demo_id("ava-seen")
        ]
        return dict(item)

    then, now = view("decision-assess", as_known_at="2024-01-31"), view("decision-assess")
    assert learned_later(then) == set()
    assert demo_id("police-earlier") in learned_later(now)
    assert then["known_to_decider"] == now["known_to_decider"]

    then, now = view("decision-s47", as_known_at="2024-01-31"), view("decision-s47")
    assert (visit_to_ava(then)["changed_later"], visit_to_ava(then)["now"]) == (False, None)
    assert visit_to_ava(now)["changed_later"] is True
    assert visit_to_ava(now)["now"]["data"]["where"] == "home, with Sam in the next room"
    assert [item["entry"] for item in then["known_to_decider"]] == [
        item["entry"] for item in now["known_to_decider"]
    ]


def review_of_first_decision(client: ReviewClient, as_known_at: str | None) -> str:
    """A review of the case as known at `as_known_at` (None: now) with the first decision's
    episode."""
    opening: dict[str, str] = {"case_id": "FAM-0042", "title": f"Oversight as at {as_known_at}"}
    if as_known_at:
        opening["case_as_known_at"] = as_known_at
    review_id = client.post("/reviews", headers=as_(client, "reviewer"), json=opening).json()[
        "review_id"
    ]
    client.post(
        f"/reviews/{review_id}/episodes",
        headers=as_(client, "reviewer"),
        json=FIRST_REFERRAL,
    ).raise_for_status()
    return str(review_id)


def test_a_review_shows_each_decisions_oversight_as_known_at_its_date(client, overseen):
    """The review's JSON: the first decision's oversight as known at the review's date."""

    def oversight(review_id: str) -> list[str]:
        body = client.get(f"/reviews/{review_id}", headers=as_(client, "reviewer")).json()
        [decision] = body["episodes"][0]["decisions"]
        return [item["event_id"] for item in decision["oversight"]]

    assert oversight(review_of_first_decision(client, None)) == [
        demo_id("oversight-assess"),
        overseen["assess"],
    ]
    assert oversight(review_of_first_decision(client, "2024-05-31")) == [
        demo_id("oversight-assess")
    ]
    assert oversight(review_of_first_decision(client, "2024-03-31")) == []


def test_the_printed_review_and_its_workbook_show_the_oversight(client, overseen):
    """Printable HTML: the view in words, reasons, next steps, who and when; the workbook's
    oversight sheet one row per oversight."""
    review_id = review_of_first_decision(client, "2024-05-31")
    page = client.get(
        f"/reviews/{review_id}", params={"format": "html"}, headers=as_(client, "reviewer")
    ).text
    assert (
        "<h4>Management oversight of this decision (1)</h4><ul><li><strong>Agree with changes"
        f"</strong>. Reasons: {DEMO_OVERSIGHT_REASONS}. Next steps: Ask the police for any "
        "earlier call-outs to the address before deciding; discuss in supervision. Recorded by "
        "tm-hughes, social_care, 2024-05-20 14:00 (known 2024-05-20 14:00).</li></ul>"
    ) in page
    assert "Reasons (assess)" not in page
    before = client.get(
        f"/reviews/{review_of_first_decision(client, '2024-03-31')}",
        params={"format": "html"},
        headers=as_(client, "reviewer"),
    ).text
    assert (
        "<h4>Management oversight of this decision (0)</h4>"
        "<p>No manager had recorded oversight of this decision by 2024-03-31.</p>"
    ) in before

    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                f"/reviews/{review_of_first_decision(client, None)}",
                params={"format": "xlsx"},
                headers=as_(client, "reviewer"),
            ).content
        )
    )
    rows = [list(row) for row in book["oversight"].iter_rows(values_only=True)]
    assert rows[0] == [
        "episode",
        "decision",
        "view",
        "reasons",
        "next_steps",
        "recorded_by",
        "agency",
        "when",
        "known_at",
    ]
    assert [row[:7] for row in rows[1:]] == [
        [
            "E1",
            "Single assessment; no strategy discussion at this point",
            "Agree with changes",
            DEMO_OVERSIGHT_REASONS,
            "Ask the police for any earlier call-outs to the address before deciding; "
            "discuss in supervision",
            "tm-hughes",
            "social_care",
        ],
        [
            "E1",
            "Single assessment; no strategy discussion at this point",
            "Disagree",
            "Reasons (assess)",
            "Next (assess)",
            "tm-di",
            "social_care",
        ],
    ]
    assert rows[1][7:] == ["2024-05-20 14:00", "2024-05-20 14:00"]
    assert rows[2][7] == "2024-06-03 10:00"
