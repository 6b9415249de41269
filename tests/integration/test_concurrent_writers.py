"""Several OS processes appending to one case on one store: nothing lost, nothing doubled,
nothing overwritten."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from typing import Any

import pytest

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from domain.errors import VersionConflict
from projections.store.integrity import verify_store

CASE = "FAM-RACE"
WRITERS = 3
EVENTS_PER_WRITER = 12
ROUNDS = 6

pytestmark = pytest.mark.slow


def _note(writer: int, number: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "note_added",
        "case_id": CASE,
        "occurred_at": f"2024-03-{1 + number % 28:02d}T10:{writer:02d}:00+00:00",
        "agency": ("police", "school", "health", "social_care")[writer % 4],
        "recorded_by": f"writer-{writer}",
        "summary": f"note {number} from writer {writer}",
    }


def _is_lock_error(error: Exception) -> bool:
    return "locked" in str(error).lower() or "busy" in str(error).lower()


def append_until_acknowledged(db_url: str, writer: int, start: Any, results: Any) -> None:
    """A writer process: append its own events in batches of 1-3, retrying conflicts and locks."""
    from events.envelope import parse_event

    service = bootstrap_writer(Settings(db_url=db_url))
    acknowledged: list[str] = []
    conflicts = 0
    try:
        start.wait(timeout=60)
        number = 0
        while number < EVENTS_PER_WRITER:
            size = min(1 + (number + writer) % 3, EVENTS_PER_WRITER - number)
            batch = [parse_event(_note(writer, number + offset)) for offset in range(size)]
            for _attempt in range(200):
                try:
                    outcome = service.append(batch)
                except VersionConflict:
                    conflicts += 1
                    continue
                except Exception as error:  # the library's OperationalError on a busy database
                    if not _is_lock_error(error):
                        raise
                    conflicts += 1
                    time.sleep(0.01)
                    continue
                acknowledged += [str(stored.event_id) for stored in outcome.events]
                break
            else:
                raise RuntimeError(f"writer {writer} never got batch at {number} acknowledged")
            number += size
        results.put(("ok", writer, acknowledged, conflicts))
    except BaseException as error:  # noqa: BLE001 - report anything to the parent, never hang it
        results.put(("error", writer, acknowledged, repr(error)))
    finally:
        service.close()


def race_with_expected_version(
    db_url: str, writer: int, rounds: int, barriers: Any, results: Any
) -> None:
    """A writer process: each round, append one event expecting the version all writers saw."""
    from events.envelope import parse_event

    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        for round_ in range(rounds):
            expected = 1 + round_
            raw = _note(writer, round_)
            raw["summary"] = f"round {round_} written by writer {writer}"
            envelope = parse_event(raw)
            barriers.wait(timeout=60)
            try:
                service.append([envelope], expected_versions={CASE: expected})
            except VersionConflict as conflict:
                results.put(("lost", writer, round_, raw["event_id"], conflict.reason))
            except Exception as error:  # noqa: BLE001 - any other failure is the round's result
                results.put(("error", writer, round_, raw["event_id"], repr(error)))
            else:
                results.put(("won", writer, round_, raw["event_id"], raw["summary"]))
            barriers.wait(timeout=60)  # nobody starts the next round before all have finished
    except BaseException as error:  # noqa: BLE001 - report anything to the parent, never hang it
        results.put(("error", writer, -1, None, repr(error)))
    finally:
        service.close()


def retry_the_same_batches(
    db_url: str, writer: int, batches: list[list[dict[str, Any]]], barriers: Any, results: Any
) -> None:
    """A writer process: append the same batches (same ids, same content) as every other writer."""
    from domain.errors import EventIdConflict
    from events.envelope import parse_event

    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        for number, batch in enumerate(batches):
            envelopes = [parse_event(item) for item in batch]
            barriers.wait(timeout=60)
            for _attempt in range(100):
                try:
                    outcome = service.append(envelopes)
                except VersionConflict:
                    continue
                except EventIdConflict as conflict:
                    results.put(("conflict", writer, number, str(conflict)))
                    break
                results.put(
                    (
                        "ok",
                        writer,
                        number,
                        outcome.new_count,
                        [str(stored.event_id) for stored in outcome.events],
                    )
                )
                break
            else:
                results.put(("error", writer, number, "never acknowledged"))
    except BaseException as error:  # noqa: BLE001 - report anything to the parent, never hang it
        results.put(("error", writer, -1, repr(error)))
    finally:
        service.close()


def _collect(results: Any, count: int, processes: list[Any]) -> list[tuple[Any, ...]]:
    collected = [results.get(timeout=120) for _ in range(count)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0, f"writer process exited with {process.exitcode}"
    return collected


def test_concurrent_writers_lose_nothing_and_store_every_acknowledged_event_once(
    db_url: str,
) -> None:
    """Three processes appending to one case at once: every acknowledged event is stored
    exactly once, versions have no gaps, the chain verifies."""
    # The store exists before the writers start (the case does not: they race to open it).
    bootstrap_writer(Settings(db_url=db_url)).close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    results = context.Queue()
    processes = [
        context.Process(target=append_until_acknowledged, args=(db_url, writer, start, results))
        for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    reports = _collect(results, WRITERS, processes)

    errors = [report for report in reports if report[0] != "ok"]
    assert not errors, errors
    acknowledged = {report[1]: report[2] for report in reports}
    assert all(len(ids) == EVENTS_PER_WRITER for ids in acknowledged.values())

    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        events = service.case_events(CASE)
        stored_ids = [str(stored.event_id) for stored in events]
        all_acknowledged = [event_id for ids in acknowledged.values() for event_id in ids]
        assert sorted(stored_ids) == sorted(all_acknowledged)
        assert len(set(stored_ids)) == len(stored_ids) == WRITERS * EVENTS_PER_WRITER
        assert [stored.version for stored in events] == list(range(1, len(events) + 1))
        assert service.case_version(CASE) == len(events)
        positions = [stored.position for stored in events]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)
        # Each writer's events keep that writer's order.
        for ids in acknowledged.values():
            assert [event_id for event_id in stored_ids if event_id in set(ids)] == ids
        report = verify_store(service)
        assert report.ok, report
        assert report.events_checked == len(events)
    finally:
        service.close()


def test_writers_racing_on_the_same_expected_version_have_exactly_one_winner_per_round(
    db_url: str,
) -> None:
    """Writers that all expect the same version: one wins, the others get VersionConflict, and
    the winner's event is what is stored."""
    from tests.conftest import event

    setup = bootstrap_writer(Settings(db_url=db_url))
    try:
        setup.append(
            [event("person_added", case_id=CASE, data={"person_id": "child-1", "role": "child"})]
        )
    finally:
        setup.close()

    context = multiprocessing.get_context("spawn")
    barriers = context.Barrier(WRITERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=race_with_expected_version, args=(db_url, writer, ROUNDS, barriers, results)
        )
        for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    reports = _collect(results, WRITERS * ROUNDS, processes)

    errors = [report for report in reports if report[0] == "error"]
    assert not errors, errors
    winners: dict[int, tuple[str, str]] = {}
    for outcome, _writer, round_, event_id, detail in reports:
        if outcome == "won":
            assert round_ not in winners, f"two winners in round {round_}"
            winners[round_] = (event_id, detail)
        else:
            assert "reload and retry" in detail
    assert sorted(winners) == list(range(ROUNDS))
    assert sum(1 for report in reports if report[0] == "lost") == (WRITERS - 1) * ROUNDS

    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        events = service.case_events(CASE)
        assert [stored.version for stored in events] == list(range(1, ROUNDS + 2))
        for round_, (event_id, summary) in winners.items():
            stored = events[round_ + 1]
            assert (str(stored.event_id), stored.summary) == (event_id, summary)
        losers = {report[3] for report in reports if report[0] == "lost"}
        assert not service.index.locate(losers)
        assert verify_store(service).ok
    finally:
        service.close()


def test_writers_sending_the_same_events_at_once_store_them_once_and_all_succeed(
    db_url: str,
) -> None:
    """A client retry racing the original (same event ids, same content) is a no-op, never an
    event-id conflict."""
    bootstrap_writer(Settings(db_url=db_url)).close()
    batches = [
        [_note(9, round_ * 10 + offset) for offset in range(1 + round_ % 3)]
        for round_ in range(ROUNDS)
    ]
    context = multiprocessing.get_context("spawn")
    barriers = context.Barrier(WRITERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=retry_the_same_batches, args=(db_url, writer, batches, barriers, results)
        )
        for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    reports = _collect(results, WRITERS * ROUNDS, processes)

    failures = [report for report in reports if report[0] != "ok"]
    assert not failures, failures
    for number, batch in enumerate(batches):
        acknowledged = [report for report in reports if report[2] == number]
        assert sum(report[3] for report in acknowledged) == len(batch)
        for report in acknowledged:
            assert report[4] == [item["event_id"] for item in batch]

    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        events = service.case_events(CASE)
        assert [str(stored.event_id) for stored in events] == [
            item["event_id"] for batch in batches for item in batch
        ]
        assert [stored.version for stored in events] == list(range(1, len(events) + 1))
        assert verify_store(service).ok
    finally:
        service.close()
