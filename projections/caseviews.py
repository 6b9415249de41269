"""The case read models and the projection that keeps them, exactly once.

`CaseViews` is a tracking recorder (the `eventsourcing` library's `TrackingRecorder`) over
SQLAlchemy: the read-model rows of a batch of events and the tracking position are written
in one transaction, and a position at or below the recorded one is refused, so an event is
never applied twice. `CaseProjection` is the library's `Projection`; it keeps `CaseModel`s
in memory between batches and recomputes only the entries and plans an event touched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from sqlalchemy import delete, func, insert, select, text, tuple_, update
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError as DBIntegrityError

from domain.service import recorded_event
from events.codes import SIGNIFICANCE_RANK
from events.recorded import RecordedEvent
from events.timepoints import start_of
from projections import tables
from projections.casemodel import CaseModel, Changes

CACHED_CASES = 256


class CaseViews(TrackingRecorder):
    """The read-model tables and their tracking position, on one SQLAlchemy engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def clear_tables(self) -> None:
        """Empty every read model and the tracking position; the tables stay as migrated."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(table.name for table in tables.READ_MODEL_TABLES)
                connection.execute(text(f"TRUNCATE {names}"))
                return
            for table in tables.READ_MODEL_TABLES:
                connection.execute(table.delete())

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
        if current is not None and current >= tracking.notification_id or (
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
            connection.execute(
                update(tables.tracking)
                .where(tables.tracking.c.application_name == tracking.application_name)
                .values(notification_id=tracking.notification_id)
            )

    def last_position_of(self, connection: Connection, case_id: str) -> int:
        """The last position of a case applied to the read models (0 if none)."""
        return connection.execute(
            select(func.max(tables.events.c.position)).where(tables.events.c.case_id == case_id)
        ).scalar() or 0

    def stored_events_of(self, connection: Connection, case_id: str) -> list[RecordedEvent]:
        rows = connection.execute(
            select(tables.events.c.content)
            .where(tables.events.c.case_id == case_id)
            .order_by(tables.events.c.position)
        )
        return [RecordedEvent.model_validate_json(row.content) for row in rows]


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
                self.view.record_tracking(connection, tracking, after)
                self._apply(connection, batch)
        except BaseException:
            # The rows rolled back; the in-memory models may be ahead of them.
            self._models.clear()
            raise

    def forget_cached_cases(self) -> None:
        self._models.clear()

    def _model(self, connection: Connection, case_id: str) -> CaseModel:
        model = self._models.get(case_id)
        if model is not None and model.last_position != self.view.last_position_of(
            connection, case_id
        ):
            # Another process applied events of this case since we cached it.
            model = None
        if model is None:
            model = CaseModel(case_id)
            for event in self.view.stored_events_of(connection, case_id):
                model.apply(event, Changes())
            self._models[case_id] = model
        self._models.move_to_end(case_id)
        while len(self._models) > CACHED_CASES:
            self._models.popitem(last=False)
        return model

    def _apply(self, connection: Connection, batch: Sequence[RecordedEvent]) -> None:
        touched: dict[str, Changes] = {}
        event_rows, learned = [], []
        # Events first seen in this batch have no rows yet: nothing to delete for them.
        fresh = {str(event.event_id) for event in batch}
        models: dict[str, CaseModel] = {}
        for event in batch:
            if event.case_id not in models:
                models[event.case_id] = self._model(connection, event.case_id)
            model = models[event.case_id]
            if event.position <= model.last_position:
                continue
            changes = touched.setdefault(event.case_id, Changes())
            learned += [
                (model.case_id, event_id, viewer, when)
                for event_id, viewer, when in model.apply(event, changes)
            ]
            event_rows.append(_event_row(event))
        if event_rows:
            insert_rows(connection, tables.events, event_rows)
        self._write_knowledge(connection, learned, fresh)
        for case_id, changes in touched.items():
            model = models[case_id]
            self._write_entry_states(connection, model, changes.entries, fresh)
            self._write_plan_periods(connection, model, changes.plans)

    @staticmethod
    def _write_knowledge(
        connection: Connection, learned: list[tuple[str, UUID, str, Any]], fresh: set[str]
    ) -> None:
        final = {(str(event_id), viewer): (case_id, when) for case_id, event_id, viewer, when in learned}
        if not final:
            return
        keys = [key for key in final if key[0] not in fresh]
        for chunk in _chunks(keys, 400):
            connection.execute(
                delete(tables.knowledge).where(
                    tuple_(tables.knowledge.c.event_id, tables.knowledge.c.viewer).in_(chunk)
                )
            )
        insert_rows(
            connection,
            tables.knowledge,
            [
                {"event_id": event_id, "viewer": viewer, "case_id": case_id, "known_from": when}
                for (event_id, viewer), (case_id, when) in final.items()
            ],
        )

    @staticmethod
    def _write_entry_states(
        connection: Connection, model: CaseModel, entry_ids: set[UUID], fresh: set[str]
    ) -> None:
        if not entry_ids:
            return
        ids = [str(entry_id) for entry_id in entry_ids if str(entry_id) not in fresh]
        for chunk in _chunks(ids, 500):
            connection.execute(delete(tables.state_subjects).where(
                tables.state_subjects.c.event_id.in_(chunk)))
            connection.execute(delete(tables.entry_states).where(
                tables.entry_states.c.event_id.in_(chunk)))
        state_rows, subject_rows = [], []
        for entry_id in entry_ids:
            for state in model.entry_states(entry_id):
                entry = state.entry
                key = {
                    "event_id": str(entry.event_id),
                    "viewer": state.viewer,
                    "known_from": state.known_from,
                }
                state_rows.append({
                    **key,
                    "case_id": model.case_id,
                    "type": entry.type,
                    "known_until": state.known_until,
                    "occurred_sort": start_of(entry.occurred_at),
                    "position": entry.position,
                    "significance_rank": SIGNIFICANCE_RANK[entry.significance],
                    "retracted": entry.retracted,
                    "entry": entry.model_dump_json(),
                })
                subject_rows += [
                    {**key, "person_id": person_id, "case_id": model.case_id}
                    for person_id in entry.subjects
                ]
        insert_rows(connection, tables.entry_states, state_rows)
        insert_rows(connection, tables.state_subjects, subject_rows)

    @staticmethod
    def _write_plan_periods(connection: Connection, model: CaseModel, plan_ids: set[str]) -> None:
        for plan_id in plan_ids:
            where = (tables.plan_periods.c.case_id == model.case_id) & (
                tables.plan_periods.c.plan_id == plan_id
            )
            connection.execute(delete(tables.plan_periods).where(where))
            connection.execute(delete(tables.plan_subjects).where(
                (tables.plan_subjects.c.case_id == model.case_id)
                & (tables.plan_subjects.c.plan_id == plan_id)
            ))
            periods = model.plan_periods(plan_id)
            if not periods:
                continue
            connection.execute(insert(tables.plan_periods), [
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
                for period in periods
            ])
            subject_rows = [
                {"case_id": model.case_id, "plan_id": plan_id, "known_from": period.known_from,
                 "person_id": person_id}
                for period in periods
                for person_id in period.subjects
            ]
            if subject_rows:
                connection.execute(insert(tables.plan_subjects), subject_rows)


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one prepared statement, converting values once per column type.

    SQLAlchemy's executemany processes every parameter of every row through its compiled
    statement; for rebuilds of millions of rows that bookkeeping costs more than SQLite.
    """
    if not rows:
        return
    columns = list(rows[0])
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    processors = {
        name: table.c[name].type._cached_bind_processor(dialect)  # noqa: SLF001
        for name in columns
    }

    def converted(row: dict[str, Any]) -> dict[str, Any]:
        return {
            name: processor(row[name]) if (processor := processors[name]) else row[name]
            for name in columns
        }

    if compiled.positional:
        order = compiled.positiontup or []
        parameters: list[Any] = [
            tuple(values[name] for name in order) for values in map(converted, rows)
        ]
    else:
        parameters = [converted(row) for row in rows]
    connection.exec_driver_sql(str(compiled), parameters)


def _event_row(event: RecordedEvent) -> dict[str, Any]:
    target = event.data.get("target_event_id")
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
        "content": event.model_dump_json(),
    }


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
