"""A case read from its snapshot holds its entries as Entry values, as the live case does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.domain import Snapshot

from domain.case import Case, Entry, case_uuid
from domain.errors import InvariantViolation
from domain.service import CaseService
from events.envelope import InvalidEventError
from tests.conftest import event

CASE = "FAM-1"


def snapshot_of(service: CaseService, case_id: str) -> Snapshot:
    assert service.snapshots is not None
    service.take_snapshot(case_uuid(case_id))
    found = list(service.snapshots.get(case_uuid(case_id)))[-1]
    assert isinstance(found, Snapshot)
    return found


def test_a_snapshot_stores_entries_as_lists_and_reads_them_back_as_entries(
    service: CaseService,
) -> None:
    """The stored shape is the JSON list it always was (older snapshots read the same way);
    what the case gets back is an Entry per entry, equal to the live case's."""
    stored = service.append(
        [
            event("person_added", data={"person_id": "c1", "role": "child"}),
            event("plan_started", data={"plan_id": "P1", "kind": "child_in_need"}),
            event("note_added", subjects=["c1"], summary="Visit"),
        ]
    ).events
    live = service._get_case(CASE)
    assert live is not None
    snapshot = snapshot_of(service, CASE)

    assert service.snapshots is not None
    raw = service.snapshots.recorder.select_events(case_uuid(CASE))[-1]
    state = service.mapper.transcoder.decode(raw.state)["state"]
    assert all(isinstance(fields, list) for fields in state["entries"].values())

    restored = snapshot.mutate(None)
    assert isinstance(restored, Case)
    assert all(isinstance(entry, Entry) for entry in restored.entries.values())
    assert restored.entries == live.entries
    note = restored.entries[str(stored[2].event_id)]
    assert (note.type, note.version, note.retracted, note.key) == ("note_added", 3, False, None)
    assert restored.entries[str(stored[1].event_id)].key == "P1"


def test_a_case_read_from_its_snapshot_retracts_and_refuses_as_before(
    service: CaseService,
) -> None:
    """A retraction recorded on the restored case marks its Entry and frees the plan id; a
    second one is refused."""
    started = service.append(
        [event("plan_started", data={"plan_id": "P1", "kind": "child_in_need"})]
    ).events[0]
    restored = snapshot_of(service, CASE).mutate(None)
    assert isinstance(restored, Case)
    retraction = {"target_event_id": str(started.event_id), "reason": "x"}
    restored.record(event("entry_retracted", data=retraction), recorded_at=started.recorded_at)
    assert restored.entries[str(started.event_id)].retracted
    assert "P1" not in restored.plans
    with pytest.raises(InvariantViolation, match="already retracted"):
        restored.record(event("entry_retracted", data=retraction), recorded_at=started.recorded_at)


def test_a_case_read_from_its_snapshot_keeps_the_dates_it_checks(service: CaseService) -> None:
    """A placement's start survives the snapshot: its end before the start is still refused;
    a snapshot from before dates were kept reads with none (and checks none)."""
    service.append(
        [
            event("person_added", data={"person_id": "c1", "role": "child"}),
            event("placement_started", occurred_at="2024-03-05", data={"placement_id": "PL1"}),
        ]
    )
    restored = snapshot_of(service, CASE).mutate(None)
    assert isinstance(restored, Case)
    early = event("placement_ended", occurred_at="2024-03-01", data={"placement_id": "PL1"})
    with pytest.raises(InvalidEventError, match="before placement 'PL1' started"):
        restored.record(early, recorded_at=datetime(2024, 3, 6, tzinfo=UTC))
    older: dict[str, Any] = {"entries": {}}
    Case.revive(older)
    assert older["dated"] == {}
