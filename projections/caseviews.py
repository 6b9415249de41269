"""The case read models and the projection that keeps them, exactly once.

`CaseViews` is a tracking recorder (the `eventsourcing` library's `TrackingRecorder`) over
SQLAlchemy: the read-model rows of a batch of events and the tracking position are written
in one transaction, and a position at or below the recorded one is refused, so an event is
never applied twice. `CaseProjection` is the library's `Projection`; it keeps `CaseModel`s
in memory between batches and recomputes only the entries and plans an event touched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from sqlalchemy import Index, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import IntegrityError as DBIntegrityError

from domain.service import recorded_event
from events.codes import SIGNIFICANCE_RANK
from events.recorded import RecordedEvent
from events.timepoints import format_timepoint, start_of
from projections import tables
from projections.casemodel import CaseModel, Changes
from projections.rebuild_mark import RebuildUnderWay, rebuild_head
from projections.stored_log import StoredLog

CACHED_CASES = 256
# Events held by the cached cases at most: the bound on the projection's memory.
CACHED_EVENTS = 50_000


class CaseViews(TrackingRecorder):
    """The read-model tables and their tracking position, on one SQLAlchemy engine."""

    def __init__(self, engine: Engine, log: StoredLog):
        self.engine = engine
        # Where the events themselves are read: the read models keep no copy of them.
        self.log = log

    @staticmethod
    def clear_tables(connection: Connection) -> None:
        """Empty every read model and the tracking position; the tables stay as migrated."""
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables.READ_MODEL_TABLES)
            connection.execute(text(f"TRUNCATE {names}"))
            return
        for table in tables.READ_MODEL_TABLES:
            connection.execute(table.delete())

    @staticmethod
    def secondary_indexes() -> list[Index]:
        """The read models' indexes other than their keys. A bulk rebuild drops them and
        builds them again at the end (it is the only writer meanwhile; a unique one is
        checked as it is built)."""
        return [index for table in tables.READ_MODEL_TABLES for index in table.indexes]

    def drop_secondary_indexes(self, connection: Connection) -> None:
        for index in self.secondary_indexes():
            index.drop(connection, checkfirst=True)

    def ensure_indexes(self, connection: Connection | None = None) -> None:
        """Build any secondary index that is missing (a bulk rebuild was killed part way)."""
        if connection is None:
            with self.engine.begin() as own_connection:
                self.ensure_indexes(own_connection)
            return
        for index in self.secondary_indexes():
            index.create(connection, checkfirst=True)

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(tables.tracking.c.notification_id).where(
                    tables.tracking.c.application_name == application_name
                )
            ).scalar()

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.engine.begin() as connection:
            self.record_tracking(connection, tracking)

    def record_tracking(
        self, connection: Connection, tracking: Tracking, after: int | None = None
    ) -> None:
        """Move the position forward inside the caller's transaction; refuse going back.

        With `after` (the position the batch follows), also refuse if the position is no
        longer there: another runner applied some of this batch first. The row is locked
        (PostgreSQL) so that concurrent runners wait here and then see each other's work.
        """
        current = connection.execute(
            select(tables.tracking.c.notification_id)
            .where(tables.tracking.c.application_name == tracking.application_name)
            .with_for_update()
        ).scalar()
        if (current is not None and current >= tracking.notification_id) or (
            after is not None and (current or 0) != after
        ):
            raise IntegrityError(
                f"{tracking.application_name} position {tracking.notification_id} "
                f"already applied (at {current})"
            )
        if current is None:
            try:
                connection.execute(
                    insert(tables.tracking).values(
                        application_name=tracking.application_name,
                        notification_id=tracking.notification_id,
                    )
                )
            except DBIntegrityError as error:
                raise IntegrityError(f"{tracking.application_name}: {error}") from None
        else:
            moved = connection.execute(
                update(tables.tracking)
                .where(
                    tables.tracking.c.application_name == tracking.application_name,
                    tables.tracking.c.notification_id == current,
                )
                .values(notification_id=tracking.notification_id)
            )
            if moved.rowcount != 1:
                # SQLite reads above without the write lock (the driver begins a transaction
                # at its first write), so another runner may have moved on since; the update,
                # made under the lock on the newest state, is what decides.
                raise IntegrityError(
                    f"{tracking.application_name} position moved from {current} meanwhile"
                )

    def last_position_of(self, connection: Connection, case_id: str) -> int:
        """The last position of a case applied to the read models (0 if none)."""
        return (
            connection.execute(
                select(func.max(tables.events.c.position)).where(tables.events.c.case_id == case_id)
            ).scalar()
            or 0
        )

    def stored_events_of(self, connection: Connection, case_id: str) -> list[RecordedEvent]:
        """The case's events applied to the read models (as this transaction sees them),
        read from the event store."""
        positions = connection.execute(
            select(tables.events.c.position)
            .where(tables.events.c.case_id == case_id)
            .order_by(tables.events.c.position)
        ).scalars()
        return self.log.events_at(list(positions))


class CaseProjection(Projection[CaseViews]):
    """Keeps the chronology, knowledge and plan read models from the case events."""

    name = "case_views"

    def __init__(self, view: CaseViews):
        super().__init__(view)
        self._models: OrderedDict[str, CaseModel] = OrderedDict()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event in its own transaction (the library's runners call this)."""
        self.process_batch([recorded_event(domain_event, tracking.notification_id)], tracking)

    def process_batch(
        self, batch: Sequence[RecordedEvent], tracking: Tracking, after: int | None = None
    ) -> None:
        """Apply events (in position order) and move tracking to `tracking`, atomically.

        `after` is the tracked position the batch was read after (see `record_tracking`).
        """
        try:
            with self.view.engine.begin() as connection:
                self.apply_batch(connection, batch, tracking, after)
        except BaseException:
            # The rows rolled back; the in-memory models may be ahead of them.
            self._models.clear()
            raise

    def apply_batch(
        self,
        connection: Connection,
        batch: Sequence[RecordedEvent],
        tracking: Tracking,
        after: int | None = None,
    ) -> None:
        """`process_batch` inside the caller's transaction; the caller rolls back, and calls
        `forget_cached_cases`, on failure."""
        self.view.record_tracking(connection, tracking, after)
        # Holding the write lock now, so a rebuild begun since the caller looked is seen
        # here: it is the only one projecting until it finishes.
        head = rebuild_head(connection, tracking.application_name)
        if head is not None:
            raise RebuildUnderWay(after or 0, head)
        execute_writes(
            connection,
            self.writes_for(
                batch, lambda case_id: self._model(connection, case_id), connection.dialect
            ),
        )
        self.evict()

    def forget_cached_cases(self) -> None:
        self._models.clear()

    def cached_model(
        self,
        case_id: str,
        *,
        current: Callable[[CaseModel], bool],
        stored_events: Callable[[str], Iterable[RecordedEvent]],
    ) -> CaseModel:
        """The case's model from the cache if `current` says it still is, else folded again
        from `stored_events` (the rows written, or the log)."""
        model = self._models.get(case_id)
        if model is not None and not current(model):
            model = None
        if model is None:
            model = CaseModel(case_id)
            for event in stored_events(case_id):
                model.apply(event, Changes())
            self._models[case_id] = model
        self._models.move_to_end(case_id)
        return model

    def _model(self, connection: Connection, case_id: str) -> CaseModel:
        return self.cached_model(
            case_id,
            # Another process may have applied events of this case since we cached it.
            current=lambda model: (
                model.last_position == self.view.last_position_of(connection, case_id)
            ),
            stored_events=lambda case_id: self.view.stored_events_of(connection, case_id),
        )

    def evict(self) -> None:
        """Keep the cache bounded in cases and in events, so memory does not grow with the log."""
        held = sum(len(model.events) for model in self._models.values())
        while self._models and (len(self._models) > CACHED_CASES or held > CACHED_EVENTS):
            _, model = self._models.popitem(last=False)
            held -= len(model.events)

    def writes_for(
        self, batch: Sequence[RecordedEvent], model_of: Callable[[str], CaseModel], dialect: Dialect
    ) -> list[Write]:
        """The read-model writes that apply these events (in position order) to the models
        `model_of` gives, ready for `execute_writes` here or in another process."""
        touched: dict[str, Changes] = {}
        event_rows, learned = [], []
        # Events first seen in this batch have no rows yet: nothing to delete for them.
        fresh = {event.position for event in batch}
        models: dict[str, CaseModel] = {}
        for event in batch:
            if event.case_id not in models:
                models[event.case_id] = model_of(event.case_id)
            model = models[event.case_id]
            if event.position <= model.last_position:
                continue
            changes = touched.setdefault(event.case_id, Changes())
            learned += [
                (model.case_id, model.events[event_id].position, viewer, when)
                for event_id, viewer, when in model.apply(event, changes)
            ]
            event_rows.append(event_row(event))
        changed = [(models[case_id], changes) for case_id, changes in touched.items()]
        return [
            prepared_insert(dialect, tables.events, event_rows),
            *self._knowledge_writes(dialect, learned, fresh),
            *self._entry_state_writes(dialect, changed, fresh),
            *self._plan_period_writes(dialect, changed, fresh),
        ]

    @staticmethod
    def _knowledge_writes(
        dialect: Dialect, learned: list[tuple[str, int, str, Any]], fresh: set[int]
    ) -> list[Write]:
        final = {(position, viewer): (case_id, when) for case_id, position, viewer, when in learned}
        stale = [key for key in final if key[0] not in fresh]
        return [
            prepared_delete(dialect, tables.knowledge, ("position", "viewer"), stale),
            prepared_insert(dialect, tables.knowledge, knowledge_rows(final)),
        ]

    @staticmethod
    def _entry_state_writes(
        dialect: Dialect, changed: list[tuple[CaseModel, Changes]], fresh: set[int]
    ) -> list[Write]:
        stale = [
            (model.events[entry_id].position,)
            for model, changes in changed
            for entry_id in changes.entries
            if entry_id in model.events and model.events[entry_id].position not in fresh
        ]
        return _replaced_rows(
            dialect,
            (tables.entry_states, tables.state_subjects),
            ("position",),
            stale,
            entry_state_rows,
            [(model, changes.entries) for model, changes in changed],
        )

    @staticmethod
    def _plan_period_writes(
        dialect: Dialect, changed: list[tuple[CaseModel, Changes]], fresh: set[int]
    ) -> list[Write]:
        # A plan all of whose events are in this batch has no rows yet.
        stale = [
            (model.case_id, plan_id)
            for model, changes in changed
            for plan_id in changes.plans
            if not all(
                model.events[event_id].position in fresh
                for event_id in model.plan_events.get(plan_id, ())
            )
        ]
        return _replaced_rows(
            dialect,
            (tables.plan_periods, tables.plan_subjects),
            ("case_id", "plan_id"),
            stale,
            plan_period_rows,
            [(model, changes.plans) for model, changes in changed],
        )


# What identifies a changed thing within its case: an entry's event id, a plan's id.
ChangedId = TypeVar("ChangedId")


def _replaced_rows(
    dialect: Dialect,
    pair: tuple[Table, Table],
    key: tuple[str, ...],
    stale: Sequence[tuple[str | int, ...]],
    compute: Callable[
        [CaseModel, Iterable[ChangedId], list[dict[str, Any]], list[dict[str, Any]]], None
    ],
    targets: list[tuple[CaseModel, Iterable[ChangedId]]],
) -> list[Write]:
    """Delete the rows (and their subject rows) of what changed and had rows, then insert
    the rows computed now for everything that changed."""
    main, subjects = pair
    rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    for model, ids in targets:
        compute(model, ids, rows, subject_rows)
    return [
        prepared_delete(dialect, subjects, key, stale),
        prepared_delete(dialect, main, key, stale),
        prepared_insert(dialect, main, rows),
        prepared_insert(dialect, subjects, subject_rows),
    ]


# -- the rows of the read models, computed from a case model ----------------------------


def event_row(event: RecordedEvent) -> dict[str, Any]:
    """The raw-log row of a stored event: where it is and what the filters need, never the
    event itself (the event store holds it)."""
    data = event.data
    target = data.get("target_event_id")
    to_agency = data.get("to_agency")
    return {
        "position": event.position,
        "event_id": str(event.event_id),
        "case_id": event.case_id,
        "version": event.version,
        "type": event.type,
        "agency": event.agency,
        "target_event_id": str(target) if target else None,
        "occurred_sort": start_of(event.occurred_at),
        "recorded_at": event.recorded_at,
        "known_at": event.known_at,
        "occurred_at": format_timepoint(event.occurred_at),
        "recorded_by": event.recorded_by,
        "to_agency": str(to_agency) if to_agency else None,
        "people": named_people(event.subjects, data.get("person_id")),
    }


def named_people(subjects: Iterable[str], person_id: object) -> str | None:
    """The person ids an event names (its subjects, then the person it adds or is about),
    each with a space either side, so that the audit finds one by `LIKE '% id %'`
    (an identifier holds no space)."""
    named = [*subjects, *([str(person_id)] if person_id else [])]
    return f" {' '.join(named)} " if named else None


def knowledge_rows(final: dict[tuple[int, str], tuple[str, Any]]) -> list[dict[str, Any]]:
    """Knowledge rows from {(event position, viewer): (case id, known from)}."""
    return [
        {"position": position, "viewer": viewer, "case_id": case_id, "known_from": when}
        for (position, viewer), (case_id, when) in final.items()
    ]


def entry_state_rows(
    model: CaseModel,
    entry_ids: Iterable[UUID],
    state_rows: list[dict[str, Any]],
    subject_rows: list[dict[str, Any]],
) -> None:
    """Append the entry-state and state-subject rows of these entries of the case."""
    for entry_id in entry_ids:
        states = model.entry_states(entry_id)
        # One JSON text per fold, however many viewers share it (`states` keeps them alive).
        as_json: dict[int, str] = {}
        for state in states:
            entry = state.entry
            text_ = as_json.get(id(entry))
            if text_ is None:
                text_ = as_json[id(entry)] = entry.model_dump_json()
            key = {
                "position": entry.position,
                "viewer": state.viewer,
                "known_from": state.known_from,
            }
            state_rows.append(
                {
                    **key,
                    "event_id": str(entry.event_id),
                    "case_id": model.case_id,
                    "type": entry.type,
                    "known_until": state.known_until,
                    "occurred_sort": start_of(entry.occurred_at),
                    "significance_rank": SIGNIFICANCE_RANK[entry.significance],
                    "retracted": entry.retracted,
                    "also_for": state.also_for,
                    "entry": text_,
                }
            )
            subject_rows += [
                {**key, "person_id": person_id, "case_id": model.case_id}
                for person_id in entry.subjects
            ]


def plan_period_rows(
    model: CaseModel,
    plan_ids: Iterable[str],
    period_rows: list[dict[str, Any]],
    subject_rows: list[dict[str, Any]],
) -> None:
    """Append the plan-period and plan-subject rows of these plans of the case."""
    for plan_id in plan_ids:
        for period in model.plan_periods(plan_id):
            period_rows.append(
                {
                    "case_id": model.case_id,
                    "plan_id": plan_id,
                    "known_from": period.known_from,
                    "known_until": period.known_until,
                    "kind": period.kind,
                    "started_on": period.started_on,
                    "ended_on": period.ended_on,
                    "review_due": period.review_due,
                    "plan": {**period.detail, "subjects": list(period.subjects)},
                }
            )
            subject_rows += [
                {
                    "case_id": model.case_id,
                    "plan_id": plan_id,
                    "known_from": period.known_from,
                    "person_id": person_id,
                }
                for person_id in period.subjects
            ]


@dataclass(frozen=True)
class Write:
    """One statement and its parameter sets, each value already converted by its column's
    type: the driver runs it as is, and it pickles, so another process can compute it.
    On PostgreSQL, inserts are rows to COPY into a table's columns instead of a statement."""

    sql: str
    parameters: list[Any]
    copy_into: str | None = None


def execute_writes(connection: Connection, writes: Iterable[Write]) -> None:
    for write in writes:
        if not write.parameters:
            continue
        if write.copy_into is None:
            connection.exec_driver_sql(write.sql, write.parameters)
            continue
        # psycopg's executemany costs a Python round of work per row; COPY formats rows in
        # C. The raw cursor shares the connection's transaction.
        with (
            connection.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(write.copy_into) as copy,
        ):
            for row in write.parameters:
                copy.write_row(row)


def prepared_insert(dialect: Dialect, table: Table, rows: list[dict[str, Any]]) -> Write:
    """Many rows for one prepared insert, converted column by column through each column's
    type (its bind processor).

    SQLAlchemy's executemany processes every parameter of every row through its compiled
    statement; for rebuilds of millions of rows that bookkeeping costs more than SQLite.
    """
    if not rows:
        return Write("", [])
    columns = list(rows[0])
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        values = _converted(dialect, table, columns, rows)
        return Write(
            "",
            list(zip(*values, strict=True)),
            copy_into=f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN",
        )
    return _prepared(dialect, insert(table), table, columns, rows)


def prepared_delete(
    dialect: Dialect, table: Table, key: tuple[str, ...], keys: Sequence[tuple[Any, ...]]
) -> Write:
    """Delete the rows whose `key` columns equal each of `keys` (one statement, many keys)."""
    if not keys:
        return Write("", [])
    statement = delete(table).where(*(table.c[name] == bindparam(name) for name in key))
    return _prepared(
        dialect,
        statement,
        table,
        list(key),
        [dict(zip(key, values, strict=True)) for values in keys],
    )


def _prepared(
    dialect: Dialect, statement: Any, table: Table, columns: list[str], rows: list[dict[str, Any]]
) -> Write:
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    order = list(compiled.positiontup or []) if compiled.positional else columns
    by_column = _converted(dialect, table, order, rows)
    parameters: list[Any]
    if compiled.positional:
        parameters = list(zip(*by_column, strict=True))
    else:
        parameters = [
            dict(zip(order, values, strict=True)) for values in zip(*by_column, strict=True)
        ]
    return Write(str(compiled), parameters)


def _converted(
    dialect: Dialect, table: Table, columns: list[str], rows: list[dict[str, Any]]
) -> list[list[Any]]:
    """Each column's values, in `columns` order, converted through the column's type."""
    return [
        _bound_values(table.c[name].type, dialect, [row[name] for row in rows]) for name in columns
    ]


def _bound_values(column_type: Any, dialect: Any, values: list[Any]) -> list[Any]:
    bind_values = getattr(column_type, "bind_values", None)
    if bind_values is not None:  # our own types convert many values at once
        return bind_values(values, dialect)  # type: ignore[no-any-return]
    processor = column_type._cached_bind_processor(dialect)
    if processor is None:
        return values
    return list(map(processor, values))
