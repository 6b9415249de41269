"""The DfE Children in Need census as a projection of chronologies known at T (pure).

Reads each case's chronology (corrections applied, retractions excluded, as known at the
chosen time) and returns the census return as plain data, with a completeness report: every
recorded fact that would make a child's record incomplete or break a DfE validation rule,
named by the DfE rule code it would break and the events to correct. Nothing is invented: a
missing value stays missing in the return and is reported.

Collection year Y is the DfE's: 1 April Y-1 to 31 March Y (the reference date).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.timepoints import local_date
from projections.fold import ChronologyEntry
from replay.referrals import FURTHER_ACTION_OUTCOMES, is_referral
from replay.workingdays import WorkingDays

# The event types the census is built from.
CENSUS_TYPES = (
    "person_added",
    "contact_received",
    "assessment_started",
    "assessment_completed",
    "strategy_discussion_held",
    "conference_held",
    "plan_started",
    "plan_reviewed",
    "plan_ended",
    "case_closed",
)
# Contact outcomes that take a referral on to further action (an assessment or enquiries).
INITIAL_CPC_WORKING_DAYS = 15
# Section 47 outcomes (their start) that say an initial conference is to follow.
CONFERENCE_OUTCOMES = (
    "conference",
    "initial conference",
    "initial_conference",
    "icpc",
    "child protection conference",
    "child_protection_conference",
)
ASSESSMENT_WORKING_DAYS = 45
NO_FACTORS = "21"
# The DfE's assessment factor codes (the census schema's list).
ASSESSMENT_FACTORS = frozenset(
    {
        "1A",
        "1B",
        "1C",
        "2A",
        "2B",
        "2C",
        "3A",
        "3B",
        "3C",
        "4A",
        "4B",
        "4C",
        "5A",
        "5B",
        "5C",
        "6A",
        "6B",
        "6C",
        "7A",
        "8B",
        "8C",
        "8D",
        "8E",
        "8F",
        "9A",
        "10A",
        "11A",
        "12A",
        "13A",
        "14A",
        "15A",
        "16A",
        "17A",
        "18B",
        "18C",
        "19B",
        "19C",
        "20",
        "21",
        "22A",
        "23A",
        "24A",
    }
)
CLOSED_AFTER_ASSESSMENT = ("RC8", "RC9")
# Characters 2-4 of a UPN: the LA codes the DfE recognises (rule 1530).
_LA_CODE_RANGES = (
    (1, 5),
    (201, 213),
    (301, 320),
    (330, 336),
    (340, 344),
    (350, 359),
    (370, 373),
    (380, 384),
    (390, 394),
    (420, 420),
    (660, 681),
    (701, 708),
    (800, 803),
    (805, 808),
    (810, 813),
    (815, 816),
    (820, 823),
    (825, 826),
    (830, 831),
    (835, 841),
    (845, 846),
    (850, 852),
    (855, 857),
    (860, 861),
    (865, 896),
    (908, 909),
    (916, 916),
    (919, 919),
    (921, 921),
    (925, 926),
    (928, 929),
    (931, 931),
    (933, 933),
    (935, 938),
    (940, 941),
)
# The reasons for a missing UPN the census's schema allows.
CENSUS_UPN_UNKNOWN = frozenset(f"UN{number}" for number in range(1, 8))
_UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def collection_period(year: int) -> tuple[date, date]:
    """The census year named `year`: 1 April of the year before to 31 March of `year`."""
    return date(year - 1, 4, 1), date(year, 3, 31)


def upn_check_letter(upn: str) -> str:
    """The DfE check letter for characters 2-13 of a UPN (digits only there)."""
    total = sum(int(character) * weight for weight, character in enumerate(upn[1:13], start=2))
    return _UPN_CHECK_LETTERS[total % 23]


def recognised_la_code(code: str) -> bool:
    return code.isdigit() and any(low <= int(code) <= high for low, high in _LA_CODE_RANGES)


class CompletenessIssue(BaseModel):
    """A recorded fact (or a missing one) that stops a child's census record being complete or
    valid, with the DfE rule it breaks and the events to correct or add to."""

    model_config = ConfigDict(frozen=True)

    rule: str | None
    case_id: str | None
    person_id: str
    field: str
    message: str
    event_ids: tuple[UUID, ...] = ()


class CensusAssessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    authorised: date | None
    factors: tuple[str, ...] | None


class CensusPlanDates(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date | None


class CensusSection47(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    initial_cpc_target: date | None
    initial_cpc: date | None
    icpc_not_required: bool


class CensusProtectionPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date | None
    initial_category: str | None
    latest_category: str | None
    previous_plans: int
    reviews: tuple[date, ...]


class CensusEpisode(BaseModel):
    """One CINdetails: a referral and what followed it, up to its closure."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    referral_date: date
    referral_source: str | None
    primary_need: str | None
    closure_date: date | None
    closure_reason: str | None
    initial_cpc: date | None
    referral_nfa: bool
    assessments: tuple[CensusAssessment, ...]
    cin_plans: tuple[CensusPlanDates, ...]
    section47s: tuple[CensusSection47, ...]
    protection_plans: tuple[CensusProtectionPlan, ...]


class CensusChild(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    la_child_id: str
    upn: str | None
    upn_unknown: str | None = None
    birth_date: date | None
    expected_birth_date: date | None
    sex: str | None
    ethnicity: str | None
    disabilities: tuple[str, ...] | None
    episodes: tuple[CensusEpisode, ...]


class CinCensus(BaseModel):
    """The census return for a collection year as known at a time, and what stops it being
    complete."""

    model_config = ConfigDict(frozen=True)

    year: int
    la: str
    reference_date: date
    collection_start: date
    as_known_at: datetime
    children: tuple[CensusChild, ...]
    issues: tuple[CompletenessIssue, ...]


# -- folding a child's history into episodes ---------------------------------------------------


@dataclass
class _Assessment:
    entry: ChronologyEntry
    start: date
    section_47: bool
    completed: ChronologyEntry | None = None


@dataclass
class _Plan:
    entry: ChronologyEntry
    kind: str
    start: date
    ended: ChronologyEntry | None = None
    reviews: list[ChronologyEntry] = field(default_factory=list)
    review_conferences: list[ChronologyEntry] = field(default_factory=list)


@dataclass
class _Episode:
    case_id: str
    referral: ChronologyEntry
    nfa: bool
    closure: ChronologyEntry | None = None
    assessments: list[_Assessment] = field(default_factory=list)
    plans: list[_Plan] = field(default_factory=list)
    initial_conferences: list[ChronologyEntry] = field(default_factory=list)
    strategy_discussions: list[ChronologyEntry] = field(default_factory=list)
    later_activity: list[ChronologyEntry] = field(default_factory=list)


def day(entry: ChronologyEntry) -> date:
    return local_date(entry.occurred_at)


def calls_for_conference(completed: ChronologyEntry) -> bool:
    """A section 47 enquiry completed with an outcome naming an initial conference as what
    follows is waiting for it; completed otherwise, no conference is required."""
    outcome = str(completed.data.get("outcome") or "").strip().lower()
    return outcome.startswith(CONFERENCE_OUTCOMES)


def _about(entry: ChronologyEntry, person_id: str) -> bool:
    """Case-wide events (no subjects, or a closure) concern every child of the case."""
    return entry.type == "case_closed" or not entry.subjects or person_id in entry.subjects


class _ChildHistory:
    """One child's episodes in one case, folded from the case's entries in valid-time order."""

    def __init__(self, case_id: str, person_id: str, entries: Sequence[ChronologyEntry]):
        self.case_id = case_id
        self.person_id = person_id
        self.episodes: list[_Episode] = []
        self.unattached: list[ChronologyEntry] = []
        mine = [entry for entry in entries if _about(entry, person_id)]
        # Ends, reviews and completions are matched to their start by id, whatever their dates.
        completions: dict[str, ChronologyEntry] = {}
        ends: dict[str, ChronologyEntry] = {}
        reviews: dict[str, list[ChronologyEntry]] = defaultdict(list)
        for entry in mine:
            if entry.type == "assessment_completed":
                completions.setdefault(entry.data["assessment_id"], entry)
            elif entry.type == "plan_ended":
                ends.setdefault(entry.data["plan_id"], entry)
            elif entry.type == "plan_reviewed":
                reviews[entry.data["plan_id"]].append(entry)
        self._completions = completions
        self._ends = ends
        self._reviews = reviews
        self._plans: list[_Plan] = []
        self._current: _Episode | None = None
        for entry in mine:
            self._apply(entry)

    def _apply(self, entry: ChronologyEntry) -> None:
        data = entry.data
        if entry.type == "contact_received":
            if is_referral(data) and (self._current is None or self._current.nfa):
                nfa = data.get("outcome") not in FURTHER_ACTION_OUTCOMES and (
                    data.get("outcome") is not None
                )
                self._current = _Episode(self.case_id, entry, nfa)
                self.episodes.append(self._current)
        elif entry.type == "case_closed":
            if self._current is not None:
                self._current.closure = entry
                self._current = None
        elif entry.type == "conference_held" and data.get("kind") == "review":
            for plan in self._plans:
                if (
                    plan.kind == "child_protection"
                    and plan.start <= day(entry)
                    and (plan.ended is None or day(entry) <= day(plan.ended))
                ):
                    plan.review_conferences.append(entry)
        elif _episode_work(entry):
            if self._current is None:
                self._outside_episode(entry)
            else:
                self._add_work(self._current, entry)

    def _outside_episode(self, entry: ChronologyEntry) -> None:
        closed = self.episodes[-1] if self.episodes else None
        if closed is not None and closed.closure is not None:
            closed.later_activity.append(entry)
        else:
            self.unattached.append(entry)

    def _add_work(self, current: _Episode, entry: ChronologyEntry) -> None:
        data = entry.data
        if entry.type == "assessment_started":
            current.assessments.append(
                _Assessment(
                    entry,
                    day(entry),
                    data.get("kind") == "section_47",
                    self._completions.get(data["assessment_id"]),
                )
            )
        elif entry.type == "plan_started":
            plan = _Plan(
                entry,
                data["kind"],
                day(entry),
                self._ends.get(data["plan_id"]),
                self._reviews[data["plan_id"]],
            )
            self._plans.append(plan)
            current.plans.append(plan)
        elif entry.type == "conference_held":
            current.initial_conferences.append(entry)
        else:
            current.strategy_discussions.append(entry)


def _episode_work(entry: ChronologyEntry) -> bool:
    """Work the census counts within an episode: assessments other than early help, child in
    need and protection plans, conferences and strategy discussions."""
    data = entry.data
    return (
        (entry.type == "assessment_started" and data.get("kind") != "early_help")
        or (
            entry.type == "plan_started"
            and data.get("kind") in ("child_in_need", "child_protection")
        )
        or entry.type in ("conference_held", "strategy_discussion_held")
    )


# -- the census -------------------------------------------------------------------------------


@dataclass
class _Person:
    case_id: str
    entry: ChronologyEntry


class _Builder:
    def __init__(self, year: int, la: str, as_known_at: datetime, working_days: WorkingDays | None):
        self.year = year
        self.la = la
        self.as_known_at = as_known_at
        self.start, self.end = collection_period(year)
        self.working_days = working_days or WorkingDays()
        self.issues: list[CompletenessIssue] = []

    def issue(
        self,
        rule: str | None,
        case_id: str | None,
        person_id: str,
        field_name: str,
        message: str,
        entries: Iterable[ChronologyEntry | None] = (),
    ) -> None:
        self.issues.append(
            CompletenessIssue(
                rule=rule,
                case_id=case_id,
                person_id=person_id,
                field=field_name,
                message=message,
                event_ids=tuple(entry.event_id for entry in entries if entry is not None),
            )
        )

    # -- episodes ---------------------------------------------------------------------------

    def in_year(self, when: date | None) -> bool:
        return when is not None and self.start <= when <= self.end

    def by_end(self, when: date | None) -> date | None:
        """A date after the reference date had not happened yet for this census."""
        return when if when is not None and when <= self.end else None

    def episode(
        self, person_id: str, episode: _Episode, plan_starts: Sequence[date]
    ) -> CensusEpisode | None:
        referral_date = day(episode.referral)
        closure_date = self.by_end(day(episode.closure)) if episode.closure else None
        if referral_date > self.end or (closure_date is not None and closure_date < self.start):
            return None
        if episode.nfa and referral_date < self.start:
            return None
        case_id = episode.case_id
        referral = episode.referral.data
        if referral.get("referral_source") is None:
            self.issue(
                "8866",
                case_id,
                person_id,
                "referral_source",
                "The referral has no referral source (CIN code)",
                [episode.referral],
            )
        if referral.get("primary_need") is None and not episode.nfa:
            self.issue(
                "8610",
                case_id,
                person_id,
                "primary_need",
                "The referral went on to further action but has no primary need code",
                [episode.referral],
            )
        closure_reason = None
        if closure_date is not None and episode.closure is not None:
            closure_reason = episode.closure.data.get("reason_code")
            if closure_reason is None:
                self.issue(
                    "8805",
                    case_id,
                    person_id,
                    "reason_code",
                    "The case was closed with no reason code (RC1-RC9)",
                    [episode.closure],
                )
        assessments = [
            a
            for a in (
                self.assessment(person_id, episode, item)
                for item in episode.assessments
                if not item.section_47
            )
            if a
        ]
        section47s = [
            s
            for s in (
                self.section47(person_id, episode, item)
                for item in episode.assessments
                if item.section_47
            )
            if s
        ]
        linked_conferences = {s.initial_cpc for s in section47s if s.initial_cpc}
        initial_cpc = next(
            (
                day(entry)
                for entry in episode.initial_conferences
                if entry.data.get("kind") == "initial"
                and self.in_year(day(entry))
                and day(entry) not in linked_conferences
                and not any(
                    item.section_47 and item.start <= day(entry) for item in episode.assessments
                )
            ),
            None,
        )
        cin_plans = [
            p
            for p in (
                self.cin_plan(person_id, episode, plan)
                for plan in episode.plans
                if plan.kind == "child_in_need"
            )
            if p
        ]
        protection_plans = [
            p
            for p in (
                self.protection_plan(person_id, episode, plan, plan_starts)
                for plan in episode.plans
                if plan.kind == "child_protection"
            )
            if p
        ]
        result = CensusEpisode(
            case_id=case_id,
            referral_date=referral_date,
            referral_source=referral.get("referral_source"),
            primary_need=referral.get("primary_need"),
            closure_date=closure_date,
            closure_reason=closure_reason,
            initial_cpc=initial_cpc,
            referral_nfa=episode.nfa,
            assessments=tuple(assessments),
            cin_plans=tuple(cin_plans),
            section47s=tuple(section47s),
            protection_plans=tuple(protection_plans),
        )
        self.check_episode(person_id, episode, result)
        return result

    def assessment(
        self, person_id: str, episode: _Episode, item: _Assessment
    ) -> CensusAssessment | None:
        if item.start > self.end:
            return None
        completed = item.completed
        authorised = self.by_end(day(completed)) if completed else None
        if authorised is not None and authorised < self.start:
            return None
        factors = None
        if authorised is not None and completed is not None:
            factors = tuple(completed.data.get("factors") or ()) or None
            if factors is None:
                self.issue(
                    "8897Q",
                    episode.case_id,
                    person_id,
                    "factors",
                    "The completed assessment has no assessment factors (use 21 for "
                    "none identified)",
                    [completed],
                )
            elif NO_FACTORS in factors and len(factors) > 1:
                self.issue(
                    "8869",
                    episode.case_id,
                    person_id,
                    "factors",
                    "Factor 21 (no factors identified) is recorded with other factors",
                    [completed],
                )
            unknown = sorted(set(factors or ()) - ASSESSMENT_FACTORS)
            if unknown:
                self.issue(
                    None,
                    episode.case_id,
                    person_id,
                    "factors",
                    f"Not DfE assessment factor codes: {', '.join(unknown)}",
                    [completed],
                )
            if factors and len(set(factors)) != len(factors):
                self.issue(
                    "8898",
                    episode.case_id,
                    person_id,
                    "factors",
                    "The same assessment factor is recorded twice",
                    [completed],
                )
        elif item.start < self.start:
            self.issue(
                "8736",
                episode.case_id,
                person_id,
                "assessment_completed",
                "The assessment started before the census year and is not completed",
                [item.entry],
            )
        elif self.working_days.between(item.start, self.end) > ASSESSMENT_WORKING_DAYS:
            self.issue(
                "8670Q",
                episode.case_id,
                person_id,
                "assessment_completed",
                f"The assessment is open more than {ASSESSMENT_WORKING_DAYS} working "
                "days at the end of the census year",
                [item.entry],
            )
        if authorised is not None and authorised < item.start:
            self.issue(
                "8608",
                episode.case_id,
                person_id,
                "occurred_at",
                "The assessment was completed before it started",
                [item.entry, completed],
            )
        return CensusAssessment(start=item.start, authorised=authorised, factors=factors)

    def section47(
        self, person_id: str, episode: _Episode, item: _Assessment
    ) -> CensusSection47 | None:
        if item.start > self.end:
            return None
        conference = next(
            (
                entry
                for entry in episode.initial_conferences
                if entry.data.get("kind") == "initial" and day(entry) >= item.start
            ),
            None,
        )
        initial_cpc = self.by_end(day(conference)) if conference else None
        completed = self.by_end(day(item.completed)) if item.completed else None
        not_required = (
            conference is None
            and item.completed is not None
            and not calls_for_conference(item.completed)
        )
        if initial_cpc is not None and initial_cpc < self.start:
            return None
        if (
            initial_cpc is None
            and not_required
            and completed is not None
            and (completed < self.start)
        ):
            return None
        discussions = [
            day(entry) for entry in episode.strategy_discussions if day(entry) <= item.start
        ]
        target = (
            self.working_days.add(max(discussions), INITIAL_CPC_WORKING_DAYS)
            if discussions
            else None
        )
        if initial_cpc is None and not not_required:
            if item.start < self.start:
                self.issue(
                    "8740",
                    episode.case_id,
                    person_id,
                    "conference_held",
                    "The section 47 enquiry started before the census year and has no "
                    "initial conference nor a completion without one",
                    [item.entry],
                )
            elif self.working_days.between(item.start, self.end) > INITIAL_CPC_WORKING_DAYS:
                self.issue(
                    "8675Q",
                    episode.case_id,
                    person_id,
                    "conference_held",
                    "The section 47 enquiry is more than 15 working days old at the end "
                    "of the census year with no initial conference",
                    [item.entry],
                )
        return CensusSection47(
            start=item.start,
            initial_cpc_target=target,
            initial_cpc=initial_cpc,
            icpc_not_required=not_required,
        )

    def cin_plan(self, person_id: str, episode: _Episode, plan: _Plan) -> CensusPlanDates | None:
        end = self.by_end(day(plan.ended)) if plan.ended else None
        if plan.start > self.end or (end is not None and end < self.start):
            return None
        if end is not None and end < plan.start:
            self.issue(
                "4011",
                episode.case_id,
                person_id,
                "occurred_at",
                "The child in need plan ended before it started",
                [plan.entry, plan.ended],
            )
        return CensusPlanDates(start=plan.start, end=end)

    def protection_plan(
        self, person_id: str, episode: _Episode, plan: _Plan, plan_starts: Sequence[date]
    ) -> CensusProtectionPlan | None:
        end = self.by_end(day(plan.ended)) if plan.ended else None
        if plan.start > self.end or (end is not None and end < self.start):
            return None
        case_id = episode.case_id
        conference = next(
            (
                entry
                for entry in episode.initial_conferences
                if entry.data.get("kind") == "initial" and day(entry) == plan.start
            ),
            None,
        )
        initial = plan.entry.data.get("category") or (
            conference.data.get("category") if conference else None
        )
        latest = initial
        for review in sorted(plan.review_conferences, key=day):
            if review.data.get("category") and day(review) <= (end or self.end):
                latest = review.data["category"]
        if initial is None:
            self.issue(
                "8905",
                case_id,
                person_id,
                "category",
                "The child protection plan has no category of abuse (nor its initial conference)",
                [plan.entry, conference],
            )
            self.issue(
                "8910",
                case_id,
                person_id,
                "category",
                "The child protection plan has no latest category of abuse",
                [plan.entry],
            )
        if conference is None:
            self.issue(
                "2885",
                case_id,
                person_id,
                "occurred_at",
                "The child protection plan did not start on the day of an initial "
                "conference recorded in the episode",
                [plan.entry],
            )
        if end is not None and end < plan.start:
            self.issue(
                "8925",
                case_id,
                person_id,
                "occurred_at",
                "The child protection plan ended before it started",
                [plan.entry, plan.ended],
            )
        elif end is not None and end == plan.start:
            self.issue(
                "8840",
                case_id,
                person_id,
                "occurred_at",
                "The child protection plan started and ended on the same day",
                [plan.entry, plan.ended],
            )
        reviews = sorted(
            {
                day(entry)
                for entry in [*plan.reviews, *plan.review_conferences]
                if self.in_year(day(entry)) and (end is None or day(entry) <= end)
            }
        )
        for entry in plan.reviews:
            if day(entry) <= plan.start:
                self.issue(
                    "8841",
                    case_id,
                    person_id,
                    "occurred_at",
                    "The plan review is on or before the plan's start",
                    [entry],
                )
        previous = sum(1 for started in plan_starts if started < plan.start)
        return CensusProtectionPlan(
            start=plan.start,
            end=end,
            initial_category=initial,
            latest_category=latest,
            previous_plans=previous,
            reviews=tuple(reviews),
        )

    def check_episode(self, person_id: str, episode: _Episode, result: CensusEpisode) -> None:
        case_id = episode.case_id
        if result.referral_nfa and (
            result.assessments
            or result.section47s
            or result.initial_cpc
            or result.protection_plans
            or result.cin_plans
        ):
            self.issue(
                "8831",
                case_id,
                person_id,
                "outcome",
                "The referral is recorded as no further action but work followed it",
                [episode.referral],
            )
        if result.closure_date is not None:
            activity = [
                *(a.authorised for a in result.assessments),
                *(p.end for p in result.protection_plans),
                *(p.end for p in result.cin_plans),
                *(s.initial_cpc for s in result.section47s),
            ]
            if any(when is not None and when > result.closure_date for when in activity):
                self.issue(
                    "8565",
                    case_id,
                    person_id,
                    "occurred_at",
                    "Work is dated after the case was closed",
                    [episode.closure],
                )
            if any(a.authorised is None for a in result.assessments):
                self.issue(
                    "8867",
                    case_id,
                    person_id,
                    "assessment_completed",
                    "The case was closed with an assessment not completed",
                    [episode.closure],
                )
            ends = [plan.end for plan in result.protection_plans] + [
                plan.end for plan in result.cin_plans
            ]
            if None in ends:
                self.issue(
                    "8565",
                    case_id,
                    person_id,
                    "plan_ended",
                    "The case was closed with a plan still open",
                    [episode.closure],
                )
        if episode.later_activity:
            self.issue(
                None,
                case_id,
                person_id,
                "contact_received",
                "Work was recorded after the case was closed with no new referral",
                episode.later_activity,
            )
        if result.closure_reason in CLOSED_AFTER_ASSESSMENT and (
            result.section47s or result.protection_plans or result.cin_plans
        ):
            self.issue(
                "2990",
                case_id,
                person_id,
                "reason_code",
                "Closed after assessment (RC8/RC9) but enquiries or plans followed",
                [episode.closure],
            )
        open_cp = [p for p in result.protection_plans if p.end is None]
        if len(open_cp) > 1:
            self.issue(
                "8935",
                case_id,
                person_id,
                "plan_ended",
                "More than one child protection plan is open",
                [episode.referral],
            )
        open_cin = [p for p in result.cin_plans if p.end is None]
        if len(open_cin) > 1:
            self.issue(
                "4004",
                case_id,
                person_id,
                "plan_ended",
                "More than one child in need plan is open",
                [episode.referral],
            )
        for cin in result.cin_plans:
            for cp in result.protection_plans:
                if (
                    cin.start <= (cp.end or date.max)
                    and cp.start <= (cin.end or date.max)
                    and (cin.start != cp.end and cp.start != cin.end)
                ):
                    self.issue(
                        "4001",
                        case_id,
                        person_id,
                        "plan_ended",
                        "A child in need plan runs at the same time as a child protection plan",
                        [episode.referral],
                    )

    # -- children ---------------------------------------------------------------------------

    def child(
        self,
        person_id: str,
        person: _Person,
        episodes: list[CensusEpisode],
        all_ids: Mapping[str, int],
    ) -> CensusChild:
        data = person.entry.data
        case_id = person.case_id
        la_child_id = la_child_id_of(person_id)
        if not la_child_id or len(la_child_id) > 20 or all_ids[la_child_id] > 1:
            self.issue(
                "1570" if len(la_child_id) > 20 else "8510",
                case_id,
                person_id,
                "person_id",
                f"The person id gives no unique LA child id of 1-20 letters "
                f"and digits ({la_child_id!r})",
                [person.entry],
            )
        birth = _date_or_none(data.get("date_of_birth"))
        expected = _date_or_none(data.get("expected_birth_date"))
        unborn = birth is None or birth > self.end
        birth_date = None if unborn else birth
        expected_date = expected if unborn else None
        if birth_date is None and expected_date is None:
            self.issue(
                "8525Q",
                case_id,
                person_id,
                "date_of_birth",
                "The child has no date of birth (or expected date of birth)",
                [person.entry],
            )
        sex = "U" if unborn and expected_date is not None else data.get("sex")
        if sex is None:
            self.issue(
                "4180", case_id, person_id, "sex", "The child's sex is not recorded", [person.entry]
            )
        if data.get("ethnicity") is None:
            self.issue(
                "4220",
                case_id,
                person_id,
                "ethnicity",
                "The child's ethnicity is not recorded (NOBT if not yet obtained)",
                [person.entry],
            )
        further_action = any(not episode.referral_nfa for episode in episodes)
        disabilities = tuple(data["disabilities"]) if data.get("disabilities") else None
        if disabilities is None and further_action and birth_date is not None:
            self.issue(
                "8540",
                case_id,
                person_id,
                "disabilities",
                "The child's disabilities are not recorded (NONE if none)",
                [person.entry],
            )
        elif disabilities is not None and "NONE" in disabilities and len(disabilities) > 1:
            self.issue(
                "8790",
                case_id,
                person_id,
                "disabilities",
                "Disabilities include NONE and other codes",
                [person.entry],
            )
        upn = data.get("upn")
        reason = data.get("upn_unknown_reason")
        # The census knows UN1-UN7; UN8-UN10 are the SSDA903's alone, and left out here.
        upn_unknown = reason if upn is None and reason in CENSUS_UPN_UNKNOWN else None
        school_age = birth_date is not None and birth_date <= date(self.year - 6, 8, 31)
        if upn_unknown == "UN7" and further_action:
            self.issue(
                "8772",
                case_id,
                person_id,
                "upn_unknown_reason",
                "The UPN is unknown for a referral with no further action (UN7), but a "
                "referral went on to further action",
                [person.entry],
            )
        if upn is None and school_age and further_action and upn_unknown in (None, "UN1"):
            self.issue(
                "8770Q",
                case_id,
                person_id,
                "upn",
                "The child is of school age and has no UPN recorded, nor a reason for it "
                "other than not being of school age (UN1)",
                [person.entry],
            )
        elif upn is not None and upn[1:13].isdigit() and upn_check_letter(upn) != upn[0]:
            self.issue(
                "1510", case_id, person_id, "upn", "The UPN's check letter is wrong", [person.entry]
            )
        elif upn is not None and not recognised_la_code(upn[1:4]):
            self.issue(
                "1530",
                case_id,
                person_id,
                "upn",
                "Characters 2-4 of the UPN are not a recognised LA code",
                [person.entry],
            )
        ordered = sorted(episodes, key=lambda episode: (episode.referral_date, episode.case_id))
        open_episodes = [e for e in ordered if e.closure_date is None and not e.referral_nfa]
        if len(open_episodes) > 1:
            self.issue(
                "8815",
                None,
                person_id,
                "case_closed",
                "More than one open episode for the child (in cases "
                + ", ".join(e.case_id for e in open_episodes)
                + ")",
            )
        return CensusChild(
            person_id=person_id,
            la_child_id=la_child_id,
            upn=upn,
            upn_unknown=upn_unknown,
            birth_date=birth_date,
            expected_birth_date=expected_date,
            sex=sex,
            ethnicity=data.get("ethnicity"),
            disabilities=disabilities,
            episodes=tuple(ordered),
        )


def la_child_id_of(person_id: str) -> str:
    """The LA child id: the person id's letters and digits (the DfE allows no others)."""
    return re.sub(r"[^A-Za-z0-9]", "", person_id)


def _date_or_none(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def cin_census(
    chronologies: Mapping[str, Sequence[ChronologyEntry]],
    *,
    year: int,
    la: str,
    as_known_at: datetime,
    working_days: WorkingDays | None = None,
) -> CinCensus:
    """The census for collection `year` from each case's chronology as known at `as_known_at`.

    `chronologies` maps case ids to their entries (at least the `CENSUS_TYPES`), ordered by
    when they happened, as `CaseQueries.chronology` gives them.
    """
    builder = _Builder(year, la, as_known_at, working_days)
    people, histories = _children_of(chronologies)
    episodes = _census_episodes(builder, histories)
    id_counts: dict[str, int] = defaultdict(int)
    for person_id in episodes:
        id_counts[la_child_id_of(person_id)] += 1
    children = [
        builder.child(person_id, people[person_id], episodes[person_id], id_counts)
        for person_id in sorted(episodes)
    ]
    _report_shared_upns(builder, children, people)
    start, end = collection_period(year)
    children.sort(key=lambda child: (child.la_child_id, child.person_id))
    return CinCensus(
        year=year,
        la=la,
        reference_date=end,
        collection_start=start,
        as_known_at=as_known_at,
        children=tuple(children),
        issues=tuple(
            sorted(
                builder.issues,
                key=lambda issue: (
                    issue.person_id,
                    issue.case_id or "",
                    issue.rule or "",
                    issue.field,
                    issue.message,
                ),
            )
        ),
    )


def _children_of(
    chronologies: Mapping[str, Sequence[ChronologyEntry]],
) -> tuple[dict[str, _Person], dict[str, list[_ChildHistory]]]:
    """Each child (as first added, in case id order) and their history in each of their cases."""
    people: dict[str, _Person] = {}
    histories: dict[str, list[_ChildHistory]] = defaultdict(list)
    for case_id in sorted(chronologies):
        entries = chronologies[case_id]
        for entry in entries:
            if entry.type == "person_added" and entry.data.get("role") == "child":
                person_id = entry.data["person_id"]
                people.setdefault(person_id, _Person(case_id, entry))
                if all(history.case_id != case_id for history in histories[person_id]):
                    histories[person_id].append(_ChildHistory(case_id, person_id, entries))
    return people, histories


def _census_episodes(
    builder: _Builder, histories: Mapping[str, list[_ChildHistory]]
) -> dict[str, list[CensusEpisode]]:
    """Each child's episodes the census counts (children with none are left out), reporting
    work recorded before any referral."""
    plan_starts: dict[str, list[date]] = {
        person_id: [
            plan.start
            for history in child_histories
            for episode in history.episodes
            for plan in episode.plans
            if plan.kind == "child_protection"
        ]
        for person_id, child_histories in histories.items()
    }
    episodes: dict[str, list[CensusEpisode]] = {}
    for person_id in sorted(histories):
        found = []
        for history in histories[person_id]:
            if history.unattached:
                builder.issue(
                    None,
                    history.case_id,
                    person_id,
                    "contact_received",
                    "Work was recorded before any referral (no contact counted as "
                    "a referral: give it a referral_source)",
                    history.unattached,
                )
            for episode in history.episodes:
                census_episode = builder.episode(person_id, episode, plan_starts[person_id])
                if census_episode is not None:
                    found.append(census_episode)
        if found:
            episodes[person_id] = found
    return episodes


def _report_shared_upns(
    builder: _Builder, children: Sequence[CensusChild], people: Mapping[str, _Person]
) -> None:
    """A UPN recorded for more than one child is reported against each of them (rule 1520)."""
    upns: dict[str, list[str]] = defaultdict(list)
    for child in children:
        if child.upn:
            upns[child.upn].append(child.person_id)
    for upn, holders in sorted(upns.items()):
        if len(holders) > 1:
            for person_id in holders:
                builder.issue(
                    "1520",
                    people[person_id].case_id,
                    person_id,
                    "upn",
                    f"The UPN {upn} is recorded for more than one child",
                    [people[person_id].entry],
                )
