"""Rebuilding every case read model from the event log: large chunks, one connection, bounded memory.

The log is read in position order, a chunk at a time (never all of it), decoded, and handed to
the same `CaseProjection` the incremental runner uses, so the rows are computed by the same
code. What differs is the scale: a chunk of many thousand events is one transaction (its rows
and its tracking position), rows go in as large multi-row inserts through the columns' types,
and the connection is set for a bulk load while it lasts. The projection keeps only a bounded
cache of case models (`CACHED_CASES`, `CACHED_EVENTS`); a case evicted and met again is
reloaded from the rows already written, so memory does not grow with the log.

Each chunk commits with its tracking position, so a rebuild stopped at any point leaves read
models that are exactly the log up to that position: `catch_up` continues from there, and a
rebuild again starts from empty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from queue import Full, Queue
from typing import TypeVar

from eventsourcing.persistence import Tracking
from sqlalchemy import text
from sqlalchemy.engine import Connection

from domain.service import CaseService, recorded_event
from events.recorded import RecordedEvent
from projections.caseviews import CaseProjection, CaseViews

T = TypeVar("T")

REBUILD_CHUNK = 10_000
# A bigger page cache for the rebuild's own connection only (SQLite, KiB when negative).
SQLITE_BULK_CACHE_KIB = 65_536


def stored_event_chunks(
    service: CaseService, topics: tuple[str, ...], chunk_size: int = REBUILD_CHUNK, after: int = 0
) -> Iterator[tuple[list[RecordedEvent], int]]:
    """The log's events of these topics in position order, decoded, a chunk at a time, with
    the position of each chunk's last event."""
    start = after
    while True:
        notifications = service.recorder.select_notifications(
            start, chunk_size, topics=topics, inclusive_of_start=False
        )
        if not notifications:
            return
        to_domain_event = service.mapper.to_domain_event
        events = [
            recorded_event(to_domain_event(notification), notification.id)
            for notification in notifications
        ]
        start = notifications[-1].id
        yield events, start


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


def read_ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """The items of `items`, the next one produced in a thread while the caller works on this
    one: reading and decoding the next chunk overlaps writing this one (SQLite and psycopg
    release the GIL while the database works). At most one item waits, so memory stays
    bounded; stopping early stops the thread."""
    waiting: Queue[object] = Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as error:  # noqa: BLE001 (handed to the caller, raised there)
            offer(_Failed(error))

    thread = threading.Thread(target=produce, name="rebuild-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


@contextmanager
def bulk_load_settings(connection: Connection) -> Iterator[None]:
    """Settings for a long series of large writes on this connection, restored afterwards.

    SQLite: in WAL mode `synchronous=NORMAL` skips the fsync of each commit but never
    corrupts the file (a power cut can lose the last commits, which a rebuild redoes);
    in any other journal mode it stays as it is, because the events share the file.
    PostgreSQL: `synchronous_commit=off`, the same trade for this session only.
    """
    dialect = connection.dialect.name
    restore: list[str] = []
    if dialect == "sqlite":
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        if str(journal).lower() == "wal":
            connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
            restore.append(f"PRAGMA synchronous={int(synchronous)}")
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
        restore.append(f"PRAGMA cache_size={int(cache_size)}")
    elif dialect == "postgresql":
        connection.execute(text("SET synchronous_commit TO off"))
        restore.append("RESET synchronous_commit")
    connection.commit()
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        for statement in restore:
            connection.exec_driver_sql(statement)
        connection.commit()


def rebuild_read_models(
    service: CaseService,
    views: CaseViews,
    topics: tuple[str, ...],
    progress: Callable[[int], None] | None = None,
    chunk_size: int = REBUILD_CHUNK,
) -> int:
    """Empty every case read model and build it again from the log; return how many events."""
    views.clear_tables()
    projection = CaseProjection(views)
    applied = 0
    position = 0
    chunks = read_ahead(stored_event_chunks(service, topics, chunk_size))
    # closing(): on an error, stop the reading thread now, not when the traceback is freed.
    with views.engine.connect() as connection, bulk_load_settings(connection), closing(chunks):
        for events, last in chunks:
            # On an error this chunk rolls back and the projection (with its cache) is dropped.
            with connection.begin():
                projection.apply_batch(
                    connection, events, Tracking(service.name, last), after=position
                )
            position = last
            applied += len(events)
            if progress is not None:
                progress(len(events))
    return applied
