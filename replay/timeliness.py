"""Intervals between a case's milestones, in calendar and working days, beside local timescales.

Pure: it reads a chronology (entries as known at some time, corrections applied, retractions
excluded) and says nothing about pass or fail. Milestones are dated at date precision by when
they happened (`occurred_at`, local date); only milestones that happened on or before `on`
count, and a milestone still waiting on `on` is reported open with its elapsed interval.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from events.timepoints import local_date, start_of
from projections.fold import Amendment, ChronologyEntry
from replay.workingdays import WorkingDays

Milestone = Literal[
    "contact_to_decision",
    "contact_to_assessment_start",
    "assessment_start_to_completion",
    "contact_to_assessment_completion",
    "strategy_discussion_to_initial_conference",
    "initial_conference_to_plan_start",
    "initial_conference_to_first_core_group",
    "plan_start_to_first_review",
    "review_to_next_review",
]
MILESTONES: tuple[Milestone, ...] = get_args(Milestone)
LABELS: dict[str, str] = {
    "contact_to_decision": "Contact to the decision on it",
    "contact_to_assessment_start": "Contact to assessment start",
    "assessment_start_to_completion": "Assessment start to completion",
    "contact_to_assessment_completion": "Contact to assessment completion",
    "strategy_discussion_to_initial_conference": "Strategy discussion to initial conference",
    "initial_conference_to_plan_start": "Initial conference to child protection plan start",
    "initial_conference_to_first_core_group": "Initial conference to first core group",
    "plan_start_to_first_review": "Child protection plan start to first review",
    "review_to_next_review": "Review to next review",
}
# The event types the intervals are built from (a report lists only cases holding one).
MILESTONE_TYPES = (
    "contact_received",
    "decision_made",
    "assessment_started",
    "assessment_completed",
    "strategy_discussion_held",
    "conference_held",
    "plan_started",
    "plan_reviewed",
    "plan_ended",
    "core_group_held",
)
# Contact outcomes after which an assessment is expected; only these are reported open.
_ASSESSMENT_OUTCOMES = ("assessment", "strategy_discussion")
# Early help assessments are not the statutory assessment the timescale is about.
_UNTIMED_ASSESSMENT_KINDS = ("early_help",)
# Every timescale of the rule packs is measured now; kept so a reader can say what is not.
NOT_MEASURED: tuple[str, ...] = ()


class RulePack(BaseModel):
    """Local timescales of one jurisdiction or authority; None means no timescale is shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    description: str = ""
    subdivision: str = Field(
        default="ENG", description="Bank holidays: a GB subdivision of `holidays`"
    )
    referral_decision_working_days: int | None = Field(default=1, ge=0, le=1000)
    assessment_working_days: int | None = Field(
        default=45, ge=0, le=1000, description="From the contact (referral)"
    )
    initial_conference_working_days: int | None = Field(
        default=15, ge=0, le=1000, description="From the strategy discussion"
    )
    first_core_group_working_days: int | None = Field(
        default=10,
        ge=0,
        le=1000,
        description="From the initial conference",
    )
    first_review_months: int | None = Field(
        default=3, ge=0, le=120, description="From the plan start"
    )
    later_review_months: int | None = Field(
        default=6, ge=0, le=120, description="From the previous review"
    )

    def working_days(self) -> WorkingDays:
        return WorkingDays("GB", self.subdivision)


ENGLAND = RulePack(
    name="england",
    description="England: Working Together to Safeguard Children (SPEC section 8 defaults)",
)
WALES = RulePack(
    name="wales",
    description="Wales: assessment within 42 working days (SPEC section 8); the other "
    "timescales are kept from England until set locally",
    subdivision="WLS",
    assessment_working_days=42,
)
RULE_PACKS: dict[str, RulePack] = {pack.name: pack for pack in (ENGLAND, WALES)}


class Interval(BaseModel):
    """The time from one milestone to the next, beside the local timescale for it."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    milestone: Milestone
    label: str
    reference: str | None = Field(None, description="The assessment_id or plan_id, if any")
    agency: str = Field(description="The agency of the first milestone")
    subjects: tuple[str, ...]
    from_event_id: UUID
    from_type: str
    from_date: date
    to_event_id: UUID | None
    to_type: str | None
    to_date: date | None
    status: Literal["completed", "open"]
    until: date = Field(description="`to_date`, or the date asked about while open")
    calendar_days: int
    working_days: int
    timescale: str | None = Field(None, description="The local timescale, for people")
    timescale_working_days: int | None = None
    timescale_months: int | None = None
    timescale_date: date | None = Field(
        None, description="The date the local timescale falls on, counted from `from_date`"
    )
    note: str | None = None


class CaseTimeliness(BaseModel):
    """Every interval of one case, with the rule pack they are set beside."""

    on: date
    rules: RulePack
    intervals: list[Interval]
    not_measured: tuple[str, ...] = NOT_MEASURED


class MilestoneSummary(BaseModel):
    """Counts and medians for one kind of interval across cases; information, not a score."""

    milestone: Milestone
    label: str
    intervals: int
    completed: int
    open: int
    median_calendar_days: float | None = Field(description="Of completed intervals")
    median_working_days: float | None = Field(description="Of completed intervals")
    with_timescale: int
    beyond_timescale: int = Field(
        description="Intervals whose end (or the date asked about, while open) falls after the "
        "date the local timescale falls on"
    )


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def case_timeliness(
    entries: Iterable[ChronologyEntry],
    rules: RulePack,
    working_days: WorkingDays,
    on: date,
) -> CaseTimeliness:
    """The case's intervals on date `on`, from its chronology (retracted entries are ignored)."""
    happened = sorted(
        (entry for entry in entries if not entry.retracted and local_date(entry.occurred_at) <= on),
        key=lambda entry: (start_of(entry.occurred_at), entry.position),
    )
    measure = _Measure(rules, working_days, on)
    intervals = [
        *_contact_decisions(happened, measure),
        *_assessments(happened, measure),
        *_conferences(happened, measure),
        *_first_core_groups(happened, measure),
        *_plan_reviews(happened, measure),
    ]
    intervals.sort(
        key=lambda interval: (
            interval.from_date,
            MILESTONES.index(interval.milestone),
            interval.until,
        )
    )
    return CaseTimeliness(on=on, rules=rules, intervals=intervals)


def summarise(intervals: Sequence[Interval]) -> list[MilestoneSummary]:
    """Per kind of interval: how many, how many open, medians, how many beyond the timescale."""
    summaries = []
    for milestone in MILESTONES:
        these = [interval for interval in intervals if interval.milestone == milestone]
        if not these:
            continue
        completed = [interval for interval in these if interval.status == "completed"]
        timed = [interval for interval in these if interval.timescale_date is not None]
        summaries.append(
            MilestoneSummary(
                milestone=milestone,
                label=LABELS[milestone],
                intervals=len(these),
                completed=len(completed),
                open=len(these) - len(completed),
                median_calendar_days=_median([interval.calendar_days for interval in completed]),
                median_working_days=_median([interval.working_days for interval in completed]),
                with_timescale=len(timed),
                beyond_timescale=sum(
                    1
                    for interval in timed
                    if interval.timescale_date is not None
                    and interval.until > interval.timescale_date
                ),
            )
        )
    return summaries


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _day(entry: ChronologyEntry) -> date:
    return local_date(entry.occurred_at)


class _Measure:
    """Builds intervals with the rule pack, the working-day calendar and the date asked about."""

    def __init__(self, rules: RulePack, working_days: WorkingDays, on: date):
        self.rules = rules
        self.working_days = working_days
        self.on = on

    def interval(
        self,
        milestone: Milestone,
        start: ChronologyEntry,
        end: ChronologyEntry | None,
        *,
        working_days: int | None = None,
        months: int | None = None,
        reference: str | None = None,
        end_day: date | None = None,
        end_event: tuple[UUID, str] | None = None,
        note: str | None = None,
    ) -> Interval:
        """From `start` to `end` (open to `on` when None); `end_day` and `end_event` say when
        and by which event the end was recorded when that is not `end` itself."""
        from_date = _day(start)
        to_date = end_day if end_day is not None else (_day(end) if end is not None else None)
        until = to_date if to_date is not None else self.on
        timescale, timescale_date = None, None
        if working_days is not None:
            timescale = f"{working_days} working day{'s' if working_days != 1 else ''}"
            timescale_date = self.working_days.add(from_date, working_days)
        elif months is not None:
            timescale = f"{months} month{'s' if months != 1 else ''}"
            timescale_date = add_months(from_date, months)
        return Interval(
            case_id=start.case_id,
            milestone=milestone,
            label=LABELS[milestone],
            reference=reference,
            agency=start.agency,
            subjects=start.subjects,
            from_event_id=start.event_id,
            from_type=start.type,
            from_date=from_date,
            to_event_id=end_event[0] if end_event else (end.event_id if end else None),
            to_type=end_event[1] if end_event else (end.type if end else None),
            to_date=to_date,
            status="completed" if to_date is not None else "open",
            until=until,
            calendar_days=(until - from_date).days,
            working_days=self.working_days.between(from_date, until),
            timescale=timescale,
            timescale_working_days=working_days,
            timescale_months=months if working_days is None else None,
            timescale_date=timescale_date,
            note=note,
        )


def _of_type(entries: Sequence[ChronologyEntry], *types: str) -> list[ChronologyEntry]:
    return [entry for entry in entries if entry.type in types]


def _latest_on_or_before(
    candidates: Sequence[ChronologyEntry],
    day: date,
    agency: str | None = None,
) -> ChronologyEntry | None:
    """The last candidate (in chronology order) that happened on or before `day`."""
    found = None
    for candidate in candidates:
        if _day(candidate) <= day and (agency is None or candidate.agency == agency):
            found = candidate
    return found


def _last_of_each_agency(entries: Sequence[ChronologyEntry]) -> set[UUID]:
    return {entry.event_id for entry in {entry.agency: entry for entry in entries}.values()}


def _contact_decisions(entries: Sequence[ChronologyEntry], measure: _Measure) -> list[Interval]:
    """Each contact to the decision on it, the first of:

    1. the first `decision_made` on or after the contact that names it in
       `information_relied_on`;
    2. the contact's recorded `outcome`, dated when it was recorded (with the contact, or by
       the correction that added it);
    3. the first `decision_made` of the contact's agency after it, before that agency's next
       contact;
    and open without any of them.
    """
    intervals = []
    contacts = _of_type(entries, "contact_received")
    relied_on: dict[str, ChronologyEntry] = {}
    next_by_agency: dict[UUID, ChronologyEntry] = {}
    latest_contact: dict[str, ChronologyEntry] = {}
    seen: set[str] = set()
    for entry in entries:  # in chronology order
        if entry.type == "contact_received":
            latest_contact[entry.agency] = entry
            seen.add(str(entry.event_id))
        elif entry.type == "decision_made":
            for event_id in entry.data.get("information_relied_on") or ():
                if str(event_id) in seen:
                    relied_on.setdefault(str(event_id), entry)
            if entry.agency in latest_contact:
                next_by_agency.setdefault(latest_contact[entry.agency].event_id, entry)
    days = measure.rules.referral_decision_working_days
    for contact in contacts:
        decision = relied_on.get(str(contact.event_id))
        if decision is not None:
            intervals.append(
                measure.interval(
                    "contact_to_decision",
                    contact,
                    decision,
                    working_days=days,
                    note="the first decision relying on this contact",
                )
            )
            continue
        recorded = _outcome_recorded(contact)
        if recorded is not None:
            day, recorded_by = recorded
            how = "with the contact" if recorded_by is contact else "by a correction"
            intervals.append(
                measure.interval(
                    "contact_to_decision",
                    contact,
                    contact,
                    working_days=days,
                    end_day=day,
                    end_event=(recorded_by.event_id, recorded_by.type),
                    note=f"outcome '{contact.data['outcome']}' recorded {how}",
                )
            )
            continue
        decision = next_by_agency.get(contact.event_id)
        if decision is not None:
            intervals.append(
                measure.interval(
                    "contact_to_decision",
                    contact,
                    decision,
                    working_days=days,
                    note=f"the next decision of {contact.agency} after this contact",
                )
            )
            continue
        intervals.append(
            measure.interval(
                "contact_to_decision",
                contact,
                None,
                working_days=days,
                note="no outcome or decision yet",
            )
        )
    return intervals


def _outcome_recorded(contact: ChronologyEntry) -> tuple[date, ChronologyEntry | Amendment] | None:
    """When the contact's outcome was recorded, and by what; None without an outcome."""
    if not contact.data.get("outcome"):
        return None
    for amendment in contact.amendments:
        changed = (amendment.changes or {}).get("data") or {}
        if amendment.type == "entry_corrected" and "outcome" in changed:
            if not ((amendment.previous or {}).get("data") or {}).get("outcome"):
                return local_date(amendment.known_at), amendment
            break
    # The agency's own record time; capped by the store's in case the viewer learned it later.
    return local_date(min(contact.known_at, contact.recorded_at)), contact


def _assessments(entries: Sequence[ChronologyEntry], measure: _Measure) -> list[Interval]:
    """Each assessment from the contact before it, and from its start, to its completion.

    The contact is the latest one of the assessing agency on or before the start date; one
    contact may lead to several assessments (a single assessment, then section 47 enquiries).
    """
    intervals = []
    contacts = _of_type(entries, "contact_received")
    completions: dict[str, ChronologyEntry] = {}
    for entry in _of_type(entries, "assessment_completed"):
        completions.setdefault(str(entry.data["assessment_id"]), entry)
    assessed: set[UUID] = set()
    for start in _of_type(entries, "assessment_started"):
        assessment_id = str(start.data["assessment_id"])
        completion = completions.get(assessment_id)
        timed = start.data.get("kind") not in _UNTIMED_ASSESSMENT_KINDS
        contact = _latest_on_or_before(contacts, _day(start), agency=start.agency)
        intervals.append(
            measure.interval(
                "assessment_start_to_completion", start, completion, reference=assessment_id
            )
        )
        if contact is None:
            continue
        assessed.add(contact.event_id)
        intervals.append(
            measure.interval("contact_to_assessment_start", contact, start, reference=assessment_id)
        )
        intervals.append(
            measure.interval(
                "contact_to_assessment_completion",
                contact,
                completion,
                reference=assessment_id,
                working_days=measure.rules.assessment_working_days if timed else None,
                note=None if timed else "early help assessment: no statutory timescale",
            )
        )
    latest = _last_of_each_agency(contacts)
    for contact in contacts:
        if (
            contact.event_id in latest
            and contact.event_id not in assessed
            and contact.data.get("outcome") in _ASSESSMENT_OUTCOMES
        ):
            intervals.append(
                measure.interval(
                    "contact_to_assessment_start",
                    contact,
                    None,
                    note=f"outcome '{contact.data['outcome']}'; no assessment started yet",
                )
            )
    return intervals


def _conferences(entries: Sequence[ChronologyEntry], measure: _Measure) -> list[Interval]:
    """Strategy discussion to initial conference, and initial conference to plan start.

    Each conference is measured from the latest strategy discussion on or before it, and each
    child protection plan from the latest initial conference on or before it (one conference
    may start a plan for each child).
    """
    intervals = []
    discussions = _of_type(entries, "strategy_discussion_held")
    initial = [
        entry
        for entry in _of_type(entries, "conference_held")
        if entry.data.get("kind") == "initial"
    ]
    plans = [
        entry
        for entry in _of_type(entries, "plan_started")
        if entry.data.get("kind") == "child_protection"
    ]
    days = measure.rules.initial_conference_working_days
    discussed: set[UUID] = set()
    for conference in initial:
        discussion = _latest_on_or_before(discussions, _day(conference))
        if discussion is not None:
            discussed.add(discussion.event_id)
            intervals.append(
                measure.interval(
                    "strategy_discussion_to_initial_conference",
                    discussion,
                    conference,
                    working_days=days,
                )
            )
    if (
        discussions
        and discussions[-1].event_id not in discussed
        and discussions[-1].data.get("outcome") == "section_47"
    ):
        intervals.append(
            measure.interval(
                "strategy_discussion_to_initial_conference",
                discussions[-1],
                None,
                working_days=days,
                note="section 47 enquiries; no initial conference yet",
            )
        )
    planned: set[UUID] = set()
    for plan in plans:
        planning_conference = _latest_on_or_before(initial, _day(plan))
        if planning_conference is not None:
            planned.add(planning_conference.event_id)
            intervals.append(
                measure.interval(
                    "initial_conference_to_plan_start",
                    planning_conference,
                    plan,
                    reference=str(plan.data["plan_id"]),
                )
            )
    if (
        initial
        and initial[-1].event_id not in planned
        and initial[-1].data.get("outcome") == "child_protection_plan"
    ):
        intervals.append(
            measure.interval(
                "initial_conference_to_plan_start",
                initial[-1],
                None,
                note="conference outcome: child protection plan; no plan started yet",
            )
        )
    return intervals


def _first_core_groups(entries: Sequence[ChronologyEntry], measure: _Measure) -> list[Interval]:
    """Each initial conference that decided on a child protection plan to the first core group
    held on or after it, before the next initial conference (naming at least one of its
    children when both name any). A conference that decided on a plan waits, open, for one.

    The decision is the conference's outcome, or a child protection plan started on or after
    it and before the next initial conference.
    """
    intervals = []
    initial = [
        entry
        for entry in _of_type(entries, "conference_held")
        if entry.data.get("kind") == "initial"
    ]
    core_groups = _of_type(entries, "core_group_held")
    plans = [
        entry
        for entry in _of_type(entries, "plan_started")
        if entry.data.get("kind") == "child_protection"
    ]
    for number, conference in enumerate(initial):
        following = initial[number + 1] if number + 1 < len(initial) else None
        ours = [
            entry
            for entry in [*core_groups, *plans]
            if _between(entry, conference, following) and _same_children(conference, entry)
        ]
        first = next((entry for entry in ours if entry.type == "core_group_held"), None)
        planned = conference.data.get("outcome") == "child_protection_plan" or any(
            entry.type == "plan_started" for entry in ours
        )
        if first is None and not planned:
            continue
        intervals.append(
            measure.interval(
                "initial_conference_to_first_core_group",
                conference,
                first,
                working_days=measure.rules.first_core_group_working_days,
                reference=str(first.data["plan_id"])
                if first and first.data.get("plan_id")
                else None,
                note=None if first is not None else "child protection plan; no core group yet",
            )
        )
    return intervals


def _between(
    entry: ChronologyEntry, first: ChronologyEntry, following: ChronologyEntry | None
) -> bool:
    """Whether the entry happened on or after `first`'s day and before `following`'s."""
    day = _day(entry)
    return _day(first) <= day and (following is None or day < _day(following))


def _plan_reviews(entries: Sequence[ChronologyEntry], measure: _Measure) -> list[Interval]:
    """Each child protection plan's start to its first review, then review to review.

    A review is a `plan_reviewed` of the plan or a review `conference_held` while the plan ran
    (naming at least one of its subjects when both name any); several on one day count once.
    While the plan runs, the wait for the next review is reported open.
    """
    intervals = []
    ended = {str(entry.data["plan_id"]): _day(entry) for entry in _of_type(entries, "plan_ended")}
    for plan in _of_type(entries, "plan_started"):
        if plan.data.get("kind") != "child_protection":
            continue
        plan_id = str(plan.data["plan_id"])
        started, end = _day(plan), ended.get(plan_id)
        candidates = [
            entry
            for entry in entries
            if (entry.type == "plan_reviewed" and str(entry.data["plan_id"]) == plan_id)
            or (
                entry.type == "conference_held"
                and entry.data.get("kind") == "review"
                and _same_children(entry, plan)
            )
        ]
        reviews: list[ChronologyEntry] = []
        for review in candidates:
            day = _day(review)
            if (
                started < day
                and (end is None or day <= end)
                and all(_day(other) != day for other in reviews)
            ):
                reviews.append(review)
        previous = plan
        for number, next_review in enumerate([*reviews, None]):
            if next_review is None and end is not None:
                break
            milestone: Milestone = (
                "plan_start_to_first_review" if number == 0 else "review_to_next_review"
            )
            months = (
                measure.rules.first_review_months
                if number == 0
                else measure.rules.later_review_months
            )
            intervals.append(
                measure.interval(milestone, previous, next_review, months=months, reference=plan_id)
            )
            if next_review is not None:
                previous = next_review
    return intervals


def _same_children(conference: ChronologyEntry, plan: ChronologyEntry) -> bool:
    if not conference.subjects or not plan.subjects:
        return True
    return bool(set(conference.subjects) & set(plan.subjects))
