"""An in-memory event store for unit tests: the library's in-memory recorders plus Foresight's
event index, so that the write side runs with no database.

`CaseService` chooses its persistence from its environment; `in_memory_environment()` names
`InMemoryStoreFactory` there, so the service under test is the real one, unchanged. The
contract the fake must keep with the real recorders is tested on all three in
`tests/integration/test_event_index_contract.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    Notification,
    StoredEvent,
)
from eventsourcing.popo import POPOAggregateRecorder, POPOApplicationRecorder, POPOFactory
from eventsourcing.utils import Environment, get_topic

from domain.ports import Located
from domain.service import CaseService
from projections.store.recorders import EventIndexQueries

# What `CaseService.save` passes with an append: (case uuid, version) -> (event id, case id).
IndexedEvents = Mapping[tuple[UUID | str, int], tuple[str, str]]


class InMemoryEventStore(EventIndexQueries, POPOApplicationRecorder):
    """The library's in-memory application recorder, keeping the event index in the same append.

    It answers every question the real recorders answer (the `EventIndex` port, and what
    `verify_store` reads), from dicts instead of tables; nothing can alter or delete what
    it holds, so no append-only guard can be missing.
    """

    dialect = "memory"
    # Positions are the library's notification ids here: 1, 2, 3, … with no gaps.
    positions_are_contiguous = True

    def __init__(self, snapshots: POPOAggregateRecorder) -> None:
        super().__init__()
        self.snapshots = snapshots
        self._located: dict[str, Located] = {}
        self._case_positions: dict[str, dict[int, int]] = {}

    # -- appending, under the library's lock: the events and their index rows, or neither ----

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        indexed: IndexedEvents = kwargs.get("event_index", {})
        event_ids = [event_id for event_id, _ in indexed.values()]
        # The real tables' UNIQUE (event_id) and UNIQUE (case_id, case_version).
        if len(set(event_ids)) < len(event_ids) or any(
            event_id in self._located for event_id in event_ids
        ):
            raise IntegrityError(f"an event id is already in the event index: {event_ids}")
        for (_, version), (_, case_id) in indexed.items():
            if version in self._case_positions.get(case_id, {}):
                raise IntegrityError(f"case {case_id!r} already has version {version}")

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._update_table(stored_events, **kwargs)
        indexed: IndexedEvents = kwargs.get("event_index", {})
        # Snapshots and review events carry no index row, as in the real recorders.
        for stored, position in zip(stored_events, positions or (), strict=True):
            key = (stored.originator_id, stored.originator_version)
            if key in indexed:
                event_id, case_id = indexed[key]
                self._located[event_id] = Located(
                    event_id, case_id, stored.originator_version, position
                )
                self._case_positions.setdefault(case_id, {})[stored.originator_version] = position
        return positions

    # -- the EventIndex port ------------------------------------------------------------------

    def locate(self, event_ids: Iterable[str]) -> dict[str, Located]:
        with self._database_lock:
            return {
                event_id: self._located[event_id]
                for event_id in dict.fromkeys(event_ids)
                if event_id in self._located
            }

    def case_positions(self, case_id: str) -> dict[int, int]:
        with self._database_lock:
            return dict(self._case_positions.get(case_id, {}))

    def case_ids(self) -> list[str]:
        with self._database_lock:
            return sorted(self._case_positions)

    # -- what verify_store reads besides ------------------------------------------------------

    def missing_append_only_triggers(self) -> list[str]:
        return []

    def snapshot_versions(self) -> dict[UUID, list[int]]:
        # The library's in-memory recorder lists no aggregates: read its index, under its lock.
        with self.snapshots._database_lock:
            return {
                UUID(originator_id): sorted(versions)
                for originator_id, versions in self.snapshots._stored_events_index.items()
                if versions
            }

    def index_rows_between(self, first: int, last: int | None) -> list[Located]:
        with self._database_lock:
            return sorted(
                (
                    row
                    for row in self._located.values()
                    if row.position >= first and (last is None or row.position <= last)
                ),
                key=lambda row: row.position,
            )

    def notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        if not positions:
            return []
        wanted = set(positions)
        first, last = min(wanted), max(wanted)
        return [
            notification
            for notification in self.select_notifications(first, last - first + 1, stop=last)
            if notification.id in wanted
        ]


class InMemoryStoreFactory(POPOFactory):
    """The library's in-memory persistence, with Foresight's event index in the events recorder."""

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        self._snapshots = POPOAggregateRecorder()

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose == "snapshots":
            return self._snapshots
        return super().aggregate_recorder(purpose)

    def application_recorder(self) -> ApplicationRecorder:
        return InMemoryEventStore(self._snapshots)


def in_memory_environment() -> dict[str, str]:
    """The library's settings that give a `CaseService` the in-memory store."""
    return {"PERSISTENCE_MODULE": get_topic(InMemoryStoreFactory)}


def in_memory_case_service(snapshot_interval: int | None = None) -> CaseService:
    """The write side over a new, empty in-memory store."""
    return CaseService(env=in_memory_environment(), snapshot_interval=snapshot_interval)
