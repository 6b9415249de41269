"""The write side's invariants on real stores: a case read back through its snapshots by a new
service (as a new process would read it) still refuses, retries and chains as before.

The invariants themselves are unit tests on an in-memory store (tests/unit); what is tested
here is that SQLite and PostgreSQL give them back after a reopen.
"""

from __future__ import annotations

import itertools
import uuid

import pytest

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from domain.case import case_uuid
from domain.errors import DomainError, InvariantViolation, UnknownReference
from projections.store.integrity import verify_store
from tests.conftest import StoreMaker, event
from tests.unit.test_append_properties import CASE, CHILD, person
from tests.unit.test_invariants import note, plan, refuse


def test_invariants_hold_after_a_snapshot_and_a_reload(db_url: str) -> None:
    """A fresh service that loads the case from a snapshot still knows its plans and people."""
    settings = Settings(db_url=db_url, snapshot_interval=50)
    service = bootstrap_writer(settings)
    service.append(
        [event("person_added", data={"person_id": "c1", "role": "child"}), plan("plan_started")]
        + [note(subjects=["c1"]) for _ in range(55)]
    )
    assert service.snapshots is not None
    assert service.snapshots.recorder.select_events(case_uuid(CASE))
    service.close()
    reloaded = bootstrap_writer(settings)
    try:
        assert reloaded.case_version(CASE) == 57
        refuse(reloaded, [plan("plan_started")], InvariantViolation, "data.plan_id")
        refuse(reloaded, [note(subjects=["c2"])], UnknownReference, "subjects.0")
        assert reloaded.append([plan("plan_ended")]).events[0].version == 58
    finally:
        reloaded.close()


def test_a_case_longer_than_the_snapshot_interval_keeps_invariants_and_retries_when_reopened(
    fresh_store: StoreMaker,
) -> None:
    """A case of 120 events, read back through snapshots by a new service, still refuses,
    retries and chains correctly."""
    with fresh_store() as url:
        settings_ = Settings(db_url=url, snapshot_interval=50)
        opening = [
            person(),
            event(
                "plan_started",
                event_id=str(uuid.uuid4()),
                data={"plan_id": "plan-1", "kind": "child_in_need"},
            ),
        ]
        notes = [
            event(
                "note_added",
                event_id=str(uuid.uuid4()),
                summary=f"note {number}",
                occurred_at=f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}",
                subjects=[CHILD],
            )
            for number in range(118)
        ]
        service = bootstrap_writer(settings_)
        try:
            service.append(opening)
            for start in range(0, len(notes), 7):
                service.append(notes[start : start + 7])
        finally:
            service.close()

        service = bootstrap_writer(settings_)  # a new process would read the case like this
        try:
            assert service.case_version(CASE) == 120
            retried = service.append([notes[0], opening[1], notes[-1]])
            assert retried.new_count == 0
            assert [stored.version for stored in retried.events] == [3, 2, 120]
            with pytest.raises(DomainError):
                service.append([person()])  # the child is already part of the case
            service.append([event("plan_ended", data={"plan_id": "plan-1"})])
            with pytest.raises(DomainError):
                service.append([event("plan_ended", data={"plan_id": "plan-1"})])
            events = service.case_events(CASE)
            assert [stored.version for stored in events] == list(range(1, 122))
            assert len({stored.event_id for stored in events}) == 121
            assert all(
                later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events)
            )
            assert verify_store(service).ok
        finally:
            service.close()
