"""Annex A lists 1-8 from hand-built cases, folded directly (no store): exact rows per list, as
known at two times, to the whole record and to social care, at the period's boundaries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from events.envelope import parse_event
from events.recorded import RecordedEvent
from events.timepoints import parse_instant
from projections.fold import chronology
from replay.annex_a import BLANK_COLUMNS, LISTS, AnnexA, annex_a, year_before

PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 6, 30)}
BEFORE_LATE = parse_instant("2024-07-01T12:00")  # the late contact and the plan's end unknown
AFTER_LATE = parse_instant("2024-08-02T12:00")
RECORDED = parse_instant("2024-09-01T12:00")


def event_id(case_id: str, name: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:test:annex-a:{case_id}:{name}"))


def raw(
    case_id: str,
    name: str,
    type_: str,
    occurred: str,
    subjects: tuple[str, ...] = (),
    agency: str = "social_care",
    known: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    """An event recorded by its agency at `known` (default: when it happened)."""
    return {
        "event_id": event_id(case_id, name),
        "type": type_,
        "case_id": case_id,
        "occurred_at": occurred,
        "agency": agency,
        "recorded_by": f"{agency}-worker",
        "source_recorded_at": known or occurred,
        "subjects": list(subjects),
        "data": data,
    }


def child(case_id: str, person: str, born: str, added: str, **data: Any) -> dict[str, Any]:
    return raw(
        case_id,
        person,
        "person_added",
        added,
        (person,),
        person_id=person,
        role="child",
        date_of_birth=born,
        **data,
    )


def annex_story() -> list[dict[str, Any]]:
    """Three families, in the order they reached the store.

    AX-1: Ava and Ben. Ava had a plan in 2022 and the case closed; a police referral on
    1 January 2024 leads to a single assessment, a section 47 enquiry and a child protection
    plan from 28 February (neglect; Ava's category changes to physical at the May review). A
    school referral of 1 March is recorded late (1 August), and so is the plan's end on 30 June
    (5 July). Ben's early help assessment (by the early help service) ended in January; the
    health visitor saw him during the assessment, unshared with social care.
    Social care allocated the case to a worker on 2 January 2024, the police to theirs on 1
    March; Ben was taken into police protection on 20 February.
    AX-2: Cal, looked after in 2023 and again from March 2024 (an interim care order, then a
    full one; a foster placement, then a children's home; missing twice and away once); held
    by a worker of the children in care team; a family contact names no child.
    AX-3: Dan, referred in 2023 (closed) and again in February 2024, closed after assessment.
    """
    a, b, c = "AX-1", "AX-2", "AX-3"
    both = ("ava", "ben")
    return [
        child(
            a, "ava", "2015-06-01", "2022-01-01", sex="F", ethnicity="WBRI", disabilities=["NONE"]
        ),
        child(
            a, "ben", "2020-02-29", "2022-01-01", sex="M", ethnicity="MWBC", disabilities=["AUT"]
        ),
        raw(a, "mum", "person_added", "2022-01-01", ("mum",), person_id="mum", role="adult"),
        raw(
            a,
            "cp0",
            "plan_started",
            "2022-01-10",
            ("ava",),
            plan_id="CP0",
            kind="child_protection",
            category="SAB",
        ),
        raw(a, "cp0-end", "plan_ended", "2022-12-31", ("ava",), plan_id="CP0"),
        raw(a, "closed", "case_closed", "2023-01-05", reason_code="RC7"),
        raw(
            a,
            "eh",
            "assessment_started",
            "2023-11-01",
            ("ben",),
            agency="early_help",
            assessment_id="EH1",
            kind="early_help",
        ),
        raw(
            a,
            "contact-before",
            "contact_received",
            "2023-12-31",
            ("ava",),
            contact_kind="concern",
            outcome="no_further_action",
            referral_source="3B",
        ),
        raw(a, "reopened", "case_reopened", "2024-01-01"),
        raw(
            a,
            "referral",
            "contact_received",
            "2024-01-01",
            (*both, "mum"),
            contact_kind="referral",
            outcome="assessment",
            referral_source="6",
            primary_need="N1",
        ),
        raw(a, "a1", "assessment_started", "2024-01-03", both, assessment_id="A1", kind="single"),
        raw(a, "ash", "worker_allocated", "2024-01-02", worker="sw-ash", team="Assessment"),
        raw(a, "pc", "worker_allocated", "2024-03-01", agency="police", worker="pc-1", team="MASH"),
        raw(
            a,
            "ben-pp",
            "emergency_protection",
            "2024-02-20",
            ("ben",),
            agency="police",
            kind="police_protection",
            person_id="ben",
        ),
        raw(a, "ava-seen-1", "child_seen", "2024-01-10", ("ava",), seen_alone=True),
        raw(
            a,
            "ben-seen-health",
            "child_seen",
            "2024-01-11",
            ("ben",),
            agency="health",
            seen_alone=False,
        ),
        raw(
            a,
            "eh-done",
            "assessment_completed",
            "2024-01-15",
            ("ben",),
            agency="early_help",
            assessment_id="EH1",
        ),
        raw(
            a,
            "a1-done",
            "assessment_completed",
            "2024-02-10",
            both,
            assessment_id="A1",
            factors=["3A"],
        ),
        raw(a, "strategy", "strategy_discussion_held", "2024-02-12", both, outcome="section_47"),
        raw(
            a,
            "s47",
            "assessment_started",
            "2024-02-13",
            both,
            assessment_id="S47",
            kind="section_47",
        ),
        raw(
            a,
            "icpc",
            "conference_held",
            "2024-02-28",
            both,
            kind="initial",
            outcome="child_protection_plan",
            category="neglect",
        ),
        raw(
            a,
            "cp1",
            "plan_started",
            "2024-02-28",
            both,
            plan_id="CP1",
            kind="child_protection",
            category="NEG",
        ),
        raw(a, "rcpc", "conference_held", "2024-05-20", ("ava",), kind="review", category="PHY"),
        raw(a, "cp1-review", "plan_reviewed", "2024-05-20", both, plan_id="CP1"),
        raw(a, "ava-seen-2", "child_seen", "2024-06-01", ("ava",), seen_alone=False),
        raw(a, "ben-seen-2", "child_seen", "2024-06-02", ("ben",)),
        raw(
            a,
            "contact-evening",
            "contact_received",
            "2024-06-30T23:30",
            ("ava",),
            contact_kind="concern",
            outcome="no_further_action",
            referral_source="2A",
        ),
        raw(
            a,
            "contact-after",
            "contact_received",
            "2024-07-01T00:30",
            ("ava",),
            contact_kind="concern",
            outcome="no_further_action",
            referral_source="2A",
        ),
        raw(a, "cp1-end", "plan_ended", "2024-06-30", both, known="2024-07-05", plan_id="CP1"),
        raw(
            a,
            "late-contact",
            "contact_received",
            "2024-03-01",
            ("ava",),
            known="2024-08-01",
            contact_kind="referral",
            outcome="assessment",
            referral_source="2A",
        ),
        child(b, "cal", "2010-03-01", "2023-04-01", sex="U"),
        raw(
            b,
            "cal-referral",
            "contact_received",
            "2023-05-01",
            ("cal",),
            contact_kind="referral",
            outcome="assessment",
            referral_source="1A",
            primary_need="N5",
        ),
        raw(b, "lac1", "plan_started", "2023-06-01", ("cal",), plan_id="LAC1", kind="looked_after"),
        raw(b, "pl0", "placement_started", "2023-06-01", ("cal",), placement_id="PL0", kind="U4"),
        raw(b, "lac1-end", "plan_ended", "2023-09-01", ("cal",), plan_id="LAC1"),
        raw(
            b,
            "pl0-end",
            "placement_ended",
            "2023-09-01",
            ("cal",),
            placement_id="PL0",
            reason="E4A",
        ),
        raw(b, "old", "worker_allocated", "2024-02-01", worker="sw-old", team="Assessment"),
        raw(b, "old-end", "worker_unallocated", "2024-05-01", worker="sw-old"),
        raw(b, "cole", "worker_allocated", "2024-03-01", worker="sw-cole", team="Children in care"),
        raw(b, "ico", "legal_status_changed", "2024-03-01", ("cal",), status="C1", person_id="cal"),
        raw(b, "fco", "legal_status_changed", "2024-05-10", ("cal",), status="C2", person_id="cal"),
        raw(
            b,
            "pla",
            "placement_started",
            "2024-03-01",
            ("cal",),
            placement_id="PLA",
            person_id="cal",
            kind="U6",
            provider="PR1",
            postcode="LS1 4",
            reason="S",
        ),
        raw(b, "pla-end", "placement_ended", "2024-04-15", placement_id="PLA", reason="X1"),
        raw(
            b,
            "plb",
            "placement_started",
            "2024-04-15",
            ("cal",),
            placement_id="PLB",
            person_id="cal",
            kind="K2",
            provider="PR4",
            postcode="LS6 2",
            urn="SC123456",
            reason="P",
            change_reason="CARPL",
        ),
        raw(
            b,
            "m1",
            "missing_episode_recorded",
            "2024-04-20",
            ("cal",),
            person_id="cal",
            started="2024-04-20T22:00",
            ended="2024-04-21",
            return_interview_offered=True,
        ),
        raw(
            b,
            "m2",
            "missing_episode_recorded",
            "2024-05-05",
            ("cal",),
            person_id="cal",
            started="2024-05-05T20:00",
            kind="away",
        ),
        raw(
            b,
            "m3",
            "missing_episode_recorded",
            "2024-06-10",
            ("cal",),
            person_id="cal",
            started="2024-06-10T20:00",
            ended="2024-06-10T23:00",
            kind="missing",
            return_interview_offered=False,
        ),
        raw(b, "family-contact", "contact_received", "2024-02-02", contact_kind="concern"),
        raw(b, "lac2", "plan_started", "2024-03-01", ("cal",), plan_id="LAC2", kind="looked_after"),
        raw(b, "lac2-review", "plan_reviewed", "2024-04-01", ("cal",), plan_id="LAC2"),
        raw(b, "cal-seen", "child_seen", "2024-04-02", ("cal",), seen_alone=True),
        child(c, "dan", "2012-12-01", "2022-12-01", sex="M", ethnicity="NOBT"),
        raw(
            c,
            "dan-referral-1",
            "contact_received",
            "2023-01-01",
            ("dan",),
            contact_kind="referral",
            outcome="assessment",
            referral_source="5D",
            primary_need="N9",
        ),
        raw(c, "dan-closed-1", "case_closed", "2023-02-01", reason_code="RC8"),
        raw(c, "dan-reopened", "case_reopened", "2024-02-01"),
        raw(
            c,
            "dan-referral-2",
            "contact_received",
            "2024-02-01",
            ("dan",),
            contact_kind="request_for_help",
            outcome="strategy_discussion",
            referral_source="5D",
            primary_need="N4",
        ),
        raw(c, "d1", "assessment_started", "2024-02-02", ("dan",), assessment_id="D1"),
        raw(c, "d1-done", "assessment_completed", "2024-03-14", ("dan",), assessment_id="D1"),
        raw(c, "dan-closed-2", "case_closed", "2024-03-15", reason_code="RC8"),
    ]


def stored(raws: list[dict[str, Any]]) -> list[RecordedEvent]:
    """The events as a store would return them, all stored on `RECORDED`."""
    versions: dict[str, int] = {}
    found = []
    for position, item in enumerate(raws, start=1):
        envelope = parse_event(item)
        versions[envelope.case_id] = versions.get(envelope.case_id, 0) + 1
        found.append(
            RecordedEvent.from_stored(
                {**envelope.model_dump(mode="json"), "schema_version": 1},
                recorded_at=RECORDED,
                position=position,
                version=versions[envelope.case_id],
                prev_hash="",
                hash="",
            )
        )
    return found


def folded(as_known_at: datetime, agency: str | None = None, **period: date) -> AnnexA:
    events = stored(annex_story())
    cases = sorted({event.case_id for event in events})
    chronologies = {
        case: chronology(
            [e for e in events if e.case_id == case], as_known_at=as_known_at, agency=agency
        )
        for case in cases
    }
    return annex_a(chronologies, as_known_at=as_known_at, agency=agency, **(period or PERIOD))


AVA = ("ava", "b) Female", "a) WBRI", date(2015, 6, 1), 9)
BEN = ("ben", "a) Male", "f) MWBC", date(2020, 2, 29), 4)
CAL = ("cal", "c) Not stated/recorded", None, date(2010, 3, 1), 14)
DAN = ("dan", "a) Male", "t) NOBT", date(2012, 12, 1), 11)
NO_ONE = (None, None)  # allocated team and worker: no one holds the case
AX1 = ("Assessment; MASH", "pc-1; sw-ash")  # social care's and the police's workers
AX1_TO_SOCIAL_CARE = ("Assessment", "sw-ash")
AX2 = ("Children in care", "sw-cole")


def test_list_1_contacts_in_the_period_both_days_included_at_local_dates() -> None:
    assert folded(BEFORE_LATE).rows[1] == [
        (*AVA, date(2024, 1, 1), "q) 6: Police"),
        (*AVA, date(2024, 6, 30), "e) 2A: Schools"),  # 23:30 on the last day, London time
        (*BEN, date(2024, 1, 1), "q) 6: Police"),
        (*DAN, date(2024, 2, 1), "p1) 5D: LA services"),
    ]


def test_list_2_early_help_assessments_and_the_organisation_that_completed_them() -> None:
    assert folded(BEFORE_LATE).rows[2] == [
        (*BEN, date(2023, 11, 1), date(2024, 1, 15), "early_help")
    ]
    assert folded(BEFORE_LATE, agency="social_care").rows[2] == []  # never shared


def test_list_3_referrals_and_the_late_one_absent_as_known_before_it_was_recorded() -> None:
    before = [
        (*AVA, date(2024, 1, 1), "q) 6: Police", "b) No", 1, *AX1),
        (*BEN, date(2024, 1, 1), "q) 6: Police", "b) No", 1, *AX1),
        (*DAN, date(2024, 2, 1), "p1) 5D: LA services", "b) No", 1, *NO_ONE),
    ]
    assert folded(BEFORE_LATE).rows[3] == before
    assert folded(AFTER_LATE).rows[3] == [
        (*AVA, date(2024, 1, 1), "q) 6: Police", "b) No", 2, *AX1),
        (*AVA, date(2024, 3, 1), "e) 2A: Schools", "b) No", 2, *AX1),
        *before[1:],
    ]


def test_list_4_assessments_with_the_child_seen_as_known_to_the_viewer() -> None:
    rows = [
        (*AVA, "b) No", date(2024, 1, 3), "a) Yes", date(2024, 2, 10), None, *AX1),
        (*BEN, "a) Yes", date(2024, 1, 3), "a) Yes", date(2024, 2, 10), None, *AX1),
        (*DAN, "c) Unknown", date(2024, 2, 2), "b) No", date(2024, 3, 14), None, *NO_ONE),
    ]
    assert folded(BEFORE_LATE).rows[4] == rows
    # The health visitor's visit was never shared, and is not social care's visit anyway.
    seen_by_social_care = folded(BEFORE_LATE, agency="social_care").rows[4]
    assert seen_by_social_care[1] == (
        *BEN,
        "a) Yes",
        date(2024, 1, 3),
        "b) No",
        date(2024, 2, 10),
        None,
        *AX1_TO_SOCIAL_CARE,
    )


def test_list_5_section_47_enquiries_from_the_strategy_discussion_to_the_conference() -> None:
    assert folded(BEFORE_LATE).rows[5] == [
        (*AVA, "b) No", date(2024, 2, 12), "b) No", date(2024, 2, 28), "a) Yes", 1, 1, *AX1),
        (*BEN, "a) Yes", date(2024, 2, 12), "b) No", date(2024, 2, 28), "a) Yes", 1, 1, *AX1),
    ]


def test_list_6_children_in_need_episodes_open_in_the_period() -> None:
    assert folded(BEFORE_LATE).rows[6] == [
        (
            *AVA,
            "b) No",
            date(2024, 1, 1),
            "N1 - Abuse or neglect",
            date(2024, 6, 1),
            None,
            None,
            "b) Child Protection plan",
            *AX1,
        ),
        (
            *BEN,
            "a) Yes",
            date(2024, 1, 1),
            "N1 - Abuse or neglect",
            date(2024, 6, 2),
            None,
            None,
            "b) Child Protection plan",
            *AX1,
        ),
        (
            *CAL,
            "c) Unknown",
            date(2023, 5, 1),
            "N5 - Family dysfunction",
            date(2024, 4, 2),
            None,
            None,
            "a) Looked after child",
            *AX2,
        ),
        (
            *DAN,
            "c) Unknown",
            date(2024, 2, 1),
            "N4 - Family in acute stress",
            None,
            date(2024, 3, 15),
            "RC8 - Case closed after assessment, no further action",
            "e) Closed episode",
            *NO_ONE,
        ),
    ]


def test_list_7_child_protection_with_the_last_visit_and_whether_seen_alone() -> None:
    def rows(ended: date | None) -> list[tuple[Any, ...]]:
        return [
            (
                *AVA,
                "b) No",
                date(2024, 2, 28),
                "a) Neglect",
                "b) Physical abuse",
                date(2024, 6, 1),
                "b) No",
                date(2024, 5, 20),
                ended,
                "b) No",
                1,
                *AX1,
            ),
            (
                *BEN,
                "a) Yes",
                date(2024, 2, 28),
                "a) Neglect",
                "a) Neglect",
                date(2024, 6, 2),
                "c) Unknown",
                date(2024, 5, 20),
                ended,
                "a) Yes",  # police protection on 20 February
                0,
                *AX1,
            ),
        ]

    assert folded(BEFORE_LATE).rows[7] == rows(None)
    assert folded(AFTER_LATE).rows[7] == rows(date(2024, 6, 30))


def test_list_8_children_looked_after_only_what_the_vocabulary_holds() -> None:
    [row] = folded(BEFORE_LATE).rows[8]
    columns = LISTS[7].columns
    given = {column: value for column, value in zip(columns, row, strict=True) if value is not None}
    assert given == {
        "Child Unique ID": "cal",
        "Gender": "c) Not stated/recorded",
        "Date of Birth": date(2010, 3, 1),
        "Age of Child (Years)": 14,
        "Does the Child have a Disability": "c) Unknown",
        "Date Started to be Looked After": date(2024, 3, 1),
        "Child's Category of Need": "N5 - Family dysfunction",
        columns[9]: "a) Yes",  # the second period within 12 months of the first ending
        "Date of Latest Statutory Review": date(2024, 4, 1),
        "Date of Last Social Work Visit": date(2024, 4, 2),
        "Start date of current legal status": date(2024, 5, 10),
        "Child's Legal Status": "C2: FCO",
        "Number of Placements in the Last 12 months": 2,
        "Start Date of Most Recent Placement": date(2024, 4, 15),
        "Placement Type": "p) K2: Children's Homes",
        "Placement Provider": "e) PR4: Private provision",
        "Placement postcode": "LS6 2",
        "URN of Placement": "SC123456",
        columns[-6]: 2,  # missing from the placement in the last 12 months
        columns[-5]: 1,  # absent (away without authorisation)
        columns[-4]: "b) No",  # no return interview offered after the last one, 10 June
        "Allocated Team": "Children in care",
        "Allocated Worker": "sw-cole",
    }
    blank = {column for column, value in zip(columns, row, strict=True) if value is None}
    # Not recorded for Cal, or not yet happened; every other blank column is one the
    # vocabulary cannot answer.
    assert blank - set(BLANK_COLUMNS) == {
        "Ethnicity",
        "Date Ceased to be Looked After",
        "Reason Ceased to be Looked After",
    }


def test_list_8_a_period_of_care_ceased_gives_the_reason_its_placement_ended_for() -> None:
    """Cal's 2023 period: the placement ended on the day care ceased, for reason E4A; the
    row's columns stand as they did that day."""
    [row] = folded(BEFORE_LATE, period_from=date(2023, 4, 1), period_to=date(2023, 12, 31)).rows[8]
    given = dict(zip(LISTS[7].columns, row, strict=True))
    assert given["Date Started to be Looked After"] == date(2023, 6, 1)
    assert given["Date Ceased to be Looked After"] == date(2023, 9, 1)
    assert given["Reason Ceased to be Looked After"] == (
        "e) E4A: Returned home to live with parents or relatives - part of planning"
    )
    assert given["Placement Type"] == "d) U4: Foster placement - long term"
    assert given["Number of Placements in the Last 12 months"] == 1
    assert given["Child's Legal Status"] is None  # none recorded then
    assert (given["Allocated Team"], given["Allocated Worker"]) == NO_ONE  # none by 31 December


def test_a_period_ending_a_day_earlier_leaves_out_that_day() -> None:
    earlier = folded(BEFORE_LATE, period_from=date(2024, 1, 2), period_to=date(2024, 6, 29))
    assert [row[5] for row in earlier.rows[1]] == [date(2024, 2, 1)]
    assert earlier.rows[3] == [
        (*DAN[:4], 11, date(2024, 2, 1), "p1) 5D: LA services", "b) No", 1, *NO_ONE)
    ]


def test_a_fact_naming_no_child_is_reported_not_guessed() -> None:
    left_out = folded(BEFORE_LATE).left_out
    assert [(item.case_id, item.event_id, item.type) for item in left_out] == [
        ("AX-2", event_id("AX-2", "family-contact"), "contact_received")
    ]


def test_every_row_has_every_column_of_its_list() -> None:
    annex = folded(AFTER_LATE)
    for spec in LISTS:
        assert all(len(row) == len(spec.columns) for row in annex.rows[spec.number])
        assert len(spec.sheet) <= 31


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 2, 29), date(2023, 2, 28)),
        (date(2024, 3, 1), date(2023, 3, 1)),
        (date(1, 5, 1), date.min),
    ],
)
def test_a_year_before(day: date, expected: date) -> None:
    assert year_before(day) == expected


def folded_from(
    raws: list[dict[str, Any]],
    as_known_at: datetime,
    period_from: date = PERIOD["period_from"],
    period_to: date = PERIOD["period_to"],
) -> AnnexA:
    events = stored(raws)
    chronologies = {
        case: chronology([e for e in events if e.case_id == case], as_known_at=as_known_at)
        for case in sorted({event.case_id for event in events})
    }
    return annex_a(
        chronologies, as_known_at=as_known_at, period_from=period_from, period_to=period_to
    )


def test_list_8_a_child_in_care_with_no_looked_after_plan_has_a_row_per_period() -> None:
    """Eve: accommodated (V2) with a placement from 1 February 2024, no care plan recorded;
    home on 1 March (E4A), in care again from 20 April: two rows, the second a period within
    12 months of the first; a move (X1 and a new placement the same day) does not split it."""
    e = "FAM-E"
    eve = [
        child(e, "eve", "2014-01-05", "2024-01-20", sex="F"),
        raw(e, "v2", "legal_status_changed", "2024-02-01", ("eve",), status="V2", person_id="eve"),
        raw(e, "p1", "placement_started", "2024-02-01", ("eve",), placement_id="P1", kind="U6"),
        raw(e, "p1-end", "placement_ended", "2024-03-01", placement_id="P1", reason="E4A"),
        raw(e, "p2", "placement_started", "2024-04-20", ("eve",), placement_id="P2", kind="U6"),
        raw(e, "p2-end", "placement_ended", "2024-05-02", placement_id="P2", reason="X1"),
        raw(e, "p3", "placement_started", "2024-05-02", ("eve",), placement_id="P3", kind="K2"),
    ]  # fmt: skip
    rows = folded_from(eve, BEFORE_LATE).rows[8]
    columns = LISTS[7].columns
    found = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [
        (row["Date Started to be Looked After"], row["Date Ceased to be Looked After"])
        for row in found
    ] == [(date(2024, 2, 1), date(2024, 3, 1)), (date(2024, 4, 20), None)]
    assert found[0]["Reason Ceased to be Looked After"] == (
        "e) E4A: Returned home to live with parents or relatives - part of planning"
    )
    assert [row[columns[9]] for row in found] == ["b) No", "a) Yes"]
    assert found[1]["Placement Type"] == "p) K2: Children's Homes"
    assert found[1]["Date of Latest Statutory Review"] is None  # no plan, no review
    # Before her first placement, and with a looked-after plan covering the period: no row of
    # her own period (the plan's row answers for it).
    assert folded_from(eve, BEFORE_LATE, period_from=date(2024, 1, 1),
                       period_to=date(2024, 1, 31)).rows[8] == []  # fmt: skip
    planned = [*eve, raw(e, "lac", "plan_started", "2024-04-20", ("eve",), plan_id="L",
                         kind="looked_after")]  # fmt: skip
    starts = [row[columns.index("Date Started to be Looked After")]
              for row in folded_from(planned, BEFORE_LATE).rows[8]]  # fmt: skip
    assert starts == [date(2024, 2, 1), date(2024, 4, 20)]
