"""Practice quality as information: how often and when each child was seen, seen alone and
their words recorded, the gaps between, and management oversight of decisions.

Facts read from the chronology as known at a time, to the record or one agency; never a score,
a rating or a threshold. A visit or the child's words count for the children the entry names
as subjects; an entry naming nobody counts for every child of the case (a visit to "the
children"). Days are calendar days between local dates.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.timepoints import InstantField, local_date
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries, ChronologyFilter

PRACTICE_TYPES = (
    "person_added",
    "child_seen",
    "child_voice_recorded",
    "decision_made",
    "oversight_recorded",
)


class ChildPractice(BaseModel):
    """One child: when they were seen, seen alone, and their words recorded."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str | None
    seen_on: list[date]
    seen_alone_on: list[date]
    words_recorded_on: list[date]
    # Days between one date the child was seen and the next.
    gaps_between_visits_days: list[int]
    longest_gap_days: int | None
    days_since_seen: int | None
    days_since_seen_alone: int | None
    days_since_words_recorded: int | None


class OversightOfDecision(BaseModel):
    """A manager's oversight of a decision, and how many days after the decision it came."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    recorded_on: date
    view: str | None
    days_after: int


class DecisionOversight(BaseModel):
    """A decision and the oversight recorded on it (none, one or more)."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    decided_on: date
    agency: str
    summary: str | None
    oversight: list[OversightOfDecision]
    days_to_first_oversight: int | None


class CasePracticeQuality(BaseModel):
    """The practice facts of one case."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    as_known_at: InstantField | None
    viewed_as: str | None
    on: date
    children: list[ChildPractice]
    decisions: list[DecisionOversight]
    decisions_with_oversight: int
    case_oversight_on: list[date]


class CasePracticeRow(BaseModel):
    """One case in the authority-wide report."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    children: int
    children_seen: int
    children_seen_alone: int
    children_with_words_recorded: int
    visits: int
    visits_alone: int
    words_recorded: int
    longest_gap_days: int | None
    longest_since_seen_days: int | None
    decisions: int
    decisions_with_oversight: int


class PracticeQualityReport(BaseModel):
    """Practice facts across every case, with one row per case."""

    model_config = ConfigDict(frozen=True)

    as_known_at: InstantField | None
    viewed_as: str | None
    on: date
    cases: int
    children: int
    children_seen: int
    children_seen_alone: int
    children_with_words_recorded: int
    visits: int
    visits_alone: int
    words_recorded: int
    median_gap_days: float | None
    longest_gap_days: int | None
    decisions: int
    decisions_with_oversight: int
    median_days_to_first_oversight: float | None
    rows: list[CasePracticeRow]


def case_practice_quality(
    case_id: str,
    entries: Sequence[ChronologyEntry],
    *,
    on: date,
    as_known_at: datetime | None = None,
    viewed_as: str | None = None,
) -> CasePracticeQuality:
    """The practice facts of a case from its chronology (entries of `PRACTICE_TYPES`)."""
    children = {
        entry.data["person_id"]: entry.data.get("name")
        for entry in entries
        if entry.type == "person_added" and entry.data.get("role") == "child"
    }

    def dates_for(person_id: str, kind: str, alone: bool = False) -> list[date]:
        return sorted(
            {
                local_date(entry.occurred_at)
                for entry in entries
                if entry.type == kind
                and (not entry.subjects or person_id in entry.subjects)
                and (not alone or entry.data.get("seen_alone") is True)
                and local_date(entry.occurred_at) <= on
            }
        )

    practice = []
    for person_id, name in children.items():
        seen = dates_for(person_id, "child_seen")
        alone = dates_for(person_id, "child_seen", alone=True)
        words = dates_for(person_id, "child_voice_recorded")
        gaps = _gaps(seen)
        practice.append(
            ChildPractice(
                person_id=person_id,
                name=name,
                seen_on=seen,
                seen_alone_on=alone,
                words_recorded_on=words,
                gaps_between_visits_days=gaps,
                longest_gap_days=max(gaps, default=None),
                days_since_seen=_since(seen, on),
                days_since_seen_alone=_since(alone, on),
                days_since_words_recorded=_since(words, on),
            )
        )
    oversight = [entry for entry in entries if entry.type == "oversight_recorded"]
    decisions = [
        _decision_oversight(entry, oversight) for entry in entries if entry.type == "decision_made"
    ]
    return CasePracticeQuality(
        case_id=case_id,
        as_known_at=as_known_at,
        viewed_as=viewed_as,
        on=on,
        children=practice,
        decisions=decisions,
        decisions_with_oversight=sum(bool(decision.oversight) for decision in decisions),
        case_oversight_on=sorted(
            local_date(entry.occurred_at)
            for entry in oversight
            if not entry.data.get("target_event_id")
        ),
    )


def practice_quality(
    queries: CaseQueries,
    case_id: str,
    *,
    on: date,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> CasePracticeQuality:
    """One case's practice facts as known at `as_known_at` to the record or to `agency`."""
    entries = queries.chronology(
        case_id,
        as_known_at=as_known_at,
        agency=agency,
        where=ChronologyFilter(types=PRACTICE_TYPES),
    )
    return case_practice_quality(case_id, entries, on=on, as_known_at=as_known_at, viewed_as=agency)


def practice_quality_report(
    queries: CaseQueries,
    *,
    on: date,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> PracticeQualityReport:
    """Every case with a child, as known at `as_known_at` to the record or to `agency`."""
    cases = [
        case_practice_quality(case_id, entries, on=on, as_known_at=as_known_at, viewed_as=agency)
        for case_id, entries in queries.chronologies_of_cases_with(
            PRACTICE_TYPES, as_known_at=as_known_at, agency=agency
        )
    ]
    cases = [case for case in cases if case.children]
    rows = [_row(case) for case in cases]
    children = [child for case in cases for child in case.children]
    gaps = [gap for child in children for gap in child.gaps_between_visits_days]
    first_oversight = [
        decision.days_to_first_oversight
        for case in cases
        for decision in case.decisions
        if decision.days_to_first_oversight is not None
    ]
    return PracticeQualityReport(
        as_known_at=as_known_at,
        viewed_as=agency,
        on=on,
        cases=len(rows),
        children=len(children),
        children_seen=sum(row.children_seen for row in rows),
        children_seen_alone=sum(row.children_seen_alone for row in rows),
        children_with_words_recorded=sum(row.children_with_words_recorded for row in rows),
        visits=sum(row.visits for row in rows),
        visits_alone=sum(row.visits_alone for row in rows),
        words_recorded=sum(row.words_recorded for row in rows),
        median_gap_days=_median(gaps),
        longest_gap_days=max(gaps, default=None),
        decisions=sum(row.decisions for row in rows),
        decisions_with_oversight=sum(row.decisions_with_oversight for row in rows),
        median_days_to_first_oversight=_median(first_oversight),
        rows=rows,
    )


def _row(case: CasePracticeQuality) -> CasePracticeRow:
    children = case.children
    since = [child.days_since_seen for child in children if child.days_since_seen is not None]
    return CasePracticeRow(
        case_id=case.case_id,
        children=len(children),
        children_seen=sum(bool(child.seen_on) for child in children),
        children_seen_alone=sum(bool(child.seen_alone_on) for child in children),
        children_with_words_recorded=sum(bool(child.words_recorded_on) for child in children),
        visits=sum(len(child.seen_on) for child in children),
        visits_alone=sum(len(child.seen_alone_on) for child in children),
        words_recorded=sum(len(child.words_recorded_on) for child in children),
        longest_gap_days=max(
            (child.longest_gap_days for child in children if child.longest_gap_days is not None),
            default=None,
        ),
        longest_since_seen_days=max(since, default=None),
        decisions=len(case.decisions),
        decisions_with_oversight=case.decisions_with_oversight,
    )


def _decision_oversight(
    decision: ChronologyEntry, oversight: Iterable[ChronologyEntry]
) -> DecisionOversight:
    decided_on = local_date(decision.occurred_at)
    found = sorted(
        (
            OversightOfDecision(
                event_id=entry.event_id,
                recorded_on=local_date(entry.occurred_at),
                view=entry.data.get("view"),
                days_after=(local_date(entry.occurred_at) - decided_on).days,
            )
            for entry in oversight
            if str(entry.data.get("target_event_id")) == str(decision.event_id)
        ),
        key=lambda item: item.recorded_on,
    )
    return DecisionOversight(
        event_id=decision.event_id,
        decided_on=decided_on,
        agency=decision.agency,
        summary=decision.summary,
        oversight=found,
        days_to_first_oversight=found[0].days_after if found else None,
    )


def _gaps(dates: list[date]) -> list[int]:
    return [(later - earlier).days for earlier, later in itertools.pairwise(dates)]


def _since(dates: list[date], on: date) -> int | None:
    return (on - dates[-1]).days if dates else None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None
