"""The CIN census mapping on hand-built chronologies: which referral counts, what a collection
year holds, previous plans, and the completeness report naming DfE rules and events."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from typing import Any

from events.timepoints import parse_timepoint
from projections.fold import ChronologyEntry
from replay.cin_census import (
    CinCensus,
    cin_census,
    collection_period,
    la_child_id_of,
    recognised_la_code,
    upn_check_letter,
)

KNOWN = datetime(2026, 6, 1, tzinfo=UTC)
_positions = itertools.count(1)


def entry(
    type: str, occurred: str, *, subjects: tuple[str, ...] = ("ava",), **data: Any
) -> ChronologyEntry:
    occurred_at = parse_timepoint(occurred)
    position = next(_positions)
    return ChronologyEntry(
        event_id=uuid.uuid4(),
        type=type,
        case_id="FAM-T",
        occurred_at=occurred_at,
        date_uncertain=False,
        agency="social_care",
        recorded_by="someone",
        subjects=subjects,
        summary=None,
        significance="routine",
        impact=None,
        action=None,
        data=data,
        recorded_at=KNOWN,
        known_at=KNOWN,
        position=position,
        version=position,
        recorded_while_closed=False,
        corrected=False,
        amendments=(),
        retracted=False,
    )


def ava(**fields: Any) -> ChronologyEntry:
    data = {
        "person_id": "ava",
        "role": "child",
        "date_of_birth": "2019-09-12",
        "sex": "F",
        "ethnicity": "WBRI",
        "disabilities": ["NONE"],
        **fields,
    }
    return entry("person_added", "2024-04-02", subjects=(), **data)


def referral(on: str, **data: Any) -> ChronologyEntry:
    return entry(
        "contact_received",
        on,
        **{
            "contact_kind": "referral",
            "outcome": "assessment",
            "referral_source": "2A",
            "primary_need": "N1",
            **data,
        },
    )


def census(*entries: ChronologyEntry, year: int = 2025) -> CinCensus:
    return cin_census({"FAM-T": list(entries)}, year=year, la="873", as_known_at=KNOWN)


def rules(result: CinCensus) -> list[str | None]:
    return [issue.rule for issue in result.issues]


def test_the_collection_year_is_named_by_the_31_march_it_ends_on() -> None:
    assert collection_period(2026) == (date(2025, 4, 1), date(2026, 3, 31))


def test_upn_check_letters_la_codes_and_la_child_ids_follow_the_dfe() -> None:
    assert upn_check_letter("P873210420057") == "P"
    assert upn_check_letter("X000000000000") == "A"
    assert recognised_la_code("873")
    assert not recognised_la_code("999")
    assert la_child_id_of("SYN-1-000001-c1") == "SYN1000001c1"


def test_a_child_protection_plan_maps_with_its_conference_reviews_and_categories() -> None:
    """Referral, assessment with factors, section 47 with its initial conference, a plan that
    starts that day and is reviewed: every census item, nothing reported missing."""
    result = census(
        ava(upn="P873210420057"),
        referral("2024-05-01"),
        entry("assessment_started", "2024-05-02", assessment_id="A1", kind="single"),
        entry("strategy_discussion_held", "2024-05-03", outcome="section_47"),
        entry("assessment_started", "2024-05-07", assessment_id="S1", kind="section_47"),
        entry("assessment_completed", "2024-05-20", assessment_id="A1", factors=["3A", "4B"]),
        entry("assessment_completed", "2024-05-21", assessment_id="S1", outcome="conference"),
        entry("conference_held", "2024-05-24", kind="initial", category="EMO"),
        entry("plan_started", "2024-05-24", plan_id="CP1", kind="child_protection", category="NEG"),
        entry("plan_reviewed", "2024-08-20", plan_id="CP1"),
        entry("conference_held", "2024-11-20", kind="review", category="EMO"),
    )
    assert result.issues == ()
    (child,) = result.children
    (episode,) = child.episodes
    assert (episode.referral_date, episode.referral_source, episode.primary_need) == (
        date(2024, 5, 1),
        "2A",
        "N1",
    )
    (assessment,) = episode.assessments
    assert (assessment.authorised, assessment.factors) == (date(2024, 5, 20), ("3A", "4B"))
    (enquiry,) = episode.section47s
    assert (enquiry.initial_cpc, enquiry.icpc_not_required) == (date(2024, 5, 24), False)
    # 15 working days after the strategy discussion, over the bank holidays of 6 and 27 May
    assert enquiry.initial_cpc_target == date(2024, 5, 28)
    (plan,) = episode.protection_plans
    assert (plan.initial_category, plan.latest_category, plan.previous_plans) == ("NEG", "EMO", 0)
    assert plan.reviews == (date(2024, 8, 20), date(2024, 11, 20))


def test_contacts_that_are_not_referrals_open_no_episode_and_work_before_a_referral_is_reported():
    concern = entry(
        "contact_received", "2024-05-01", contact_kind="concern", outcome="no_further_action"
    )
    early = entry("assessment_started", "2024-05-02", assessment_id="A1", kind="single")
    result = census(ava(), concern, early)
    assert result.children == ()
    (issue,) = result.issues
    assert (issue.rule, issue.event_ids) == (None, (early.event_id,))


def test_a_referral_with_no_further_action_is_flagged_and_only_counted_in_its_own_year() -> None:
    nfa = referral("2024-06-03", outcome="no_further_action", primary_need=None)
    (child,) = census(ava(), nfa).children
    assert child.episodes[0].referral_nfa
    assert child.episodes[0].primary_need is None
    assert census(ava(), nfa, year=2026).children == ()


def test_an_episode_closed_before_the_year_is_left_out_and_its_plans_count_as_previous() -> None:
    first = [
        referral("2022-06-01"),
        entry("conference_held", "2022-06-20", kind="initial"),
        entry("plan_started", "2022-06-20", plan_id="CP1", kind="child_protection", category="PHY"),
        entry("plan_ended", "2023-01-10", plan_id="CP1"),
        entry("case_closed", "2023-01-20", reason_code="RC7"),
    ]
    second = [
        referral("2024-09-02"),
        entry("conference_held", "2024-09-20", kind="initial"),
        entry("plan_started", "2024-09-20", plan_id="CP2", kind="child_protection", category="NEG"),
    ]
    (child,) = census(ava(), *first, *second).children
    (episode,) = child.episodes
    assert episode.referral_date == date(2024, 9, 2)
    assert episode.protection_plans[0].previous_plans == 1


def test_dates_after_the_reference_date_had_not_happened_for_that_census() -> None:
    """A plan ending and a case closing after 31 March 2025 are open in the 2024-25 census."""
    result = census(
        ava(),
        referral("2025-01-06"),
        entry("plan_started", "2025-01-10", plan_id="P1", kind="child_in_need"),
        entry("plan_ended", "2025-04-10", plan_id="P1"),
        entry("case_closed", "2025-04-11", reason_code="RC7"),
    )
    (episode,) = result.children[0].episodes
    assert (episode.closure_date, episode.cin_plans[0].end) == (None, None)


def test_missing_and_contradictory_facts_are_reported_with_their_rules_and_events() -> None:
    """Nothing is invented: each gap is named with the DfE rule it breaks and the events to
    correct."""
    person = ava(sex=None, ethnicity=None)
    contact = referral("2024-05-01", referral_source=None)
    completed = entry("assessment_completed", "2024-05-20", assessment_id="A1")
    plan = entry("plan_started", "2024-06-10", plan_id="CP1", kind="child_protection")
    ended = entry("plan_ended", "2024-06-01", plan_id="CP1")
    closed = entry("case_closed", "2024-07-01")
    result = census(
        person,
        contact,
        entry("assessment_started", "2024-05-02", assessment_id="A1"),
        completed,
        plan,
        ended,
        closed,
    )
    found = {(issue.rule, issue.event_ids) for issue in result.issues}
    assert ("4180", (person.event_id,)) in found
    assert ("4220", (person.event_id,)) in found
    assert ("8866", (contact.event_id,)) in found
    assert ("8897Q", (completed.event_id,)) in found
    assert ("8905", (plan.event_id,)) in found
    assert ("8925", (plan.event_id, ended.event_id)) in found
    assert ("2885", (plan.event_id,)) in found
    assert ("8805", (closed.event_id,)) in found
    (episode,) = result.children[0].episodes
    assert episode.referral_source is None
    assert episode.protection_plans[0].initial_category is None


def test_a_school_age_child_needs_a_upn_with_the_right_check_letter() -> None:
    assert "8770Q" in rules(census(ava(date_of_birth="2012-01-01"), referral("2024-05-01")))
    wrong = census(ava(upn="A873210420057"), referral("2024-05-01"))
    assert "1510" in rules(wrong)


def test_an_unborn_child_is_sex_u_with_an_expected_date_of_birth() -> None:
    unborn = ava(date_of_birth=None, expected_birth_date="2025-05-01", sex=None, disabilities=None)
    (child,) = census(unborn, referral("2025-01-06")).children
    assert (child.birth_date, child.expected_birth_date, child.sex) == (None, date(2025, 5, 1), "U")


def test_a_child_in_two_cases_is_one_child_whose_plans_count_across_cases() -> None:
    def case(case_id: str, entries: list[ChronologyEntry]) -> list[ChronologyEntry]:
        return [item.model_copy(update={"case_id": case_id}) for item in entries]

    older = case(
        "FAM-A",
        [
            ava(),
            referral("2024-04-08"),
            entry("conference_held", "2024-04-22", kind="initial"),
            entry(
                "plan_started", "2024-04-22", plan_id="CP1", kind="child_protection", category="NEG"
            ),
            entry("plan_ended", "2024-07-01", plan_id="CP1"),
            entry("case_closed", "2024-07-05", reason_code="RC5"),
        ],
    )
    newer = case(
        "FAM-B",
        [
            ava(),
            referral("2024-10-01"),
            entry("conference_held", "2024-10-14", kind="initial"),
            entry(
                "plan_started", "2024-10-14", plan_id="CP2", kind="child_protection", category="EMO"
            ),
        ],
    )
    result = cin_census({"FAM-A": older, "FAM-B": newer}, year=2025, la="873", as_known_at=KNOWN)
    (child,) = result.children
    assert [episode.case_id for episode in child.episodes] == ["FAM-A", "FAM-B"]
    assert [episode.protection_plans[0].previous_plans for episode in child.episodes] == [0, 1]
