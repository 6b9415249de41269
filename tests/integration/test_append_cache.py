"""An append keeps each case it saved in the repository's cache, as stored, and takes its
snapshots from the state it holds: two writers on one store (each its own connection and
cache) taking turns on one case must still lose nothing, keep one unbroken chain, refuse a
stale expected version, and leave snapshots that match the events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from domain.errors import VersionConflict
from domain.service import CaseService
from events.recorded import RecordedEvent
from projections.store.integrity import verify_store
from tests.conftest import event

CASE = "FAM-CACHE"


@pytest.fixture
def writers(db_url: str) -> Iterator[tuple[CaseService, CaseService]]:
    """Two write sides on one store; snapshots every 3 events, so turns cross them."""
    first = bootstrap_writer(Settings(db_url=db_url, snapshot_interval=3))
    second = bootstrap_writer(Settings(db_url=db_url, snapshot_interval=3))
    yield first, second
    first.close()
    second.close()


def notes(count: int, by: str) -> list[Any]:
    return [event("note_added", case_id=CASE, summary=f"{by} {n}") for n in range(count)]


def check_store(service: CaseService, acknowledged: list[RecordedEvent]) -> None:
    stored = service.case_events(CASE)
    assert [e.event_id for e in stored] == [e.event_id for e in acknowledged]
    assert [e.version for e in stored] == list(range(1, len(stored) + 1))
    assert stored == acknowledged
    report = verify_store(service)
    assert report.ok, report.broken
    assert report.snapshots_checked == len(stored) // 3


def test_two_writers_taking_turns_on_a_case_lose_nothing_and_keep_one_chain(
    writers: tuple[CaseService, CaseService],
) -> None:
    first, second = writers
    acknowledged = list(first.append([event("case_opened", case_id=CASE)]).events)
    for turn in range(6):
        # Each writer's cached case is behind the other's appends every time.
        writer, name = (first, "first") if turn % 2 == 0 else (second, "second")
        acknowledged += writer.append(notes(1 + turn % 3, name)).events
    check_store(first, acknowledged)
    assert first.case_version(CASE) == second.case_version(CASE) == len(acknowledged)


def test_a_writer_whose_cached_case_is_stale_is_refused_its_expected_version(
    writers: tuple[CaseService, CaseService],
) -> None:
    first, second = writers
    acknowledged = list(first.append([event("case_opened", case_id=CASE), *notes(1, "a")]).events)
    seen = first.case_version(CASE)
    acknowledged += second.append(notes(1, "second"), expected_versions={CASE: seen}).events
    with pytest.raises(VersionConflict):
        first.append(notes(1, "first"), expected_versions={CASE: seen})
    acknowledged += first.append(notes(1, "first"), expected_versions={CASE: seen + 1}).events
    check_store(second, acknowledged)


def test_a_save_that_loses_the_race_leaves_no_trace_in_the_cache(
    writers: tuple[CaseService, CaseService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other writer appends between this one's read and its write: this save fails, is
    decided again on the case as now stored, and what it had cached stays as stored."""
    first, second = writers
    acknowledged = list(first.append([event("case_opened", case_id=CASE), *notes(2, "a")]).events)
    interloper: list[RecordedEvent] = []
    save = first._save

    def interleaved_save(*args: Any) -> Any:
        if not interloper:
            interloper.extend(second.append(notes(2, "second")).events)
        return save(*args)

    monkeypatch.setattr(first, "_save", interleaved_save)
    mine = first.append(notes(2, "first")).events
    assert [e.version for e in mine] == [6, 7]
    monkeypatch.undo()
    acknowledged += [*interloper, *mine]
    acknowledged += first.append(notes(1, "first")).events
    acknowledged += second.append(notes(1, "second")).events
    check_store(first, acknowledged)


def test_threads_of_one_writer_due_the_same_snapshot_each_snapshot_their_own_case(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads of one write side (as the HTTP server's) record the event that makes a
    snapshot due at the same version: the one whose events are stored snapshots its own
    state, not the state the other thread is still trying to save."""
    service = bootstrap_writer(Settings(db_url=db_url, snapshot_interval=2))
    try:
        acknowledged = list(service.append([event("case_opened", case_id=CASE)]).events)
        record = service._record
        other_is_saving, snapshot_taken = threading.Event(), threading.Event()
        other: list[RecordedEvent] = []

        def record_in_turns(processing_event: Any) -> Any:
            if threading.current_thread().name == "other" and not snapshot_taken.is_set():
                other_is_saving.set()  # its state for the due snapshot is set aside by now
                snapshot_taken.wait(timeout=30)
            elif threading.current_thread().name != "other" and not other_is_saving.is_set():
                thread.start()
                other_is_saving.wait(timeout=30)
            return record(processing_event)

        def take_snapshots(processing_event: Any) -> None:
            type(service)._take_snapshots(service, processing_event)
            if threading.current_thread().name != "other":
                snapshot_taken.set()

        monkeypatch.setattr(service, "_record", record_in_turns)
        monkeypatch.setattr(service, "_take_snapshots", take_snapshots)
        thread = threading.Thread(
            target=lambda: other.extend(service.append(notes(1, "other")).events), name="other"
        )
        acknowledged += service.append(notes(1, "mine")).events
        thread.join(timeout=60)
        monkeypatch.undo()
        acknowledged += other
        assert [e.summary for e in acknowledged[1:]] == ["mine 0", "other 0"]
        stored = service.case_events(CASE)
        assert stored == acknowledged
        report = verify_store(service)
        assert report.ok, report.broken
        assert report.snapshots_checked == 1
    finally:
        service.close()
