"""Saying that a bulk rebuild is under way, so that nobody else projects, or reads, meanwhile.

A rebuild empties the read models and fills them again over minutes. Another runner catching
up meanwhile (the API does, to read its own writes) would race it for the same rows, and
fail it; a read would see part of the log as if it were all of it. So the rebuild marks
itself in `rm_rebuilds`, in the transaction that empties the read models, moves the mark's
heartbeat with every commit, and removes it when done or failed.

A rebuild killed outright leaves its mark, and catching up must then finish its work. On the
rebuild's own machine (always, with SQLite) its process is looked up: gone, the mark is
ignored at once. From another machine only the heartbeat tells: a mark whose heartbeat has
stopped for `REBUILD_STALE_AFTER` is ignored.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from events.timepoints import utc_now
from projections import tables

# Longer than any gap between a rebuild's commits, building its indexes at the end included
# (about 10 s per million events).
REBUILD_STALE_AFTER = timedelta(minutes=15)


class RebuildUnderWay(RuntimeError):
    """The read models are being rebuilt: they hold only part of the log for now."""

    def __init__(self, position: int, head: int):
        self.position, self.head = position, head
        super().__init__(
            f"The read models are being rebuilt ({position:,} of {head:,} events so far); "
            "they hold only part of the log until it finishes."
        )


def mark_rebuild(connection: Connection, application_name: str, head: int) -> None:
    """Mark a rebuild of the log up to `head` by this process as under way (in the
    transaction that empties the read models, so nobody sees them empty and unmarked)."""
    unmark_rebuild(connection, application_name)
    connection.execute(
        insert(tables.rebuilds).values(
            application_name=application_name,
            head=head,
            heartbeat_at=utc_now(),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
    )


def beat(connection: Connection, application_name: str) -> None:
    """The rebuild is still alive (in the transaction of each of its commits)."""
    rebuilds = tables.rebuilds
    connection.execute(
        update(rebuilds)
        .where(rebuilds.c.application_name == application_name)
        .values(heartbeat_at=utc_now())
    )


def unmark_rebuild(connection: Connection, application_name: str) -> None:
    rebuilds = tables.rebuilds
    connection.execute(delete(rebuilds).where(rebuilds.c.application_name == application_name))


def rebuild_head(
    connection: Connection, application_name: str, now: datetime | None = None
) -> int | None:
    """The head of the log a live rebuild is bringing the read models to, or None."""
    rebuilds = tables.rebuilds
    row = connection.execute(
        select(rebuilds.c.head, rebuilds.c.heartbeat_at, rebuilds.c.host, rebuilds.c.pid).where(
            rebuilds.c.application_name == application_name
        )
    ).first()
    if row is None or row.heartbeat_at < (now or utc_now()) - REBUILD_STALE_AFTER:
        return None
    if row.host == socket.gethostname() and not _running(row.pid):
        return None
    return int(row.head)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
