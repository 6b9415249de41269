"""The HTML the server renders itself (the printable chronology and review) escapes everything
taken from the record: markup in a summary, a child's words, a decision, a finding stays text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from tests.backends import new_sqlite_url
from tests.fuzz.strategies import INJECTIONS

CASE = "FUZZ-HTML"
MARKUP = [*INJECTIONS[:3], "</td></tr></table><h1>forged</h1>", "<style>body{display:none}</style>"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    application = create_app(Settings(db_url=new_sqlite_url(tmp_path_factory.mktemp("html"))))
    engine = application.state.foresight.queries.engine
    tokens = {
        role: add_user(engine, f"{role}-html", role, agency)[1]
        for role, agency in (("manager", "social_care"), ("reviewer", "review"))
    }
    with TestClient(application) as http:
        yield http, tokens
    application.state.foresight.service.close()


def as_user(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture(scope="module")
def hostile_case(client: tuple[TestClient, dict[str, str]]) -> list[dict[str, Any]]:
    """A case whose every free-text field holds markup."""
    http, tokens = client
    events: list[dict[str, Any]] = [
        {
            "type": "person_added",
            "occurred_at": "2024-03-01",
            "data": {"person_id": "ava", "role": "child", "name": MARKUP[0]},
        },
    ]
    for text in MARKUP:
        events += [
            {
                "type": "note_added",
                "occurred_at": "2024-03-02",
                "summary": text,
                "impact": text,
                "action": text,
                "subjects": ["ava"],
            },
            {
                "type": "child_voice_recorded",
                "occurred_at": "2024-03-03",
                "subjects": ["ava"],
                "data": {"words": text},
            },
            {
                "type": "decision_made",
                "occurred_at": "2024-03-04T10:00",
                "data": {"decision": text},
            },
        ]
    response = http.post(f"/cases/{CASE}/events", json=events, headers=as_user(tokens, "manager"))
    assert response.status_code in (200, 201), response.text
    return list(response.json())


def assert_shown_as_text(page: str) -> None:
    for text in MARKUP:
        assert html.escape(text, quote=True) in page, text
        assert text not in page, text
    assert not re.search(r"<(img|script|svg|style|h1>forged)", page.split("</style>", 1)[-1])


def test_the_printable_chronology_escapes_every_value_from_the_record(
    client: tuple[TestClient, dict[str, str]],
    hostile_case: list[dict[str, Any]],
) -> None:
    http, tokens = client
    response = http.get(
        f"/cases/{CASE}/chronology", params={"format": "html"}, headers=as_user(tokens, "reviewer")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_shown_as_text(response.text)


def test_the_printable_review_escapes_titles_findings_and_entries(
    client: tuple[TestClient, dict[str, str]],
    hostile_case: list[dict[str, Any]],
) -> None:
    http, tokens = client
    reviewer = as_user(tokens, "reviewer")
    opened = http.post("/reviews", json={"case_id": CASE, "title": MARKUP[1]}, headers=reviewer)
    assert opened.status_code == 201, opened.text
    review_id = opened.json()["review_id"]
    episode = http.post(
        f"/reviews/{review_id}/episodes",
        headers=reviewer,
        json={
            "title": MARKUP[2],
            "starts": "2024-03-01",
            "ends": "2024-03-05",
            "summary": MARKUP[3],
            "event_ids": [event["event_id"] for event in hostile_case],
        },
    )
    assert episode.status_code == 201, episode.text
    for text in MARKUP:
        finding = http.post(
            f"/reviews/{review_id}/findings",
            headers=reviewer,
            json={"text": text, "tags": ["markup"]},
        )
        assert finding.status_code == 201, finding.text
    response = http.get(f"/reviews/{review_id}", params={"format": "html"}, headers=reviewer)
    assert response.status_code == 200
    assert_shown_as_text(response.text)
