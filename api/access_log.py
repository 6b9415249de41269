"""The append-only access log: every read of case data, who made it, and as known when."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, insert
from sqlalchemy.engine import Connection, Engine

from events.timepoints import utc_now
from projections.tables import WHOLE_RECORD, UtcDateTime

# The access log's `case_id` of an authority-wide read (a report or return across every case).
# Stored as "*", as is `viewed_as` = WHOLE_RECORD (a read of the whole record, not as one
# agency): the same character in two columns meaning two things, kept because both are in
# existing logs and audit exports and the log is append-only; in code each has its own name.
EVERY_CASE = "*"

metadata = MetaData()
access_log = Table(
    "foresight_access_log",
    metadata,
    Column(
        "access_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("at", UtcDateTime, nullable=False),
    Column("user", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("case_id", String(80)),
    Column("person_id", String(80)),
    Column("as_known_at", UtcDateTime),
    Column("viewed_as", String(64)),
    Index("foresight_access_log_case", "case_id"),
    Index("foresight_access_log_person", "person_id"),
)


@dataclass(frozen=True)
class Access:
    """One read of case data (`viewed_as`: the agency it was made as; None, the whole record)."""

    user: str
    role: str
    agency: str
    endpoint: str
    case_id: str | None = None
    person_id: str | None = None
    as_known_at: datetime | None = None
    viewed_as: str | None = None


@contextmanager
def committed_without_fsync(connection: Connection) -> Iterator[None]:
    """One transaction, committed when the block ends, whose commit does not wait for the
    disk: the database has the rows at once (a crash of this process loses none), and only a
    crash of the database's machine (power, kernel) can lose the last moments' rows.

    SQLite in WAL mode: `synchronous=NORMAL` for this transaction (the WAL is synced at the
    next checkpoint or by the next commit that syncs, an append's; the file is never
    corrupted), then restored. PostgreSQL: `synchronous_commit=off` for this transaction
    (at most three times `wal_writer_delay`, 0.6 s by default, of commits lost). Any other
    journal mode keeps its own setting."""
    restore = None
    if connection.dialect.name == "sqlite":
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        if str(journal).lower() == "wal":
            level = int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())
            connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
            restore = f"PRAGMA synchronous={level}"
        connection.commit()  # no transaction may be open while the level changes
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO off")
    try:
        yield
        connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        if restore is not None:
            connection.exec_driver_sql(restore)
            connection.commit()


class _Pending:
    """One access waiting for the transaction that writes it."""

    __slots__ = ("error", "row", "written")

    def __init__(self, row: dict[str, Any]):
        self.row = row
        self.written = False
        self.error: BaseException | None = None


class AccessLog:
    """Appends reads; there is no way to change or remove one through this class or the API.

    `record` returns once the access is committed, never before (a read is answered only
    after it is logged, so no crash loses a read that was answered). Concurrent reads in one
    process share a transaction (group commit): whichever thread gets to write takes every
    access queued by then, so a busy server commits once for several reads instead of once
    each, and its threads never wait on each other for the database's write lock. Each commit
    waits for the disk, unless `wait_for_disk` is False (see `committed_without_fsync`)."""

    def __init__(self, engine: Engine, *, wait_for_disk: bool = True):
        self.engine = engine
        # False (FORESIGHT_ACCESS_LOG_FAST_COMMIT): commits that do not wait for the disk.
        self.wait_for_disk = wait_for_disk
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        self.transactions = 0  # commits made, for tests and measurements

    def record(self, access: Access) -> None:
        pending = _Pending(
            {
                "at": utc_now(),
                "user": access.user,
                "role": access.role,
                "agency": access.agency,
                "endpoint": access.endpoint,
                "case_id": access.case_id,
                "person_id": access.person_id,
                "as_known_at": access.as_known_at,
                "viewed_as": access.viewed_as or WHOLE_RECORD,
            }
        )
        with self._queue_lock:
            self._queue.append(pending)
        with self._writer:
            if not pending.written:
                self._write_queued()
        if pending.error is not None:
            raise pending.error

    def _write_queued(self) -> None:
        """Write every queued access in one transaction; each waiting reader learns how it
        went (an error fails every read of the batch, as it would have failed each alone)."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
        try:
            with self._transaction() as connection:
                connection.execute(insert(access_log), [pending.row for pending in batch])
            self.transactions += 1
        except BaseException as error:
            for pending in batch:
                pending.error = error
            raise
        finally:
            for pending in batch:
                pending.written = True

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self.wait_for_disk:
            with self.engine.begin() as connection:
                yield connection
            return
        with self.engine.connect() as connection, committed_without_fsync(connection):
            yield connection
