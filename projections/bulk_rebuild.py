"""Rebuilding every case read model from the event log: one writer, large chunks, bounded memory.

The writes come chunk by chunk from `batch_writes.chunk_writes`, computed in this process
(in a thread, overlapping the writing) or by worker processes each owning a share of the
cases (`parallel_rebuild`). A few whole chunks make one transaction, with the tracking
position of the last. So a rebuild stopped at any point leaves read models that are exactly
the log up to a position: `catch_up` continues from there, and a rebuild again starts from
empty.

While it lasts, the connection is set for a bulk load, and the read models' secondary
indexes are dropped and built again at the end (one sort per index is much cheaper than
keeping indexes on case, agency or time up to date row by row). A rebuild killed outright
leaves them dropped: opening the store (`CaseViews.ensure_indexes`) builds them again.
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

from domain.service import CaseService
from projections.batch_writes import (
    REBUILD_CHUNK,
    ChunkWrites,
    chunk_writes,
    rare_garbage_collections,
)
from projections.caseviews import CaseViews, execute_writes
from projections.parallel_rebuild import StoreOpener, writes_from_workers
from projections.rebuild_mark import (
    RebuildUnderWay,
    beat,
    mark_rebuild,
    rebuild_head,
    unmark_rebuild,
)

T = TypeVar("T")

# A bigger page cache for the rebuild's own connection only (SQLite, KiB when negative).
SQLITE_BULK_CACHE_KIB = 65_536
# Chunks per transaction: each commit writes out every page it dirtied, and consecutive
# chunks dirty many of the same pages, so fewer commits write less.
COMMIT_CHUNKS = 5


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


def read_ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """The items of `items`, the next one produced in a thread while the caller works on this
    one: computing the next chunk's writes overlaps writing this one (SQLite and psycopg
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
    workers: int = 0,
    open_store: StoreOpener | None = None,
    commit_chunks: int = COMMIT_CHUNKS,
) -> int:
    """Empty every case read model and build it again from the log, up to its head as it was
    when the rebuild started; return how many events. `workers` processes (opening the store
    with `open_store`) compute the writes, or this process alone when 0."""
    head = service.recorder.max_notification_id() or 0
    position = views.max_tracking_id(service.name) or 0  # for the refusal below
    with views.engine.begin() as connection:
        views.clear_tables(connection)
        # Under the write lock now: another rebuild that marked itself first wins, and this
        # one rolls back without having emptied anything.
        running = rebuild_head(connection, service.name)
        if running is not None:
            raise RebuildUnderWay(position, running)
        mark_rebuild(connection, service.name, head)
    try:
        return _rebuild(
            service, views, topics, head, progress, chunk_size, workers, open_store, commit_chunks
        )
    finally:
        with views.engine.begin() as connection:
            unmark_rebuild(connection, service.name)


def _rebuild(
    service: CaseService,
    views: CaseViews,
    topics: tuple[str, ...],
    head: int,
    progress: Callable[[int], None] | None,
    chunk_size: int,
    workers: int,
    open_store: StoreOpener | None,
    commit_chunks: int,
) -> int:
    if workers > 0 and open_store is not None:
        source = writes_from_workers(open_store, topics, head, chunk_size, workers)
    else:
        source = _writes_in_process(service, views, topics, head, chunk_size)
    applied = 0
    committed = 0  # the tracked position
    pending = 0  # chunks written since

    with (
        rare_garbage_collections(),
        source as chunks,
        views.engine.connect() as connection,
        bulk_load_settings(connection),
        secondary_indexes_deferred(connection, views),
    ):

        def commit_up_to(last: int) -> None:
            nonlocal committed, pending
            views.record_tracking(connection, Tracking(service.name, last), after=committed)
            beat(connection, service.name)
            connection.commit()
            committed, pending = last, 0

        last = 0
        for shares in chunks:
            last = shares[0].last_position
            if not connection.in_transaction():
                connection.begin()
            for share in shares:
                execute_writes(connection, share.writes)
            counted = sum(share.events for share in shares)
            pending += 1
            applied += counted
            if pending >= commit_chunks:
                commit_up_to(last)
            if progress is not None:
                progress(counted)
        if pending:
            commit_up_to(last)
    return applied


@contextmanager
def _writes_in_process(
    service: CaseService, views: CaseViews, topics: tuple[str, ...], head: int, chunk_size: int
) -> Iterator[Iterator[list[ChunkWrites]]]:
    chunks = read_ahead(chunk_writes(service, views, topics, head, chunk_size))
    # closing(): on an error, stop the computing thread now, not when the traceback is freed.
    with closing(chunks):
        yield ([writes] for writes in chunks)


@contextmanager
def secondary_indexes_deferred(connection: Connection, views: CaseViews) -> Iterator[None]:
    """Drop the read models' secondary indexes; build them again when done (or failed)."""
    with connection.begin():
        views.drop_secondary_indexes(connection)
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        with connection.begin():
            views.ensure_indexes(connection)
