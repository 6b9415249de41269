"""The case projection run: catch-up, polled in batches (SQLite has no subscriptions); rebuild."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from domain.case import Case
from domain.service import CaseService
from projections.batch_writes import (
    REBUILD_CHUNK,
    rare_garbage_collections,
    stored_event_chunks,
)
from projections.bulk_rebuild import COMMIT_CHUNKS, rebuild_read_models
from projections.caseviews import CaseProjection, CaseViews
from projections.log_head import LogHeadQuery
from projections.parallel_rebuild import StoreOpener
from projections.rebuild_mark import RebuildUnderWay, rebuild_head

BATCH_SIZE = 1_000
# Below this many events a rebuild is quicker in one process than starting workers.
PARALLEL_REBUILD_FROM = 50_000
# Refusals in a row (another runner got there first) before giving up.
SHARED_ATTEMPTS = 100
# Reviews share the store's log; the case read models take only the case's own events.
CASE_TOPICS = (get_topic(Case.Opened), get_topic(Case.EntryRecorded))


class CaseViewsRunner:
    """Keeps the case read models up to date with the event log, exactly once."""

    def __init__(
        self,
        service: CaseService,
        views: CaseViews,
        batch_size: int = BATCH_SIZE,
        open_store: StoreOpener | None = None,
    ):
        self.service = service
        self.views = views
        # How worker processes open this store for a parallel rebuild (None: never parallel).
        self.open_store = open_store
        self.projection = CaseProjection(views)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        # The head of the log this process last saw the read models hold (every case event
        # up to it applied, by anyone), and their tracked position then: while the log's
        # head stays there, the tracked position has not gone back (a rebuild that emptied
        # the read models and failed) and no rebuild is marked, a reader needs nothing more
        # than one query (`LogHeadQuery`).
        self._applied_head = 0
        self._tracked_then = 0
        self.catch_up_checks = 0  # reads that had to look at the tracked position
        recorder = service.recorder
        self._log_head = LogHeadQuery(
            views.engine,
            self.application_name,
            getattr(recorder, "events_table_name"),  # noqa: B009 - the library's recorders all name it
            getattr(getattr(recorder, "datastore", None), "schema", None),
        )

    @property
    def application_name(self) -> str:
        return self.service.name

    def position(self) -> int:
        """The last position applied to the read models (0 before any)."""
        return self.views.max_tracking_id(self.application_name) or 0

    def lag(self) -> int:
        """How many positions the read models are behind the log."""
        return max(0, (self.service.recorder.max_notification_id() or 0) - self.position())

    def catch_up(
        self,
        progress: Callable[[int], None] | None = None,
        max_batches: int | None = None,
    ) -> int:
        """Apply every event recorded since the tracked position; return how many.

        Raises `RebuildUnderWay` while a rebuild is filling the read models: it is the only
        one projecting until it finishes."""
        self.refuse_during_rebuild()
        applied = 0
        start = self.position()
        if max_batches is not None and max_batches <= 0:
            return 0
        chunks = stored_event_chunks(self.service, CASE_TOPICS, self.batch_size, start)
        # A long catch-up (after an import, or by a runner started late) keeps as many case
        # models cached as a rebuild does.
        with rare_garbage_collections():
            for batches, (batch, last) in enumerate(chunks, start=1):
                self.projection.process_batch(
                    batch, Tracking(self.application_name, last), after=start
                )
                applied += len(batch)
                start = last
                if progress is not None:
                    progress(len(batch))
                if max_batches is not None and batches >= max_batches:
                    break
        return applied

    def catch_up_shared(self) -> int:
        """Catch up from a server thread to the log's head as it was when called (enough to
        read one's own writes): one thread at a time here, and done as soon as anyone (another
        thread, API worker or projection runner) has applied that far, so concurrent readers
        do not each project, or race to project, the same events.

        When the log's head has not moved past the head this process last saw applied, the
        tracked position has not gone back and no rebuild is marked, that one query is all:
        no lock, no catch-up."""
        head = self._log_head()
        if (
            not head.rebuild_marked
            and head.position <= self._applied_head
            and head.applied >= self._tracked_then
        ):
            return 0
        target = head.position
        with self._lock:
            self.catch_up_checks += 1
            for attempt in range(SHARED_ATTEMPTS):
                self.refuse_during_rebuild()
                if self.position() >= target:
                    self._saw_applied(target)
                    return 0
                try:
                    applied = self.catch_up()
                except IntegrityError:
                    # Each refusal means another runner moved the position on: follow it.
                    self.projection.forget_cached_cases()
                    if attempt == SHARED_ATTEMPTS - 1:
                        raise
                else:
                    # The catch-up read the log to its end: every case event up to `target`
                    # (even when the last events were a review's, which move no tracking).
                    self._saw_applied(target)
                    return applied
            raise AssertionError("unreachable")

    def _saw_applied(self, head: int) -> None:
        self._applied_head = head
        self._tracked_then = self.position()

    def rebuild_head(self) -> int | None:
        """The head of the log a live rebuild is filling the read models up to, or None."""
        with self.views.engine.connect() as connection:
            return rebuild_head(connection, self.application_name)

    def refuse_during_rebuild(self) -> None:
        """Raise `RebuildUnderWay` if a live rebuild is filling the read models."""
        head = self.rebuild_head()
        if head is not None:
            raise RebuildUnderWay(self.position(), head)

    def rebuild(
        self,
        progress: Callable[[int], None] | None = None,
        chunk_size: int = REBUILD_CHUNK,
        workers: int | None = None,
        commit_chunks: int = COMMIT_CHUNKS,
    ) -> int:
        """Empty every read model and build it again from the log (the bulk path), one
        transaction every `commit_chunks` chunks.

        `workers` processes compute the rows (0: this process alone); by default one per
        core, once the log is long enough to repay starting them.
        """
        self.projection.forget_cached_cases()
        if workers is None:
            workers = self.default_rebuild_workers()
        return rebuild_read_models(
            self.service,
            self.views,
            CASE_TOPICS,
            progress,
            chunk_size,
            workers,
            self.open_store,
            commit_chunks,
        )

    def default_rebuild_workers(self) -> int:
        if self.open_store is None:
            return 0
        events = self.service.recorder.max_notification_id() or 0
        return (os.cpu_count() or 1) if events >= PARALLEL_REBUILD_FROM else 0
