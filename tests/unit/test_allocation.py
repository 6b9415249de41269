"""Allocation of workers and management oversight: the case's invariants, on the in-memory store."""

from __future__ import annotations

from typing import Any

import pytest

from api.formats.tables import headline
from domain.case import Case
from domain.errors import InvariantViolation, UnknownReference
from domain.service import CaseService
from events.envelope import EventEnvelope, InvalidEventError, parse_event
from projections.fold import chronology
from tests.conftest import event, new_id
from tests.unit.test_case_snapshots import snapshot_of
from tests.unit.test_invariants import CASE, OTHER, decide, note, record, refuse, retract


def allocate(worker: str = "sw-jones", agency: str = "social_care", **data: Any) -> EventEnvelope:
    return event(
        "worker_allocated", agency=agency, recorded_by="tm-1", data={"worker": worker, **data}
    )


def unallocate(worker: str = "sw-jones", agency: str = "social_care") -> EventEnvelope:
    return event("worker_unallocated", agency=agency, recorded_by="tm-1", data={"worker": worker})


def oversee(target: str | None, view: str = "agree", case_id: str = CASE) -> EventEnvelope:
    data: dict[str, Any] = {"view": view, "reasons": "Proportionate to what was known"}
    if target is not None:
        data["target_event_id"] = target
    return event("oversight_recorded", case_id=case_id, recorded_by="tm-1", data=data)


# -- allocation ------------------------------------------------------------------------------


def test_a_worker_is_allocated_and_unallocated(service: CaseService) -> None:
    """Allocated, then unallocated, then allocated again: each is recorded in turn."""
    record(service, allocate(team="Assessment team", role="social worker"))
    record(service, unallocate())
    record(service, allocate())
    types = [stored.type for stored in service.case_events(CASE)]
    assert types == ["worker_allocated", "worker_unallocated", "worker_allocated"]


def test_a_worker_already_allocated_for_the_agency_is_not_allocated_again(
    service: CaseService,
) -> None:
    """A second allocation of the same worker for the same agency is refused on data.worker."""
    record(service, allocate())
    error = refuse(service, [allocate()], InvariantViolation, "data.worker")
    assert "'sw-jones' is already allocated" in error.reason
    assert "social_care" in error.reason


def test_a_worker_not_allocated_is_not_unallocated(service: CaseService) -> None:
    """Unallocating a worker the case never had is refused on data.worker, nothing written."""
    record(service, note())
    error = refuse(service, [unallocate()], InvariantViolation, "data.worker")
    assert "is not allocated" in error.reason


def test_a_worker_is_not_unallocated_twice(service: CaseService) -> None:
    record(service, allocate())
    record(service, unallocate())
    refuse(service, [unallocate()], InvariantViolation, "data.worker")


def test_allocation_is_per_agency(service: CaseService) -> None:
    """The same name allocated for one agency is not allocated for another: another agency
    neither unallocates it nor is refused allocating its own worker of that name."""
    record(service, allocate(agency="police"))
    refuse(service, [unallocate(agency="social_care")], InvariantViolation, "data.worker")
    record(service, allocate(agency="social_care"))
    record(service, unallocate(agency="police"))
    refuse(service, [allocate(agency="social_care")], InvariantViolation, "data.worker")


def test_allocation_is_per_case(service: CaseService) -> None:
    record(service, allocate())
    service.append([event("worker_allocated", case_id=OTHER, data={"worker": "sw-jones"})])
    refuse(
        service,
        [event("worker_unallocated", case_id=OTHER, data={"worker": "sw-nobody"})],
        InvariantViolation,
        "data.worker",
    )


def test_a_batch_allocating_twice_is_refused_whole(service: CaseService) -> None:
    """In one batch the second allocation meets the first; nothing of the batch is written."""
    record(service, note())
    refuse(service, [note(), allocate(), allocate()], InvariantViolation, "2.data.worker")


def test_a_retracted_allocation_no_longer_holds(service: CaseService) -> None:
    """A retracted allocation counts for nothing: the worker may be allocated anew, and is
    not unallocated."""
    allocated = record(service, allocate())
    record(service, retract(allocated))
    refuse(service, [unallocate()], InvariantViolation, "data.worker")
    record(service, allocate())


def test_a_retracted_unallocation_leaves_the_worker_allocated(service: CaseService) -> None:
    record(service, allocate())
    unallocated = record(service, unallocate())
    record(service, retract(unallocated))
    refuse(service, [allocate()], InvariantViolation, "data.worker")
    record(service, unallocate())


def test_who_is_allocated_is_not_corrected(service: CaseService) -> None:
    """The worker says what the allocation is about: retract and record anew instead."""
    allocated = record(service, allocate())
    correction = event(
        "entry_corrected",
        data={
            "target_event_id": allocated,
            "changes": {"data": {"worker": "sw-smith"}},
            "reason": "Wrong worker",
        },
    )
    with pytest.raises(InvalidEventError) as refused:
        service.append([correction])
    assert [error.field for error in refused.value.errors] == ["data.changes.data.worker"]


def test_allocations_survive_a_snapshot(service: CaseService) -> None:
    """A case read back from its snapshot still knows who holds it."""
    allocated = service.append([allocate()]).events[0]
    restored = snapshot_of(service, CASE).mutate(None)
    assert isinstance(restored, Case)
    with pytest.raises(InvariantViolation, match="already allocated"):
        restored.record(allocate(), recorded_at=allocated.recorded_at)
    restored.record(unallocate(), recorded_at=allocated.recorded_at)


@pytest.mark.parametrize("missing", [{}, {"worker": " "}, {"worker": "sw jones"}])
def test_an_allocation_names_its_worker(missing: dict[str, Any]) -> None:
    raw = {
        "type": "worker_allocated",
        "case_id": CASE,
        "occurred_at": "2024-03-01",
        "agency": "social_care",
        "data": missing,
    }
    with pytest.raises(InvalidEventError) as refused:
        parse_event(raw)
    assert [error.field for error in refused.value.errors] == ["data.worker"]


# -- oversight -------------------------------------------------------------------------------


def test_oversight_of_a_decision_and_of_the_case(service: CaseService) -> None:
    decision = record(service, decide())
    record(service, oversee(decision, "agree_with_changes"))
    record(service, oversee(None, "disagree"))
    stored = service.case_events(CASE)
    assert [found.data.get("view") for found in stored[-2:]] == ["agree_with_changes", "disagree"]
    assert "target_event_id" not in stored[-1].data


def test_oversight_targets_a_decision(service: CaseService) -> None:
    """Oversight of an entry that is not a decision is refused on data.target_event_id."""
    visit = record(service, note())
    error = refuse(service, [oversee(visit)], InvariantViolation, "data.target_event_id")
    assert "note_added" in error.reason
    assert "decision_made" in error.reason


def test_oversight_targets_a_decision_of_the_same_case(service: CaseService) -> None:
    record(service, note())
    elsewhere = str(
        service.append(
            [event("decision_made", case_id=OTHER, data={"decision": "No further action"})]
        )
        .events[0]
        .event_id
    )
    refuse(service, [oversee(elsewhere)], UnknownReference, "data.target_event_id")
    refuse(service, [oversee(new_id())], UnknownReference, "data.target_event_id")


def test_oversight_of_a_retracted_decision_is_refused(service: CaseService) -> None:
    decision = record(service, decide())
    record(service, retract(decision))
    error = refuse(service, [oversee(decision)], InvariantViolation, "data.target_event_id")
    assert "retracted" in error.reason


@pytest.mark.parametrize("view", ["maybe", None])
def test_oversight_says_its_view(view: str | None) -> None:
    raw = {
        "type": "oversight_recorded",
        "case_id": CASE,
        "occurred_at": "2024-03-01",
        "agency": "social_care",
        "data": {} if view is None else {"view": view},
    }
    with pytest.raises(InvalidEventError) as refused:
        parse_event(raw)
    assert [error.field for error in refused.value.errors] == ["data.view"]


# -- in words --------------------------------------------------------------------------------


def test_allocation_and_oversight_entries_read_as_sentences(service: CaseService) -> None:
    """The chronology's headline says who holds the case and what the manager thought."""
    decision = record(service, decide())
    record(service, allocate(team="Assessment team", role="social worker"))
    record(service, unallocate())
    record(service, oversee(decision, "agree_with_changes"))
    record(service, oversee(None, "disagree"))
    lines = [headline(entry) for entry in chronology(service.case_events(CASE))][1:]
    assert lines == [
        "sw-jones (social worker, Assessment team) allocated to the case",
        "sw-jones no longer allocated to the case",
        "Management oversight of a decision: agree with changes: Proportionate to what was known",
        "Management oversight of the case: disagree: Proportionate to what was known",
    ]
