"""Repeated-concern patterns on hand-built chronologies with known dates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from events.timepoints import parse_timepoint
from projections.fold import ChronologyEntry
from replay.patterns import (
    DEFAULT_RULES,
    WindowRule,
    add_months,
    as_contact,
    case_patterns,
    episodes,
    no_further_action_runs,
)

_positions = iter(range(1, 1_000_000))
THREE_IN_90 = WindowRule(min_contacts=3, length=90, unit="days")
FIVE_IN_12_MONTHS = WindowRule(min_contacts=5, length=12, unit="months")


def entry(
    type_: str,
    occurred_at: str,
    *,
    agency: str = "social_care",
    subjects: tuple[str, ...] = ("ava",),
    summary: str | None = None,
    **data: Any,
) -> ChronologyEntry:
    position = next(_positions)
    return ChronologyEntry(
        event_id=uuid.uuid4(),
        type=type_,
        case_id="FAM-1",
        occurred_at=parse_timepoint(occurred_at),
        date_uncertain=False,
        agency=agency,
        recorded_by="someone",
        subjects=subjects,
        summary=summary or f"{type_} {position}",
        significance="routine",
        impact=None,
        action=None,
        data=data,
        recorded_at=datetime(2025, 1, 1, tzinfo=UTC),
        known_at=datetime(2025, 1, 1, tzinfo=UTC),
        position=position,
        version=position,
        recorded_while_closed=False,
        corrected=False,
        amendments=(),
        retracted=False,
    )


def contact(
    occurred_at: str,
    source: str | None = None,
    *concerns: str,
    outcome: str | None = None,
    agency: str = "social_care",
    **fields: Any,
) -> ChronologyEntry:
    data: dict[str, Any] = {"contact_kind": "concern"}
    if source:
        data["source_agency"] = source
    if concerns:
        data["concern_categories"] = list(concerns)
    if outcome:
        data["outcome"] = outcome
    return entry("contact_received", occurred_at, agency=agency, **fields, **data)


NFA = "no_further_action"
# The case of the tests below: dates chosen so that every window edge is known.
C1 = contact("2024-01-01", "school", "neglect", outcome=NFA)
C2 = contact("2024-02-15", "school", "neglect", "emotional", outcome=NFA)
C3 = contact("2024-03-30", "police", "domestic_abuse", outcome="assessment")  # 89 days after C1
C4 = contact("2024-07-01", "health", "neglect", outcome=NFA)
C5 = contact("2024-07-20", None, "neglect", outcome=NFA, agency="school")  # source not stated
C6 = contact("2024-08-10", "school", "physical", outcome=NFA)
C7 = contact("2024-09-01", "school", "neglect")  # no outcome recorded
CONTACTS = [C1, C2, C3, C4, C5, C6, C7]


def ids(found: Any) -> list[uuid.UUID]:
    return [item.event_id for item in found.contacts]


def test_contacts_89_days_apart_are_one_window_and_overlapping_windows_merge() -> None:
    patterns = case_patterns("FAM-1", list(reversed(CONTACTS)))
    three = patterns.windows[0]
    assert three.rule == THREE_IN_90
    assert three.description == "3 or more contacts within 90 days"
    first, second = three.episodes
    assert (first.first_date, first.last_date, first.days_first_to_last) == (
        date(2024, 1, 1),
        date(2024, 3, 30),
        89,
    )
    assert ids(first) == [C1.event_id, C2.event_id, C3.event_id]
    assert (first.contact_count, first.most_contacts_in_one_window) == (3, 3)
    assert first.no_further_action_count == 2
    # C4 starts a window to 2024-09-28 holding C4-C7.
    assert ids(second) == [C4.event_id, C5.event_id, C6.event_id, C7.event_id]
    assert (second.contact_count, second.most_contacts_in_one_window) == (4, 4)
    assert second.no_further_action_count == 3


def test_each_contact_in_an_episode_carries_its_facts() -> None:
    patterns = case_patterns("FAM-1", CONTACTS)
    facts = patterns.windows[0].episodes[1].contacts[1]
    assert facts.event_id == C5.event_id
    assert facts.occurred_on == date(2024, 7, 20)
    assert (facts.source_agency, facts.source_agency_stated, facts.recording_agency) == (
        "school",
        False,
        "school",
    )
    assert facts.concern_categories == ["neglect"]
    assert (facts.contact_kind, facts.outcome, facts.summary) == ("concern", NFA, C5.summary)
    stated = patterns.windows[0].episodes[0].contacts[0]
    assert (stated.source_agency, stated.source_agency_stated, stated.recording_agency) == (
        "school",
        True,
        "social_care",
    )


def test_twelve_months_is_the_default_second_rule_and_holds_the_whole_year() -> None:
    assert DEFAULT_RULES == (THREE_IN_90, FIVE_IN_12_MONTHS)
    twelve = case_patterns("FAM-1", CONTACTS).windows[1]
    assert twelve.description == "5 or more contacts within 12 months"
    [episode] = twelve.episodes
    assert episode.contact_count == 7
    assert (episode.first_date, episode.last_date) == (date(2024, 1, 1), date(2024, 9, 1))
    assert [
        (group.source_agency, [e.contact_count for e in group.episodes])
        for group in twelve.by_source_agency
    ] == [("school", [5])]
    assert [
        (group.concern, [e.contact_count for e in group.episodes]) for group in twelve.by_concern
    ] == [("neglect", [5])]


def test_windows_are_counted_per_source_agency_and_per_concern() -> None:
    three = case_patterns("FAM-1", CONTACTS).windows[0]
    [school] = three.by_source_agency
    assert school.source_agency == "school"
    [episode] = school.episodes
    assert ids(episode) == [C5.event_id, C6.event_id, C7.event_id]
    assert (episode.first_date, episode.last_date, episode.no_further_action_count) == (
        date(2024, 7, 20),
        date(2024, 9, 1),
        2,
    )
    # Neglect: C1 and C2 alone in their window; C4, C5 and C7 within 90 days (C6 is physical).
    [neglect] = three.by_concern
    assert neglect.concern == "neglect"
    assert [ids(found) for found in neglect.episodes] == [[C4.event_id, C5.event_id, C7.event_id]]


def test_a_contact_with_several_concerns_counts_once_under_each() -> None:
    contacts = [
        contact(day, "school", "neglect", "emotional")
        for day in ("2024-01-01", "2024-01-02", "2024-01-03")
    ]
    three = case_patterns("FAM-1", contacts).windows[0]
    assert [(group.concern, group.episodes[0].contact_count) for group in three.by_concern] == [
        ("emotional", 3),
        ("neglect", 3),
    ]
    totals = case_patterns("FAM-1", contacts).totals
    assert [(total.concern, total.contacts) for total in totals.by_concern] == [
        ("emotional", 3),
        ("neglect", 3),
    ]


def test_totals_by_source_agency_concern_and_outcome() -> None:
    totals = case_patterns("FAM-1", CONTACTS).totals
    assert totals.contacts == 7
    assert (totals.first_date, totals.last_date) == (date(2024, 1, 1), date(2024, 9, 1))
    assert [(t.source_agency, t.contacts, t.outcomes) for t in totals.by_source_agency] == [
        ("school", 5, {NFA: 4, "not_recorded": 1}),
        ("health", 1, {NFA: 1}),
        ("police", 1, {"assessment": 1}),
    ]
    assert [(t.concern, t.contacts) for t in totals.by_concern] == [
        ("neglect", 5),
        ("domestic_abuse", 1),
        ("emotional", 1),
        ("physical", 1),
    ]
    assert totals.by_outcome == {NFA: 5, "assessment": 1, "not_recorded": 1}
    unspecified = case_patterns("FAM-1", [contact("2024-01-01")]).totals
    assert [(t.concern, t.contacts) for t in unspecified.by_concern] == [("not_recorded", 1)]


def test_contacts_exactly_90_days_apart_are_not_in_one_90_day_window() -> None:
    contacts = [contact("2024-01-01"), contact("2024-02-01"), contact("2024-03-31")]
    assert episodes([as_contact(found) for found in contacts], THREE_IN_90) == []
    assert case_patterns("FAM-1", contacts).windows[0].episodes == []
    [episode] = (
        case_patterns("FAM-1", contacts, rules=[WindowRule(min_contacts=3, length=91, unit="days")])
        .windows[0]
        .episodes
    )
    assert episode.days_first_to_last == 90


def test_datetimes_are_compared_by_their_local_date() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: exactly 90 days after 2 April.
    late = contact("2024-06-30T23:30:00+00:00")
    contacts = [contact("2024-04-02"), contact("2024-05-01"), late]
    assert case_patterns("FAM-1", contacts).windows[0].episodes == []
    early = contact("2024-06-30T22:30:00+00:00")  # 23:30 on 30 June in London
    [episode] = case_patterns("FAM-1", [*contacts[:2], early]).windows[0].episodes
    assert episode.last_date == date(2024, 6, 30)


def test_contacts_on_the_same_day_each_count() -> None:
    contacts = [contact("2024-05-05"), contact("2024-05-05T09:00"), contact("2024-05-05")]
    [episode] = case_patterns("FAM-1", contacts).windows[0].episodes
    assert (episode.contact_count, episode.days_first_to_last) == (3, 0)


def test_a_chain_of_overlapping_windows_is_one_episode_and_a_gap_starts_another() -> None:
    days = [
        "2024-01-01",
        "2024-01-10",
        "2024-01-20",
        "2024-03-25",
        "2024-04-10",
        "2024-09-01",
        "2024-09-02",
        "2024-09-03",
    ]
    contacts = [contact(day) for day in days]
    first, second = case_patterns("FAM-1", contacts).windows[0].episodes
    # 1 Jan's window (to 30 Mar) holds four; 20 Jan's (to 18 Apr) reaches 10 Apr.
    assert (first.first_date, first.last_date) == (date(2024, 1, 1), date(2024, 4, 10))
    assert (first.contact_count, first.most_contacts_in_one_window) == (5, 4)
    assert first.days_first_to_last == 100
    assert (second.first_date, second.contact_count) == (date(2024, 9, 1), 3)


def test_a_twelve_month_window_ends_the_day_before_the_same_date_a_year_on() -> None:
    in_year = [
        contact(day)
        for day in ("2024-01-01", "2024-03-01", "2024-06-01", "2024-09-01", "2024-12-31")
    ]
    [episode] = case_patterns("FAM-1", in_year, rules=[FIVE_IN_12_MONTHS]).windows[0].episodes
    assert episode.contact_count == 5
    one_day_late = [*in_year[:4], contact("2025-01-01")]
    assert case_patterns("FAM-1", one_day_late, rules=[FIVE_IN_12_MONTHS]).windows[0].episodes == []
    assert add_months(date(2024, 1, 31), 1) == date(2024, 3, 1)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 3, 1)
    assert add_months(date(2024, 11, 15), 2) == date(2025, 1, 15)
    assert add_months(date(2024, 12, 31), 2) == date(2025, 3, 1)


def test_runs_of_no_further_action_stop_at_any_other_or_missing_outcome() -> None:
    patterns = case_patterns("FAM-1", CONTACTS)
    assert patterns.min_no_further_action_run == 2
    assert [
        (run.first_date, run.last_date, run.contact_count)
        for run in patterns.no_further_action_runs
    ] == [(date(2024, 1, 1), date(2024, 2, 15), 2), (date(2024, 7, 1), date(2024, 8, 10), 3)]
    assert [ids(run) for run in patterns.no_further_action_runs][1] == [
        C4.event_id,
        C5.event_id,
        C6.event_id,
    ]
    longer = case_patterns("FAM-1", CONTACTS, min_no_further_action_run=3)
    assert [run.contact_count for run in longer.no_further_action_runs] == [3]
    assert no_further_action_runs([as_contact(C7), as_contact(C1)]) == []


def test_strategy_discussions_ending_in_no_further_action_are_listed() -> None:
    nfa = entry(
        "strategy_discussion_held",
        "2024-04-02",
        agency="social_care",
        outcome=NFA,
        agencies=["police", "health"],
    )
    other = entry("strategy_discussion_held", "2024-04-20", outcome="section_47")
    patterns = case_patterns("FAM-1", [*CONTACTS, nfa, other])
    [listed] = patterns.strategy_discussions_no_further_action
    assert (listed.event_id, listed.occurred_on, listed.agencies) == (
        nfa.event_id,
        date(2024, 4, 2),
        ["police", "health"],
    )


def plan(plan_id: str, kind: str, started: str, subjects: tuple[str, ...]) -> ChronologyEntry:
    return entry("plan_started", started, subjects=subjects, plan_id=plan_id, kind=kind)


def plan_end(plan_id: str, ended: str, reason: str | None = None) -> ChronologyEntry:
    data = {"plan_id": plan_id, **({"reason": reason} if reason else {})}
    return entry("plan_ended", ended, subjects=(), **data)


PLANS = [
    plan("cp-1", "child_protection", "2023-01-10", ("ava", "ben")),
    plan_end("cp-1", "2023-09-01", "step down to child in need"),
    plan("cin-1", "child_in_need", "2023-09-01", ("ava",)),
    plan("cp-ben", "child_protection", "2023-06-01", ("ben",)),  # began before cp-1 ended
    plan("cp-2", "child_protection", "2024-03-01", ("ava",)),
    plan_end("cp-2", "2024-06-01"),
    plan("cp-3", "child_protection", "2024-06-01", ("ava",)),  # the same day cp-2 ended
    plan("eh-1", "early_help", "2022-01-01", ()),
    plan_end("eh-1", "2022-05-01", "needs met"),
    plan("eh-2", "early_help", "2022-11-01", ()),
]


def test_a_plan_of_a_kind_ended_and_started_again_for_the_same_child_reports_the_gap() -> None:
    restarts = case_patterns("FAM-1", PLANS).plans_restarted
    assert [
        (
            r.subject,
            r.kind,
            r.ended_plan_id,
            r.ended_on,
            r.end_reason,
            r.restarted_plan_id,
            r.restarted_on,
            r.days_between,
            r.plan_number,
        )
        for r in restarts
    ] == [
        (
            None,
            "early_help",
            "eh-1",
            date(2022, 5, 1),
            "needs met",
            "eh-2",
            date(2022, 11, 1),
            184,
            2,
        ),
        (
            "ava",
            "child_protection",
            "cp-1",
            date(2023, 9, 1),
            "step down to child in need",
            "cp-2",
            date(2024, 3, 1),
            182,
            2,
        ),
        ("ava", "child_protection", "cp-2", date(2024, 6, 1), None, "cp-3", date(2024, 6, 1), 0, 3),
    ]
    assert restarts[1].ended_plan_started_on == date(2023, 1, 10)


def test_subject_narrows_contacts_and_plans_to_one_child() -> None:
    ben_contacts = [
        contact(day, "school", subjects=("ben",))
        for day in ("2024-01-01", "2024-01-05", "2024-01-09")
    ]
    patterns = case_patterns("FAM-1", [*CONTACTS, *ben_contacts, *PLANS], subject="ben")
    assert patterns.subject == "ben"
    assert patterns.totals.contacts == 3
    assert [ids(e) for e in patterns.windows[0].episodes] == [[c.event_id for c in ben_contacts]]
    assert patterns.plans_restarted == []
    assert case_patterns("FAM-1", PLANS, subject="ava").plans_restarted[0].ended_plan_id == "cp-1"


def test_an_empty_case_has_no_patterns() -> None:
    patterns = case_patterns("FAM-1", [])
    assert patterns.totals.contacts == 0
    assert patterns.totals.first_date is None
    assert [window.episodes for window in patterns.windows] == [[], []]
    assert patterns.no_further_action_runs == []
    assert patterns.plans_restarted == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("3:90", WindowRule(min_contacts=3, length=90, unit="days")),
        ("4:30d", WindowRule(min_contacts=4, length=30, unit="days")),
        (" 5 : 12M ", WindowRule(min_contacts=5, length=12, unit="months")),
    ],
)
def test_a_window_rule_is_written_count_colon_length(text: str, rule: WindowRule) -> None:
    assert WindowRule.parse(text) == rule


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3", "is not a window"),
        ("three:90", "is not a window"),
        ("3:90y", "is not a window"),
        ("1:90", "count must be from 2"),
        ("3:0", "window must be from 1 to 3650 days"),
        ("3:4000", "window must be from 1 to 3650 days"),
        ("3:121m", "from 1 to 120 months"),
        ("-3:90", "is not a window"),
    ],
)
def test_a_bad_window_rule_says_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        WindowRule.parse(text)


def test_the_patterns_hold_no_score_or_rating() -> None:
    text = case_patterns("FAM-1", [*CONTACTS, *PLANS]).model_dump_json().lower()
    for word in ("score", "risk", "rating", "rag", "red", "amber", "green"):
        assert f'"{word}' not in text


def missing(child: str, started: str, ended: str | None = None, **data: Any) -> ChronologyEntry:
    return entry(
        "missing_episode_recorded",
        started[:10],
        subjects=(child,),
        person_id=child,
        started=started,
        **({"ended": ended} if ended else {}),
        **data,
    )


MISSING = [
    missing("ava", "2024-01-05T22:00", "2024-01-06", return_interview_offered=True),
    missing("ava", "2024-02-10T21:00", kind="away"),
    missing("ben", "2024-02-11T23:30"),
    missing("ava", "2024-04-03T20:00", return_interview_offered=False),  # 89 days after the first
    missing("ava", "2024-07-02T19:00", return_interview_offered=True),  # 90 days after the last
    missing("ava", "2024-09-20T19:00"),
]


def test_repeated_missing_episodes_are_counted_per_child_in_rolling_windows() -> None:
    """Three of Ava's episodes within 90 days (5 January to 3 April, 89 days) make one run;
    the episode of 2 July, 90 days after 3 April, starts no run of three with the later one.
    Over 12 months her five episodes make one run; Ben's one episode makes none."""
    patterns = case_patterns("FAM-1", MISSING)
    assert patterns.missing_episodes == 6
    in_90, in_12_months = patterns.repeated_missing
    assert (in_90.rule, in_90.person_id, in_90.description) == (
        THREE_IN_90,
        "ava",
        "3 or more missing episodes within 90 days",
    )
    assert (in_90.first_date, in_90.last_date, in_90.days_first_to_last) == (
        date(2024, 1, 5),
        date(2024, 4, 3),
        89,
    )
    assert (in_90.episode_count, in_90.most_episodes_in_one_window) == (3, 3)
    assert in_90.return_interviews_offered == 1
    assert [episode.kind for episode in in_90.episodes] == [None, "away", None]
    assert (in_12_months.rule, in_12_months.person_id) == (FIVE_IN_12_MONTHS, "ava")
    assert (in_12_months.episode_count, in_12_months.most_episodes_in_one_window) == (5, 5)
    assert in_12_months.return_interviews_offered == 2


def test_repeated_missing_episodes_of_one_child_only_when_asked() -> None:
    """With a subject, only that child's episodes are counted: Ava's 5 January and 10 February
    (36 days apart) are two within 40 days; Ben's one episode is no run."""
    two_in_40 = [WindowRule.parse("2:40")]
    ava = case_patterns("FAM-1", MISSING, subject="ava", rules=two_in_40)
    assert ava.missing_episodes == 5
    assert [(run.first_date, run.last_date, run.episode_count) for run in ava.repeated_missing] == [
        (date(2024, 1, 5), date(2024, 2, 10), 2)
    ]
    ben = case_patterns("FAM-1", MISSING, subject="ben", rules=two_in_40)
    assert (ben.missing_episodes, ben.repeated_missing) == (1, [])
