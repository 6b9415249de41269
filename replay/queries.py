"""Bitemporal questions answered from the read models: "as known at T", to the record or one agency.

Every query here selects rows on knowledge time (`known_from <= T < known_until`) and
orders on valid time (`occurred_sort`, then `position`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection, Engine

from events.codes import SIGNIFICANCE_RANK
from events.recorded import RecordedEvent
from events.timepoints import local_date, parse_timepoint, utc_now
from events.vocabulary import ALLOCATION_TYPES
from projections import tables
from projections.casemodel import PLAN_TYPES, PlanPeriod, plan_as_folded
from projections.fold import ChronologyEntry
from projections.stored_log import StoredLog
from projections.tables import WHOLE_RECORD
from replay.looked_after import care_entries, care_periods, care_status


@dataclass(frozen=True)
class ChronologyFilter:
    """Optional narrowing of a chronology: by person, significance, type and valid time."""

    subject: str | None = None
    min_significance: str | None = None
    types: Sequence[str] = ()
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    include_retracted: bool = False


def _viewer(agency: str | None) -> str:
    return agency.lower() if agency else WHOLE_RECORD


def seen_by(states: Table, viewer: str) -> ColumnElement[bool]:
    """The entry states a viewer sees: its own, and for an agency also the whole record's
    where they stand for the recording agency too (`also_for`)."""
    if viewer == WHOLE_RECORD:
        return states.c.viewer == WHOLE_RECORD
    return and_(
        states.c.viewer.in_([WHOLE_RECORD, viewer]),
        or_(states.c.viewer == viewer, states.c.also_for == viewer),
    )


def of_the_state(subjects: Table) -> ColumnElement[bool]:
    """Joins a state-subject row to the entry state it names a person of."""
    states = tables.entry_states
    return and_(
        subjects.c.position == states.c.position,
        subjects.c.viewer == states.c.viewer,
        subjects.c.known_from == states.c.known_from,
    )


def known_to(agency: str | None, as_known_at: datetime | None) -> ColumnElement[bool]:
    """The raw-log events (rows of rm_events) known at T to the record or to one agency: by
    recording them, or (an agency) by a share."""
    stored, shared = tables.events, tables.knowledge
    by_record = [] if as_known_at is None else [stored.c.known_at <= as_known_at]
    if agency is None:
        return and_(true(), *by_record)
    by_share = [shared.c.position == stored.c.position, shared.c.viewer == _viewer(agency)]
    if as_known_at is not None:
        by_share.append(shared.c.known_from <= as_known_at)
    return or_(and_(stored.c.agency == _viewer(agency), *by_record), exists().where(*by_share))


# Whether a case is there (for the record, or for one agency, `viewer`), asked before every
# read of a case: built once, not on every request.
_CASE_RECORDED = (
    select(tables.events.c.position).where(tables.events.c.case_id == bindparam("case_id")).limit(1)
)
_CASE_KNOWN_TO_AGENCY = (
    select(tables.events.c.position)
    .where(
        tables.events.c.case_id == bindparam("case_id"),
        or_(
            tables.events.c.agency == bindparam("viewer"),
            exists().where(
                tables.knowledge.c.position == tables.events.c.position,
                tables.knowledge.c.viewer == bindparam("viewer"),
            ),
        ),
    )
    .limit(1)
)


def holds_at(table: Table, as_known_at: datetime | None) -> ColumnElement[bool]:
    """The row holds in knowledge time at T (now, when T is None)."""
    if as_known_at is None:
        return table.c.known_until.is_(None)
    return and_(
        table.c.known_from <= as_known_at,
        or_(table.c.known_until.is_(None), table.c.known_until > as_known_at),
    )


class CaseQueries:
    """Read-side questions about cases and people."""

    def __init__(self, engine: Engine, log: StoredLog):
        self.engine = engine
        # The events themselves (the raw log, changes): the read models keep no copy.
        self.log = log

    # -- cases ------------------------------------------------------------------------------

    def case_exists(self, case_id: str, *, agency: str | None = None) -> bool:
        """Whether the record holds the case, or (an agency) whether the agency knows any of
        it: a case an agency neither recorded on nor was sent anything of is, to that agency,
        not there."""
        if agency is None:
            statement, parameters = _CASE_RECORDED, {"case_id": case_id}
        else:
            statement = _CASE_KNOWN_TO_AGENCY
            parameters = {"case_id": case_id, "viewer": _viewer(agency)}
        with self.engine.connect() as connection:
            return connection.execute(statement, parameters).first() is not None

    def chronology(
        self,
        case_id: str,
        *,
        as_known_at: datetime | None = None,
        agency: str | None = None,
        where: ChronologyFilter = ChronologyFilter(),
    ) -> list[ChronologyEntry]:
        """The case's chronology as known at T to the record, or to one agency."""
        return [
            ChronologyEntry.model_validate_json(text)
            for text in self._case_entry_texts(case_id, as_known_at, agency, where)
        ]

    def chronologies_of_cases_with(
        self,
        types: Sequence[str],
        *,
        as_known_at: datetime | None,
        agency: str | None = None,
    ) -> Iterator[tuple[str, list[ChronologyEntry]]]:
        """Every case holding an event of one of `types`, in case id order, each with its
        chronology of those types as known at T to the record or to `agency`.

        Cases are selected on the recording clock: an event counts once the record knew it
        (`known_at <= T`, any time when T is None), whichever agency recorded it; the
        chronology then shows only what the viewer knew at T.
        """
        stored = tables.events
        query = select(stored.c.case_id).where(stored.c.type.in_(list(types))).distinct()
        if as_known_at is not None:
            query = query.where(stored.c.known_at <= as_known_at)
        with self.engine.connect() as connection:
            case_ids = sorted(connection.execute(query).scalars())
        where = ChronologyFilter(types=types)
        for case_id in case_ids:
            yield (
                case_id,
                self.chronology(case_id, as_known_at=as_known_at, agency=agency, where=where),
            )

    def chronology_json(
        self,
        case_id: str,
        *,
        as_known_at: datetime | None = None,
        agency: str | None = None,
        where: ChronologyFilter = ChronologyFilter(),
    ) -> str:
        """The same chronology as a JSON array, straight from the stored entry texts."""
        return "[" + ",".join(self._case_entry_texts(case_id, as_known_at, agency, where)) + "]"

    def _case_entry_texts(
        self,
        case_id: str,
        as_known_at: datetime | None,
        agency: str | None,
        where: ChronologyFilter,
    ) -> list[str]:
        with self.engine.connect() as connection:
            return self._entry_texts(
                connection,
                [tables.entry_states.c.case_id == case_id],
                viewer=_viewer(agency),
                as_known_at=as_known_at,
                where=where,
            )

    def person_chronology(
        self,
        person_id: str,
        *,
        as_known_at: datetime | None = None,
        agency: str | None = None,
        where: ChronologyFilter = ChronologyFilter(),
    ) -> list[ChronologyEntry]:
        """One person's own chronology across every case that names them as a subject."""
        with self.engine.connect() as connection:
            texts = self._entry_texts(
                connection,
                [],
                viewer=_viewer(agency),
                as_known_at=as_known_at,
                where=ChronologyFilter(**{**where.__dict__, "subject": person_id}),
            )
        return [ChronologyEntry.model_validate_json(text) for text in texts]

    def person_exists(self, person_id: str, *, agency: str | None = None) -> bool:
        """Whether some entry of the record names the person, or (an agency) some entry the
        agency has known at any time: a person an agency was never told of is, to it, not
        there."""
        subjects, states = tables.state_subjects, tables.entry_states
        query = select(subjects.c.person_id).where(subjects.c.person_id == person_id)
        if agency is not None:
            query = query.join(states, of_the_state(subjects)).where(
                seen_by(states, _viewer(agency))
            )
        with self.engine.connect() as connection:
            return connection.execute(query.limit(1)).first() is not None

    def _entry_texts(
        self,
        connection: Connection,
        conditions: list[ColumnElement[bool]],
        *,
        viewer: str,
        as_known_at: datetime | None,
        where: ChronologyFilter,
    ) -> list[str]:
        states = tables.entry_states
        conditions = [*conditions, seen_by(states, viewer), holds_at(states, as_known_at)]
        if not where.include_retracted:
            conditions.append(states.c.retracted.is_(False))
        if where.min_significance:
            conditions.append(
                states.c.significance_rank >= SIGNIFICANCE_RANK[where.min_significance]
            )
        if where.types:
            conditions.append(states.c.type.in_(list(where.types)))
        if where.occurred_from is not None:
            conditions.append(states.c.occurred_sort >= where.occurred_from)
        if where.occurred_to is not None:
            conditions.append(states.c.occurred_sort <= where.occurred_to)
        query = select(states.c.entry)
        if where.subject is not None:
            # A join (one subject row per state and person), not EXISTS: so the database can
            # start from the person's subject rows by index instead of scanning every state.
            subjects = tables.state_subjects
            query = query.join(subjects, of_the_state(subjects))
            conditions.append(subjects.c.person_id == where.subject)
        rows = connection.execute(
            query.where(*conditions).order_by(states.c.occurred_sort, states.c.position)
        )
        return [row.entry for row in rows]

    def entry(
        self,
        case_id: str,
        event_id: str,
        *,
        as_known_at: datetime | None = None,
        agency: str | None = None,
    ) -> ChronologyEntry | None:
        """One entry as it stood at T (None if not known then)."""
        states = tables.entry_states
        with self.engine.connect() as connection:
            row = connection.execute(
                select(states.c.entry).where(
                    states.c.case_id == case_id,
                    states.c.event_id == event_id,
                    seen_by(states, _viewer(agency)),
                    holds_at(states, as_known_at),
                )
            ).first()
        return ChronologyEntry.model_validate_json(row.entry) if row else None

    def events(
        self,
        case_id: str,
        *,
        as_known_at: datetime | None = None,
        include_retracted: bool = True,
        agency: str | None = None,
    ) -> list[RecordedEvent]:
        """The raw log of a case, as the store holds it, known at T (to the record or an
        agency), in recording order."""
        stored = tables.events
        with self.engine.connect() as connection:
            positions = connection.execute(
                select(stored.c.position)
                .where(stored.c.case_id == case_id, known_to(agency, as_known_at))
                .order_by(stored.c.position)
            ).scalars()
            found = self.log.events_at(list(positions))
        if include_retracted:
            return found
        retracted = {
            str(event.data["target_event_id"]) for event in found if event.type == "entry_retracted"
        }
        return [event for event in found if str(event.event_id) not in retracted]

    def stored_event(self, case_id: str, event_id: str) -> RecordedEvent | None:
        stored = tables.events
        with self.engine.connect() as connection:
            position = connection.execute(
                select(stored.c.position).where(
                    stored.c.case_id == case_id, stored.c.event_id == event_id
                )
            ).scalar()
        return None if position is None else self.log.events_at([position])[0]

    # -- plans and status -----------------------------------------------------------------

    def plans(
        self,
        case_id: str,
        *,
        on: date | None = None,
        as_known_at: datetime | None = None,
        agency: str | None = None,
    ) -> list[PlanOnDate]:
        """Plans of a case active on date D, as known at T to the record or to one agency.

        A plan is known like any entry: each plan is folded from the plan entries (start,
        reviews, end) the viewer's chronology holds at T, so an agency sees a plan it started
        or was sent, and of it only the reviews and ending it recorded or was sent.
        """
        states = tables.entry_states
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(states.c.entry, states.c.known_from)
                .where(
                    states.c.case_id == case_id,
                    states.c.type.in_(sorted(PLAN_TYPES)),
                    seen_by(states, _viewer(agency)),
                    holds_at(states, as_known_at),
                )
                .order_by(states.c.position)
            ).all()
        entries: dict[str, list[ChronologyEntry]] = {}
        since: dict[str, datetime] = {}
        for row in rows:
            entry = ChronologyEntry.model_validate_json(row.entry)
            plan_id = str(entry.data["plan_id"])
            entries.setdefault(plan_id, []).append(entry)
            since[plan_id] = max(since.get(plan_id, row.known_from), row.known_from)
        periods = [
            period
            for plan_id, plan_entries in entries.items()
            if (period := plan_as_folded(plan_id, plan_entries, since[plan_id], None)) is not None
        ]
        periods.sort(key=lambda period: (period.started_on, period.plan_id))
        return _active_plans(periods, on or local_date(utc_now()))

    def person_plans(
        self, person_id: str, *, as_known_at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every plan naming the person, as known at T to the whole record (any dates)."""
        periods, subjects = tables.plan_periods, tables.plan_subjects
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(periods)
                .join(
                    subjects,
                    and_(
                        subjects.c.case_id == periods.c.case_id,
                        subjects.c.plan_id == periods.c.plan_id,
                        subjects.c.known_from == periods.c.known_from,
                    ),
                )
                .where(subjects.c.person_id == person_id, holds_at(periods, as_known_at))
                .order_by(periods.c.started_on)
            )
            return [_plan_dict(row) for row in rows]

    def person_status(
        self, person_id: str, *, on: date | None = None, as_known_at: datetime | None = None
    ) -> PersonStatus:
        """Signposting, for every agency alike: is, or has the child been, on a child
        protection plan or looked after, when, and whom to contact. Read from the whole
        record by design, so it carries nothing else (no goals, categories, reviews or
        entries)."""
        on = on or local_date(utc_now())
        periods = [
            period
            for period in self._signposted_periods(person_id, as_known_at)
            if period.started_on <= on
        ]

        def active(period: SignpostedPeriod) -> bool:
            return period.ended_on is None or period.ended_on >= on

        protection = [period for period in periods if period.kind == "child_protection"]
        looked_after = [period for period in periods if period.kind == "looked_after"]
        facts = care_entries(self, person_id, as_known_at=as_known_at)
        care = care_status(facts, person_id, on)
        cared = [
            SignpostedPeriod(
                kind="looked_after",
                started_on=period.start,
                ended_on=period.end,
                contact=Contact(
                    agency=period.agency,
                    team=self._allocated_team(period.case_id, period.agency, as_known_at),
                ),
            )
            for period in care_periods(facts, person_id)
            if period.start <= on
        ]
        # Care as the placements and legal status record it is the statutory fact: a
        # looked-after plan's period overlapping one of them would say the same twice.
        periods = [
            period
            for period in periods
            if period.kind != "looked_after" or not any(overlap(period, c) for c in cared)
        ] + cared
        periods.sort(key=lambda period: (period.started_on, period.kind))
        return PersonStatus(
            person_id=person_id,
            on=on,
            as_known_at=as_known_at,
            on_child_protection_plan=any(active(period) for period in protection),
            has_been_on_child_protection_plan=bool(protection),
            looked_after=any(active(period) for period in looked_after) or care.looked_after,
            has_been_looked_after=bool(looked_after) or care.has_been_looked_after,
            periods=periods,
        )

    def _signposted_periods(
        self, person_id: str, as_known_at: datetime | None
    ) -> list[SignpostedPeriod]:
        """The child's child protection and looked-after plans as signposting shows them: the
        dates, and the agency that started the plan with the team allocated for it there."""
        plans = [
            plan
            for plan in self.person_plans(person_id, as_known_at=as_known_at)
            if plan["kind"] in SIGNPOSTED_KINDS
        ]
        stored = tables.events
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(stored.c.event_id, stored.c.agency).where(
                    stored.c.event_id.in_([plan["started_event_id"] for plan in plans])
                )
            )
            starters = {row.event_id: row.agency for row in rows}
        periods = []
        for plan in plans:
            agency = starters.get(plan["started_event_id"], "")
            periods.append(
                SignpostedPeriod(
                    kind=plan["kind"],
                    started_on=date.fromisoformat(plan["started_on"]),
                    ended_on=date.fromisoformat(plan["ended_on"]) if plan["ended_on"] else None,
                    contact=Contact(
                        agency=agency,
                        team=self._allocated_team(plan["case_id"], agency, as_known_at),
                    ),
                )
            )
        return periods

    def _allocated_team(
        self, case_id: str, agency: str, as_known_at: datetime | None
    ) -> str | None:
        """The team of the worker who holds the case for the agency at T (the latest
        allocation not undone), as the record knew it; None if no one does or no team given."""
        held: dict[str, str | None] = {}
        allocations = self.chronology(
            case_id, as_known_at=as_known_at, where=ChronologyFilter(types=sorted(ALLOCATION_TYPES))
        )
        for entry in sorted(allocations, key=lambda entry: entry.position):
            if entry.agency != agency:
                continue
            worker = str(entry.data["worker"])
            held.pop(worker, None)
            if entry.type == "worker_allocated":
                held[worker] = entry.data.get("team")
        return list(held.values())[-1] if held else None

    # -- decisions and changes ------------------------------------------------------------

    def decisions(
        self, case_id: str, *, as_known_at: datetime | None = None, agency: str | None = None
    ) -> list[ChronologyEntry]:
        """The decisions register: every decision as known at T, in the order made."""
        return self.chronology(
            case_id,
            as_known_at=as_known_at,
            agency=agency,
            where=ChronologyFilter(types=("decision_made",)),
        )

    def changes(
        self,
        case_id: str,
        *,
        since: datetime,
        until: datetime | None = None,
        agency: str | None = None,
    ) -> list[RecordedEvent]:
        """Events that became known (to the record, or to one agency) in (since, until]."""
        stored, shared = tables.events, tables.knowledge

        def learned_in(column: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
            return [column > since, *([] if until is None else [column <= until])]

        # Known by recording it (to the record: every event), and to an agency also by a share.
        recorded = select(stored.c.position, stored.c.known_at.label("known")).where(
            stored.c.case_id == case_id,
            *learned_in(stored.c.known_at),
            *([] if agency is None else [stored.c.agency == _viewer(agency)]),
        )
        learned: Select[tuple[int, datetime]] | CompoundSelect = recorded
        if agency is not None:
            learned = union_all(
                recorded,
                (
                    select(shared.c.position, shared.c.known_from).where(
                        shared.c.case_id == case_id,
                        shared.c.viewer == _viewer(agency),
                        *learned_in(shared.c.known_from),
                    )
                ),
            )
        in_order = learned.subquery()
        with self.engine.connect() as connection:
            positions = connection.execute(
                select(in_order.c.position).order_by(in_order.c.known, in_order.c.position)
            ).scalars()
            return self.log.events_at(list(positions))


class PlanOnDate(BaseModel):
    """A plan active on a date, as known at a time, with its last review and due date."""

    model_config = ConfigDict(frozen=True)

    plan_id: str
    kind: str
    category: str | None
    goals: list[str]
    subjects: list[str]
    started_on: date
    ended_on: date | None
    review_due: date | None
    review_overdue: bool
    last_review: dict[str, Any] | None
    reviews: int
    known_from: datetime


# The plans signposting tells every agency about (SPEC §5: as CP-IS does).
SIGNPOSTED_KINDS = frozenset({"child_protection", "looked_after"})


class Contact(BaseModel):
    """Whom to contact about a child: the agency that holds the plan, and its team (when the
    case is allocated there with a team named)."""

    model_config = ConfigDict(frozen=True)

    agency: str
    team: str | None


class SignpostedPeriod(BaseModel):
    """One period on a child protection plan or looked after: its dates and whom to contact."""

    model_config = ConfigDict(frozen=True)

    kind: str
    started_on: date
    ended_on: date | None
    contact: Contact


def overlap(one: SignpostedPeriod, other: SignpostedPeriod) -> bool:
    """Whether two periods share a day (an open end runs on)."""
    return (one.ended_on is None or one.ended_on >= other.started_on) and (
        other.ended_on is None or other.ended_on >= one.started_on
    )


class PersonStatus(BaseModel):
    """Signposting for one child on a date, as known at a time: nothing but the flags, the
    periods' dates and whom to contact."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    on: date
    as_known_at: datetime | None
    on_child_protection_plan: bool
    has_been_on_child_protection_plan: bool
    looked_after: bool
    has_been_looked_after: bool
    periods: list[SignpostedPeriod]


def _plan_dict(row: Row[Any]) -> dict[str, Any]:
    return {
        **row.plan,
        "case_id": row.case_id,
        "started_on": row.started_on.isoformat(),
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "review_due": row.review_due.isoformat() if row.review_due else None,
    }


def _active_plans(periods: Iterable[PlanPeriod], on: date) -> list[PlanOnDate]:
    """Plans active on `on`, each as it stood that day: only reviews held by then count."""
    found = []
    for period in periods:
        if period.started_on > on or (period.ended_on is not None and period.ended_on < on):
            continue
        detail = period.detail
        held = [
            review
            for review in detail.get("review_history", [])
            if date.fromisoformat(review["held_on"]) <= on
        ]
        due_text = detail.get("first_review_due")
        for review in held:
            due_text = review.get("next_review_due") or due_text
        review_due = local_date(parse_timepoint(due_text)) if due_text else None
        found.append(
            PlanOnDate(
                plan_id=period.plan_id,
                kind=period.kind,
                category=detail.get("category"),
                goals=detail.get("goals") or [],
                subjects=list(period.subjects),
                started_on=period.started_on,
                ended_on=period.ended_on,
                review_due=review_due,
                review_overdue=review_due is not None and review_due < on,
                last_review=held[-1] if held else None,
                reviews=len(held),
                known_from=period.known_from,
            )
        )
    return found
