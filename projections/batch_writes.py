"""What a rebuild writes, chunk by chunk: the log read in position order and folded case by case.

The log is read a chunk at a time (never all of it) up to a fixed head, and handed to the
same `CaseProjection` the incremental runner uses, so the rows are computed by the same
code. A rebuild may split the cases into shares, one per worker process: every share reads
the same chunks, decodes only its own cases' events (`CaseShares` says which), and gives
that chunk's writes. The projection keeps a bounded cache of case models (`CACHED_CASES`,
`CACHED_EVENTS`); a case evicted and met again is folded again from its events in the log
before the chunk, so memory does not grow with the log.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.service import CaseService
from events.recorded import RecordedEvent
from projections.casemodel import CaseModel
from projections.caseviews import CaseProjection, CaseViews, Write
from projections.stored_log import decoded

REBUILD_CHUNK = 10_000
# Allocations between young-generation collections while rebuilding (Python's default: 700).
REBUILD_GC_THRESHOLD = 100_000


class _RareCollections:
    """The collector's thresholds, raised while anyone in the process needs them raised (a
    rebuild and a catch-up may overlap in threads of one server): the first to enter raises
    them, the last to leave puts back what they were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._before = gc.get_threshold()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._before = gc.get_threshold()
                gc.set_threshold(REBUILD_GC_THRESHOLD, *self._before[1:])
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    gc.set_threshold(*self._before)


_rare_collections = _RareCollections()


def rare_garbage_collections() -> AbstractContextManager[None]:
    """Let the cyclic garbage collector run rarely while this lasts, as it was afterwards.

    Projecting many events allocates a few hundred objects per event and keeps tens of
    thousands of events in the cache of case models. At the default thresholds the collector
    keeps scanning that cache, although it finds almost no cycles: a third of a rebuild
    worker's CPU at a million events (73 s against 48 s for half the log, measured). Memory
    is still freed by reference counting as before; only cycles wait longer.
    """
    return _rare_collections.held()


@dataclass(frozen=True)
class ChunkWrites:
    """The writes of one share of the cases for one chunk of the log."""

    last_position: int
    events: int
    writes: list[Write]


def notification_chunks(
    service: CaseService,
    topics: tuple[str, ...],
    chunk_size: int = REBUILD_CHUNK,
    after: int = 0,
    up_to: int | None = None,
) -> Iterator[tuple[Sequence[Notification], int]]:
    """The log's notifications of these topics in position order (up to `up_to`, if given),
    still encoded, a chunk at a time, with the position of each chunk's last one."""
    start = after
    while True:
        notifications = service.recorder.select_notifications(
            start, chunk_size, stop=up_to, topics=topics, inclusive_of_start=False
        )
        if not notifications:
            return
        start = notifications[-1].id
        yield notifications, start


def stored_event_chunks(
    service: CaseService, topics: tuple[str, ...], chunk_size: int = REBUILD_CHUNK, after: int = 0
) -> Iterator[tuple[list[RecordedEvent], int]]:
    """The log's events of these topics in position order, decoded, a chunk at a time, with
    the position of each chunk's last event."""
    for notifications, last in notification_chunks(service, topics, chunk_size, after):
        yield decoded(service, notifications), last


def _models_before(
    projection: CaseProjection, service: CaseService, position: int
) -> Callable[[str], CaseModel]:
    """A case's model for a chunk starting after `position`. The rebuild is the only writer,
    so a cached model is current; an evicted one is folded again from the log as it stood
    at `position`."""

    def model_of(case_id: str) -> CaseModel:
        return projection.cached_model(
            case_id,
            current=lambda model: True,
            stored_events=lambda case_id: service.case_events_up_to(case_id, position),
        )

    return model_of


class CaseShares:
    """Which share each case belongs to: a case goes, when first met in the log, to the share
    given the fewest events so far.

    Every worker reads the same log in the same order, so each makes the same choice without
    asking the others. Splitting by the case id alone leaves shares unequal when a few large
    cases make most of the log (500 cases of 2,000 events split 226 to 274), and the rebuild
    lasts as long as its busiest worker. It holds one entry per case, not per event.
    """

    def __init__(self, shares: int):
        self.events_given = [0] * shares
        self._share_of: dict[UUID | str, int] = {}

    def share_of(self, case_store_id: UUID | str) -> int:
        """The share of the case with this store id (a UUID, or its text where the store
        gives text); counts one more event for it."""
        share = self._share_of.get(case_store_id)
        if share is None:
            given = self.events_given
            share = self._share_of[case_store_id] = given.index(min(given))
        self.events_given[share] += 1
        return share


def chunk_writes(
    service: CaseService,
    views: CaseViews,
    topics: tuple[str, ...],
    head: int,
    chunk_size: int = REBUILD_CHUNK,
    share: int = 0,
    shares: int = 1,
) -> Iterator[ChunkWrites]:
    """For each chunk of the log up to `head`, the writes that apply it to empty read models,
    for the cases of this share only."""
    projection = CaseProjection(views)
    case_shares = CaseShares(shares)
    dialect = views.engine.dialect
    after = 0
    for notifications, last in notification_chunks(service, topics, chunk_size, 0, head):
        mine = [n for n in notifications if case_shares.share_of(n.originator_id) == share]
        events = decoded(service, mine)
        writes = projection.writes_for(events, _models_before(projection, service, after), dialect)
        projection.evict()
        yield ChunkWrites(last, len(events), writes)
        after = last
