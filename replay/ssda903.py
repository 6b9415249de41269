"""The DfE looked-after children return (SSDA903) as a projection of chronologies known at T.

Pure, like the CIN census: it reads each case's chronology (corrections applied, retractions
left out, as known at the chosen time) and returns the return's tables as plain data, with a
completeness report naming what the recorded facts leave missing. So far the header, the
episodes and the missing episodes; the other tables the DfE validator reads are not built yet.

An episode is a stretch of care with one legal status and one placement: a child's care facts
(`legal_status_changed`, `placement_started`, `placement_ended`) are applied a day at a time,
and a day that changes the legal status or the placement ends the open episode (`REC` X1) and
starts the next (`RNE` L, P or T, or the placement's own `reason`). Care starts (`RNE` S) on
the day a placement opens, and ends on a `placement_ended` whose reason is not X1 (its `REC`).
Collection year Y is 1 April Y-1 to 31 March Y; an episode is in it when open on any day of
it, and a date after the year is left blank.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

from pydantic import BaseModel, ConfigDict

from events.codes import STILL_LOOKED_AFTER
from events.timepoints import local_date, parse_timepoint
from projections.fold import ChronologyEntry
from replay.cin_census import CompletenessIssue, collection_period, la_child_id_of
from replay.referrals import is_referral

# The event types the return is built from.
SSDA903_TYPES = (
    "person_added",
    "contact_received",
    "legal_status_changed",
    "placement_started",
    "placement_ended",
    "missing_episode_recorded",
)
# The SSDA903 category of need takes N1-N8 only (N0 and N9 are the CIN census's).
CATEGORIES_OF_NEED = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
MISSING_CODES = {"missing": "M", "away": "A", None: "M"}


class HeaderRow(BaseModel):
    """One looked-after child (the Header table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    SEX: str | None
    DOB: date | None
    ETHNIC: str | None
    UPN: str | None
    MOTHER: str | None = None
    MC_DOB: date | None = None


class EpisodeRow(BaseModel):
    """One episode of care (the Episodes table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DECOM: date
    RNE: str | None
    LS: str | None
    CIN: str | None
    PLACE: str | None
    PLACE_PROVIDER: str | None
    DEC: date | None
    REC: str | None
    REASON_PLACE_CHANGE: str | None
    HOME_POST: str | None
    PL_POST: str | None
    URN: str | None


class MissingRow(BaseModel):
    """One period missing or away from placement (the Missing table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    MISSING: str
    MIS_START: date
    MIS_END: date | None


class Ssda903(BaseModel):
    """The return's tables for a collection year as known at a time, and what is missing."""

    model_config = ConfigDict(frozen=True)

    year: int
    as_known_at: datetime
    header: tuple[HeaderRow, ...]
    episodes: tuple[EpisodeRow, ...]
    missing: tuple[MissingRow, ...]
    issues: tuple[CompletenessIssue, ...]


@dataclass
class _Open:
    """The episode being built."""

    case_id: str
    decom: date
    rne: str
    ls: str | None
    placement: dict[str, Any]
    reason_place_change: str | None
    dec: date | None = None
    rec: str | None = None


@dataclass
class _Child:
    person_id: str
    data: dict[str, Any] = field(default_factory=dict)
    care: list[ChronologyEntry] = field(default_factory=list)
    missing: list[ChronologyEntry] = field(default_factory=list)
    referrals: list[ChronologyEntry] = field(default_factory=list)


def ssda903(
    chronologies: Mapping[str, Sequence[ChronologyEntry]], *, year: int, as_known_at: datetime
) -> Ssda903:
    """The return for collection year `year` from chronologies already cut at `as_known_at`."""
    first, last = collection_period(year)
    children = _children(chronologies)
    header, episodes, missing, issues = [], [], [], []
    for person_id in sorted(children):
        child = children[person_id]
        built, problems = _episodes(child)
        in_year = [
            episode
            for episode in built
            if episode.decom <= last and (episode.dec is None or episode.dec >= first)
        ]
        if not in_year:
            continue
        issues += problems
        child_id = la_child_id_of(person_id)
        born = _day_of(child.data.get("date_of_birth"))
        header.append(
            HeaderRow(
                CHILD=child_id,
                SEX=child.data.get("sex"),
                DOB=born,
                ETHNIC=child.data.get("ethnicity"),
                UPN=child.data.get("upn"),
            )
        )
        issues += _header_issues(child, child_id, last)
        needs = _categories_of_need(child, built)
        for episode in in_year:
            episodes.append(_row(child_id, episode, needs[id(episode)], last))
            if needs[id(episode)] is None:
                message = (
                    "no referral of the child by then records a primary need N1-N8 (N0 and N9 "
                    "are not SSDA903 categories of need)"
                )
                issues.append(_issue(child, episode, "CIN", message))
        issues.append(
            CompletenessIssue(
                rule=None,
                case_id=in_year[0].case_id,
                person_id=person_id,
                field="HOME_POST",
                message="the child's home postcode is not recorded: the vocabulary has no "
                "field for it",
            )
        )
        for entry in child.missing:
            started = local_date(parse_timepoint(entry.data["started"]))
            if first <= started <= last:
                missing.append(
                    MissingRow(
                        CHILD=child_id,
                        DOB=born,
                        MISSING=MISSING_CODES.get(entry.data.get("kind"), "M"),
                        MIS_START=started,
                        MIS_END=_shown(_day_of(entry.data.get("ended")), last),
                    )
                )
    return Ssda903(
        year=year,
        as_known_at=as_known_at,
        header=tuple(header),
        episodes=tuple(episodes),
        missing=tuple(sorted(missing, key=lambda row: (row.CHILD, row.MIS_START))),
        issues=tuple(issues),
    )


def _children(chronologies: Mapping[str, Sequence[ChronologyEntry]]) -> dict[str, _Child]:
    """Each child of every case with their care facts, missing episodes and referrals."""
    children: dict[str, _Child] = {}
    case_children: dict[str, set[str]] = defaultdict(set)
    for case_id in sorted(chronologies):
        for entry in chronologies[case_id]:
            if entry.type == "person_added" and entry.data.get("role") == "child":
                person_id = entry.data["person_id"]
                child = children.setdefault(person_id, _Child(person_id))
                child.data.update({k: v for k, v in entry.data.items() if v is not None})
                case_children[case_id].add(person_id)
    for case_id in sorted(chronologies):
        placed: dict[str, str] = {}
        for entry in chronologies[case_id]:
            for person_id in _named(entry, case_children[case_id], placed):
                child = children[person_id]
                if entry.type == "missing_episode_recorded":
                    child.missing.append(entry)
                elif entry.type == "contact_received":
                    if is_referral(entry.data):
                        child.referrals.append(entry)
                elif entry.type != "person_added":
                    child.care.append(entry)
    return children


def _named(entry: ChronologyEntry, case_children: set[str], placed: dict[str, str]) -> list[str]:
    """The children of the case a fact is about: its `person_id`, else (for a placement's end)
    the child placed, else the children among its subjects."""
    data = entry.data
    placement_id = str(data.get("placement_id"))
    named = data.get("person_id")
    if named is None and entry.type == "placement_ended":
        named = placed.get(placement_id)
    if entry.type == "placement_started" and named is not None:
        placed[placement_id] = named
    if named is not None:
        return [named] if named in case_children else []
    return [person for person in entry.subjects if person in case_children]


def _episodes(child: _Child) -> tuple[list[_Open], list[CompletenessIssue]]:
    """The child's episodes of care, in order, and the facts that leave one incomplete."""
    fold = _CareFold(child)
    facts = sorted(child.care, key=lambda entry: (local_date(entry.occurred_at), entry.position))
    for day, same_day in groupby(facts, key=lambda entry: local_date(entry.occurred_at)):
        fold.day(day, list(same_day))
    if fold.current is not None:
        fold.found.append(fold.current)
    for episode in fold.found:
        if episode.ls is None:
            fold.issues.append(
                _issue(child, episode, "LS", "no legal status recorded for the episode")
            )
    return fold.found, fold.issues


class _CareFold:
    """One child's care facts folded a day at a time into episodes."""

    def __init__(self, child: _Child):
        self.child = child
        self.found: list[_Open] = []
        self.issues: list[CompletenessIssue] = []
        self.current: _Open | None = None
        self.in_care = False  # between a first placement and the end of care
        self.status: str | None = None
        self.placement: dict[str, Any] | None = None

    def day(self, day: date, entries: list[ChronologyEntry]) -> None:
        before_status, before_placement = self.status, self.placement
        started_today: dict[str, Any] | None = None
        care_ended: str | None = None
        for entry in entries:
            data = entry.data
            if entry.type == "legal_status_changed":
                self.status = data["status"]
            elif entry.type == "placement_started":
                self.placement = started_today = {**data, "case_id": entry.case_id}
            elif entry.type == "placement_ended":
                care_ended = self._placement_ended(data) or care_ended
        if self.current is not None and (care_ended is not None or self.placement is None):
            self._close(day, care_ended)
        if care_ended is not None:
            self.in_care = False
        placement = self.placement
        if placement is None:
            return
        if self.current is None:
            derived = "P" if self.in_care else "S"
            self.current = _start(placement, day, derived, self.status, started_today)
            self.in_care = True
            return
        status_changed = self.status != before_status
        placement_changed = before_placement is None or (
            placement["placement_id"] != before_placement["placement_id"]
        )
        if status_changed or placement_changed:
            if placement_changed and started_today is not None and self.current is not None:
                # The DfE records why a placement changed on the episode that ends with it.
                self.current.reason_place_change = started_today.get("change_reason")
            self._close(day, STILL_LOOKED_AFTER)
            derived = (
                "T" if status_changed and placement_changed else "L" if status_changed else "P"
            )
            self.current = _start(placement, day, derived, self.status, started_today)

    def _placement_ended(self, data: dict[str, Any]) -> str | None:
        """Close the placement; the reason care ended, if it did."""
        if self.placement is not None and self.placement["placement_id"] == data["placement_id"]:
            self.placement = None
        reason = data.get("reason")
        if reason is None or reason == STILL_LOOKED_AFTER:
            return None
        self.placement, self.status = None, None
        return str(reason)

    def _close(self, day: date, care_ended: str | None) -> None:
        current = self.current
        assert current is not None
        if care_ended is None:
            message = "a placement ended (X1) with no next placement recorded that day"
            self.issues.append(_issue(self.child, current, "PLACE", message))
        current.dec, current.rec = day, care_ended or STILL_LOOKED_AFTER
        self.found.append(current)
        self.current = None


def _start(
    placement: dict[str, Any],
    day: date,
    derived: str,
    status: str | None,
    started_today: dict[str, Any] | None,
) -> _Open:
    """An episode from `day`: its reason for starting is the placement's own `reason` when the
    placement began that day and recorded one, else the one the change implies."""
    recorded = started_today.get("reason") if started_today is not None else None
    return _Open(
        case_id=placement["case_id"],
        decom=day,
        rne="S" if derived == "S" else recorded or derived,
        ls=status,
        placement=placement,
        reason_place_change=None,
    )


def _row(child_id: str, episode: _Open, need: str | None, last: date) -> EpisodeRow:
    placement = episode.placement
    dec = _shown(episode.dec, last)
    return EpisodeRow(
        CHILD=child_id,
        DECOM=episode.decom,
        RNE=episode.rne,
        LS=episode.ls,
        CIN=need,
        PLACE=placement.get("kind"),
        PLACE_PROVIDER=placement.get("provider"),
        DEC=dec,
        REC=episode.rec if dec is not None else None,
        REASON_PLACE_CHANGE=episode.reason_place_change,
        HOME_POST=None,
        PL_POST=placement.get("postcode"),
        URN=placement.get("urn"),
    )


def _categories_of_need(child: _Child, episodes: Sequence[_Open]) -> dict[int, str | None]:
    """Each episode's category of need: that of the start of its period of care (an `S`
    episode), which the DfE's rule 504 holds the period's later episodes to."""
    found: dict[int, str | None] = {}
    need: str | None = None
    for episode in episodes:
        if episode.rne == "S":
            need = _category_of_need(child, episode.decom)
        found[id(episode)] = need
    return found


def _category_of_need(child: _Child, on: date) -> str | None:
    """The primary need of the child's latest referral on or before `on`, if an SSDA903 one."""
    needs = [
        entry.data.get("primary_need")
        for entry in child.referrals
        if local_date(entry.occurred_at) <= on
    ]
    latest = next((need for need in reversed(needs) if need), None)
    return latest if latest in CATEGORIES_OF_NEED else None


def _header_issues(child: _Child, child_id: str, last: date) -> Iterable[CompletenessIssue]:
    fields = (("sex", "SEX"), ("date_of_birth", "DOB"), ("ethnicity", "ETHNIC"), ("upn", "UPN"))
    for name, column in fields:
        if child.data.get(name) is None:
            yield _header_issue(child, column, f"{child_id}: `person_added.{name}` is not recorded")
    born = _day_of(child.data.get("date_of_birth"))
    if child.data.get("sex") == "F" and born is not None and _age(born, last) >= 11:
        message = (
            f"{child_id}: whether she is a mother is not recorded (the vocabulary has no field)"
        )
        yield _header_issue(child, "MOTHER", message)


def _header_issue(child: _Child, column: str, message: str) -> CompletenessIssue:
    return CompletenessIssue(
        rule=None, case_id=None, person_id=child.person_id, field=column, message=message
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _issue(child: _Child, episode: _Open, column: str, message: str) -> CompletenessIssue:
    return CompletenessIssue(
        rule=None,
        case_id=episode.case_id,
        person_id=child.person_id,
        field=column,
        message=f"episode from {episode.decom.isoformat()}: {message}",
    )


def _shown(day: date | None, last: date) -> date | None:
    return day if day is not None and day <= last else None


def _day_of(value: object) -> date | None:
    return None if value is None else local_date(parse_timepoint(value))
