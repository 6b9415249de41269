"""Timeliness intervals on hand-built chronologies with known dates across bank holidays."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from events.timepoints import parse_timepoint
from projections.fold import Amendment, ChronologyEntry
from replay.timeliness import (
    ENGLAND,
    RULE_PACKS,
    WALES,
    Interval,
    RulePack,
    add_months,
    case_timeliness,
    summarise,
)
from replay.workingdays import WorkingDays

ENGLISH_DAYS = WorkingDays("GB", "ENG")
_positions = itertools.count(1)


def entry(
    type: str,
    occurred: str,
    agency: str = "social_care",
    *,
    known: str | None = None,
    subjects: tuple[str, ...] = ("ava",),
    amendments: tuple[Amendment, ...] = (),
    retracted: bool = False,
    **data: Any,
) -> ChronologyEntry:
    """A chronology entry as the read side gives it; known (and recorded) when it happened
    unless `known` says otherwise."""
    occurred_at = parse_timepoint(occurred)
    point = parse_timepoint(known) if known else occurred_at
    known_at = (
        point
        if isinstance(point, datetime)
        else datetime.combine(point, datetime.min.time(), tzinfo=UTC)
    )
    position = next(_positions)
    return ChronologyEntry(
        event_id=uuid.uuid4(),
        type=type,
        case_id="FAM-T",
        occurred_at=occurred_at,
        date_uncertain=False,
        agency=agency,
        recorded_by="someone",
        subjects=subjects,
        summary=None,
        significance="routine",
        impact=None,
        action=None,
        data=data,
        recorded_at=known_at,
        known_at=known_at,
        position=position,
        version=position,
        recorded_while_closed=False,
        corrected=bool(amendments),
        amendments=amendments,
        retracted=retracted,
    )


def intervals(
    entries: list[ChronologyEntry],
    on: str,
    rules: RulePack = ENGLAND,
) -> list[Interval]:
    return case_timeliness(entries, rules, rules.working_days(), date.fromisoformat(on)).intervals


def only(found: list[Interval], milestone: str) -> Interval:
    matching = [interval for interval in found if interval.milestone == milestone]
    assert len(matching) == 1, matching
    return matching[0]


def test_an_initial_conference_15_working_days_after_the_strategy_discussion_falls_on_its_date():
    """The convention: strategy discussion 18 December 2024 + 15 working days = 13 January 2025."""
    discussion = entry("strategy_discussion_held", "2024-12-18T14:00", outcome="section_47")
    conference = entry("conference_held", "2025-01-13T10:00", kind="initial")
    found = only(
        intervals([discussion, conference], "2025-02-01"),
        "strategy_discussion_to_initial_conference",
    )
    assert (found.from_date, found.to_date) == (date(2024, 12, 18), date(2025, 1, 13))
    assert (found.from_event_id, found.to_event_id) == (discussion.event_id, conference.event_id)
    assert found.status == "completed"
    assert found.calendar_days == 26
    assert found.working_days == 15
    assert found.timescale == "15 working days"
    assert found.timescale_working_days == 15
    assert found.timescale_date == date(2025, 1, 13)


def test_an_assessment_over_easter_2024_is_measured_from_its_start_and_from_the_contact() -> None:
    """Contact Friday 22 March, start Monday 25 March, completion 3 April 2024: Good Friday and
    Easter Monday are not working days; 45 working days from the contact end on 30 May."""
    contact = entry("contact_received", "2024-03-22T16:00", outcome="assessment")
    start = entry("assessment_started", "2024-03-25", assessment_id="A-1", kind="single")
    done = entry("assessment_completed", "2024-04-03", assessment_id="A-1")
    found = intervals([contact, start, done], "2024-06-30")

    to_start = only(found, "contact_to_assessment_start")
    assert (to_start.calendar_days, to_start.working_days, to_start.timescale) == (3, 1, None)
    assert to_start.reference == "A-1"

    from_start = only(found, "assessment_start_to_completion")
    assert (from_start.from_date, from_start.to_date) == (date(2024, 3, 25), date(2024, 4, 3))
    assert (from_start.calendar_days, from_start.working_days) == (9, 5)
    assert from_start.timescale_date is None

    from_contact = only(found, "contact_to_assessment_completion")
    assert (from_contact.calendar_days, from_contact.working_days) == (12, 6)
    assert from_contact.timescale == "45 working days"
    assert from_contact.timescale_date == date(2024, 5, 30)


def test_wales_sets_42_working_days_for_an_assessment_and_counts_welsh_bank_holidays() -> None:
    """The Welsh pack: 42 working days from the contact (22 March 2024) fall on 24 May 2024."""
    assert WALES.subdivision == "WLS"
    assert RULE_PACKS["wales"] is WALES
    contact = entry("contact_received", "2024-03-22")
    start = entry("assessment_started", "2024-03-25", assessment_id="A-1")
    found = only(
        intervals([contact, start], "2024-04-03", rules=WALES), "contact_to_assessment_completion"
    )
    assert found.timescale_working_days == 42
    assert found.timescale_date == date(2024, 5, 24)
    assert (found.status, found.until, found.working_days) == ("open", date(2024, 4, 3), 6)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 5, 15), 6, date(2024, 11, 15)),
        (date(2024, 10, 31), 3, date(2025, 1, 31)),
    ],
)
def test_months_keep_the_day_of_the_month_or_clamp_to_the_last_day(
    start: date, months: int, expected: date
) -> None:
    """Calendar months: the same day-of-month, the month's last day when it is shorter."""
    assert add_months(start, months) == expected


def test_plan_reviews_are_3_months_after_the_start_then_6_months_after_each_review() -> None:
    """Plan 30 Nov 2024; reviews 28 Feb 2025 (plan_reviewed and a review conference the same
    day count once) and 28 Aug 2025 (a review conference); then the next review is open."""
    plan = entry("plan_started", "2024-11-30", plan_id="CP-1", kind="child_protection")
    reviewed = entry("plan_reviewed", "2025-02-28", plan_id="CP-1")
    same_day = entry("conference_held", "2025-02-28T10:00", kind="review")
    second = entry("conference_held", "2025-08-28T10:00", kind="review")
    other_child = entry("conference_held", "2025-05-01", kind="review", subjects=("zed",))
    found = intervals([plan, reviewed, same_day, other_child, second], "2025-12-01")

    first = only(found, "plan_start_to_first_review")
    assert (first.from_date, first.to_date) == (date(2024, 11, 30), date(2025, 2, 28))
    assert (first.timescale, first.timescale_months) == ("3 months", 3)
    assert first.timescale_date == date(2025, 2, 28)  # 30 February does not exist
    assert first.to_event_id == reviewed.event_id
    assert first.calendar_days == 90
    assert first.reference == "CP-1"

    later = [interval for interval in found if interval.milestone == "review_to_next_review"]
    assert [(interval.from_date, interval.to_date, interval.status) for interval in later] == [
        (date(2025, 2, 28), date(2025, 8, 28), "completed"),
        (date(2025, 8, 28), None, "open"),
    ]
    assert [interval.timescale_date for interval in later] == [date(2025, 8, 28), date(2026, 2, 28)]
    assert later[1].until == date(2025, 12, 1)
    assert later[1].calendar_days == 95


def test_an_ended_plan_has_no_open_review_and_a_plan_without_reviews_waits_from_its_start() -> None:
    """After plan_ended nothing is awaited; a running plan with no review is open from its start."""
    ended = entry("plan_started", "2024-01-10", plan_id="CP-1", kind="child_protection")
    end = entry("plan_ended", "2024-03-01", plan_id="CP-1")
    running = entry("plan_started", "2024-05-31", plan_id="CP-2", kind="child_protection")
    helped = entry("plan_started", "2024-05-31", plan_id="EH-1", kind="early_help")
    found = intervals([ended, end, running, helped], "2024-09-02")
    assert [
        (interval.reference, interval.status, interval.from_date, interval.timescale_date)
        for interval in found
        if interval.milestone == "plan_start_to_first_review"
    ] == [
        ("CP-2", "open", date(2024, 5, 31), date(2024, 8, 31)),
    ]
    assert not [interval for interval in found if interval.milestone == "review_to_next_review"]


def test_open_milestones_report_the_time_elapsed_to_the_date_asked_about() -> None:
    """A started assessment, a contact awaiting a decision and section 47 enquiries awaiting a
    conference are open, measured to `on` (3 to 14 June 2024: 9 working days)."""
    contact = entry("contact_received", "2024-06-03T09:00", "police")
    start = entry("assessment_started", "2024-06-03", assessment_id="A-9")
    discussion = entry("strategy_discussion_held", "2024-06-03T15:00", outcome="section_47")
    found = intervals([contact, start, discussion], "2024-06-14")

    decision = only(found, "contact_to_decision")
    assert (decision.status, decision.to_date, decision.until) == ("open", None, date(2024, 6, 14))
    assert (decision.calendar_days, decision.working_days) == (11, 9)
    assert decision.timescale_date == date(2024, 6, 4)
    assessment = only(found, "assessment_start_to_completion")
    assert (assessment.status, assessment.working_days) == ("open", 9)
    # The police contact is not the assessing agency's: no contact-based assessment rows.
    assert not [i for i in found if i.milestone.startswith("contact_to_assessment")]
    conference = only(found, "strategy_discussion_to_initial_conference")
    assert (conference.status, conference.timescale_date) == ("open", date(2024, 6, 24))


def test_entries_after_the_date_asked_about_and_retracted_entries_do_not_count() -> None:
    """On 10 April the assessment completed on 12 April is still open; a retracted start is
    ignored."""
    start = entry("assessment_started", "2024-04-02", assessment_id="A-1")
    done = entry("assessment_completed", "2024-04-12", assessment_id="A-1")
    withdrawn = entry("assessment_started", "2024-04-03", assessment_id="A-2", retracted=True)
    found = intervals([start, done, withdrawn], "2024-04-10")
    assert [(i.reference, i.status, i.until) for i in found] == [("A-1", "open", date(2024, 4, 10))]


def test_the_decision_on_a_contact_is_the_first_decision_relying_on_it() -> None:
    """A decision naming the contact in information_relied_on is its decision, even when a
    decision of the same agency came first; Friday 12 to Tuesday 16 January 2024 is 2 days."""
    contact = entry("contact_received", "2024-01-12T23:40", outcome="assessment")
    unrelated = entry("decision_made", "2024-01-15T09:00", decision="Close another matter")
    decision = entry(
        "decision_made",
        "2024-01-16T11:00",
        decision="Single assessment",
        information_relied_on=[str(contact.event_id)],
    )
    found = only(intervals([contact, unrelated, decision], "2024-02-01"), "contact_to_decision")
    assert found.to_event_id == decision.event_id
    assert (found.calendar_days, found.working_days) == (4, 2)
    assert (found.timescale, found.timescale_date) == ("1 working day", date(2024, 1, 15))


def test_without_a_decision_relying_on_it_a_contacts_outcome_is_dated_when_it_was_recorded():
    """An outcome recorded with the contact dates the decision at the contact's record time; one
    added by a correction at the correction's; a contact with neither takes its agency's next
    decision."""
    with_outcome = entry(
        "contact_received",
        "2024-02-02T10:00",
        "police",
        known="2024-02-05T09:00",
        outcome="no_further_action",
    )
    correction = Amendment(
        event_id=uuid.uuid4(),
        type="entry_corrected",
        known_at=datetime(2024, 2, 7, 12, tzinfo=UTC),
        agency="social_care",
        recorded_by="sw",
        reason="outcome decided",
        changes={"data": {"outcome": "early_help"}},
        previous={"data": {"outcome": None}},
    )
    corrected = entry(
        "contact_received", "2024-02-05T08:00", outcome="early_help", amendments=(correction,)
    )
    bare = entry("contact_received", "2024-02-06T08:00", "school")
    school_decision = entry("decision_made", "2024-02-09", "school", decision="Offer support")
    found = [
        i
        for i in intervals([with_outcome, corrected, bare, school_decision], "2024-03-01")
        if i.milestone == "contact_to_decision"
    ]
    assert [(i.from_event_id, i.to_event_id, i.to_date, i.working_days) for i in found] == [
        (with_outcome.event_id, with_outcome.event_id, date(2024, 2, 5), 1),
        (corrected.event_id, correction.event_id, date(2024, 2, 7), 2),
        (bare.event_id, school_decision.event_id, date(2024, 2, 9), 3),
    ]
    assert found[1].to_type == "entry_corrected"


def test_a_conference_is_measured_from_the_latest_discussion_and_starts_each_childs_plan() -> None:
    """Two plans from one initial conference; the earlier strategy discussion is superseded."""
    entries = [
        entry("strategy_discussion_held", "2024-02-01", outcome="section_47"),
        entry("strategy_discussion_held", "2024-02-08", outcome="section_47"),
        entry(
            "conference_held", "2024-02-29T10:00", kind="initial", outcome="child_protection_plan"
        ),
        entry("plan_started", "2024-02-29", plan_id="CP-A", kind="child_protection"),
        entry(
            "plan_started", "2024-03-01", plan_id="CP-L", kind="child_protection", subjects=("leo",)
        ),
    ]
    found = intervals(entries, "2024-03-05")
    conference = only(found, "strategy_discussion_to_initial_conference")
    assert (conference.from_date, conference.working_days) == (date(2024, 2, 8), 15)
    plans = [i for i in found if i.milestone == "initial_conference_to_plan_start"]
    assert [(i.reference, i.calendar_days, i.timescale) for i in plans] == [
        ("CP-A", 0, None),
        ("CP-L", 1, None),
    ]


def test_an_early_help_assessment_has_no_statutory_timescale() -> None:
    """The 45 working days are not set beside an early help assessment."""
    found = intervals(
        [
            entry("contact_received", "2024-05-01"),
            entry("assessment_started", "2024-05-02", assessment_id="EH-1", kind="early_help"),
        ],
        "2024-05-10",
    )
    early_help = only(found, "contact_to_assessment_completion")
    assert (early_help.timescale, early_help.timescale_date) == (None, None)
    assert early_help.note == "early help assessment: no statutory timescale"


def test_the_summary_counts_intervals_beyond_the_timescale_date_and_gives_medians() -> None:
    """Three conferences 10, 15 and 17 working days after their discussions; one open."""
    entries = []
    for discussion, conference in (
        ("2024-06-03", "2024-06-17"),
        ("2024-07-01", "2024-07-22"),
        ("2024-09-02", "2024-09-25"),
        ("2024-10-01", None),
    ):
        entries.append(entry("strategy_discussion_held", discussion, outcome="section_47"))
        if conference:
            entries.append(entry("conference_held", conference, kind="initial"))
    found = intervals(entries, "2024-10-31")
    assert [i.working_days for i in found] == [10, 15, 17, 22]
    (summary,) = summarise(found)
    assert summary.milestone == "strategy_discussion_to_initial_conference"
    assert (summary.intervals, summary.completed, summary.open) == (4, 3, 1)
    assert summary.median_working_days == 15.0
    assert summary.median_calendar_days == 21.0
    assert (summary.with_timescale, summary.beyond_timescale) == (4, 2)


def test_a_rule_pack_refuses_a_negative_timescale_and_unknown_fields() -> None:
    """Local overrides are validated: numbers are not negative, names are known."""
    with pytest.raises(ValidationError, match="assessment_working_days"):
        RulePack.model_validate({"name": "local", "assessment_working_days": -1})
    with pytest.raises(ValidationError, match="assesment_working_days"):
        RulePack.model_validate({"name": "local", "assesment_working_days": 40})


def test_an_empty_chronology_has_no_intervals_and_every_timescale_is_measured() -> None:
    """No milestones, no intervals; nothing is listed as not measured any more."""
    result = case_timeliness([], ENGLAND, ENGLISH_DAYS, date(2024, 1, 1))
    assert result.intervals == []
    assert result.not_measured == ()


def test_the_first_core_group_is_measured_from_the_initial_conference_over_christmas() -> None:
    """Conference Thursday 19 December 2024 + 10 working days (Christmas Day, Boxing Day and
    New Year's Day not counted) = 7 January 2025; the core group met on the 8th: 11 working
    days, 20 calendar days, shown beside the timescale, not judged."""
    conference = entry(
        "conference_held", "2024-12-19T10:00", kind="initial", outcome="child_protection_plan"
    )
    plan = entry("plan_started", "2024-12-19T11:00", plan_id="CP1", kind="child_protection")
    early_note = entry("core_group_held", "2024-12-18", plan_id="CP0")  # before: not this one
    first = entry("core_group_held", "2025-01-08T14:00", plan_id="CP1")
    second = entry("core_group_held", "2025-02-05T14:00", plan_id="CP1")
    found = only(
        intervals([early_note, conference, plan, first, second], "2025-03-01"),
        "initial_conference_to_first_core_group",
    )
    assert (found.from_event_id, found.to_event_id) == (conference.event_id, first.event_id)
    assert (found.from_date, found.to_date, found.status) == (
        date(2024, 12, 19),
        date(2025, 1, 8),
        "completed",
    )
    assert (found.calendar_days, found.working_days) == (20, 11)
    assert (found.timescale, found.timescale_date) == ("10 working days", date(2025, 1, 7))
    assert found.reference == "CP1"


def test_a_conference_deciding_on_a_plan_waits_open_for_its_first_core_group() -> None:
    """With the outcome a plan and no core group yet, the interval is open to the date asked
    about; a conference deciding on no plan waits for none."""
    decided = entry(
        "conference_held", "2024-06-03", kind="initial", outcome="child_protection_plan"
    )
    found = only(intervals([decided], "2024-06-10"), "initial_conference_to_first_core_group")
    assert (found.status, found.until, found.working_days) == ("open", date(2024, 6, 10), 5)
    assert found.timescale_date == date(2024, 6, 17)
    assert found.note == "child protection plan; no core group yet"
    no_plan = entry("conference_held", "2024-06-03", kind="initial", outcome="no_plan")
    assert all(
        interval.milestone != "initial_conference_to_first_core_group"
        for interval in intervals([no_plan], "2024-06-10")
    )


def test_a_core_group_of_another_child_or_after_the_next_conference_is_not_the_first() -> None:
    """Each initial conference takes the first core group naming one of its children before
    the next initial conference."""
    ava_conference = entry(
        "conference_held", "2024-06-03", kind="initial", subjects=("ava",),
        outcome="child_protection_plan",
    )  # fmt: skip
    bens_group = entry("core_group_held", "2024-06-05", subjects=("ben",))
    ben_conference = entry(
        "conference_held", "2024-06-10", kind="initial", subjects=("ava", "ben"),
        outcome="child_protection_plan",
    )  # fmt: skip
    avas_group = entry("core_group_held", "2024-06-12", subjects=("ava",))
    found = intervals([ava_conference, bens_group, ben_conference, avas_group], "2024-07-01")
    measured = [i for i in found if i.milestone == "initial_conference_to_first_core_group"]
    assert [(i.from_date, i.to_date) for i in measured] == [
        (date(2024, 6, 3), None),
        (date(2024, 6, 10), date(2024, 6, 12)),
    ]
