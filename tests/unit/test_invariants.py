"""The Case aggregate's invariants: each refusal names its field and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.case import Case
from domain.errors import (
    CaseNotFound,
    DomainError,
    EventIdConflict,
    InvariantViolation,
    UnknownReference,
    VersionConflict,
)
from domain.service import CaseService
from events.envelope import EventEnvelope, InvalidEventError
from events.recorded import RecordedEvent
from events.timepoints import local_date, utc_now
from tests.conftest import event, new_id

CASE = "FAM-1"
OTHER = "FAM-2"


# -- helpers ---------------------------------------------------------------------------------


def _events_or_none(service: CaseService, case_id: str) -> list[RecordedEvent] | None:
    try:
        return service.case_events(case_id)
    except CaseNotFound:
        return None


def refuse(
    service: CaseService,
    drafts: list[EventEnvelope],
    error: type[Exception],
    field: str,
    *,
    expected_versions: dict[str, int] | None = None,
) -> Any:
    """Append `drafts`, expect `error` naming `field`, and check no case changed."""
    cases = {draft.case_id for draft in drafts} | {CASE, OTHER}
    before = {case_id: _events_or_none(service, case_id) for case_id in cases}
    with pytest.raises(error) as raised:
        service.append(drafts, expected_versions=expected_versions)
    refusal = raised.value
    if isinstance(refusal, DomainError):
        assert refusal.field == field
    assert [found.field for found in refusal.errors] == [field]  # type: ignore[attr-defined]
    for case_id, events in before.items():
        if events is None:
            with pytest.raises(CaseNotFound):
                service.case_events(case_id)
            with pytest.raises(CaseNotFound):
                service.case_version(case_id)
        else:
            assert service.case_events(case_id) == events
            assert service.case_version(case_id) == len(events)
    return refusal


def add_people(service: CaseService, *person_ids: str, case_id: str = CASE) -> None:
    service.append(
        [
            event("person_added", case_id=case_id, data={"person_id": pid, "role": "child"})
            for pid in person_ids
        ]
    )


def record(service: CaseService, draft: EventEnvelope) -> str:
    """Append one event and return its event id."""
    return str(service.append([draft]).events[0].event_id)


def note(case_id: str = CASE, **fields: Any) -> EventEnvelope:
    return event("note_added", case_id=case_id, **{"summary": "Home visit", **fields})


def plan(
    event_type: str, plan_id: str = "P1", occurred_at: str | None = None, **data: Any
) -> EventEnvelope:
    if event_type == "plan_started":
        data.setdefault("kind", "child_protection")
    when = {"occurred_at": occurred_at} if occurred_at else {}
    return event(event_type, data={"plan_id": plan_id, **data}, **when)


def assessment(event_type: str, assessment_id: str = "A1") -> EventEnvelope:
    return event(event_type, data={"assessment_id": assessment_id})


def mark(target: str) -> EventEnvelope:
    return event("marked_significant", data={"target_event_id": target, "significance": "key"})


def correct(target: str, **changes: Any) -> EventEnvelope:
    return event(
        "entry_corrected",
        data={"target_event_id": target, "changes": changes, "reason": "Recorded wrongly"},
    )


def retract(target: str) -> EventEnvelope:
    return event("entry_retracted", data={"target_event_id": target, "reason": "Wrong case"})


def share(*targets: str, to_agency: str = "health", **fields: Any) -> EventEnvelope:
    return event(
        "information_shared", data={"to_agency": to_agency, "event_ids": list(targets)}, **fields
    )


def decide(*relied_on: str) -> EventEnvelope:
    return event(
        "decision_made",
        data={"decision": "Strategy discussion", "information_relied_on": list(relied_on)},
    )


def iso(moment: datetime) -> str:
    return moment.isoformat()


# -- plans -----------------------------------------------------------------------------------


def test_a_plan_cannot_be_reviewed_before_it_is_started(service: CaseService) -> None:
    """A review of a plan the case has never started is refused on data.plan_id."""
    record(service, note())
    error = refuse(service, [plan("plan_reviewed")], InvariantViolation, "data.plan_id")
    assert "never started" in error.reason


def test_a_plan_cannot_end_before_it_starts(service: CaseService) -> None:
    """Ending a plan the case has never started is refused, even as a case's first event."""
    refuse(service, [plan("plan_ended")], InvariantViolation, "data.plan_id")


def test_a_plan_cannot_be_reviewed_after_it_has_ended(service: CaseService) -> None:
    """Once a plan has ended it takes no reviews held after its end."""
    service.append([plan("plan_started"), plan("plan_ended")])
    late_review = plan("plan_reviewed", occurred_at="2024-03-02T10:00:00+00:00")
    error = refuse(service, [late_review], InvariantViolation, "data.plan_id")
    assert "already ended" in error.reason


def test_a_review_held_before_the_end_can_be_recorded_after_it(service: CaseService) -> None:
    """A review that happened before the plan ended, recorded late, is accepted."""
    service.append([plan("plan_started", occurred_at="2024-01-01"), plan("plan_ended")])
    earlier_review = plan("plan_reviewed", occurred_at="2024-02-01")
    assert service.append([earlier_review]).new_count == 1


def test_a_plan_cannot_end_twice(service: CaseService) -> None:
    """An ended plan cannot be ended again."""
    service.append([plan("plan_started"), plan("plan_ended")])
    refuse(service, [plan("plan_ended")], InvariantViolation, "data.plan_id")


def test_an_active_plan_can_be_reviewed_and_ended(service: CaseService) -> None:
    """Start, review, review, end is the ordinary life of a plan."""
    outcome = service.append(
        [plan("plan_started"), plan("plan_reviewed"), plan("plan_reviewed"), plan("plan_ended")]
    )
    assert [stored.version for stored in outcome.events] == [1, 2, 3, 4]


def test_a_plan_id_cannot_be_started_twice(service: CaseService) -> None:
    """A second plan_started with the same plan_id is refused, whatever its kind."""
    record(service, plan("plan_started"))
    refuse(service, [plan("plan_started", kind="early_help")], InvariantViolation, "data.plan_id")


def test_an_ended_plan_id_cannot_be_started_again(service: CaseService) -> None:
    """A plan id names one plan for the life of the case; a new plan needs a new id."""
    service.append([plan("plan_started"), plan("plan_ended")])
    refuse(service, [plan("plan_started")], InvariantViolation, "data.plan_id")


def test_plans_belong_to_their_own_case(service: CaseService) -> None:
    """A plan started in another case cannot be reviewed here, and its id is free here."""
    other_plan = {"plan_id": "P1", "kind": "early_help"}
    service.append([event("plan_started", case_id=OTHER, data=other_plan)])
    record(service, note())
    refuse(service, [plan("plan_reviewed")], InvariantViolation, "data.plan_id")
    assert service.append([plan("plan_started")]).new_count == 1


# -- assessments -----------------------------------------------------------------------------


def test_an_assessment_id_cannot_be_started_twice(service: CaseService) -> None:
    """A duplicate assessment_started is refused on data.assessment_id."""
    record(service, assessment("assessment_started"))
    refuse(service, [assessment("assessment_started")], InvariantViolation, "data.assessment_id")


def test_an_assessment_cannot_be_completed_if_never_started(service: CaseService) -> None:
    """Completing an assessment the case never started is refused."""
    record(service, assessment("assessment_started", "A1"))
    error = refuse(
        service,
        [assessment("assessment_completed", "A2")],
        InvariantViolation,
        "data.assessment_id",
    )
    assert "never started" in error.reason


def test_an_assessment_cannot_be_completed_twice(service: CaseService) -> None:
    """A completed assessment cannot be completed again."""
    service.append([assessment("assessment_started"), assessment("assessment_completed")])
    error = refuse(
        service, [assessment("assessment_completed")], InvariantViolation, "data.assessment_id"
    )
    assert "already completed" in error.reason


# -- references to other events --------------------------------------------------------------

REFERRING = [
    pytest.param(mark, "data.target_event_id", id="marked_significant"),
    pytest.param(
        lambda target: correct(target, summary="x"), "data.target_event_id", id="entry_corrected"
    ),
    pytest.param(retract, "data.target_event_id", id="entry_retracted"),
    pytest.param(share, "data.event_ids.0", id="information_shared"),
    pytest.param(decide, "data.information_relied_on.0", id="decision_made"),
]


@pytest.mark.parametrize(("build", "field"), REFERRING)
def test_an_event_cannot_refer_to_an_event_id_the_case_does_not_hold(
    service: CaseService, build: Any, field: str
) -> None:
    """Marks, corrections, retractions, shares and decisions must name events of the case."""
    record(service, note())
    error = refuse(service, [build(new_id())], UnknownReference, field)
    assert "no event" in error.reason


@pytest.mark.parametrize(("build", "field"), REFERRING)
def test_an_event_cannot_refer_to_an_event_of_another_case(
    service: CaseService, build: Any, field: str
) -> None:
    """An event of another family's case cannot be marked, corrected, shared or relied on here."""
    elsewhere = record(service, note(case_id=OTHER))
    record(service, note())
    refuse(service, [build(elsewhere)], UnknownReference, field)


@pytest.mark.parametrize(("build", "field"), REFERRING)
def test_a_first_event_cannot_refer_to_another_case(
    service: CaseService, build: Any, field: str
) -> None:
    """A new case cannot start with a reference to another case's event, and is not created."""
    elsewhere = record(service, note(case_id=OTHER))
    refuse(service, [build(elsewhere)], UnknownReference, field)


def test_every_shared_event_id_is_checked(service: CaseService) -> None:
    """The second of two shared ids is named by its index when unknown."""
    held = record(service, note())
    refuse(service, [share(held, new_id())], UnknownReference, "data.event_ids.1")


def test_a_decision_can_rely_on_events_of_its_case(service: CaseService) -> None:
    """information_relied_on naming events of the case is accepted and stored as sent."""
    first, second = record(service, note()), record(service, note())
    stored = service.append([decide(first, second)]).events[0]
    assert stored.data["information_relied_on"] == [first, second]


# -- people ----------------------------------------------------------------------------------


def test_a_subject_must_be_added_before_it_is_named(service: CaseService) -> None:
    """Naming a person the case has not added is refused on subjects[i]."""
    add_people(service, "c1")
    refuse(service, [note(subjects=["c1", "c2"])], UnknownReference, "subjects.1")
    refuse(service, [note(subjects=["c9"])], UnknownReference, "subjects.0")


def test_a_person_of_another_case_is_not_a_person_of_this_case(service: CaseService) -> None:
    """People are added per case; a person of FAM-2 cannot be a subject in FAM-1."""
    add_people(service, "c1", case_id=OTHER)
    record(service, note())
    refuse(service, [note(subjects=["c1"])], UnknownReference, "subjects.0")


def test_events_may_have_no_subjects(service: CaseService) -> None:
    """subjects may be empty."""
    assert service.append([note(subjects=[])]).events[0].subjects == ()


def test_a_person_may_be_the_subject_of_their_own_addition(service: CaseService) -> None:
    """person_added may name the person it adds as its subject, but no one else unadded."""
    stored = service.append(
        [event("person_added", subjects=["c1"], data={"person_id": "c1", "role": "child"})]
    ).events[0]
    assert stored.subjects == ("c1",)
    refuse(
        service,
        [event("person_added", subjects=["c2", "c3"], data={"person_id": "c2", "role": "child"})],
        UnknownReference,
        "subjects.1",
    )


def test_a_person_cannot_be_added_twice(service: CaseService) -> None:
    """A person id is added to a case once."""
    add_people(service, "c1")
    refuse(
        service,
        [event("person_added", data={"person_id": "c1", "role": "adult"})],
        InvariantViolation,
        "data.person_id",
    )


@pytest.mark.parametrize(
    ("person_id", "other_person_id", "field"),
    [("c9", "m1", "data.person_id"), ("c1", "m9", "data.other_person_id")],
)
def test_a_relationship_must_name_people_of_the_case(
    service: CaseService, person_id: str, other_person_id: str, field: str
) -> None:
    """Both people of a relationship must have been added."""
    add_people(service, "c1", "m1")
    draft = event(
        "relationship_recorded",
        data={"person_id": person_id, "other_person_id": other_person_id, "relationship": "son"},
    )
    refuse(service, [draft], UnknownReference, field)


def test_a_relationship_cannot_relate_a_person_to_themselves(service: CaseService) -> None:
    """person_id and other_person_id must differ."""
    add_people(service, "c1")
    draft = event(
        "relationship_recorded",
        data={"person_id": "c1", "other_person_id": "c1", "relationship": "sibling"},
    )
    refuse(service, [draft], InvariantViolation, "data.other_person_id")


# -- clocks ----------------------------------------------------------------------------------


def test_an_event_more_than_24_hours_in_the_future_is_refused(service: CaseService) -> None:
    """occurred_at 25 hours ahead is refused on occurred_at."""
    record(service, note())
    ahead = note(occurred_at=iso(utc_now() + timedelta(hours=25)))
    refuse(service, [ahead], InvalidEventError, "occurred_at")


def test_an_event_23_hours_in_the_future_is_accepted(service: CaseService) -> None:
    """Within 24 hours ahead is tolerated (plans for tomorrow, clock skew)."""
    when = (utc_now() + timedelta(hours=23)).replace(microsecond=0)
    stored = service.append([note(occurred_at=iso(when))]).events[0]
    assert stored.occurred_at == when


def test_a_date_two_days_ahead_is_refused(service: CaseService) -> None:
    """A date-only occurred_at is ordered at the start of its day; two days ahead is too far."""
    ahead = local_date(utc_now()) + timedelta(days=2)
    refuse(service, [note(occurred_at=ahead.isoformat())], InvalidEventError, "occurred_at")


def test_a_source_record_later_than_now_is_refused(service: CaseService) -> None:
    """An agency cannot have recorded an event after this store records it."""
    later = iso(utc_now() + timedelta(hours=1))
    refuse(
        service,
        [note(occurred_at="2024-03-01", source_recorded_at=later)],
        InvalidEventError,
        "source_recorded_at",
    )


def test_a_source_record_dated_tomorrow_is_refused(service: CaseService) -> None:
    """A date-only source record compares at date precision, so tomorrow is later than now."""
    tomorrow = local_date(utc_now()) + timedelta(days=1)
    refuse(
        service,
        [note(occurred_at="2024-03-01", source_recorded_at=tomorrow.isoformat())],
        InvalidEventError,
        "source_recorded_at",
    )


def test_a_source_record_dated_today_is_accepted(service: CaseService) -> None:
    """A source record of today is not later than now at date precision."""
    today = local_date(utc_now()).isoformat()
    stored = service.append([note(occurred_at=today, source_recorded_at=today)]).events[0]
    assert stored.source_recorded_at.isoformat() == today  # type: ignore[union-attr]


# -- the life of a case ----------------------------------------------------------------------


def test_case_opened_as_the_first_event_opens_the_case(service: CaseService) -> None:
    """An explicit case_opened is the case's version 1; no second opening is added."""
    outcome = service.append([event("case_opened"), note()])
    assert [stored.type for stored in service.case_events(CASE)] == ["case_opened", "note_added"]
    assert outcome.events[0].version == 1


def test_a_case_cannot_be_opened_twice(service: CaseService) -> None:
    """case_opened on an existing case is refused on type."""
    record(service, note())
    refuse(service, [event("case_opened")], InvariantViolation, "type")


def test_a_case_cannot_be_closed_twice(service: CaseService) -> None:
    """case_closed on a closed case is refused on type."""
    record(service, event("case_closed", data={"reason_code": "RC1"}))
    refuse(service, [event("case_closed")], InvariantViolation, "type")


def test_an_open_case_cannot_be_reopened(service: CaseService) -> None:
    """case_reopened needs a closed case."""
    record(service, note())
    refuse(service, [event("case_reopened")], InvariantViolation, "type")


def test_a_case_cannot_begin_by_being_reopened(service: CaseService) -> None:
    """case_reopened as the first event of a case is refused and creates no case."""
    refuse(service, [event("case_reopened")], InvariantViolation, "type")


def test_entries_on_a_closed_case_are_accepted_and_flagged(service: CaseService) -> None:
    """Late entries after case_closed are kept and flagged; reopening clears the flag."""
    service.append([note(), event("case_closed")])
    late = service.append([note()]).events[0]
    reopened = service.append([event("case_reopened")]).events[0]
    after = service.append([note()]).events[0]
    stored = {stored.version: stored.recorded_while_closed for stored in service.case_events(CASE)}

    assert (late.recorded_while_closed, reopened.recorded_while_closed) == (True, False)
    assert after.recorded_while_closed is False
    assert stored == {1: False, 2: False, 3: True, 4: False, 5: False}


def test_a_reopened_case_can_be_closed_again(service: CaseService) -> None:
    """Close, reopen, close is allowed."""
    outcome = service.append([event("case_closed"), event("case_reopened"), event("case_closed")])
    assert outcome.new_count == 3


# -- information sharing ---------------------------------------------------------------------


def test_information_cannot_be_shared_with_the_recording_agency(service: CaseService) -> None:
    """to_agency must be another agency, compared after lower-casing."""
    held = record(service, note(agency="health"))
    refuse(
        service,
        [share(held, to_agency="HEALTH", agency="Health")],
        InvariantViolation,
        "data.to_agency",
    )


def test_information_can_be_shared_with_another_agency(service: CaseService) -> None:
    """Sharing an event of the case with another agency is accepted."""
    held = record(service, note())
    stored = service.append([share(held, to_agency="Police")]).events[0]
    assert stored.data["to_agency"] == "police"
    assert stored.data["event_ids"] == [held]


# -- corrections, retractions and marks ------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "changes", "field"),
    [
        pytest.param(
            plan("plan_started"), {"plan_id": "P2"}, "data.changes.data.plan_id", id="plan_id"
        ),
        pytest.param(
            plan("plan_started"), {"kind": "early_help"}, "data.changes.data.kind", id="plan_kind"
        ),
        pytest.param(
            event("person_added", data={"person_id": "c1", "role": "child"}),
            {"person_id": "c2"},
            "data.changes.data.person_id",
            id="person_id",
        ),
        pytest.param(
            assessment("assessment_started"),
            {"assessment_id": "A2"},
            "data.changes.data.assessment_id",
            id="assessment_id",
        ),
    ],
)
def test_a_correction_cannot_change_an_identity_field(
    service: CaseService, target: EventEnvelope, changes: dict[str, Any], field: str
) -> None:
    """Fields saying which thing an entry is about cannot be corrected."""
    target_id = record(service, target)
    error = refuse(service, [correct(target_id, data=changes)], InvalidEventError, field)
    assert "cannot be corrected" in error.errors[0].reason


def test_a_correction_cannot_set_a_data_field_the_target_type_lacks(service: CaseService) -> None:
    """Unknown data fields of the target's type are refused and named."""
    target_id = record(service, event("child_seen", data={"seen_alone": True}))
    error = refuse(
        service,
        [correct(target_id, data={"colour": "red"})],
        InvalidEventError,
        "data.changes.data.colour",
    )
    assert "no data field" in error.errors[0].reason


def test_a_correction_value_is_checked_against_the_target_field(service: CaseService) -> None:
    """A corrected data value must be valid for the target's field."""
    target_id = record(service, plan("plan_started"))
    refuse(
        service,
        [correct(target_id, data={"category": "financial"})],
        InvalidEventError,
        "data.changes.data.category",
    )


def test_a_correction_of_a_data_field_is_stored_normalised(service: CaseService) -> None:
    """A corrected category is stored as its CIN code, as the original would have been."""
    target_id = record(service, plan("plan_started"))
    stored = service.append([correct(target_id, data={"category": "neglect"})]).events[0]
    assert stored.data["changes"] == {"data": {"category": "NEG"}}


@pytest.mark.parametrize(
    "changes", [pytest.param({}, id="empty"), pytest.param({"data": {}}, id="empty-data")]
)
def test_a_correction_that_changes_nothing_is_refused(
    service: CaseService, changes: dict[str, Any]
) -> None:
    """A correction must change at least one thing."""
    target_id = record(service, note())
    refuse(service, [correct(target_id, **changes)], InvalidEventError, "data.changes")


def test_a_correction_cannot_move_an_entry_far_into_the_future(service: CaseService) -> None:
    """A corrected occurred_at obeys the same 24-hour rule as a new event."""
    target_id = record(service, note())
    ahead = iso(utc_now() + timedelta(days=3))
    refuse(
        service,
        [correct(target_id, occurred_at=ahead)],
        InvalidEventError,
        "data.changes.occurred_at",
    )


def test_a_correction_cannot_name_a_subject_not_added(service: CaseService) -> None:
    """Corrected subjects must have been added to the case."""
    add_people(service, "c1")
    target_id = record(service, note(subjects=["c1"]))
    refuse(
        service,
        [correct(target_id, subjects=["c1", "c2"])],
        UnknownReference,
        "data.changes.subjects.1",
    )


def test_a_correction_cannot_name_a_subject_twice(service: CaseService) -> None:
    """Corrected subjects are a set of people, like an event's own subjects."""
    add_people(service, "c1")
    target_id = record(service, note(subjects=["c1"]))
    refuse(
        service,
        [correct(target_id, subjects=["c1", "c1"])],
        InvalidEventError,
        "data.changes.subjects",
    )


def test_a_correction_cannot_make_a_decision_rely_on_an_unknown_event(
    service: CaseService,
) -> None:
    """Corrected event references must name events of the case."""
    target_id = record(service, decide())
    refuse(
        service,
        [correct(target_id, data={"information_relied_on": [new_id()]})],
        UnknownReference,
        "data.changes.data.information_relied_on.0",
    )


def test_a_correction_cannot_relate_a_person_not_added(service: CaseService) -> None:
    """Corrected person references must name people of the case."""
    add_people(service, "c1", "m1")
    target_id = record(
        service,
        event(
            "relationship_recorded",
            data={"person_id": "c1", "other_person_id": "m1", "relationship": "mother"},
        ),
    )
    refuse(
        service,
        [correct(target_id, data={"other_person_id": "m9"})],
        UnknownReference,
        "data.changes.data.other_person_id",
    )


def test_a_retracted_entry_cannot_be_corrected(service: CaseService) -> None:
    """Once retracted, an entry takes no corrections."""
    target_id = record(service, note())
    record(service, retract(target_id))
    error = refuse(
        service, [correct(target_id, summary="x")], InvariantViolation, "data.target_event_id"
    )
    assert "retracted" in error.reason


def test_a_retracted_entry_cannot_be_marked(service: CaseService) -> None:
    """Once retracted, an entry takes no significance marks."""
    target_id = record(service, note())
    record(service, retract(target_id))
    refuse(service, [mark(target_id)], InvariantViolation, "data.target_event_id")


def test_a_retraction_cannot_be_retracted(service: CaseService) -> None:
    """A retraction is final; the entry is recorded anew instead."""
    target_id = record(service, note())
    retraction_id = record(service, retract(target_id))
    error = refuse(service, [retract(retraction_id)], InvariantViolation, "data.target_event_id")
    assert "cannot be retracted" in error.reason


def test_an_entry_cannot_be_retracted_twice(service: CaseService) -> None:
    """A second retraction of the same entry is refused."""
    target_id = record(service, note())
    record(service, retract(target_id))
    error = refuse(service, [retract(target_id)], InvariantViolation, "data.target_event_id")
    assert "already retracted" in error.reason


@pytest.mark.parametrize(
    "amending",
    [
        pytest.param(lambda target: correct(target, summary="x"), id="correction"),
        pytest.param(mark, id="mark"),
        pytest.param(retract, id="retraction"),
    ],
)
@pytest.mark.parametrize(
    "amend",
    [
        pytest.param(lambda target: correct(target, summary="y"), id="correct"),
        pytest.param(mark, id="mark"),
    ],
)
def test_corrections_and_marks_target_the_original_entry(
    service: CaseService, amending: Any, amend: Any
) -> None:
    """A correction, mark or retraction cannot itself be corrected or marked."""
    target_id = record(service, note())
    amending_id = record(service, amending(target_id))
    refuse(service, [amend(amending_id)], InvariantViolation, "data.target_event_id")


def test_a_correction_can_be_withdrawn_by_retracting_it(service: CaseService) -> None:
    """Retracting a correction (not a retraction) is accepted."""
    target_id = record(service, note())
    correction_id = record(service, correct(target_id, summary="Wrong fix"))
    stored = service.append([retract(correction_id)]).events[0]
    assert stored.data["target_event_id"] == correction_id


# -- batches ---------------------------------------------------------------------------------


def test_a_batch_whose_third_event_breaks_an_invariant_writes_nothing(
    service: CaseService,
) -> None:
    """All or nothing: the error names the third event by index and no case is created."""
    batch = [
        event("person_added", data={"person_id": "c1", "role": "child"}),
        plan("plan_started"),
        plan("plan_started"),
    ]
    refuse(service, batch, InvariantViolation, "2.data.plan_id")


def test_a_failed_batch_on_an_existing_case_leaves_it_unchanged(service: CaseService) -> None:
    """Earlier events of a refused batch are not written to an existing case."""
    record(service, note())
    batch = [plan("plan_started"), note(), plan("plan_ended", "P2")]
    refuse(service, batch, InvariantViolation, "2.data.plan_id")


def test_a_failed_batch_leaves_no_trace_for_later_appends(service: CaseService) -> None:
    """What a refused batch would have started is still free afterwards."""
    record(service, note())
    refuse(
        service,
        [plan("plan_started"), plan("plan_reviewed", "P9")],
        InvariantViolation,
        "1.data.plan_id",
    )
    stored = service.append([plan("plan_started")]).events[0]
    assert stored.version == 2


def test_a_batch_across_cases_is_all_or_nothing(service: CaseService) -> None:
    """A refusal in one case's part of a batch writes nothing to the other case either."""
    record(service, note())
    batch = [note(), event("plan_ended", case_id=OTHER, data={"plan_id": "P1"})]
    refuse(service, batch, InvariantViolation, "1.data.plan_id")


def test_a_batch_field_error_names_the_event_index(service: CaseService) -> None:
    """A refused subject in the second event of a batch is named 1.subjects.0."""
    refuse(service, [note(), note(subjects=["c1"])], UnknownReference, "1.subjects.0")


def test_a_batch_may_refer_to_its_own_earlier_events(service: CaseService) -> None:
    """An event can be marked and shared in the same batch that records it."""
    target_id = new_id()
    outcome = service.append(
        [
            event("person_added", data={"person_id": "c1", "role": "child"}),
            note(event_id=target_id, subjects=["c1"]),
            mark(target_id),
            share(target_id),
        ]
    )
    assert outcome.new_count == 4
    assert [stored.version for stored in outcome.events] == [1, 2, 3, 4]
    assert [stored.version for stored in service.case_events(CASE)] == [1, 2, 3, 4]


def test_an_event_id_repeated_within_a_batch_is_refused(service: CaseService) -> None:
    """Two events of one batch cannot share an event_id."""
    event_id = new_id()
    refuse(
        service,
        [note(event_id=event_id), note(event_id=event_id)],
        InvalidEventError,
        "1.event_id",
    )


def test_an_empty_batch_is_refused(service: CaseService) -> None:
    """Appending nothing is an error, not a silent success."""
    with pytest.raises(InvalidEventError) as refused:
        service.append([])
    assert [error.field for error in refused.value.errors] == ["events"]


# -- idempotency -----------------------------------------------------------------------------


def test_a_retry_with_the_same_event_id_and_content_is_a_no_op(service: CaseService) -> None:
    """The retry returns the stored event (same position, version, recorded_at) and adds nothing."""
    event_id = new_id()
    first = service.append([note(event_id=event_id)])
    retry = service.append([note(event_id=event_id)])

    assert first.new_count == 1
    assert (retry.new_count, retry.created) == (0, False)
    assert retry.events[0] == first.events[0]
    assert retry.events[0].position == first.events[0].position
    assert retry.events[0].recorded_at == first.events[0].recorded_at
    assert service.case_version(CASE) == 1
    assert len(service.case_events(CASE)) == 1


def test_a_retry_is_compared_after_normalisation(service: CaseService) -> None:
    """Content that differs only in how it was written (agency case) is the same content."""
    event_id = new_id()
    first = service.append([note(event_id=event_id)])
    retry = service.append([note(event_id=event_id, agency="SOCIAL_CARE")])
    assert retry.new_count == 0
    assert retry.events[0] == first.events[0]


def test_a_batch_mixing_a_retry_and_a_new_event_writes_only_the_new_one(
    service: CaseService,
) -> None:
    """A partly retried batch writes the new events and returns the stored ones."""
    event_id = new_id()
    first = service.append([note(event_id=event_id)])
    outcome = service.append([note(event_id=event_id), note(summary="Second visit")])
    assert outcome.new_count == 1
    assert outcome.events[0] == first.events[0]
    assert outcome.events[1].version == 2
    assert service.case_version(CASE) == 2


def test_a_retry_with_a_stale_expected_version_returns_the_stored_event(
    service: CaseService,
) -> None:
    """A retry writes nothing, so a version that moved on since is no conflict."""
    event_id = new_id()
    first = service.append([note(event_id=event_id)], expected_versions={CASE: 0})
    record(service, note())
    retry = service.append([note(event_id=event_id)], expected_versions={CASE: 0})
    assert retry.new_count == 0
    assert retry.events[0] == first.events[0]


def test_the_same_event_id_with_other_content_is_a_conflict(service: CaseService) -> None:
    """An event_id names one content forever; other content under it is refused."""
    event_id = new_id()
    record(service, note(event_id=event_id))
    error = refuse(
        service, [note(event_id=event_id, summary="Something else")], EventIdConflict, "event_id"
    )
    assert "other content" in error.reason


def test_an_event_id_used_in_another_case_is_a_conflict(service: CaseService) -> None:
    """An event_id is unique across the store, not just within a case."""
    event_id = new_id()
    record(service, note(case_id=OTHER, event_id=event_id))
    record(service, note())
    refuse(service, [note(event_id=event_id)], EventIdConflict, "event_id")


def test_an_event_id_used_in_another_case_does_not_create_a_case(service: CaseService) -> None:
    """The conflict is found before a new case is created."""
    event_id = new_id()
    record(service, note(case_id=OTHER, event_id=event_id))
    refuse(service, [note(case_id="FAM-3", event_id=event_id)], EventIdConflict, "event_id")
    with pytest.raises(CaseNotFound):
        service.case_events("FAM-3")


def test_an_event_id_conflict_in_a_batch_names_the_index(service: CaseService) -> None:
    """The conflicting event of a batch is named by its index."""
    event_id = new_id()
    record(service, note(event_id=event_id))
    refuse(
        service, [note(), note(event_id=event_id, summary="Other")], EventIdConflict, "1.event_id"
    )


# -- optimistic concurrency ------------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict(service: CaseService) -> None:
    """A writer that read version 1 cannot append after another writer moved the case to 2."""
    service.append([note(), note()])
    error = refuse(service, [note()], VersionConflict, "version", expected_versions={CASE: 1})
    assert "version 2" in error.reason


def test_the_current_expected_version_is_accepted(service: CaseService) -> None:
    """The expected version equal to the case's version lets the append through."""
    service.append([note(), note()])
    outcome = service.append([note()], expected_versions={CASE: 2})
    assert outcome.events[0].version == 3


def test_expected_version_zero_means_the_case_must_be_new(service: CaseService) -> None:
    """Version 0 is accepted for a new case and refused for an existing one."""
    assert service.append([note()], expected_versions={CASE: 0}).new_count == 1
    refuse(service, [note()], VersionConflict, "version", expected_versions={CASE: 0})


def test_an_expected_version_for_a_missing_case_is_a_conflict(service: CaseService) -> None:
    """Expecting version 3 of a case that does not exist writes nothing."""
    refuse(service, [note()], VersionConflict, "version", expected_versions={CASE: 3})


# -- the aggregate's state -------------------------------------------------------------------


def test_the_case_knows_the_version_of_each_entry() -> None:
    """The aggregate's per-entry version matches the stored version, first entry included."""
    now = datetime.now(UTC)
    first, second = new_id(), new_id()
    case = Case.open(note(event_id=first), recorded_at=now)
    case.record(note(event_id=second), recorded_at=now)
    assert (case.version_of(first), case.version_of(second)) == (1, 2)


# -- current behaviour that is a design question (see the report) ---------------------------


def test_retracting_a_plan_start_frees_its_plan_id(service: CaseService) -> None:
    """A retracted plan_started no longer counts: the plan can be started anew, not reviewed."""
    start_id = record(service, plan("plan_started"))
    record(service, retract(start_id))
    refuse(service, [plan("plan_reviewed")], InvariantViolation, "data.plan_id")
    restarted = event("plan_started", data={"plan_id": "P1", "kind": "early_help"})
    assert service.append([restarted]).new_count == 1


def test_retracting_a_person_added_means_they_must_be_added_again(service: CaseService) -> None:
    """A retracted person_added no longer lets other events name the person."""
    added = record(service, event("person_added", data={"person_id": "c9", "role": "child"}))
    record(service, retract(added))
    refuse(service, [event("note_added", subjects=["c9"])], UnknownReference, "subjects.0")


def test_a_plan_end_dated_before_its_start_is_accepted(service: CaseService) -> None:
    """Current behaviour: plan order is checked in recording order only, not by occurred_at."""
    record(
        service,
        event(
            "plan_started",
            occurred_at="2024-03-01",
            data={"plan_id": "P1", "kind": "child_protection"},
        ),
    )
    stored = service.append(
        [event("plan_ended", occurred_at="2024-01-01", data={"plan_id": "P1"})]
    ).events[0]
    assert stored.version == 2
