"""The statutory types of the vocabulary (core groups, legal status, placements, missing
episodes, emergency protection): their fields, their invariants, who records them."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from api.formats.tables import headline
from domain.errors import InvariantViolation, NotPermitted, UnknownReference
from domain.recording_rights import Recorder, check_may_record
from domain.service import CaseService
from events.envelope import EventEnvelope, InvalidEventError, parse_event
from projections.fold import ChronologyEntry
from tests.conftest import event
from tests.unit.test_invariants import add_people, correct, record, refuse, retract

CHILD = "child-ava"
_positions = itertools.count(1)


def placement(
    event_type: str, placement_id: str = "PL1", occurred_at: str | None = None, **data: Any
) -> EventEnvelope:
    when = {"occurred_at": occurred_at} if occurred_at else {}
    return event(
        event_type, data={"placement_id": placement_id, "person_id": CHILD, **data}, **when
    )


def missing(started: str, ended: str | None = None, **data: Any) -> EventEnvelope:
    when = {"ended": ended} if ended else {}
    return event(
        "missing_episode_recorded",
        occurred_at=started,
        data={"person_id": CHILD, "started": started, **when, **data},
    )


def invalid_fields(raw_data: dict[str, Any], event_type: str) -> list[str]:
    with pytest.raises(InvalidEventError) as raised:
        event(event_type, data=raw_data)
    return [error.field for error in raised.value.errors]


# -- fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("legal_status_changed", {"status": "C3"}, "data.status"),
        ("legal_status_changed", {}, "data.status"),
        ("placement_started", {"placement_id": "PL1", "kind": "H5"}, "data.kind"),
        ("placement_started", {"placement_id": "PL1", "reason": "X"}, "data.reason"),
        ("placement_started", {"placement_id": "PL1", "provider": "PR9"}, "data.provider"),
        ("placement_started", {"placement_id": "PL1", "postcode": "AB1 2C"}, "data.postcode"),
        ("placement_started", {"placement_id": "PL1", "postcode": "1AB 2CD"}, "data.postcode"),
        (
            "placement_started",
            {"placement_id": "PL1", "home_postcode": "LS1 AP"},
            "data.home_postcode",
        ),
        ("placement_started", {"kind": "U6"}, "data.placement_id"),
        ("placement_ended", {"placement_id": "PL1", "reason": "E1"}, "data.reason"),
        ("missing_episode_recorded", {"person_id": CHILD}, "data.started"),
        (
            "missing_episode_recorded",
            {"person_id": CHILD, "started": "2024-03-01", "kind": "absent"},
            "data.kind",
        ),
        ("emergency_protection", {"kind": "section_47"}, "data.kind"),
        ("emergency_protection", {}, "data.kind"),
        ("plan_reviewed", {"plan_id": "LAC", "participation": "PN8"}, "data.participation"),
        (
            "person_added",
            {"person_id": "a", "role": "child", "upn_unknown_reason": "UN11"},
            "data.upn_unknown_reason",
        ),
        (
            "person_added",
            {
                "person_id": "a",
                "role": "child",
                "upn": "A123456789012",
                "upn_unknown_reason": "UN1",
            },
            "data.upn_unknown_reason",
        ),
        (
            "worker_allocated",
            {"worker": "w", "registration_number": "12345"},
            "data.registration_number",
        ),
        (
            "worker_allocated",
            {"worker": "w", "registration_number": "SW12A"},
            "data.registration_number",
        ),
        ("worker_unallocated", {"worker": "w", "reason": "BORED"}, "data.reason"),
        (
            "placement_started",
            {"placement_id": "PL1", "previous_permanence": "P5"},
            "data.previous_permanence",
        ),
        (
            "placement_started",
            {"placement_id": "PL1", "previous_permanence": "Z1", "permanence_date": "2020-01-01"},
            "data.permanence_date",
        ),
        (
            "placement_started",
            {"placement_id": "PL1", "permanence_authority": "383"},
            "data.permanence_authority",
        ),
        (
            "placement_started",
            {
                "placement_id": "PL1",
                "previous_permanence": "P2",
                "permanence_authority": "E08000035",
            },
            "data.permanence_authority",
        ),
    ],
)
def test_statutory_codes_outside_the_dfe_lists_are_refused(
    event_type: str, data: dict[str, Any], field: str
) -> None:
    """A code the DfE's SSDA903 lists do not hold, or a missing required field, is a 422
    naming the field."""
    assert invalid_fields(data, event_type) == [field]


def test_the_dfe_codes_are_accepted_and_a_postcode_is_kept_in_capitals() -> None:
    """Every legal status code reads; a partial or full postcode is normalised, not refused."""
    for status in ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"):
        assert event("legal_status_changed", data={"status": status}).data["status"] == status
    started = event(
        "placement_started",
        data={"placement_id": "PL1", "kind": "U6", "provider": "PR1", "postcode": " ab1  2 "},
    )
    assert started.data["postcode"] == "AB1 2"
    # A full postcode is kept whole (the DfE's return wants it), with its space.
    for given, kept in (("ls1 4ap", "LS1 4AP"), ("LS14AP", "LS1 4AP"), ("sw1a 1aa", "SW1A 1AA")):
        full = event("placement_started", data={"placement_id": "PL1", "postcode": given,
                                                "home_postcode": given})  # fmt: skip
        assert full.data["postcode"] == full.data["home_postcode"] == kept
    child = {"person_id": "a", "role": "child"}
    assert (
        event("person_added", data={**child, "upn_unknown_reason": "UN1"}).data[
            "upn_unknown_reason"
        ]
        == "UN1"
    )
    allocated = event("worker_allocated", data={"worker": "w", "registration_number": "SW70012"})
    assert allocated.data["registration_number"] == "SW70012"
    assert event("worker_unallocated", data={"worker": "w", "reason": "LEFTRL"}).data["reason"]
    permanence = {"previous_permanence": "P2", "permanence_date": "2019-06-01",
                  "permanence_authority": "383"}  # fmt: skip
    started = event("placement_started", data={"placement_id": "PL1", **permanence})
    assert started.data["permanence_authority"] == "383"
    for code in ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"):
        reviewed = event("plan_reviewed", data={"plan_id": "LAC", "participation": code})
        assert reviewed.data["participation"] == code


# -- invariants ------------------------------------------------------------------------------


def test_a_placement_ends_only_once_started(service: CaseService) -> None:
    """Ending a placement the case never started is refused on data.placement_id."""
    add_people(service, CHILD)
    error = refuse(service, [placement("placement_ended")], InvariantViolation, "data.placement_id")
    assert "never started" in error.reason


def test_a_placement_cannot_end_twice(service: CaseService) -> None:
    """An ended placement is not ended again."""
    add_people(service, CHILD)
    service.append([placement("placement_started"), placement("placement_ended")])
    error = refuse(service, [placement("placement_ended")], InvariantViolation, "data.placement_id")
    assert "already ended" in error.reason


def test_a_placement_id_is_started_once(service: CaseService) -> None:
    """A second start of the same placement_id is refused; another id is a new placement."""
    add_people(service, CHILD)
    record(service, placement("placement_started"))
    error = refuse(
        service, [placement("placement_started")], InvariantViolation, "data.placement_id"
    )
    assert "already been started" in error.reason
    assert service.append([placement("placement_started", "PL2")]).new_count == 1


def test_a_retracted_placement_start_can_be_recorded_anew(service: CaseService) -> None:
    """Retracting a start withdraws it from the invariants: it cannot be ended, and may be
    started again."""
    add_people(service, CHILD)
    started = record(service, placement("placement_started"))
    record(service, retract(started))
    refuse(service, [placement("placement_ended")], InvariantViolation, "data.placement_id")
    assert service.append([placement("placement_started")]).new_count == 1


def test_a_start_and_its_end_in_one_batch_are_accepted(service: CaseService) -> None:
    """The invariants see the earlier events of the same batch."""
    add_people(service, CHILD)
    batch = [placement("placement_started"), placement("placement_ended", reason="E13")]
    assert service.append(batch).new_count == 2


def test_a_missing_episode_cannot_end_before_it_started(service: CaseService) -> None:
    """`ended` before `started` is a 422 naming data.ended; the same day is accepted."""
    add_people(service, CHILD)
    backwards = missing("2024-03-02T22:00", "2024-03-02T21:00")
    refuse(service, [backwards], InvalidEventError, "data.ended")
    refuse(service, [missing("2024-03-02", "2024-03-01")], InvalidEventError, "data.ended")
    assert service.append([missing("2024-03-02T21:00", "2024-03-02")]).new_count == 1
    assert service.append([missing("2024-03-03T21:00")]).new_count == 1


def test_a_placement_cannot_end_before_it_started(service: CaseService) -> None:
    """An end dated before its placement's start is a 422 naming occurred_at; the same day
    (or a date on the start's day) is accepted."""
    add_people(service, CHILD)
    record(service, placement("placement_started", occurred_at="2024-03-05T10:00"))
    early = placement("placement_ended", occurred_at="2024-03-04", reason="E13")
    error = refuse(service, [early], InvalidEventError, "occurred_at")
    assert "before placement 'PL1' started" in error.errors[0].reason
    earlier_that_day = placement("placement_ended", occurred_at="2024-03-05T09:00", reason="E13")
    refuse(service, [earlier_that_day], InvalidEventError, "occurred_at")
    same_day = placement("placement_ended", occurred_at="2024-03-05", reason="E13")
    assert service.append([same_day]).new_count == 1


def test_a_correction_cannot_move_a_missing_episodes_end_before_its_start(
    service: CaseService,
) -> None:
    """The corrected episode is checked as its type is: `ended` corrected to before `started`
    (or `started` to after `ended`) is a 422 naming the corrected field, and a later
    correction is checked against the episode as corrected so far."""
    add_people(service, CHILD)
    episode = record(service, missing("2024-03-02T21:00", "2024-03-03T08:00"))
    where = "data.changes.data"
    refuse(service, [correct(episode, data={"ended": "2024-03-01"})], InvalidEventError,
           f"{where}.ended")  # fmt: skip
    refuse(service, [correct(episode, data={"started": "2024-03-04"})], InvalidEventError,
           f"{where}.started")  # fmt: skip
    record(service, correct(episode, data={"ended": "2024-03-05"}))
    assert service.append([correct(episode, data={"started": "2024-03-04"})]).new_count == 1
    refuse(service, [correct(episode, data={"ended": "2024-03-03"})], InvalidEventError,
           f"{where}.ended")  # fmt: skip


def test_a_correction_cannot_move_a_placements_end_before_its_start(
    service: CaseService,
) -> None:
    """Correcting an end's occurred_at to before the start, or the start's to after the end,
    is a 422 naming data.changes.occurred_at; a correction keeping the order is accepted."""
    add_people(service, CHILD)
    started = record(service, placement("placement_started", occurred_at="2024-03-05"))
    ended = record(service, placement("placement_ended", occurred_at="2024-04-01", reason="E13"))
    where = "data.changes.occurred_at"
    refuse(service, [correct(ended, occurred_at="2024-03-01")], InvalidEventError, where)
    refuse(service, [correct(started, occurred_at="2024-04-02")], InvalidEventError, where)
    assert service.append([correct(started, occurred_at="2024-03-20")]).new_count == 1
    refuse(service, [correct(ended, occurred_at="2024-03-10")], InvalidEventError, where)


@pytest.mark.parametrize(
    "draft",
    [
        event("legal_status_changed", data={"status": "V2", "person_id": "child-nobody"}),
        placement("placement_started", person_id="child-nobody"),
        event(
            "missing_episode_recorded",
            data={"person_id": "child-nobody", "started": "2024-03-01"},
        ),
        event("emergency_protection", data={"kind": "epo", "person_id": "child-nobody"}),
    ],
    ids=["legal_status", "placement", "missing", "emergency_protection"],
)
def test_the_child_named_must_be_a_person_of_the_case(
    service: CaseService, draft: EventEnvelope
) -> None:
    """A person_id the case has not added is an unknown reference on data.person_id."""
    add_people(service, CHILD)
    error = refuse(service, [draft], UnknownReference, "data.person_id")
    assert "child-nobody" in error.reason


def test_a_core_group_names_only_a_started_plan(service: CaseService) -> None:
    """A core group of a plan never started is refused; of a started plan, or of no plan
    named, it is recorded."""
    add_people(service, CHILD)
    refuse(
        service,
        [event("core_group_held", data={"plan_id": "CP1"})],
        InvariantViolation,
        "data.plan_id",
    )
    record(service, event("plan_started", data={"plan_id": "CP1", "kind": "child_protection"}))
    held = event("core_group_held", data={"plan_id": "CP1", "agencies": ["health", "School"]})
    assert service.append([held, event("core_group_held")]).new_count == 2


# -- who records them ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["practitioner", "manager"])
@pytest.mark.parametrize(
    "event_type",
    [
        "core_group_held",
        "legal_status_changed",
        "placement_started",
        "placement_ended",
        "missing_episode_recorded",
        "emergency_protection",
    ],
)
def test_practitioners_and_managers_record_them_for_their_agency(
    role: str, event_type: str
) -> None:
    """Like other entries: a practitioner or manager for their own agency, not for another."""
    data = {
        "core_group_held": {},
        "legal_status_changed": {"status": "C2"},
        "placement_started": {"placement_id": "PL1"},
        "placement_ended": {"placement_id": "PL1"},
        "missing_episode_recorded": {"person_id": CHILD, "started": "2024-03-01"},
        "emergency_protection": {"kind": "police_protection"},
    }[event_type]
    draft = event(event_type, data=data, recorded_by=None)
    check_may_record(Recorder("sw-1", role, "social_care"), draft, lambda *_: None)
    with pytest.raises(NotPermitted):
        check_may_record(Recorder("pc-1", role, "police"), draft, lambda *_: None)
    with pytest.raises(NotPermitted):
        check_may_record(Recorder("rev-1", "reviewer", "social_care"), draft, lambda *_: None)


# -- in words --------------------------------------------------------------------------------


def chronology_entry(
    event_type: str,
    data: dict[str, Any],
    occurred_at: str = "2024-03-01",
    subjects: tuple[str, ...] = (),
    case_id: str = "FAM-1",
) -> ChronologyEntry:
    """An entry as a chronology shows it, built without a store."""
    stored = parse_event(
        {
            "type": event_type,
            "case_id": case_id,
            "occurred_at": occurred_at,
            "agency": "social_care",
            "subjects": list(subjects),
            "data": data,
        }
    )
    return ChronologyEntry.model_validate(
        {
            **stored.model_dump(mode="json", exclude={"source_recorded_at"}),
            "event_id": uuid.uuid4(),
            "recorded_at": "2024-03-01T12:00:00+00:00",
            "known_at": "2024-03-01T12:00:00+00:00",
            "position": next(_positions),
            "version": 1,
            "recorded_while_closed": False,
            "corrected": False,
            "amendments": [],
            "retracted": False,
        }
    )


@pytest.mark.parametrize(
    ("event_type", "data", "words"),
    [
        ("core_group_held", {"plan_id": "CP1", "outcome": "Plan updated"},
         "Core group of plan CP1 met: Plan updated"),
        ("legal_status_changed", {"status": "C2", "person_id": CHILD},
         "Legal status for child-ava: Full care order (C2)"),
        ("placement_started", {"placement_id": "PL1", "kind": "U6"},
         "Placement PL1 started (placement type U6)"),
        ("placement_ended", {"placement_id": "PL1", "reason": "E13"},
         "Placement PL1 ended (reason E13)"),
        ("missing_episode_recorded",
         {"person_id": CHILD, "started": "2024-03-01", "ended": "2024-03-02", "kind": "away"},
         "Away without authorisation: child-ava from 2024-03-01 to 2024-03-02"),
        ("missing_episode_recorded", {"person_id": CHILD, "started": "2024-03-01"},
         "Missing: child-ava from 2024-03-01, not yet returned"),
        ("emergency_protection", {"kind": "epo", "ends": "2024-03-09"},
         "Emergency protection order, until 2024-03-09"),
    ],
)  # fmt: skip
def test_each_statutory_entry_has_a_headline_in_plain_words(
    event_type: str, data: dict[str, Any], words: str
) -> None:
    """An entry without a summary is still shown as a sentence in tables and pages."""
    assert headline(chronology_entry(event_type, data)) == words
