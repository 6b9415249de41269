"""Any single tampering with the stored log is reported by `verify`, on both backends.

Hypothesis chooses the store (a few cases of a few events, maybe a review, snapshots every 2,
3 or 500 events) and one tampering made by an attacker with the database owner's password
(`tests/tampering.py`): a changed byte anywhere in a stored event or snapshot, a deleted
event (with or without its index row), two events' places or versions exchanged, a forged
event (a copy, or one with a correct hash over a wrong predecessor), a case's chain rewritten
from an event onwards with every later hash recomputed, a forged snapshot. The triggers are
dropped or disabled first, and put back afterwards or not.

Against an anchor taken before the tampering, `verify` must report every one of them, and
`foresight verify --anchor` must exit 1. Without an anchor it must report every one that the
log itself can show (everything except: the newest events of a case removed with their index
rows, a chain recomputed to its end, events of different cases exchanged with their index
rows, and a changed byte in a review event that still decodes) and name where.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Protocol, TypeVar
from uuid import UUID, uuid4

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from domain.case import chain_hash
from domain.reviewing import ReviewDesk
from domain.service import CaseService
from events.reviews import FindingRecord, ReviewOpening
from projections.store.integrity import Anchor, verify_store
from tests.backends import drop_postgres_database, new_postgres_database, postgres_server_url
from tests.conftest import event
from tests.tampering import (
    IndexRow,
    StoredRow,
    Tamperer,
    decode,
    encode,
    open_tamperer,
    recorded_at,
    run_verify,
)

EXAMPLES = int(os.environ.get("FORESIGHT_TAMPER_EXAMPLES", "25"))
CASE_TOPIC_PREFIX = "domain.case:"
APPENDED_TOGETHER = 3

Drawn = TypeVar("Drawn")


class Draw(Protocol):
    """Hypothesis's draw, as a strategy gets it and as the test's `data.draw` is."""

    def __call__(self, strategy: st.SearchStrategy[Drawn], label: object = None) -> Drawn: ...


@dataclass(frozen=True)
class StoreUnderTest:
    """One store per backend, emptied before each example (cheaper than a new database)."""

    url: str
    verifier: CaseService  # reads only (no aggregate cache): reused by every example

    @contextmanager
    def emptied(self) -> Iterator[str]:
        tamperer = open_tamperer(self.url)
        try:
            tamperer.empty()
        finally:
            tamperer.close()
        yield self.url


@pytest.fixture(scope="module")
def test_store(backend: str) -> Iterator[StoreUnderTest]:
    with tempfile.TemporaryDirectory() as directory:
        if backend == "sqlite":
            url = f"sqlite:///{Path(directory) / 'foresight.db'}"
        else:
            url = new_postgres_database(postgres_server_url())
        verifier = bootstrap_writer(Settings(db_url=url), check_key=False)
        try:
            yield StoreUnderTest(url, verifier)
        finally:
            verifier.close()
            if backend == "postgresql":
                drop_postgres_database(postgres_server_url(), url)


# -- the store -------------------------------------------------------------------------------------

SUMMARY = st.text(alphabet='abcxyz é"\\', max_size=10).map(lambda text: f"Note {text}.")


@dataclass(frozen=True)
class StorePlan:
    appends: list[tuple[str, str]]  # (case id, summary) in log order
    review: bool
    snapshot_interval: int


@st.composite
def store_plans(draw: st.DrawFn) -> StorePlan:
    cases = draw(st.lists(st.sampled_from(["FAM-1", "FAM-2", "FAM-3"]), min_size=1, max_size=9))
    return StorePlan(
        appends=[(case_id, draw(SUMMARY)) for case_id in cases],
        review=draw(st.booleans()),
        snapshot_interval=draw(st.sampled_from([2, 3, 500])),
    )


def fill(db_url: str, plan: StorePlan) -> Anchor:
    """Append the plan's events (and a review of the first case); the anchor of the clean store."""
    service = bootstrap_writer(Settings(db_url=db_url, snapshot_interval=plan.snapshot_interval))
    try:
        # A few events per append: cheap, and the cases still interleave in the log.
        for start in range(0, len(plan.appends), APPENDED_TOGETHER):
            service.append(
                [
                    event("note_added", case_id=case_id, summary=summary)
                    for case_id, summary in plan.appends[start : start + APPENDED_TOGETHER]
                ]
            )
            if plan.review and start == 0:
                desk = ReviewDesk(service)
                review = desk.open(
                    ReviewOpening(case_id=plan.appends[0][0], title="Review é"), "reviewer-1"
                )
                for text in ("First finding", "Second"):
                    desk.record_finding(review.review_id, FindingRecord(text=text), "reviewer-1")
        report = verify_store(service)
    finally:
        service.close()
    assert report.ok, report
    assert report.anchor is not None, report
    return report.anchor


# -- the tamperings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What verify must say without an anchor (with one it must always report something)."""

    detectable_without_anchor: bool
    positions: frozenset[int | None]  # where the first broken link may be named
    case_id: str | None = None


def case_of(row: StoredRow, index: dict[int, IndexRow]) -> str | None:
    return index[row.position].case_id if row.position in index else None


def is_case_row(row: StoredRow) -> bool:
    return row.topic.startswith(CASE_TOPIC_PREFIX)


def flip_a_byte(draw: Draw, state: bytes) -> bytes:
    offset = draw(st.integers(0, len(state) - 1))
    new = draw(st.integers(0, 255).filter(lambda value: value != state[offset]))
    return state[:offset] + bytes([new]) + state[offset + 1 :]


def tamper(draw: Draw, tamperer: Tamperer) -> Expected:  # noqa: PLR0911 - one return per kind of tampering, each saying what verify must find
    """Draw one tampering that the store's contents allow, make it, and say what verify must
    find."""
    rows = tamperer.rows()
    index = {row.position: row for row in tamperer.index_rows()}
    by_aggregate: dict[UUID, list[StoredRow]] = {}
    for row in rows:
        by_aggregate.setdefault(row.originator_id, []).append(row)
    snapshots = tamperer.snapshots_rows()
    kinds = [
        "flip",
        "flip id",
        "flip topic",
        "delete",
        "swap",
        "forge copy",
        "forge link",
        "rewrite",
    ]
    if any(len(events) > 1 for events in by_aggregate.values()):
        kinds.append("swap versions")
    if snapshots:
        kinds += ["snapshot flip", "snapshot forge", "snapshot insert"]
    kind = draw(st.sampled_from(kinds))
    hypothesis.event(kind)
    case_rows = [row for row in rows if is_case_row(row)]

    if kind == "flip":
        row = draw(st.sampled_from(rows))
        tamperer.set_state(row.position, flip_a_byte(draw, row.state))
        return Expected(is_case_row(row), frozenset({row.position}), case_of(row, index))

    if kind == "flip id":
        row = draw(st.sampled_from(rows))
        text = row.originator_id.hex
        offset = draw(st.integers(0, len(text) - 1))
        digits = "0123456789abcdef" + ("z" if tamperer.placeholder == "?" else "")
        new = draw(st.sampled_from(digits.replace(text[offset], "")))
        tamperer.set_originator_id(row.position, text[:offset] + new + text[offset + 1 :])
        return Expected(True, frozenset({row.position}), case_of(row, index))

    if kind == "flip topic":
        row = draw(st.sampled_from(rows))
        # PostgreSQL's text takes neither NUL nor invalid UTF-8.
        topic = flip_a_byte(draw, row.topic.encode()).decode(errors="replace").replace("\x00", "?")
        tamperer.set_topic(row.position, topic)
        return Expected(True, frozenset({row.position}), case_of(row, index))

    if kind == "delete":
        row = draw(st.sampled_from(rows))
        with_index_row = draw(st.booleans())
        tamperer.delete_event(row.position, with_index_row)
        later = [
            other.position
            for other in by_aggregate[row.originator_id]
            if other.version > row.version
        ]
        is_head = not later
        return Expected(
            not (is_head and (with_index_row or not is_case_row(row))),
            frozenset({row.position, *later[:1]}),
            case_of(row, index),
        )

    if kind in ("swap", "swap versions"):
        if kind == "swap versions":
            aggregate = draw(st.sampled_from([v for v in by_aggregate.values() if len(v) > 1]))
            first, second = draw(st.sampled_from(list(combinations(aggregate, 2))))
            tamperer.swap_versions(first, second)
            return Expected(True, frozenset({first.position}), case_of(first, index))
        if len(rows) < 2:
            kind = "forge copy"
        else:
            first, second = draw(st.sampled_from(list(combinations(rows, 2))))
            with_index_rows = draw(st.booleans())
            tamperer.swap_rows(first, second, with_index_rows)
            same = first.originator_id == second.originator_id
            visible = same or (not with_index_rows and (is_case_row(first) or is_case_row(second)))
            return Expected(
                visible, frozenset({first.position}), case_of(first, index) if same else None
            )

    head = {
        aggregate: max(events, key=lambda row: row.version)
        for aggregate, events in by_aggregate.items()
    }
    if kind == "forge copy":
        row = draw(st.sampled_from(case_rows))
        state = row.state if draw(st.booleans()) else flip_a_byte(draw, row.state)
        position = tamperer.insert_event(
            row.originator_id, head[row.originator_id].version + 1, row.topic, state
        )
        return Expected(True, frozenset({position}), case_of(row, index))

    if kind == "forge link":
        target = draw(st.sampled_from(sorted({row.originator_id for row in case_rows})))
        tip = head[target]
        hashes = {"0" * 64, *(decode(row.state)["hash"] for row in case_rows)}
        wrong = draw(st.sampled_from(sorted(hashes - {decode(tip.state)["hash"]})))
        forged_link = decode(tip.state)
        forged_link.pop("originator_topic", None)
        forged_link.pop("case_id", None)
        forged_link["entry"] = {
            **forged_link["entry"],
            "event_id": str(uuid4()),
            "summary": "Forged",
        }
        case_id = forged_link["entry"]["case_id"]
        timestamp = recorded_at(forged_link)
        forged_link["prev_hash"] = wrong
        forged_link["hash"] = chain_hash(
            wrong,
            case_id=case_id,
            version=tip.version + 1,
            recorded_at=timestamp,
            entry=forged_link["entry"],
        )
        position = tamperer.insert_event(
            target, tip.version + 1, "domain.case:Case.EntryRecorded", encode(forged_link)
        )
        tamperer.insert_index_row(
            IndexRow(position, forged_link["entry"]["event_id"], case_id, tip.version + 1)
        )
        return Expected(True, frozenset({position}), case_id)

    if kind == "rewrite":
        row = draw(st.sampled_from(case_rows))
        tamperer.rewrite_chain(by_aggregate[row.originator_id], row.version)
        return Expected(False, frozenset(), case_of(row, index))

    originator_id, version, topic, state = draw(st.sampled_from(snapshots))
    case_id = next((case_of(row, index) for row in by_aggregate.get(originator_id, [])), None)
    if kind == "snapshot flip":
        tamperer.set_snapshot(originator_id, version, flip_a_byte(draw, state))
    elif kind == "snapshot forge":
        forged = decode(state)
        aggregate_state = forged["state"]
        field = draw(st.sampled_from(["closed", "entries", "last_hash"]))
        if field == "closed":
            aggregate_state["closed"] = not aggregate_state["closed"]
        elif field == "entries":
            aggregate_state["entries"].popitem()
        else:
            aggregate_state["last_hash"] = "0" * 64
        tamperer.set_snapshot(originator_id, version, encode(forged))
    else:
        tamperer.insert_snapshot(originator_id, head[originator_id].version + 1, topic, state)
    return Expected(True, frozenset({None}), case_id)


# -- the property --------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_verify_reports_any_single_tampering(
    test_store: StoreUnderTest, tmp_path: Path, data: st.DataObject
) -> None:
    """Each tampering is reported against an anchor, and without one wherever the log shows it."""
    plan = data.draw(store_plans(), label="store")
    with test_store.emptied() as db_url:
        anchor = fill(db_url, plan)
        tamperer = open_tamperer(db_url)
        try:
            tamperer.disarm(drop=data.draw(st.booleans(), label="drop triggers"))
            expected = tamper(data.draw, tamperer)
            rearm = data.draw(st.booleans(), label="put the triggers back")
            if rearm:
                tamperer.rearm()
        finally:
            tamperer.close()

        plain = verify_store(test_store.verifier)
        anchored = verify_store(test_store.verifier, anchor=anchor)

        assert anchored.broken is not None, (expected, anchored)
        assert bool(plain.missing_triggers) != rearm, plain.missing_triggers
        if expected.detectable_without_anchor:
            assert plain.broken is not None, (expected, plain)
            assert plain.broken.position in expected.positions, (expected, plain.broken)
            if expected.case_id is not None and plain.broken.case_id is not None:
                assert plain.broken.case_id == expected.case_id, (expected, plain.broken)
        anchor_file = tmp_path / f"anchor-{uuid4().hex}.json"
        anchor_file.write_text(anchor.to_json(), encoding="utf-8")
        exit_code, said = run_verify(db_url, "--anchor", str(anchor_file))
        assert exit_code == 1, said
        assert "Broken link" in said, said
