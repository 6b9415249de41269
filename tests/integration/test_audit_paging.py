"""The audit endpoints page through large logs (limit, offset, X-Total-Count) and filter the
recording audit by the person an event is about."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from tests.demo_app import demo_app

USERS = {"aud-pat": ("auditor", "ig"), "rev-pat": ("reviewer", "review")}


@pytest.fixture(scope="module")
def audit(store_url: Callable[[], str]) -> Iterator[Callable[..., Any]]:
    with demo_app(store_url(), USERS) as (_app, client, tokens):

        def get(path: str, user: str = "aud-pat", **params: str) -> Any:
            return client.get(
                path, params=params, headers={"Authorization": f"Bearer {tokens[user]}"}
            )

        for _ in range(7):
            assert get(f"/cases/{DEMO_CASE}/chronology", user="rev-pat").status_code == 200
        yield get


def test_the_access_log_comes_a_page_at_a_time_with_the_total(audit):
    every = audit("/audit/access", reader="rev-pat").json()
    assert len(every) == 7
    first = audit("/audit/access", reader="rev-pat", limit="3")
    second = audit("/audit/access", reader="rev-pat", limit="3", offset="3")
    last = audit("/audit/access", reader="rev-pat", limit="3", offset="6")
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "7"
    pages = [page.json() for page in (first, second, last)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [row["access_id"] for page in pages for row in page] == [
        row["access_id"] for row in every
    ]


def test_the_recording_audit_pages_after_its_filters(audit):
    every = audit("/audit/recording", case_id=DEMO_CASE).json()
    page = audit("/audit/recording", case_id=DEMO_CASE, limit="5", offset="2")
    assert page.headers["X-Total-Count"] == str(len(every))
    assert [row["event_id"] for row in page.json()] == [row["event_id"] for row in every[2:7]]
    late = audit("/audit/recording", case_id=DEMO_CASE, late_only="true", limit="1")
    assert late.headers["X-Total-Count"] == "1"
    assert [row["event_id"] for row in late.json()] == [demo_id("police-earlier")]


def test_the_recording_audit_keeps_the_events_about_one_person(audit):
    """Events naming the person as a subject, and the one adding them; no other."""
    expected = [
        str(raw["event_id"])
        for raw in demo_case_events()
        if "leo" in raw.get("subjects", ()) or raw.get("data", {}).get("person_id") == "leo"
    ]
    about_leo = audit("/audit/recording", person_id="leo").json()
    assert sorted(row["event_id"] for row in about_leo) == sorted(expected)
    assert 0 < len(expected) < len(audit("/audit/recording").json())
    assert audit("/audit/recording", person_id="nobody-here").json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "0"}, "query.limit"), ({"offset": "-1"}, "query.offset")],
)
def test_a_bad_page_is_refused_naming_the_field(audit, params, field):
    for path in ("/audit/access", "/audit/recording"):
        response = audit(path, **params)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
