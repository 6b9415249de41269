"""Every event type of the vocabulary is stored and read back as sent, and bad fields are named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest

from domain.service import CaseService
from events.envelope import EventEnvelope, EventType, InvalidEventError, parse_event
from events.vocabulary import DATA_MODELS
from projections.stored_log import StoredLog

CASE = "FAM-1"
TARGET_ID = "0b3f7c52-7a8e-4f0e-9d36-2a4c1f5e6d01"  # a child_seen entry other events name
DECISION_ID = "5c2e9a41-3d7b-4b8e-a0f1-6e9d2c4b7a10"  # a decision_made entry oversight names
EVENT_ID = "5d2e8a61-3c4b-4f7a-8e9d-1b2c3d4e5f60"  # the event under test, where it sets one
SHA = "AB" * 32

BASE: dict[str, Any] = {
    "case_id": CASE,
    "occurred_at": "2024-03-01T10:00:00+00:00",
    "agency": "social_care",
    "recorded_by": "sw-1",
}

PEOPLE = [
    {"type": "person_added", "data": {"person_id": "c1", "role": "child"}},
    {"type": "person_added", "data": {"person_id": "m1", "role": "adult"}},
]
TARGET = [
    {
        "type": "child_seen",
        "event_id": TARGET_ID,
        "subjects": ["c1"],
        "summary": "Ava seen at home",
        "data": {"seen_alone": False},
    }
]
PLAN = [{"type": "plan_started", "data": {"plan_id": "P1", "kind": "child_protection"}}]


def _example(
    event_type: str,
    event: dict[str, Any],
    expected_data: dict[str, Any],
    before: list[dict[str, Any]] | None = None,
) -> Any:
    """One parametrised case: the event, the data it should be stored with, its prerequisites."""
    return pytest.param(
        event_type, {"type": event_type, **event}, expected_data, before or [], id=event_type
    )


EXAMPLES = [
    _example(
        "case_opened",
        {"occurred_at": "2024-03-01", "summary": "Case opened after a police notification"},
        {},
    ),
    _example(
        "person_added",
        {
            "event_id": EVENT_ID,
            "subjects": ["child-ava"],
            "data": {
                "person_id": "child-ava",
                "role": "child",
                "name": " Ava Smith ",
                "date_of_birth": "2019-05-04",
                "upn": "A123456789012",
                "sex": "F",
                "ethnicity": "WBRI",
                "disabilities": ["NONE"],
            },
        },
        {
            "person_id": "child-ava",
            "role": "child",
            "name": "Ava Smith",
            "date_of_birth": "2019-05-04",
            "upn": "A123456789012",
            "sex": "F",
            "ethnicity": "WBRI",
            "disabilities": ["NONE"],
        },
    ),
    _example(
        "relationship_recorded",
        {
            "subjects": ["c1", "m1"],
            "data": {"person_id": "c1", "other_person_id": "m1", "relationship": "mother"},
        },
        {"person_id": "c1", "other_person_id": "m1", "relationship": "mother"},
        PEOPLE,
    ),
    _example(
        "contact_received",
        {
            "agency": " Police ",
            "recorded_by": "pc-1234",
            "subjects": ["c1"],
            "summary": "Neighbour reported shouting and a child crying late at night",
            "significance": "significant",
            "source_recorded_at": "2024-03-02",
            "data": {
                "contact_kind": "concern",
                "source_agency": "Police",
                "concern_categories": ["neglect", "domestic_abuse"],
                "outcome": "strategy_discussion",
                "referral_source": "6",
                "primary_need": "N1",
            },
        },
        {
            "contact_kind": "concern",
            "source_agency": "police",
            "concern_categories": ["neglect", "domestic_abuse"],
            "outcome": "strategy_discussion",
            "referral_source": "6",
            "primary_need": "N1",
        },
        PEOPLE,
    ),
    _example(
        "child_seen",
        {
            "occurred_at": "2024-07-01T15:30",
            "subjects": ["c1"],
            "impact": "Ava was calm and talkative",
            "data": {"seen_alone": True, "where": " school "},
        },
        {"seen_alone": True, "where": "school"},
        PEOPLE,
    ),
    _example(
        "child_voice_recorded",
        {"subjects": ["c1"], "data": {"words": "I don't like it when they shout"}},
        {"words": "I don't like it when they shout"},
        PEOPLE,
    ),
    _example(
        "assessment_started",
        {"subjects": ["c1"], "data": {"assessment_id": "A1", "kind": "section_47"}},
        {"assessment_id": "A1", "kind": "section_47"},
        PEOPLE,
    ),
    _example(
        "assessment_completed",
        {
            "occurred_at": "2024-03-20",
            "data": {
                "assessment_id": "A1",
                "outcome": "child in need plan",
                "analysis": "Neglect of basic care; mother engaging",
                "factors": ["3A", "21"],
            },
        },
        {
            "assessment_id": "A1",
            "outcome": "child in need plan",
            "analysis": "Neglect of basic care; mother engaging",
            "factors": ["3A", "21"],
        },
        [{"type": "assessment_started", "data": {"assessment_id": "A1"}}],
    ),
    _example(
        "strategy_discussion_held",
        {"data": {"agencies": ["Police", "HEALTH", "social_care"], "outcome": "Section_47"}},
        {"agencies": ["police", "health", "social_care"], "outcome": "section_47"},
    ),
    _example(
        "conference_held",
        {
            "significance": "key",
            "data": {"kind": "initial", "outcome": "child_protection_plan", "category": "neglect"},
        },
        {"kind": "initial", "outcome": "child_protection_plan", "category": "NEG"},
    ),
    _example(
        "plan_started",
        {
            "subjects": ["c1"],
            "data": {
                "plan_id": "P1",
                "kind": "child_protection",
                "category": "emotional",
                "goals": ["Safe sleeping arrangements", "School attendance above 90%"],
                "review_due": "2024-06-01",
            },
        },
        {
            "plan_id": "P1",
            "kind": "child_protection",
            "category": "EMO",
            "goals": ["Safe sleeping arrangements", "School attendance above 90%"],
            "review_due": "2024-06-01",
        },
        PEOPLE,
    ),
    _example(
        "plan_reviewed",
        {
            "occurred_at": "2024-06-01",
            "data": {
                "plan_id": "P1",
                "progress": "Attendance improved",
                "next_review_due": "2024-09-01T10:00",
            },
        },
        {
            "plan_id": "P1",
            "progress": "Attendance improved",
            "next_review_due": "2024-09-01T09:00:00+00:00",
        },
        PLAN,
    ),
    _example(
        "plan_ended",
        {"occurred_at": "2024-09-01", "data": {"plan_id": "P1", "reason": "Risk reduced"}},
        {"plan_id": "P1", "reason": "Risk reduced"},
        PLAN,
    ),
    _example(
        "decision_made",
        {
            "recorded_by": "tm-2",
            "subjects": ["c1"],
            "data": {
                "decision": "Convene a strategy discussion",
                "rationale": "Repeated reports of domestic abuse with the child present",
                "options_considered": ["No further action", "Early help"],
                "information_relied_on": [TARGET_ID],
                "risks": "Escalation at home",
                "urgency": "urgent",
                "review_by": "2024-03-15T09:00",
            },
        },
        {
            "decision": "Convene a strategy discussion",
            "rationale": "Repeated reports of domestic abuse with the child present",
            "options_considered": ["No further action", "Early help"],
            "information_relied_on": [TARGET_ID],
            "risks": "Escalation at home",
            "urgency": "urgent",
            "review_by": "2024-03-15T09:00:00+00:00",
        },
        PEOPLE + TARGET,
    ),
    _example(
        "action_taken",
        {
            "action": "Home visit booked",
            "data": {
                "description": "Unannounced home visit",
                "action_kind": "visit",
                "status": "planned",
                "due": "2024-07-01T09:30",
            },
        },
        {
            "description": "Unannounced home visit",
            "action_kind": "visit",
            "status": "planned",
            "due": "2024-07-01T08:30:00+00:00",
        },
    ),
    _example(
        "information_shared",
        {
            "data": {
                "to_agency": "Health",
                "event_ids": [TARGET_ID],
                "basis": "legal_duty",
                "summary": "Shared the home visit with the health visitor",
            },
        },
        {
            "to_agency": "health",
            "event_ids": [TARGET_ID],
            "basis": "legal_duty",
            "summary": "Shared the home visit with the health visitor",
        },
        PEOPLE + TARGET,
    ),
    _example(
        "note_added",
        {
            "occurred_at": "2024-02-10",
            "date_uncertain": True,
            "summary": "Mother says the family moved in around this date",
        },
        {},
    ),
    _example(
        "document_attached",
        {
            "data": {
                "name": "strategy-minutes.pdf",
                "sha256": SHA,
                "media_type": "application/pdf",
                "size": 20480,
            },
        },
        {
            "name": "strategy-minutes.pdf",
            "sha256": SHA.lower(),
            "media_type": "application/pdf",
            "size": 20480,
        },
    ),
    _example(
        "document_version_added",
        {
            "data": {
                "document_id": "doc-ava-drawing",
                "name": "My house.png",
                "sha256": SHA,
                "media_type": "Image/PNG",
                "size": 20480,
            },
        },
        {
            "document_id": "doc-ava-drawing",
            "name": "My house.png",
            "sha256": SHA.lower(),
            "media_type": "image/png",
            "size": 20480,
            "version_number": 1,
        },
    ),
    _example(
        "marked_significant",
        {
            "recorded_by": "tm-2",
            "data": {
                "target_event_id": TARGET_ID,
                "significance": "key",
                "reason": "First sighting",
            },
        },
        {"target_event_id": TARGET_ID, "significance": "key", "reason": "First sighting"},
        PEOPLE + TARGET,
    ),
    _example(
        "entry_corrected",
        {
            "data": {
                "target_event_id": TARGET_ID,
                "changes": {
                    "occurred_at": "2024-02-28",
                    "summary": "Ava seen at her grandmother's",
                    "subjects": ["c1", "m1"],
                    "significance": "significant",
                    "data": {"where": " grandmother's home ", "seen_alone": True},
                },
                "reason": "Visit was on the 28th, not the 1st",
            },
        },
        {
            "target_event_id": TARGET_ID,
            "changes": {
                "occurred_at": "2024-02-28",
                "summary": "Ava seen at her grandmother's",
                "subjects": ["c1", "m1"],
                "significance": "significant",
                "data": {"where": "grandmother's home", "seen_alone": True},
            },
            "reason": "Visit was on the 28th, not the 1st",
        },
        PEOPLE + TARGET,
    ),
    _example(
        "entry_retracted",
        {"data": {"target_event_id": TARGET_ID, "reason": "Recorded on the wrong case"}},
        {"target_event_id": TARGET_ID, "reason": "Recorded on the wrong case"},
        PEOPLE + TARGET,
    ),
    _example(
        "worker_allocated",
        {
            "recorded_by": "tm-2",
            "data": {"worker": " sw-1 ", "team": "Assessment team", "role": "Social worker"},
        },
        {"worker": "sw-1", "team": "Assessment team", "role": "Social worker"},
    ),
    _example(
        "worker_unallocated",
        {"recorded_by": "tm-2", "data": {"worker": "sw-1", "team": "Assessment team"}},
        {"worker": "sw-1", "team": "Assessment team"},
        [{"type": "worker_allocated", "data": {"worker": "sw-1"}}],
    ),
    _example(
        "oversight_recorded",
        {
            "recorded_by": "tm-2",
            "data": {
                "target_event_id": DECISION_ID,
                "view": "agree_with_changes",
                "reasons": "Right to assess; the school should be asked first",
                "next_steps": "Speak to the school by Friday",
            },
        },
        {
            "target_event_id": DECISION_ID,
            "view": "agree_with_changes",
            "reasons": "Right to assess; the school should be asked first",
            "next_steps": "Speak to the school by Friday",
        },
        [{"type": "decision_made", "event_id": DECISION_ID, "data": {"decision": "Assess"}}],
    ),
    _example(
        "case_closed",
        {"occurred_at": "2024-10-01", "data": {"reason_code": "RC1"}},
        {"reason_code": "RC1"},
    ),
    _example(
        "case_reopened",
        {"occurred_at": "2024-11-01", "data": {"reason": "New referral from school"}},
        {"reason": "New referral from school"},
        [{"type": "case_closed", "occurred_at": "2024-10-01"}],
    ),
    _example(
        "core_group_held",
        {"data": {"plan_id": "P1", "agencies": ["Health", "school"], "outcome": "Plan agreed"}},
        {"plan_id": "P1", "agencies": ["health", "school"], "outcome": "Plan agreed"},
        PLAN,
    ),
    _example(
        "legal_status_changed",
        {"subjects": ["c1"], "data": {"status": "C1", "person_id": "c1"}},
        {"status": "C1", "person_id": "c1"},
        PEOPLE,
    ),
    _example(
        "placement_started",
        {
            "data": {
                "placement_id": "PL1",
                "person_id": "c1",
                "kind": "U6",
                "provider": "PR1",
                "postcode": "ls1 4",
                "reason": "S",
                "urn": "SC123456",
            }
        },
        {
            "placement_id": "PL1",
            "person_id": "c1",
            "kind": "U6",
            "provider": "PR1",
            "postcode": "LS1 4",
            "reason": "S",
            "urn": "SC123456",
        },
        PEOPLE,
    ),
    _example(
        "placement_ended",
        {"data": {"placement_id": "PL1", "reason": "X1"}},
        {"placement_id": "PL1", "reason": "X1"},
        [{"type": "placement_started", "data": {"placement_id": "PL1"}}],
    ),
    _example(
        "missing_episode_recorded",
        {
            "data": {
                "person_id": "c1",
                "started": "2024-03-01T22:00",
                "ended": "2024-03-02",
                "kind": "missing",
                "return_interview_offered": True,
            }
        },
        {
            "person_id": "c1",
            "started": "2024-03-01T22:00:00+00:00",
            "ended": "2024-03-02",
            "kind": "missing",
            "return_interview_offered": True,
        },
        PEOPLE,
    ),
    _example(
        "emergency_protection",
        {"data": {"kind": "police_protection", "person_id": "c1", "ends": "2024-03-04"}},
        {"kind": "police_protection", "person_id": "c1", "ends": "2024-03-04"},
        PEOPLE,
    ),
]

ENVELOPE_FIELDS = set(EventEnvelope.model_fields)


def _raw(fields: dict[str, Any]) -> dict[str, Any]:
    return {**BASE, **fields}


def test_the_examples_cover_every_event_type() -> None:
    """The round-trip examples below name each type of DATA_MODELS exactly once."""
    covered = [example.values[0] for example in EXAMPLES]
    assert sorted(covered) == sorted(DATA_MODELS)


def test_the_envelope_type_literal_lists_exactly_the_data_models() -> None:
    """EventType in the envelope and DATA_MODELS in the vocabulary name the same 33 types."""
    literal = get_args(EventType)
    assert len(literal) == len(set(literal)) == 33
    assert set(literal) == set(DATA_MODELS)


@pytest.mark.parametrize(("event_type", "raw", "expected_data", "before"), EXAMPLES)
def test_every_event_type_round_trips_through_the_store(
    service: CaseService,
    event_type: str,
    raw: dict[str, Any],
    expected_data: dict[str, Any],
    before: list[dict[str, Any]],
) -> None:
    """An event of each type is stored and read back with the envelope and data it was sent."""
    if before:
        service.append([parse_event(_raw(fields)) for fields in before])
    sent = parse_event(_raw(raw))

    outcome = service.append([sent])
    stored = service.case_events(CASE)[-1]

    assert outcome.new_count == 1
    assert outcome.events[0] == stored
    # Read back by position without validating again (projections, the raw log): the same.
    (trusted,) = StoredLog(service).events_at([stored.position])
    assert trusted == stored
    assert trusted.model_dump_json() == stored.model_dump_json()
    assert stored.type == event_type
    assert stored.version == len(before) + 1
    assert stored.schema_version == DATA_MODELS[event_type].version
    assert stored.data == expected_data
    # Envelope fields as parsed; data as normalised above (a correction's data changes are
    # normalised against the target's type only when the case checks it).
    assert stored.model_dump(include=ENVELOPE_FIELDS - {"event_id", "data"}) == sent.model_dump(
        exclude={"event_id", "data"}
    )
    assert type(stored.occurred_at) is type(sent.occurred_at)
    if "event_id" in raw:
        assert str(stored.event_id) == raw["event_id"]
    # The stored data is valid data of its type, unchanged by a second validation.
    assert (
        DATA_MODELS[event_type]
        .model_validate(stored.data)
        .model_dump(mode="json", exclude_none=True)
        == expected_data
    )


def test_envelope_fields_are_normalised_as_they_are_parsed() -> None:
    """Agency is lower-cased, a naive summer time becomes UTC, a date-only value stays a date."""
    envelope = parse_event(
        _raw(
            {
                "type": "note_added",
                "agency": " Police ",
                "occurred_at": "2024-07-01T10:15",
                "source_recorded_at": "2024-07-02",
                "summary": "  Officer attended  ",
            }
        )
    )
    assert envelope.agency == "police"
    assert envelope.occurred_at == datetime(2024, 7, 1, 9, 15, tzinfo=UTC)
    assert envelope.source_recorded_at == date(2024, 7, 2)
    assert not isinstance(envelope.source_recorded_at, datetime)
    assert envelope.summary == "Officer attended"
    assert envelope.significance == "routine"
    assert envelope.subjects == ()


def test_the_stored_event_of_a_date_only_occurrence_keeps_date_precision(
    service: CaseService,
) -> None:
    """An event that happened on a day is read back as that day, not as an instant."""
    service.append([parse_event(_raw({"type": "note_added", "occurred_at": "2024-03-31"}))])
    stored = service.case_events(CASE)[0]
    assert stored.occurred_at == date(2024, 3, 31)
    assert not isinstance(stored.occurred_at, datetime)
    assert stored.model_dump(mode="json")["occurred_at"] == "2024-03-31"


# -- field-level validation -----------------------------------------------------------------


def _refused_fields(raw: Any, prefix: str = "") -> set[str]:
    with pytest.raises(InvalidEventError) as refused:
        parse_event(raw, prefix=prefix)
    assert refused.value.errors, "a refusal names at least one field"
    return {error.field for error in refused.value.errors}


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        pytest.param(
            {"type": "plan_started", "data": {"kind": "child_protection"}},
            "data.plan_id",
            id="missing-plan-id",
        ),
        pytest.param(
            {"type": "person_added", "data": {"person_id": "c1"}}, "data.role", id="missing-role"
        ),
        pytest.param(
            {"type": "information_shared", "data": {"event_ids": [TARGET_ID]}},
            "data.to_agency",
            id="missing-to-agency",
        ),
        pytest.param(
            {"type": "entry_retracted", "data": {"target_event_id": TARGET_ID}},
            "data.reason",
            id="missing-retraction-reason",
        ),
        pytest.param(
            {"type": "child_voice_recorded", "data": {"words": "   "}},
            "data.words",
            id="blank-words",
        ),
        pytest.param(
            {"type": "information_shared", "data": {"to_agency": "health", "event_ids": []}},
            "data.event_ids",
            id="nothing-shared",
        ),
    ],
)
def test_a_missing_required_data_field_is_named(fields: dict[str, Any], bad_field: str) -> None:
    """Each type's required data fields must be present and non-empty, and the gap is named."""
    assert _refused_fields(_raw(fields)) == {bad_field}


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        pytest.param({"type": "note_added", "data": {"text": "hi"}}, "data.text", id="data"),
        pytest.param({"type": "note_added", "colour": "red"}, "colour", id="envelope"),
        pytest.param(
            {"type": "note_added", "recorded_at": "2024-03-01T10:00:00+00:00"},
            "recorded_at",
            id="server-assigned-recorded-at",
        ),
        pytest.param(
            {
                "type": "entry_corrected",
                "data": {"target_event_id": TARGET_ID, "changes": {"colour": "red"}, "reason": "x"},
            },
            "data.changes.colour",
            id="correction-changes",
        ),
        pytest.param(
            {"type": "contact_received", "data": {"concern_category": "neglect"}},
            "data.concern_category",
            id="contact-v1-field",
        ),
    ],
)
def test_an_unknown_field_is_refused_and_named(fields: dict[str, Any], bad_field: str) -> None:
    """Fields outside the vocabulary are refused rather than silently dropped."""
    assert _refused_fields(_raw(fields)) == {bad_field}


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        pytest.param({"type": "meeting_held"}, "type", id="type"),
        pytest.param({"type": "note_added", "significance": "urgent"}, "significance", id="sig"),
        pytest.param(
            {"type": "plan_started", "data": {"plan_id": "P1", "kind": "fostering"}},
            "data.kind",
            id="plan-kind",
        ),
        pytest.param(
            {"type": "person_added", "data": {"person_id": "c1", "role": "parent"}},
            "data.role",
            id="role",
        ),
        pytest.param(
            {"type": "conference_held", "data": {"kind": "initial", "category": "financial"}},
            "data.category",
            id="abuse-category",
        ),
        pytest.param(
            {"type": "contact_received", "data": {"primary_need": "N10"}},
            "data.primary_need",
            id="primary-need",
        ),
        pytest.param(
            {"type": "case_closed", "data": {"reason_code": "RC10"}},
            "data.reason_code",
            id="closure-reason",
        ),
        pytest.param(
            {"type": "contact_received", "data": {"concern_categories": ["neglect", "poverty"]}},
            "data.concern_categories.1",
            id="list-item",
        ),
        pytest.param({"type": "note_added", "agency": "Social Care"}, "agency", id="agency"),
        pytest.param({"type": "note_added", "subjects": ["child ava"]}, "subjects.0", id="subject"),
        pytest.param(
            {"type": "document_attached", "data": {"name": "x.pdf", "sha256": "abc"}},
            "data.sha256",
            id="sha256",
        ),
    ],
)
def test_a_value_outside_its_code_list_is_refused_and_named(
    fields: dict[str, Any], bad_field: str
) -> None:
    """Closed code lists and identifier shapes are enforced field by field."""
    assert _refused_fields(_raw(fields)) == {bad_field}


def test_a_shared_event_id_that_is_not_a_uuid_is_named_by_its_index() -> None:
    """A bad item of a list is named with its index."""
    fields = {"type": "information_shared", "data": {"to_agency": "health", "event_ids": ["x"]}}
    assert "data.event_ids.0" in _refused_fields(_raw(fields))


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        pytest.param({"type": "note_added", "occurred_at": "2024-02-30"}, "occurred_at", id="date"),
        pytest.param(
            {"type": "note_added", "occurred_at": "2024-02-30T10:00"}, "occurred_at", id="datetime"
        ),
        pytest.param({"type": "note_added", "occurred_at": "01/03/2024"}, "occurred_at", id="uk"),
        pytest.param({"type": "note_added", "occurred_at": "2024-03"}, "occurred_at", id="month"),
        pytest.param(
            {"type": "note_added", "source_recorded_at": "2023-13-01"},
            "source_recorded_at",
            id="source",
        ),
        pytest.param(
            {
                "type": "plan_started",
                "data": {"plan_id": "P1", "kind": "early_help", "review_due": "2024-02-30"},
            },
            "data.review_due",
            id="data-date",
        ),
    ],
)
def test_an_impossible_date_is_refused_and_named(fields: dict[str, Any], bad_field: str) -> None:
    """Dates that are not real calendar dates or not ISO 8601 are refused, not guessed."""
    assert _refused_fields(_raw(fields)) == {bad_field}


def test_a_local_time_skipped_by_the_clocks_going_forward_is_refused() -> None:
    """01:30 on 31 March 2024 never happened in London, so it cannot be read as local time."""
    with pytest.raises(InvalidEventError) as refused:
        parse_event(_raw({"type": "note_added", "occurred_at": "2024-03-31T01:30"}))
    (error,) = refused.value.errors
    assert error.field == "occurred_at"
    assert "does not exist" in error.reason


def test_the_same_time_with_an_offset_is_accepted_on_the_day_clocks_go_forward() -> None:
    """With an explicit offset the same wall time is an unambiguous instant."""
    envelope = parse_event(_raw({"type": "note_added", "occurred_at": "2024-03-31T01:30+00:00"}))
    assert envelope.occurred_at == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("occurred_at", "source_recorded_at"),
    [
        ("2024-03-01T10:00:00+00:00", "2024-03-01T09:59:59+00:00"),
        ("2024-03-01", "2024-02-29"),
        ("2024-03-01T10:00:00+00:00", "2024-02-29"),
    ],
)
def test_a_source_record_earlier_than_the_occurrence_is_refused(
    occurred_at: str, source_recorded_at: str
) -> None:
    """An agency cannot have recorded something before it happened."""
    fields = {
        "type": "note_added",
        "occurred_at": occurred_at,
        "source_recorded_at": source_recorded_at,
    }
    assert _refused_fields(_raw(fields)) == {"source_recorded_at"}


def test_a_source_record_on_the_day_of_a_timed_occurrence_is_accepted() -> None:
    """A date-only source record on the same day as the occurrence is compared at date precision."""
    envelope = parse_event(
        _raw(
            {
                "type": "note_added",
                "occurred_at": "2024-03-01T16:00:00+00:00",
                "source_recorded_at": "2024-03-01",
            }
        )
    )
    assert envelope.source_recorded_at == date(2024, 3, 1)


def test_a_subject_named_twice_is_refused() -> None:
    """Subjects are a set of people; naming one twice is a mistake that is named."""
    fields = {"type": "note_added", "subjects": ["c1", "m1", "c1"]}
    with pytest.raises(InvalidEventError) as refused:
        parse_event(_raw(fields))
    (error,) = refused.value.errors
    assert error.field == "subjects"
    assert "more than once" in error.reason


SAME_EVENT = "5b0f3a52-5f7e-4d0c-9b1e-3c1f2f8a6e41"


@pytest.mark.parametrize(
    ("data", "bad_field"),
    [
        pytest.param(
            {"to_agency": "health", "event_ids": [SAME_EVENT, SAME_EVENT]},
            "data.event_ids",
            id="share",
        ),
        pytest.param(
            {
                "decision": "strategy discussion",
                "information_relied_on": [SAME_EVENT, SAME_EVENT.upper()],
            },
            "data.information_relied_on",
            id="decision",
        ),
    ],
)
def test_an_event_named_twice_in_a_list_of_events_is_refused(
    data: dict[str, Any], bad_field: str
) -> None:
    """A share or a decision's basis is a set of events: one named twice (even in other
    letter case) would count the same information twice."""
    kind = "information_shared" if "to_agency" in data else "decision_made"
    with pytest.raises(InvalidEventError) as refused:
        parse_event(_raw({"type": kind, "data": data}))
    (error,) = refused.value.errors
    assert error.field == bad_field
    assert "more than once" in error.reason


@pytest.mark.parametrize("missing", ["type", "case_id", "occurred_at", "agency"])
def test_each_required_envelope_field_is_named_when_missing(missing: str) -> None:
    """type, case_id, occurred_at and agency are required by every event."""
    raw = _raw({"type": "note_added"})
    del raw[missing]
    assert _refused_fields(raw) == {missing}


def test_envelope_and_data_errors_are_reported_together() -> None:
    """One refusal names every bad field, the envelope's and the data's, not just the first."""
    raw = _raw({"type": "plan_started", "significance": "huge", "data": {"kind": "other"}})
    assert _refused_fields(raw) == {"significance", "data.plan_id", "data.kind"}


def test_field_paths_carry_the_batch_prefix() -> None:
    """Inside a batch each field path starts with the event's index."""
    raw = _raw({"type": "plan_started", "data": {"kind": "child_protection"}})
    assert _refused_fields(raw, prefix="3") == {"3.data.plan_id"}


@pytest.mark.parametrize(
    ("raw", "bad_field"),
    [
        (["not", "an", "object"], "(event)"),
        ({**BASE, "type": "note_added", "data": "text"}, "data"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused(raw: Any, bad_field: str) -> None:
    """An event that is not an object, or whose data is not an object, is refused."""
    assert _refused_fields(raw) == {bad_field}
