"""What an append returns for the events it has just stored is built from the events it holds
in memory and the positions the store gave them, not read back; it must be exactly what
reading the same events back from the store gives, field by field and type by type. And the
snapshots the append takes from the state it holds in memory must be what folding the stored
events gives (`verify` compares every snapshot with that fold).

Hypothesis chooses synthetic cases (every type the generator makes: corrections, retractions,
closing and reopening, documents, late source records), how the events are batched, the
snapshot interval, and retries of earlier batches among new events.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.samples.generator import generate_case
from events.envelope import EventEnvelope, parse_event
from events.recorded import RecordedEvent
from projections.store.integrity import verify_store
from tests.fakes import in_memory_case_service


def assert_same_event(returned: RecordedEvent, read_back: RecordedEvent) -> None:
    assert returned == read_back
    for name in RecordedEvent.model_fields:
        mine, theirs = getattr(returned, name), getattr(read_back, name)
        assert type(mine) is type(theirs), name
    assert returned.model_dump_json() == read_back.model_dump_json()
    assert returned.model_dump(mode="python") == read_back.model_dump(mode="python")


def batched(events: list[EventEnvelope], sizes: list[int]) -> list[list[EventEnvelope]]:
    batches, start = [], 0
    for size in sizes:
        if start >= len(events):
            break
        batches.append(events[start : start + size])
        start += size
    if start < len(events):
        batches.append(events[start:])
    return batches


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(5, 120),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=12),
    interval=st.sampled_from((2, 3, 7, 50)),
    retry_every=st.integers(0, 3),
)
def test_an_append_returns_what_reading_the_events_back_gives(
    seed: int, size: int, sizes: list[int], interval: int, retry_every: int
) -> None:
    rng = random.Random(seed)
    drafts = [parse_event(raw) for raw in generate_case(rng, "PROP-1", size)]
    service = in_memory_case_service(snapshot_interval=interval)
    try:
        returned: dict[Any, RecordedEvent] = {}
        previous: list[EventEnvelope] = []
        for number, batch in enumerate(batched(drafts, sizes)):
            # A retry of the previous batch's first event rides along with new ones: it is
            # read back from the store, the new ones are not.
            retried = previous[:1] if retry_every and number % retry_every == 0 else []
            outcome = service.append([*retried, *batch])
            assert outcome.new_count == len(batch)
            for event in outcome.events:
                if event.event_id in returned:
                    assert_same_event(event, returned[event.event_id])
                returned[event.event_id] = event
            previous = batch
        stored = service.case_events("PROP-1")
        assert [event.event_id for event in stored] == list(returned)
        for read_back in stored:
            assert_same_event(returned[read_back.event_id], read_back)
        report = verify_store(service)
        assert report.ok, report.broken
        assert report.snapshots_checked == len(drafts) // interval
    finally:
        service.close()
