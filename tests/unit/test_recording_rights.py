"""Who may record what: the rule in domain/recording_rights.py, without HTTP or a store."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.errors import NotPermitted
from domain.recording_rights import (
    AMENDING_OWN_TYPES,
    MANAGER_ONLY_TYPES,
    EntryAgency,
    EntryOwner,
    Recorder,
    check_batch_may_be_recorded,
    check_may_append,
    check_may_record,
    command_line_recorder,
)
from events.envelope import EventEnvelope, parse_event
from events.vocabulary import EVENT_TYPES

CASE = "FAM-1"
PRACTITIONER = Recorder(name="sw-jones", role="practitioner", agency="social_care")
MANAGER = Recorder(name="tm-hughes", role="manager", agency="social_care")
POLICE = Recorder(name="pc-1234", role="practitioner", agency="police")
TARGET = str(uuid4())


def envelope(event_type: str, by: Recorder = PRACTITIONER, **fields: Any) -> EventEnvelope:
    raw = {
        "type": event_type,
        "case_id": CASE,
        "occurred_at": "2024-03-02",
        "agency": by.agency,
        "recorded_by": by.name,
        **fields,
    }
    return parse_event(raw)


def unvalidated(event_type: str, by: Recorder) -> EventEnvelope:
    """An event of a type, its data unchecked: the rule reads only the envelope."""
    return EventEnvelope.model_construct(
        type=event_type,
        case_id=CASE,
        occurred_at="2024-03-02",
        agency=by.agency,
        recorded_by=by.name,
        data={},
    )


def nobody(case_id: str, event_id: str) -> EntryOwner | None:
    raise AssertionError(f"asked whose entry {event_id} of {case_id} is, unneeded")


class EntriesOf:
    """Every entry asked about is `agency`'s, of `entry_type` (None: the case has no such
    entry)."""

    def __init__(self, agency: str | None, entry_type: str = "note_added"):
        self.owner = None if agency is None else EntryOwner(agency, entry_type)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, case_id: str, event_id: str) -> EntryOwner | None:
        self.asked.append((case_id, event_id))
        return self.owner


def refusal(
    recorder: Recorder, event: EventEnvelope, entry_agency: EntryAgency = nobody
) -> NotPermitted:
    with pytest.raises(NotPermitted) as refused:
        check_may_record(recorder, event, entry_agency)
    return refused.value


# -- role ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_practitioners_and_managers_append(role: str) -> None:
    """The two recording roles pass the role check."""
    check_may_append(Recorder(name="someone", role=role, agency="social_care"))


@pytest.mark.parametrize("role", ["reviewer", "auditor", "admin", "someone-else"])
def test_reviewers_auditors_and_admins_never_append(role: str) -> None:
    """Any other role is refused before its events are looked at, naming no field."""
    recorder = Recorder(name="someone", role=role, agency="social_care")
    with pytest.raises(NotPermitted) as refused:
        check_may_append(recorder)
    assert refused.value.errors == ()
    assert str(refused.value) == (
        f"A {role} may not append to a case; it needs one of: manager, practitioner"
    )
    assert refusal(recorder, envelope("note_added", by=recorder)).errors == ()


# -- type ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("decision_made", {"decision": "Strategy discussion today"}),
        ("information_shared", {"to_agency": "police", "event_ids": [TARGET]}),
        ("marked_significant", {"target_event_id": TARGET, "significance": "key"}),
    ],
)
def test_practitioners_record_decisions_shares_and_marks_themselves(
    event_type: str, data: dict[str, Any]
) -> None:
    """No manager's step stands between a practitioner and the record."""
    check_may_record(PRACTITIONER, envelope(event_type, data=data), nobody)
    check_may_record(MANAGER, envelope(event_type, by=MANAGER, data=data), nobody)


def test_every_type_of_the_vocabulary_but_oversight_and_allocation_is_open_to_practitioners() -> (
    None
):
    """Only oversight and allocation are a manager's, and all of them are in the vocabulary."""
    assert set(EVENT_TYPES) > MANAGER_ONLY_TYPES
    for event_type in sorted(set(EVENT_TYPES) - MANAGER_ONLY_TYPES - AMENDING_OWN_TYPES):
        check_may_record(PRACTITIONER, unvalidated(event_type, PRACTITIONER), nobody)


@pytest.mark.parametrize("event_type", sorted(MANAGER_ONLY_TYPES))
def test_oversight_and_allocation_are_for_managers_only(event_type: str) -> None:
    """A practitioner is refused on the type; a manager may."""
    refused = refusal(PRACTITIONER, unvalidated(event_type, PRACTITIONER))
    assert [(error.field, error.reason) for error in refused.errors] == [
        ("type", f"{event_type} needs the manager role")
    ]
    assert str(refused) == f"Only a manager may record {event_type}"
    check_may_record(MANAGER, unvalidated(event_type, MANAGER), nobody)


def test_the_manager_only_types_are_oversight_and_allocation() -> None:
    """As the roles are written: management oversight, allocating and unallocating workers."""
    assert frozenset({"oversight_recorded", "worker_allocated", "worker_unallocated"}) == (
        MANAGER_ONLY_TYPES
    )


# -- own agency ------------------------------------------------------------------------------


def test_an_event_for_another_agency_is_refused_on_its_agency() -> None:
    """One records for one's own agency only."""
    refused = refusal(PRACTITIONER, envelope("note_added", by=POLICE, summary="x"))
    assert [error.field for error in refused.errors] == ["agency"]
    assert str(refused) == "You record for social_care, not police"


def test_an_event_in_another_persons_name_is_refused_on_recorded_by() -> None:
    """One records as oneself; an event naming no recorder is one's own."""
    other = Recorder(name="sw-other", role="practitioner", agency="social_care")
    refused = refusal(PRACTITIONER, envelope("note_added", by=other, summary="x"))
    assert [error.field for error in refused.errors] == ["recorded_by"]
    check_may_record(PRACTITIONER, envelope("note_added", recorded_by=None, summary="x"), nobody)


# -- own entries -----------------------------------------------------------------------------


def amendment(kind: str, by: Recorder = PRACTITIONER) -> EventEnvelope:
    data: dict[str, Any] = {"target_event_id": TARGET, "reason": "wrong"}
    if kind == "entry_corrected":
        data["changes"] = {"summary": "Telephone call with the nursery"}
    return envelope(kind, by=by, data=data)


@pytest.mark.parametrize("kind", ["entry_corrected", "entry_retracted"])
def test_only_the_entrys_own_agency_corrects_or_retracts_it(kind: str) -> None:
    """Another agency's entry is refused on the target, whatever the role."""
    for recorder in (POLICE, Recorder(name="pc-boss", role="manager", agency="police")):
        entry_agency = EntriesOf("social_care")
        refused = refusal(recorder, amendment(kind, by=recorder), entry_agency)
        assert [(error.field, error.reason) for error in refused.errors] == [
            ("data.target_event_id", "is an entry of social_care")
        ]
        assert str(refused) == "Only social_care may correct or retract its own entries"
        assert entry_agency.asked == [(CASE, TARGET)]
    check_may_record(PRACTITIONER, amendment(kind), EntriesOf("social_care"))


@pytest.mark.parametrize("target_type", sorted(MANAGER_ONLY_TYPES))
@pytest.mark.parametrize("kind", ["entry_corrected", "entry_retracted"])
def test_only_a_manager_corrects_or_retracts_a_managers_entry(kind: str, target_type: str) -> None:
    """A practitioner of the same agency does not undo an allocation or reword oversight by
    amending it; a manager of the agency, or the command line, may."""
    refused = refusal(PRACTITIONER, amendment(kind), EntriesOf("social_care", target_type))
    assert [(error.field, error.reason) for error in refused.errors] == [
        ("data.target_event_id", f"is a {target_type} entry, a manager's")
    ]
    assert str(refused) == f"Only a manager may correct or retract a {target_type} entry"
    check_may_record(MANAGER, amendment(kind, by=MANAGER), EntriesOf("social_care", target_type))
    check_may_record(
        command_line_recorder(amendment(kind)),
        amendment(kind),
        EntriesOf("social_care", target_type),
    )


def test_a_batch_amending_its_own_allocation_is_a_managers() -> None:
    """The type of a target in the same batch is the batch's own event's."""
    allocated = envelope(
        "worker_allocated", by=MANAGER, event_id=str(uuid4()), data={"worker": "sw-jones"}
    )
    retraction = envelope(
        "entry_retracted", data={"target_event_id": str(allocated.event_id), "reason": "wrong"}
    )
    people = {PRACTITIONER.name: PRACTITIONER, MANAGER.name: MANAGER}

    def recorder_of(event: EventEnvelope) -> Recorder:
        return people[event.recorded_by or ""]

    with pytest.raises(NotPermitted) as refused:
        check_batch_may_be_recorded([allocated, retraction], recorder_of, nobody, numbered=True)
    assert [error.field for error in refused.value.errors] == ["1.data.target_event_id"]
    manager_retracts = retraction.model_copy(update={"recorded_by": MANAGER.name})
    check_batch_may_be_recorded([allocated, manager_retracts], recorder_of, nobody, numbered=True)


@pytest.mark.parametrize("kind", ["entry_corrected", "entry_retracted"])
def test_a_target_the_case_does_not_hold_is_left_to_the_case(kind: str) -> None:
    """No agency to compare: the case's invariants refuse the unknown reference instead."""
    check_may_record(POLICE, amendment(kind, by=POLICE), EntriesOf(None))


# -- the command line --------------------------------------------------------------------------


def test_the_command_line_records_for_the_agency_and_person_each_event_names() -> None:
    """Run by whoever holds the store, with no token: any type, even a manager's, for the
    agency the event names; the refusal of an append names only the roles a token can hold."""
    police_event = envelope("note_added", by=POLICE, summary="Call-out")
    recorder = command_line_recorder(police_event)
    assert (recorder.name, recorder.agency) == ("pc-1234", "police")
    check_may_record(recorder, police_event, nobody)
    for event_type in sorted(MANAGER_ONLY_TYPES):
        check_may_record(recorder, unvalidated(event_type, POLICE), nobody)
    with pytest.raises(NotPermitted, match=r"needs one of: manager, practitioner$"):
        check_may_append(Recorder(name="lee", role="reviewer", agency="review"))


@pytest.mark.parametrize("kind", ["entry_corrected", "entry_retracted"])
def test_the_command_line_amends_only_the_entries_of_the_agency_it_records_for(
    kind: str,
) -> None:
    """Like everyone else: police's file may not retract social care's entry."""
    police_amendment = amendment(kind, by=POLICE)
    refused = refusal(
        command_line_recorder(police_amendment), police_amendment, EntriesOf("social_care")
    )
    assert [error.field for error in refused.errors] == ["data.target_event_id"]
    check_may_record(command_line_recorder(police_amendment), police_amendment, EntriesOf("police"))
