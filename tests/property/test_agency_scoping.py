"""Agency scoping as a property: over generated multi-agency cases (entries, shares, corrections,
retractions, marks and plans), no read endpoint shows an agency anything it neither recorded
nor was sent, in any format, to a practitioner of that agency or a reviewer viewing as it.

Every event carries a marker of its own (in its summary and its free-text data), so a leak shows
as a marker in a response, whatever the format; every `event_id` a JSON answer names as an item
(not as a reference) must be one the agency may see.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import Foresight
from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event

AGENCIES = ("social_care", "police", "health", "school")
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
ENTRY_TYPES = ("note_added", "contact_received", "child_seen", "decision_made")
AMENDING = frozenset({"entry_corrected", "entry_retracted", "marked_significant"})
# Far enough on that every plan generated has started (and any end has happened).
LATER = "2026-01-01"
case_numbers = itertools.count(1)


def marker(index: int) -> str:
    """Text found in one event only (fixed width, so no marker holds another)."""
    return f"zq{index:04d}z"


@dataclass
class Story:
    """A generated case: its events in recording order, split into append batches."""

    case_id: str
    person_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    batch_ends: list[int] = field(default_factory=list)

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {raw["event_id"]: raw for raw in self.events}

    def visible_to(self, agency: str) -> set[str]:
        """Event ids the agency may see: its own, shares addressed to it and what they name,
        and its own-agency corrections and retractions of those (they follow the entry to
        everyone told of it, SPEC section 2). A superset of what it must see."""
        raw_by_id = self.by_id()
        allowed = set()
        for raw in self.events:
            if raw["agency"] == agency:
                allowed.add(raw["event_id"])
            if raw["type"] == "information_shared" and raw["data"]["to_agency"] == agency:
                allowed.add(raw["event_id"])
                allowed.update(raw["data"]["event_ids"])
        changed = True
        while changed:
            changed = False
            for raw in self.events:
                if raw["type"] not in ("entry_corrected", "entry_retracted"):
                    continue
                target = raw_by_id[raw["data"]["target_event_id"]]
                if (
                    raw["event_id"] not in allowed
                    and target["event_id"] in allowed
                    and raw["agency"] == self.entry_agency(target)
                ):
                    allowed.add(raw["event_id"])
                    changed = True
        return allowed

    def entry_agency(self, raw: dict[str, Any]) -> str:
        """The agency of the entry an event is about (itself, or what it amends)."""
        raw_by_id = self.by_id()
        while raw["type"] in AMENDING:
            raw = raw_by_id[raw["data"]["target_event_id"]]
        return str(raw["agency"])


@st.composite
def stories(draw: st.DrawFn) -> Story:
    """A case told by four agencies: entries, plans started, reviewed and ended, shares of what
    the sharer knows, corrections and retractions of an agency's own entries, marks."""
    number = next(case_numbers)
    story = Story(case_id=f"FAM-S{number}", person_id=f"child-{number}")
    story.events.append(
        {
            "event_id": str(uuid.uuid4()),
            "type": "person_added",
            "case_id": story.case_id,
            "occurred_at": "2022-01-01",
            "agency": "social_care",
            "source_recorded_at": START.isoformat(),
            "summary": marker(0),
            "data": {"person_id": story.person_id, "role": "child"},
        }
    )
    plans: dict[str, str] = {}  # plan id -> "active" or "ended"
    retracted: set[str] = set()
    known = START
    for index in range(1, draw(st.integers(min_value=4, max_value=18)) + 1):
        known += timedelta(days=draw(st.integers(0, 40)), minutes=draw(st.integers(1, 600)))
        agency = draw(st.sampled_from(AGENCIES))
        occurred = known - timedelta(days=draw(st.integers(0, 20)))
        raw: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "case_id": story.case_id,
            "agency": agency,
            "source_recorded_at": known.isoformat(),
            "occurred_at": occurred.date().isoformat()
            if draw(st.booleans())
            else known.isoformat(),
            "summary": marker(index),
            "subjects": [story.person_id] if draw(st.booleans()) else [],
        }
        entries = [
            event
            for event in story.events
            if event["type"] not in AMENDING | {"information_shared", "person_added"}
            and event["event_id"] not in retracted
        ]
        own = [event for event in entries if event["agency"] == agency]
        own_plain = [event for event in own if not event["type"].startswith("plan_")]
        active = [plan_id for plan_id, state in plans.items() if state == "active"]
        # In recording order (not by id: ids are random, and a draw must not depend on them).
        visible = story.visible_to(agency)
        knows = [event["event_id"] for event in story.events if event["event_id"] in visible]
        kinds = ["entry", "entry", "plan_started"] + ["share", "share"] * bool(knows)
        kinds += ["mark"] * bool(entries)
        kinds += ["correct"] * bool(own) + ["retract"] * bool(own_plain)
        kinds += ["plan_reviewed", "plan_ended"] * bool(active)
        # The first names the child, so the child's own chronology exists from the start.
        kind = draw(st.sampled_from(kinds)) if index > 1 else "entry"
        if index == 1:
            raw["subjects"] = [story.person_id]
        if kind == "entry":
            raw["type"] = draw(st.sampled_from(ENTRY_TYPES))
            if raw["type"] == "decision_made":
                raw["data"] = {"decision": marker(index)}
        elif kind == "plan_started":
            plan_id = f"plan-{number}-{index}"
            plans[plan_id] = "active"
            raw.update(
                type="plan_started",
                occurred_at=occurred.date().isoformat(),
                subjects=[story.person_id],
                data={
                    "plan_id": plan_id,
                    "kind": draw(st.sampled_from(["child_protection", "child_in_need"])),
                    "goals": [marker(index)],
                    "review_due": (occurred + timedelta(days=90)).date().isoformat(),
                },
            )
        elif kind in ("plan_reviewed", "plan_ended"):
            plan_id = draw(st.sampled_from(active))
            data = {"plan_id": plan_id}
            if kind == "plan_reviewed":
                data["progress"] = marker(index)
            else:
                data["reason"] = marker(index)
                plans[plan_id] = "ended"
            # Held after the plan's start, and ordered after anything before it in the case.
            raw.update(type=kind, occurred_at=known.isoformat(), data=data)
        elif kind == "share":
            raw.update(
                type="information_shared",
                data={
                    "to_agency": draw(st.sampled_from([a for a in AGENCIES if a != agency])),
                    "event_ids": draw(
                        st.lists(st.sampled_from(knows), min_size=1, max_size=3, unique=True)
                    ),
                },
            )
        elif kind == "correct":
            target = draw(st.sampled_from(own))
            changes: dict[str, Any] = {"summary": marker(index)}
            if target["type"] == "plan_started":
                changes["data"] = {"goals": [marker(index)]}
            raw.update(
                type="entry_corrected",
                subjects=[],
                data={
                    "target_event_id": target["event_id"],
                    "changes": changes,
                    "reason": marker(index),
                },
            )
        elif kind == "retract":
            target = draw(st.sampled_from(own_plain))
            retracted.add(target["event_id"])
            raw.update(
                type="entry_retracted",
                subjects=[],
                data={"target_event_id": target["event_id"], "reason": marker(index)},
            )
        else:
            target = draw(st.sampled_from(entries))
            raw.update(
                type="marked_significant",
                subjects=[],
                data={
                    "target_event_id": target["event_id"],
                    "significance": draw(st.sampled_from(["significant", "key"])),
                    "reason": marker(index),
                },
            )
        story.events.append(raw)
        if draw(st.integers(0, 3)) == 0:
            story.batch_ends.append(len(story.events))
    story.batch_ends.append(len(story.events))
    return story


@dataclass
class Reader:
    """Who reads, and as which agency."""

    user: str
    agency: str
    params: dict[str, str]


class App:
    """The app over one store for every example (each story is a case of its own)."""

    def __init__(self, foresight: Foresight, client: TestClient, tokens: dict[str, str]):
        self.foresight = foresight
        self.client = client
        self.tokens = tokens

    def readers(self) -> Iterator[Reader]:
        for agency in AGENCIES:
            yield Reader(f"pr-{agency}", agency, {})
            yield Reader("reviewer", agency, {"agency": agency})

    def get(self, reader: Reader, path: str, status: int = 200, **params: str) -> httpx.Response:
        response = self.client.get(
            path,
            params={**reader.params, **params},
            headers={"Authorization": f"Bearer {self.tokens[reader.user]}"},
        )
        assert response.status_code == status, (path, params, response.text[:300])
        return response


@pytest.fixture(scope="module")
def app(store_url: Callable[[], str]) -> Iterator[App]:
    created = create_app(Settings(db_url=store_url()))
    foresight: Foresight = created.state.foresight
    engine = foresight.queries.engine
    tokens = {
        f"pr-{agency}": add_user(engine, f"pr-{agency}", "practitioner", agency)[1]
        for agency in AGENCIES
    }
    tokens["reviewer"] = add_user(engine, "reviewer", "reviewer", "review")[1]
    with TestClient(created) as client:
        yield App(foresight, client, tokens)
    foresight.service.close()


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MARKER = re.compile(r"zq\d{4}z")


def items_named(value: Any) -> Iterator[str]:
    """Every `event_id` in a JSON answer: the items it shows (entries, events, amendments,
    reviews), as opposed to references such as `target_event_id` or `event_ids`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "event_id" and isinstance(inner, str):
                yield inner
            else:
                yield from items_named(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from items_named(inner)


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


def markers_of(story: Story, event_ids: set[str]) -> set[str]:
    index = {raw["event_id"]: position for position, raw in enumerate(story.events)}
    return {marker(index[event_id]) for event_id in event_ids}


PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY_SETTINGS
@given(story=stories())
def test_no_read_shows_an_agency_what_it_neither_recorded_nor_was_sent(
    app: App, story: Story
) -> None:
    """For every agency (its practitioner, and a reviewer viewing as it) and every read of a
    case, in JSON and as CSV, XLSX and HTML: every marker seen is of an event the agency may
    see, every item named is one, and every plan shown is one it started or was sent, with only
    the reviews and ending it may see. Signposting shows no marker at all."""
    start = 0
    for end in story.batch_ends:
        if end > start:
            app.foresight.service.append([parse_event(raw) for raw in story.events[start:end]])
        start = end
    app.foresight.runner.catch_up()
    case = f"/cases/{story.case_id}"
    every_id = {raw["event_id"] for raw in story.events}
    every_marker = markers_of(story, every_id)
    middle = story.events[len(story.events) // 2]["source_recorded_at"]
    for reader in app.readers():
        allowed = story.visible_to(reader.agency)
        may_see = markers_of(story, allowed)
        forbidden = every_marker - may_see
        answers: dict[str, str] = {}
        json_answers: dict[str, Any] = {}
        for name, path, params in (
            ("chronology", f"{case}/chronology", {"include_retracted": "true"}),
            ("chronology then", f"{case}/chronology", {"as_known_at": middle}),
            ("events", f"{case}/events", {}),
            ("events then", f"{case}/events", {"as_known_at": middle}),
            ("decisions", f"{case}/decisions", {}),
            ("changes", f"{case}/changes", {"since": "2000-01-01"}),
            ("patterns", f"{case}/patterns", {}),
            ("timeliness", f"{case}/timeliness", {}),
            ("plans", f"{case}/plans", {"on": LATER}),
            ("plans then", f"{case}/plans", {"on": LATER, "as_known_at": middle}),
            ("person", f"/people/{story.person_id}/chronology", {}),
        ):
            if not allowed and reader.user != "reviewer" and path.startswith(case):
                # A case the agency was never told of is, to it, not there at all.
                assert app.get(reader, path, 404, **params).json()["status"] == 404
                continue
            if name == "person" and reader.user != "reviewer":
                # Nor is a child the agency has known no entry of (the reviewer, viewing as
                # the agency, sees what it knew, retracted entries included).
                as_agency = app.get(
                    Reader("reviewer", reader.agency, {"agency": reader.agency}),
                    path,
                    include_retracted="true",
                )
                if not as_agency.json():
                    assert app.get(reader, path, 404, **params).json()["status"] == 404
                    continue
            response = app.get(reader, path, **params)
            answers[name] = response.text
            json_answers[name] = response.json()
        if "chronology" in answers:
            for output_format in ("csv", "html"):
                answers[output_format] = app.get(
                    reader, f"{case}/chronology", format=output_format
                ).text
            xlsx = app.get(reader, f"{case}/chronology", format="xlsx").content
            answers["xlsx"] = xlsx_text(xlsx)
        for name, text in answers.items():
            leaked = set(MARKER.findall(text)) & forbidden
            assert not leaked, (reader, name, leaked)
        for name, answer in json_answers.items():
            named = set(items_named(answer)) & every_id
            assert named <= allowed, (reader, name, named - allowed)
        for plan in json_answers.get("plans", []) + json_answers.get("plans then", []):
            check_plan_is_known(story, allowed, plan, reader)
        status = app.get(reader, f"/people/{story.person_id}/status", on=LATER).text
        assert not MARKER.findall(status), status
        assert not UUID_TEXT.findall(status), status


def check_plan_is_known(
    story: Story, allowed: set[str], plan: dict[str, Any], reader: Reader
) -> None:
    """A plan shown to an agency was started by it or sent to it, and shows only the reviews
    and ending the agency may see."""
    of_plan = [
        raw
        for raw in story.events
        if raw["type"].startswith("plan_") and raw["data"]["plan_id"] == plan["plan_id"]
    ]
    seen = [raw for raw in of_plan if raw["event_id"] in allowed]
    assert any(raw["type"] == "plan_started" for raw in seen), (reader, plan)
    assert plan["reviews"] <= sum(raw["type"] == "plan_reviewed" for raw in seen), (reader, plan)
    if plan["ended_on"] is not None:
        assert any(raw["type"] == "plan_ended" for raw in seen), (reader, plan)


def test_the_oracle_sees_a_share_and_what_follows_it() -> None:
    """The property's own rule, on a small case: a share makes the entry visible, the owner's
    correction follows it, another agency's mark does not."""
    story = Story("FAM-O", "child-o")
    entry = {"event_id": "e1", "type": "note_added", "agency": "social_care"}
    share = {
        "event_id": "s1",
        "type": "information_shared",
        "agency": "social_care",
        "data": {"to_agency": "police", "event_ids": ["e1"]},
    }
    fix = {
        "event_id": "c1",
        "type": "entry_corrected",
        "agency": "social_care",
        "data": {"target_event_id": "e1"},
    }
    mark = {
        "event_id": "m1",
        "type": "marked_significant",
        "agency": "health",
        "data": {"target_event_id": "e1"},
    }
    story.events = [entry, share, fix, mark]
    assert story.visible_to("police") == {"e1", "s1", "c1"}
    assert story.visible_to("health") == {"m1"}
    assert story.visible_to("social_care") == {"e1", "s1", "c1"}
