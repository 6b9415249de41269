"""The DfE looked-after children return (SSDA903) as a projection of chronologies known at T.

Pure, like the CIN census: it reads each case's chronology (corrections applied, retractions
left out, as known at the chosen time) and returns the return's tables as plain data, with a
completeness report naming what the recorded facts leave missing: the header, episodes,
reviews, missing episodes and social worker episodes from the facts themselves; previous
permanence, placed for adoption, adoption (AD1) and the outcomes of children looked after for
a year (OC2) as a row per child the facts put in the table, with what the vocabulary does
not record left blank and reported. UASC and care leavers (OC3) are not exported: no fact
says who they are.

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
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.codes import FIRST_CONTACT, SSDA903_UPN_UNKNOWN, STILL_LOOKED_AFTER
from events.timepoints import local_date, parse_timepoint
from events.vocabulary import ALLOCATION_TYPES
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
    "plan_started",
    "plan_reviewed",
    "worker_allocated",
    "worker_unallocated",
    "relationship_recorded",
)
# How a `relationship_recorded` says its `person_id` is the mother of its `other_person_id`, or
# (the other way round) her child: the facts the SSDA903 MOTHER and MC_DOB are derived from.
MOTHER_WORDS = frozenset({"mother", "birth mother"})
CHILD_WORDS = frozenset({"child", "son", "daughter"})
# The SSDA903 category of need takes N1-N8 only (N0 and N9 are the CIN census's).
CATEGORIES_OF_NEED = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
MISSING_CODES = {"missing": "M", "away": "A", None: "M"}
# Placed for adoption (PLACE A3-A6), or a placement or freeing order (LS E1, D1): the DfE
# expects the date of the decision that the child should be placed for adoption.
ADOPTION_PLACEMENTS = frozenset({"A3", "A4", "A5", "A6"})
ADOPTION_ORDERS = frozenset({"E1", "D1"})
ADOPTED = frozenset({"E11", "E12"})  # care ended by an adoption order


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


class ReviewRow(BaseModel):
    """One review of a looked-after child (the Reviews table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    REVIEW: date
    REVIEW_CODE: str | None


class SocialWorkerRow(BaseModel):
    """One social worker's allocation to a looked-after child (the SWEpisodes table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    SW_ID: str
    SW_DECOM: date
    SW_DEC: date | None
    SW_REASON: str | None = None


class PreviousPermanenceRow(BaseModel):
    """A child who started care in the year: their previous permanence (the PrevPerm table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    PREV_PERM: str | None = None
    LA_PERM: str | None = None
    DATE_PERM: date | None = None


class PlacedForAdoptionRow(BaseModel):
    """A child placed for adoption or under a placement order (the PlacedAdoption table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    DATE_PLACED: date | None = None
    DATE_PLACED_CEASED: date | None = None
    REASON_PLACED_CEASED: str | None = None


class AdoptionRow(BaseModel):
    """A child adopted from care in the year (the AD1 table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    DATE_INT: date | None = None
    DATE_MATCH: date | None = None
    FOSTER_CARE: str | None = None
    NB_ADOPTR: str | None = None
    SEX_ADOPTR: str | None = None
    LS_ADOPTR: str | None = None


class OutcomesRow(BaseModel):
    """A child looked after for the whole year to 31 March (the OC2 table)."""

    model_config = ConfigDict(frozen=True)

    CHILD: str
    DOB: date | None
    SDQ_SCORE: str | None = None
    SDQ_REASON: str | None = None
    CONVICTED: str | None = None
    HEALTH_CHECK: str | None = None
    IMMUNISATIONS: str | None = None
    TEETH_CHECK: str | None = None
    HEALTH_ASSESSMENT: str | None = None
    SUBSTANCE_MISUSE: str | None = None
    INTERVENTION_RECEIVED: str | None = None
    INTERVENTION_OFFERED: str | None = None


class Ssda903(BaseModel):
    """The return's tables for a collection year as known at a time, and what is missing."""

    model_config = ConfigDict(frozen=True)

    year: int
    as_known_at: datetime
    header: tuple[HeaderRow, ...]
    episodes: tuple[EpisodeRow, ...]
    missing: tuple[MissingRow, ...]
    reviews: tuple[ReviewRow, ...] = ()
    social_workers: tuple[SocialWorkerRow, ...] = ()
    previous_permanence: tuple[PreviousPermanenceRow, ...] = ()
    placed_for_adoption: tuple[PlacedForAdoptionRow, ...] = ()
    adoptions: tuple[AdoptionRow, ...] = ()
    outcomes: tuple[OutcomesRow, ...] = ()
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
    home_post: str | None = None


@dataclass
class _Child:
    person_id: str
    data: dict[str, Any] = field(default_factory=dict)
    care: list[ChronologyEntry] = field(default_factory=list)
    missing: list[ChronologyEntry] = field(default_factory=list)
    referrals: list[ChronologyEntry] = field(default_factory=list)
    reviews: list[ChronologyEntry] = field(default_factory=list)
    allocations: list[ChronologyEntry] = field(default_factory=list)
    # The dates of birth of the child's own children, from relationships recorded.
    own_children_born: list[date] = field(default_factory=list)


def ssda903(
    chronologies: Mapping[str, Sequence[ChronologyEntry]],
    *,
    year: int,
    as_known_at: datetime,
    agency: str | None = None,
) -> Ssda903:
    """The return for collection `year` from chronologies already cut at `as_known_at`; its
    social workers are those allocated by `agency` (the authority's children's social care),
    or by any agency when None."""
    first, last = collection_period(year)
    children = _children(chronologies, agency)
    tables: dict[str, list[Any]] = defaultdict(list)
    issues: list[CompletenessIssue] = []
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
        mother, first_born = _motherhood(child, last)
        tables["header"].append(
            HeaderRow(
                CHILD=child_id,
                SEX=child.data.get("sex"),
                DOB=born,
                ETHNIC=child.data.get("ethnicity"),
                UPN=child.data.get("upn") or _upn_unknown(child),
                MOTHER=mother,
                MC_DOB=first_born,
            )
        )
        issues += _header_issues(child, child_id, last)
        needs = _categories_of_need(child, built)
        for episode in in_year:
            tables["episodes"].append(_row(child_id, episode, needs[id(episode)], last))
            if needs[id(episode)] is None:
                message = (
                    "no referral of the child by then records a primary need N1-N8 (N0 and N9 "
                    "are not SSDA903 categories of need)"
                )
                issues.append(_issue(child, episode, "CIN", message))
        homeless = [episode for episode in in_year if episode.home_post is None]
        if homeless:
            message = (
                f"the child's home postcode (`placement_started.home_postcode`) is not recorded "
                f"on a placement of the period of care ({len(homeless)} episodes in the year)"
            )
            issues.append(_issue(child, homeless[0], "HOME_POST", message))
        year_of_care = _YearOfCare(child, child_id, born, in_year, first, last)
        tables["missing"] += year_of_care.missing()
        tables["reviews"] += year_of_care.reviews()
        tables["social_workers"] += year_of_care.social_workers()
        for name, row in year_of_care.cohorts(built):
            tables[name].append(row)
        issues += year_of_care.issues
    return Ssda903(
        year=year,
        as_known_at=as_known_at,
        header=tuple(tables["header"]),
        episodes=tuple(tables["episodes"]),
        missing=tuple(sorted(tables["missing"], key=lambda row: (row.CHILD, row.MIS_START))),
        reviews=tuple(tables["reviews"]),
        social_workers=tuple(tables["social_workers"]),
        previous_permanence=tuple(tables["previous_permanence"]),
        placed_for_adoption=tuple(tables["placed_for_adoption"]),
        adoptions=tuple(tables["adoptions"]),
        outcomes=tuple(tables["outcomes"]),
        issues=tuple(issues),
    )


class _YearOfCare:
    """The rows of a looked-after child's year beyond the header and episodes, and what the
    facts leave blank in them."""

    def __init__(
        self,
        child: _Child,
        child_id: str,
        born: date | None,
        in_year: Sequence[_Open],
        first: date,
        last: date,
    ):
        self.child, self.child_id, self.born = child, child_id, born
        self.in_year, self.first, self.last = in_year, first, last
        self.case_id = in_year[0].case_id
        self.issues: list[CompletenessIssue] = []

    def missing(self) -> list[MissingRow]:
        """`missing_episode_recorded` started in the year."""
        rows = []
        for entry in self.child.missing:
            started = local_date(parse_timepoint(entry.data["started"]))
            if self.first <= started <= self.last:
                rows.append(
                    MissingRow(
                        CHILD=self.child_id,
                        DOB=self.born,
                        MISSING=MISSING_CODES.get(entry.data.get("kind"), "M"),
                        MIS_START=started,
                        MIS_END=_shown(_day_of(entry.data.get("ended")), self.last),
                    )
                )
        return rows

    def reviews(self) -> list[ReviewRow]:
        """`plan_reviewed` of the child's looked-after plan, on a day of the year when the
        child was looked after; REVIEW_CODE its `participation`."""
        rows = []
        for entry in self.child.reviews:
            day = local_date(entry.occurred_at)
            if not self._looked_after_on(day):
                continue
            participation = entry.data.get("participation")
            rows.append(
                ReviewRow(CHILD=self.child_id, DOB=self.born, REVIEW=day, REVIEW_CODE=participation)
            )
            if participation is None:
                self._blank(
                    "REVIEW_CODE",
                    f"review of {day.isoformat()}: `plan_reviewed.participation` is not recorded",
                    entry.event_id,
                )
        return sorted(rows, key=lambda row: row.REVIEW)

    def social_workers(self) -> list[SocialWorkerRow]:
        """A row per `worker_allocated` on the child's cases, ended by the same worker's
        `worker_unallocated`, overlapping the year; SW_ID the worker's Social Work England
        `registration_number`, else the user name; SW_REASON FCONTA (first contact) for the
        child's first worker, else the `reason` of the latest `worker_unallocated` before."""
        rows: list[SocialWorkerRow] = []
        open_rows: dict[str, int] = {}
        facts = sorted(
            self.child.allocations, key=lambda e: (local_date(e.occurred_at), e.position)
        )
        change_reason: str | None = None
        for entry in facts:
            worker, day = str(entry.data["worker"]), local_date(entry.occurred_at)
            if entry.type == "worker_allocated" and worker not in open_rows:
                open_rows[worker] = len(rows)
                rows.append(
                    SocialWorkerRow(
                        CHILD=self.child_id,
                        DOB=self.born,
                        SW_ID=entry.data.get("registration_number") or worker,
                        SW_DECOM=day,
                        SW_DEC=None,
                        SW_REASON=change_reason if rows else FIRST_CONTACT,
                    )
                )
            elif entry.type == "worker_unallocated" and worker in open_rows:
                index = open_rows.pop(worker)
                rows[index] = rows[index].model_copy(update={"SW_DEC": day})
                change_reason = entry.data.get("reason")
        shown = [
            row.model_copy(update={"SW_DEC": _shown(row.SW_DEC, self.last)})
            for row in rows
            if self.last >= row.SW_DECOM and (row.SW_DEC is None or self.first <= row.SW_DEC)
        ]
        for row in shown:
            if not row.SW_ID.startswith("SW"):
                self._blank(
                    "SW_ID",
                    f"{row.SW_ID}: `worker_allocated.registration_number` (Social Work England) "
                    "is not recorded: SW_ID is the user name",
                )
            if row.SW_REASON is None:
                self._blank(
                    "SW_REASON",
                    f"worker from {row.SW_DECOM.isoformat()}: the reason for the change "
                    "(`worker_unallocated.reason` of the worker before) is not recorded",
                )
        return sorted(shown, key=lambda row: (row.SW_DECOM, row.SW_ID))

    def cohorts(self, built: Sequence[_Open]) -> Iterable[tuple[str, BaseModel]]:
        """A row in each table whose children the facts identify, the rest of it blank."""
        started = [e for e in self.in_year if e.rne == "S" and e.decom >= self.first]
        if started:
            # The latest period of care begun in the year: its first placement's record.
            placement = started[-1].placement
            permanence = placement.get("previous_permanence")
            yield (
                "previous_permanence",
                PreviousPermanenceRow(
                    CHILD=self.child_id,
                    DOB=self.born,
                    PREV_PERM=permanence,
                    LA_PERM=placement.get("permanence_authority"),
                    DATE_PERM=_day_of(placement.get("permanence_date")),
                ),
            )
            if permanence is None:
                self._blank(
                    "PREV_PERM",
                    "`placement_started.previous_permanence` is not recorded on the placement "
                    f"that began care on {started[-1].decom.isoformat()}",
                )
        if any(
            episode.placement.get("kind") in ADOPTION_PLACEMENTS or episode.ls in ADOPTION_ORDERS
            for episode in self.in_year
        ):
            yield "placed_for_adoption", PlacedForAdoptionRow(CHILD=self.child_id, DOB=self.born)
            self._blank(
                "DATE_PLACED",
                "the date of the decision that the child should be placed for adoption is not "
                "recorded (no field)",
            )
        if any(
            episode.rec in ADOPTED and episode.dec is not None and episode.dec >= self.first
            for episode in self.in_year
        ):
            yield "adoptions", AdoptionRow(CHILD=self.child_id, DOB=self.born)
            self._blank("DATE_INT", "the adoption's dates and adopters are not recorded")
        if _looked_after_for_the_year(built, self.first, self.last):
            yield "outcomes", OutcomesRow(CHILD=self.child_id, DOB=self.born)
            self._blank(
                "HEALTH_CHECK",
                "the outcomes of a child looked after for a year (health, dental checks, "
                "SDQ, convictions, substance misuse) are not recorded",
            )

    def _looked_after_on(self, day: date) -> bool:
        return self.first <= day <= self.last and any(
            episode.decom <= day and (episode.dec is None or day <= episode.dec)
            for episode in self.in_year
        )

    def _blank(self, column: str, message: str, *event_ids: UUID) -> None:
        self.issues.append(
            CompletenessIssue(
                rule=None,
                case_id=self.case_id,
                person_id=self.child.person_id,
                field=column,
                message=f"{self.child_id}: {message}",
                event_ids=event_ids,
            )
        )


def _looked_after_for_the_year(built: Sequence[_Open], first: date, last: date) -> bool:
    """Looked after without a break from a year before the year's end to its end (the DfE's
    OC2 cohort): one period of care (episodes joined by X1) from before the year's first day
    to its last."""
    since: date | None = None
    for episode in built:
        if episode.rne == "S" or since is None:
            since = episode.decom
        if episode.dec is not None and episode.dec <= last and episode.rec != STILL_LOOKED_AFTER:
            since = None
    return since is not None and since < first


def _children(
    chronologies: Mapping[str, Sequence[ChronologyEntry]], agency: str | None
) -> dict[str, _Child]:
    """Each child of every case with their care facts, missing episodes, referrals, reviews
    of their looked-after plan and the case's allocations (of `agency`, if given)."""
    children: dict[str, _Child] = {}
    case_children: dict[str, set[str]] = defaultdict(set)
    for case_id in sorted(chronologies):
        _own_children(chronologies[case_id], children)
        for entry in chronologies[case_id]:
            if entry.type == "person_added" and entry.data.get("role") == "child":
                person_id = entry.data["person_id"]
                child = children.setdefault(person_id, _Child(person_id))
                child.data.update({k: v for k, v in entry.data.items() if v is not None})
                case_children[case_id].add(person_id)
    for case_id in sorted(chronologies):
        _file_case_facts(chronologies[case_id], children, case_children[case_id], agency)
    return children


def _file_case_facts(
    entries: Sequence[ChronologyEntry],
    children: dict[str, _Child],
    case_children: set[str],
    agency: str | None,
) -> None:
    """Give each fact of one case to the children of the case it is about."""
    placed: dict[str, str] = {}
    looked_after_plans: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if entry.type in ALLOCATION_TYPES:
            if agency is None or entry.agency == agency:
                for person_id in sorted(case_children):
                    children[person_id].allocations.append(entry)
        elif entry.type in ("plan_started", "plan_reviewed"):
            for person_id in _plan_children(entry, case_children, looked_after_plans):
                children[person_id].reviews.append(entry)
        else:
            for person_id in _named(entry, case_children, placed):
                child = children[person_id]
                if entry.type == "missing_episode_recorded":
                    child.missing.append(entry)
                elif entry.type == "contact_received":
                    if is_referral(entry.data):
                        child.referrals.append(entry)
                elif entry.type != "person_added":
                    child.care.append(entry)


def _plan_children(
    entry: ChronologyEntry, case_children: set[str], plans: dict[str, tuple[str, ...]]
) -> list[str]:
    """For a review of a looked-after plan, the children it is about: its subjects, else the
    plan's (a `plan_started` only records the plan's children)."""
    plan_id = str(entry.data.get("plan_id"))
    subjects = tuple(person for person in entry.subjects if person in case_children)
    if entry.type == "plan_started":
        if entry.data.get("kind") == "looked_after":
            plans[plan_id] = subjects
        return []
    if plan_id not in plans:
        return []
    only_child = tuple(case_children) if len(case_children) == 1 else ()
    return list(subjects or plans[plan_id] or only_child)


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
        # The child's home postcode for this period of care, from its placements.
        self.home: str | None = None

    def day(self, day: date, entries: list[ChronologyEntry]) -> None:
        before_status, before_placement = self.status, self.placement
        started_today: dict[str, Any] | None = None
        care_ended: str | None = None
        home_today: str | None = None
        for entry in entries:
            data = entry.data
            if entry.type == "legal_status_changed":
                self.status = data["status"]
            elif entry.type == "placement_started":
                self.placement = started_today = {**data, "case_id": entry.case_id}
                home_today = data.get("home_postcode") or home_today
            elif entry.type == "placement_ended":
                care_ended = self._placement_ended(data) or care_ended
        if self.current is not None and (care_ended is not None or self.placement is None):
            self._close(day, care_ended)
        if care_ended is not None:
            self.in_care, self.home = False, None
        self.home = home_today or self.home
        placement = self.placement
        if placement is None:
            return
        if self.current is None:
            derived = "P" if self.in_care else "S"
            self.current = _start(placement, day, derived, self.status, started_today)
            self.current.home_post = self.home
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
            self.current.home_post = self.home

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
        HOME_POST=episode.home_post,
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


def _own_children(entries: Sequence[ChronologyEntry], children: dict[str, _Child]) -> None:
    """Each mother's children's dates of birth, from the case's relationships and people."""
    born = {
        entry.data["person_id"]: _day_of(entry.data.get("date_of_birth"))
        for entry in entries
        if entry.type == "person_added"
    }
    for entry in entries:
        if entry.type != "relationship_recorded":
            continue
        words = str(entry.data["relationship"]).strip().lower()
        one, other = entry.data["person_id"], entry.data["other_person_id"]
        mother, baby = (one, other) if words in MOTHER_WORDS else (other, one)
        baby_born = born.get(baby)
        if words in MOTHER_WORDS | CHILD_WORDS and baby_born is not None:
            children.setdefault(mother, _Child(mother)).own_children_born.append(baby_born)


def _motherhood(child: _Child, last: date) -> tuple[str | None, date | None]:
    """MOTHER and MC_DOB for a girl: 1 and her first child's date of birth when a relationship
    records a child of hers born by the year's end, else 0 (none recorded); blank for a boy."""
    if child.data.get("sex") != "F":
        return None, None
    born = sorted(day for day in child.own_children_born if day <= last)
    return ("1", born[0]) if born else ("0", None)


def _upn_unknown(child: _Child) -> str | None:
    """The reason for no UPN, when one the SSDA903 accepts (UN1-UN5)."""
    reason = child.data.get("upn_unknown_reason")
    return reason if reason in SSDA903_UPN_UNKNOWN else None


def _header_issues(child: _Child, child_id: str, last: date) -> Iterable[CompletenessIssue]:
    fields = (("sex", "SEX"), ("date_of_birth", "DOB"), ("ethnicity", "ETHNIC"))
    for name, column in fields:
        if child.data.get(name) is None:
            yield _header_issue(child, column, f"{child_id}: `person_added.{name}` is not recorded")
    if child.data.get("upn") is None and _upn_unknown(child) is None:
        message = (
            f"{child_id}: neither `person_added.upn` nor an `upn_unknown_reason` the SSDA903 "
            "takes (UN1-UN5) is recorded"
        )
        yield _header_issue(child, "UPN", message)


def _header_issue(child: _Child, column: str, message: str) -> CompletenessIssue:
    return CompletenessIssue(
        rule=None, case_id=None, person_id=child.person_id, field=column, message=message
    )


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
