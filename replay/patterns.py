"""Repeated-concern patterns of a case (SPEC section 5), as facts for a professional to read.

Computed from a chronology (corrections applied, retractions already left out), so every
figure is "as known at" the time and to the viewer that chronology was built for.

Definitions:
- A contact is a `contact_received` entry, dated by the local calendar date of `occurred_at`
  (date-only and datetime entries compared at date precision). Its source agency is
  `data.source_agency`, or else the agency that recorded it (`source_agency_stated` says which).
- A window of a rule "N in L" starts on the date of each contact and covers L calendar days (or
  L calendar months) counted from that date: `[start, start + L)`. With L = 90 days, contacts
  89 days apart are in one window and contacts exactly 90 days apart are not; with L = 12 months
  a window from 2024-01-01 ends on 2024-12-31 (one starting on 29 February ends on 28 February).
  A window meets the rule when it holds N or more contacts; windows that meet it and share a
  contact are merged into one episode, so each contact is in at most one episode per rule.
- Runs of "no further action" are consecutive contacts each recorded with that outcome; a
  contact with another outcome, or none recorded, ends the run.
- Repeated missing episodes: `missing_episode_recorded` entries of one child (`person_id`),
  dated by the local date the episode `started`, counted in the same rolling windows as
  contacts ("N in L"), merged the same way; missing and away episodes count alike.
- A plan ended and restarted: for one child, a plan of a kind ended and a later plan of the same
  kind started on or after the day it ended. A plan counts for each child it names; a plan
  naming no one counts for the case as a whole (`subject` null).

Nothing here weighs, scores or rates: counts, dates and the recorded outcomes only.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.timepoints import InstantField, WhenField, local_date, parse_timepoint, start_of
from projections.fold import ChronologyEntry

NO_FURTHER_ACTION = "no_further_action"
NOT_RECORDED = "not_recorded"
# Only the entry types the patterns are built from; callers may narrow their query to them.
PATTERN_TYPES = (
    "contact_received",
    "strategy_discussion_held",
    "plan_started",
    "plan_ended",
    "missing_episode_recorded",
)
MAX_RULE_CONTACTS = 1000
MAX_RULE_DAYS = 3650
MAX_RULE_MONTHS = 120
_RULE_TEXT = re.compile(r"^\s*(\d{1,4})\s*:\s*(\d{1,4})\s*([dm]?)\s*$", re.IGNORECASE)


class WindowRule(BaseModel):
    """N or more contacts within a window of L days or L calendar months."""

    model_config = ConfigDict(frozen=True)

    min_contacts: int
    length: int
    unit: Literal["days", "months"]

    @property
    def description(self) -> str:
        unit = self.unit if self.length != 1 else self.unit.removesuffix("s")
        return f"{self.min_contacts} or more contacts within {self.length} {unit}"

    def window_end(self, start: date) -> date:
        """The first date after the window that starts on `start`."""
        if self.unit == "days":
            return start + timedelta(days=self.length)
        return add_months(start, self.length)

    @classmethod
    def parse(cls, text: str) -> WindowRule:
        """`N:L` or `N:Ld` (days), `N:Lm` (calendar months); ValueError saying what is wrong."""
        match = _RULE_TEXT.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a window: write COUNT:DAYS (3:90), or COUNT:MONTHSm (5:12m)"
            )
        count, length = int(match.group(1)), int(match.group(2))
        unit: Literal["days", "months"] = "months" if match.group(3).lower() == "m" else "days"
        if not 2 <= count <= MAX_RULE_CONTACTS:
            raise ValueError(f"{text!r}: the count must be from 2 to {MAX_RULE_CONTACTS}")
        most = MAX_RULE_DAYS if unit == "days" else MAX_RULE_MONTHS
        if not 1 <= length <= most:
            raise ValueError(f"{text!r}: the window must be from 1 to {most} {unit}")
        return cls(min_contacts=count, length=length, unit=unit)


DEFAULT_RULES = (
    WindowRule(min_contacts=3, length=90, unit="days"),
    WindowRule(min_contacts=5, length=12, unit="months"),
)


def add_months(start: date, months: int) -> date:
    """The same day `months` later; a day the month lacks rolls on to the next month's first."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    if start.day > calendar.monthrange(year, month)[1]:
        return date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, start.day)


class Contact(BaseModel):
    """One contact as the chronology holds it."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    occurred_on: date
    occurred_at: WhenField
    date_uncertain: bool
    source_agency: str
    source_agency_stated: bool
    recording_agency: str
    contact_kind: str | None
    concern_categories: list[str]
    outcome: str | None
    subjects: list[str]
    summary: str | None


class ContactEpisode(BaseModel):
    """Contacts in windows that meet a rule, merged where the windows share a contact."""

    model_config = ConfigDict(frozen=True)

    first_date: date
    last_date: date
    days_first_to_last: int
    contact_count: int
    most_contacts_in_one_window: int
    no_further_action_count: int
    contacts: list[Contact]


class SourceAgencyEpisodes(BaseModel):
    """Episodes of a rule counting only one source agency's contacts."""

    model_config = ConfigDict(frozen=True)

    source_agency: str
    episodes: list[ContactEpisode]


class ConcernEpisodes(BaseModel):
    """Episodes of a rule counting only contacts raising one concern category."""

    model_config = ConfigDict(frozen=True)

    concern: str
    episodes: list[ContactEpisode]


class WindowPatterns(BaseModel):
    """What one rule finds: over all contacts, per source agency, and per concern."""

    model_config = ConfigDict(frozen=True)

    rule: WindowRule
    description: str
    episodes: list[ContactEpisode]
    by_source_agency: list[SourceAgencyEpisodes]
    by_concern: list[ConcernEpisodes]


class SourceAgencyTotal(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_agency: str
    contacts: int
    outcomes: dict[str, int]


class ConcernTotal(BaseModel):
    model_config = ConfigDict(frozen=True)

    concern: str
    contacts: int
    outcomes: dict[str, int]


class ContactTotals(BaseModel):
    """Counts of every contact; a contact with several concerns counts once under each."""

    model_config = ConfigDict(frozen=True)

    contacts: int
    first_date: date | None
    last_date: date | None
    by_source_agency: list[SourceAgencyTotal]
    by_concern: list[ConcernTotal]
    by_outcome: dict[str, int]


class NoFurtherActionRun(BaseModel):
    """Consecutive contacts each recorded with the outcome "no further action"."""

    model_config = ConfigDict(frozen=True)

    first_date: date
    last_date: date
    contact_count: int
    contacts: list[Contact]


class StrategyDiscussionOutcome(BaseModel):
    """A strategy discussion recorded with the outcome "no further action"."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    occurred_on: date
    occurred_at: WhenField
    agency: str
    agencies: list[str]
    subjects: list[str]
    summary: str | None


class PlanRestart(BaseModel):
    """A plan that ended, and the next plan of the same kind for the same child."""

    model_config = ConfigDict(frozen=True)

    subject: str | None
    kind: str
    ended_plan_id: str
    ended_plan_started_on: date
    ended_on: date
    end_reason: str | None
    restarted_plan_id: str
    restarted_on: date
    days_between: int
    plan_number: int


class MissingEpisode(BaseModel):
    """One missing (or away) episode of a child as the chronology holds it."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    person_id: str
    started_on: date
    started: WhenField
    ended: WhenField | None
    kind: str | None
    return_interview_offered: bool | None


class RepeatedMissing(BaseModel):
    """One child's missing episodes in windows that meet a rule, merged where they share one."""

    model_config = ConfigDict(frozen=True)

    rule: WindowRule
    description: str
    person_id: str
    first_date: date
    last_date: date
    days_first_to_last: int
    episode_count: int
    most_episodes_in_one_window: int
    return_interviews_offered: int
    episodes: list[MissingEpisode]


class CasePatterns(BaseModel):
    """Repeated contacts, repeated "no further action", plans ended and restarted, repeated
    missing episodes."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    as_known_at: InstantField | None
    viewed_as: str | None
    subject: str | None
    totals: ContactTotals
    windows: list[WindowPatterns]
    min_no_further_action_run: int
    no_further_action_runs: list[NoFurtherActionRun]
    strategy_discussions_no_further_action: list[StrategyDiscussionOutcome]
    plans_restarted: list[PlanRestart]
    missing_episodes: int
    repeated_missing: list[RepeatedMissing]


def case_patterns(
    case_id: str,
    entries: Iterable[ChronologyEntry],
    *,
    rules: Sequence[WindowRule] = DEFAULT_RULES,
    subject: str | None = None,
    min_no_further_action_run: int = 2,
    as_known_at: datetime | None = None,
    viewed_as: str | None = None,
) -> CasePatterns:
    """Every pattern of the chronology `entries`, optionally only those naming `subject`."""
    entries = sorted(entries, key=lambda entry: (start_of(entry.occurred_at), entry.position))
    contacts = [
        as_contact(entry)
        for entry in entries
        if entry.type == "contact_received" and _names(entry, subject)
    ]
    missing = sorted(
        (
            as_missing_episode(entry)
            for entry in entries
            if entry.type == "missing_episode_recorded"
            and (subject is None or entry.data.get("person_id") == subject)
        ),
        key=lambda episode: (episode.person_id, episode.started_on),
    )
    return CasePatterns(
        case_id=case_id,
        as_known_at=as_known_at,
        viewed_as=viewed_as,
        subject=subject,
        totals=contact_totals(contacts),
        windows=[window_patterns(contacts, rule) for rule in dict.fromkeys(rules)],
        min_no_further_action_run=min_no_further_action_run,
        no_further_action_runs=no_further_action_runs(contacts, min_no_further_action_run),
        strategy_discussions_no_further_action=[
            _strategy_discussion(entry)
            for entry in entries
            if entry.type == "strategy_discussion_held"
            and entry.data.get("outcome") == NO_FURTHER_ACTION
            and _names(entry, subject)
        ],
        plans_restarted=plans_restarted(entries, subject),
        missing_episodes=len(missing),
        repeated_missing=[
            found for rule in dict.fromkeys(rules) for found in repeated_missing(missing, rule)
        ],
    )


def _names(entry: ChronologyEntry, subject: str | None) -> bool:
    return subject is None or subject in entry.subjects


def as_contact(entry: ChronologyEntry) -> Contact:
    stated = entry.data.get("source_agency")
    return Contact(
        event_id=entry.event_id,
        occurred_on=local_date(entry.occurred_at),
        occurred_at=entry.occurred_at,
        date_uncertain=entry.date_uncertain,
        source_agency=stated or entry.agency,
        source_agency_stated=bool(stated),
        recording_agency=entry.agency,
        contact_kind=entry.data.get("contact_kind"),
        concern_categories=list(dict.fromkeys(entry.data.get("concern_categories") or ())),
        outcome=entry.data.get("outcome"),
        subjects=list(entry.subjects),
        summary=entry.summary,
    )


# -- rolling windows ---------------------------------------------------------------------------


def episodes(contacts: Sequence[Contact], rule: WindowRule) -> list[ContactEpisode]:
    """The episodes of `rule` among `contacts` (in date order)."""
    return [
        _episode(contacts[first : last + 1], most)
        for first, last, most in _windows([contact.occurred_on for contact in contacts], rule)
    ]


def _windows(dates: Sequence[date], rule: WindowRule) -> list[tuple[int, int, int]]:
    """Among `dates` (in order), each merged run of windows meeting `rule`: the indexes of its
    first and last date, and the most dates in one of its windows."""
    found: list[tuple[int, int, int]] = []
    first = last = -1  # the dates [first, last] of the run being built
    most = 0
    for start, start_date in enumerate(dates):
        # Dates from `start` up to (not including) `end` fall in the window starting here.
        end = bisect_left(dates, rule.window_end(start_date), lo=start)
        if end - start < rule.min_contacts:
            continue
        if first >= 0 and start <= last:
            last, most = max(last, end - 1), max(most, end - start)
            continue
        if first >= 0:
            found.append((first, last, most))
        first, last, most = start, end - 1, end - start
    if first >= 0:
        found.append((first, last, most))
    return found


def _episode(contacts: Sequence[Contact], most: int) -> ContactEpisode:
    first, last = contacts[0].occurred_on, contacts[-1].occurred_on
    return ContactEpisode(
        first_date=first,
        last_date=last,
        days_first_to_last=(last - first).days,
        contact_count=len(contacts),
        most_contacts_in_one_window=most,
        no_further_action_count=sum(contact.outcome == NO_FURTHER_ACTION for contact in contacts),
        contacts=list(contacts),
    )


def window_patterns(contacts: Sequence[Contact], rule: WindowRule) -> WindowPatterns:
    """One rule over all contacts, then over each source agency's and each concern's."""
    by_agency = _grouped(contacts, lambda contact: [contact.source_agency])
    by_concern = _grouped(contacts, lambda contact: contact.concern_categories)
    return WindowPatterns(
        rule=rule,
        description=rule.description,
        episodes=episodes(contacts, rule),
        by_source_agency=[
            SourceAgencyEpisodes(source_agency=agency, episodes=found)
            for agency, group in by_agency.items()
            if (found := episodes(group, rule))
        ],
        by_concern=[
            ConcernEpisodes(concern=concern, episodes=found)
            for concern, group in by_concern.items()
            if (found := episodes(group, rule))
        ],
    )


def _grouped(
    contacts: Iterable[Contact], keys: Callable[[Contact], Iterable[str]]
) -> dict[str, list[Contact]]:
    """Contacts under each of their keys, keys in name order, contacts kept in date order."""
    groups: dict[str, list[Contact]] = {}
    for contact in contacts:
        for key in keys(contact):
            groups.setdefault(key, []).append(contact)
    return dict(sorted(groups.items()))


# -- totals and outcomes -----------------------------------------------------------------------


def contact_totals(contacts: Sequence[Contact]) -> ContactTotals:
    by_agency = _grouped(contacts, lambda contact: [contact.source_agency])
    by_concern = _grouped(contacts, lambda contact: contact.concern_categories or [NOT_RECORDED])
    return ContactTotals(
        contacts=len(contacts),
        first_date=contacts[0].occurred_on if contacts else None,
        last_date=contacts[-1].occurred_on if contacts else None,
        by_source_agency=[
            SourceAgencyTotal(source_agency=agency, contacts=len(group), outcomes=_outcomes(group))
            for agency, group in _most_first(by_agency)
        ],
        by_concern=[
            ConcernTotal(concern=concern, contacts=len(group), outcomes=_outcomes(group))
            for concern, group in _most_first(by_concern)
        ],
        by_outcome=_outcomes(contacts),
    )


def _most_first(groups: dict[str, list[Contact]]) -> list[tuple[str, list[Contact]]]:
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def _outcomes(contacts: Iterable[Contact]) -> dict[str, int]:
    counts = Counter(contact.outcome or NOT_RECORDED for contact in contacts)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def no_further_action_runs(
    contacts: Sequence[Contact], min_length: int = 2
) -> list[NoFurtherActionRun]:
    """Runs of at least `min_length` consecutive contacts recorded "no further action"."""
    runs: list[NoFurtherActionRun] = []
    current: list[Contact] = []
    for contact in [*contacts, None]:
        if contact is not None and contact.outcome == NO_FURTHER_ACTION:
            current.append(contact)
            continue
        if len(current) >= min_length:
            runs.append(
                NoFurtherActionRun(
                    first_date=current[0].occurred_on,
                    last_date=current[-1].occurred_on,
                    contact_count=len(current),
                    contacts=current,
                )
            )
        current = []
    return runs


def _strategy_discussion(entry: ChronologyEntry) -> StrategyDiscussionOutcome:
    return StrategyDiscussionOutcome(
        event_id=entry.event_id,
        occurred_on=local_date(entry.occurred_at),
        occurred_at=entry.occurred_at,
        agency=entry.agency,
        agencies=list(entry.data.get("agencies") or ()),
        subjects=list(entry.subjects),
        summary=entry.summary,
    )


# -- missing episodes --------------------------------------------------------------------------


def as_missing_episode(entry: ChronologyEntry) -> MissingEpisode:
    data = entry.data
    return MissingEpisode(
        event_id=entry.event_id,
        person_id=data["person_id"],
        started_on=local_date(parse_timepoint(data["started"])),
        started=data["started"],
        ended=data.get("ended"),
        kind=data.get("kind"),
        return_interview_offered=data.get("return_interview_offered"),
    )


def repeated_missing(missing: Sequence[MissingEpisode], rule: WindowRule) -> list[RepeatedMissing]:
    """Each child's runs of `rule` among their missing episodes (`missing` by child, then by
    date)."""
    found = []
    description = rule.description.replace("contacts", "missing episodes")
    children = sorted({episode.person_id for episode in missing})
    for child in children:
        theirs = [episode for episode in missing if episode.person_id == child]
        for first, last, most in _windows([episode.started_on for episode in theirs], rule):
            run = theirs[first : last + 1]
            found.append(
                RepeatedMissing(
                    rule=rule,
                    description=description,
                    person_id=child,
                    first_date=run[0].started_on,
                    last_date=run[-1].started_on,
                    days_first_to_last=(run[-1].started_on - run[0].started_on).days,
                    episode_count=len(run),
                    most_episodes_in_one_window=most,
                    return_interviews_offered=sum(
                        bool(episode.return_interview_offered) for episode in run
                    ),
                    episodes=run,
                )
            )
    return found


# -- plans -------------------------------------------------------------------------------------


@dataclass
class _Plan:
    plan_id: str
    kind: str
    started_on: date
    position: int
    subjects: tuple[str, ...]
    ended_on: date | None = None
    end_reason: str | None = None


def plans_restarted(
    entries: Sequence[ChronologyEntry], subject: str | None = None
) -> list[PlanRestart]:
    """Each ended plan followed, on or after its end, by a plan of its kind for the same child."""
    plans: dict[str, _Plan] = {}
    for entry in entries:
        if entry.type == "plan_started":
            plans[entry.data["plan_id"]] = _Plan(
                plan_id=entry.data["plan_id"],
                kind=entry.data["kind"],
                started_on=local_date(entry.occurred_at),
                position=entry.position,
                subjects=entry.subjects,
            )
    for entry in entries:
        plan = plans.get(entry.data.get("plan_id", "")) if entry.type == "plan_ended" else None
        if plan is not None:
            plan.ended_on = local_date(entry.occurred_at)
            plan.end_reason = entry.data.get("reason")

    histories: dict[tuple[str | None, str], list[_Plan]] = {}
    for plan in plans.values():
        for child in plan.subjects or (None,):
            if subject is None or child == subject:
                histories.setdefault((child, plan.kind), []).append(plan)
    restarts = []
    for (child, kind), history in histories.items():
        history.sort(key=lambda plan: (plan.started_on, plan.position))
        for number, plan in enumerate(history, start=1):
            if plan.ended_on is None:
                continue
            following = next(
                (
                    (later_number, later)
                    for later_number, later in enumerate(history[number:], start=number + 1)
                    if later.started_on >= plan.ended_on
                ),
                None,
            )
            if following is None:
                continue
            later_number, later = following
            restarts.append(
                PlanRestart(
                    subject=child,
                    kind=kind,
                    ended_plan_id=plan.plan_id,
                    ended_plan_started_on=plan.started_on,
                    ended_on=plan.ended_on,
                    end_reason=plan.end_reason,
                    restarted_plan_id=later.plan_id,
                    restarted_on=later.started_on,
                    days_between=(later.started_on - plan.ended_on).days,
                    plan_number=later_number,
                )
            )
    return sorted(
        restarts,
        key=lambda restart: (
            restart.restarted_on,
            restart.subject or "",
            restart.kind,
            restart.restarted_plan_id,
        ),
    )
