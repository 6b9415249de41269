"""Running the case projection: a batched polling catch-up (SQLite has no subscriptions), and rebuild."""

from __future__ import annotations

import threading
from collections.abc import Callable

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from domain.case import Case
from domain.service import CaseService
from projections.bulk_rebuild import REBUILD_CHUNK, rebuild_read_models, stored_event_chunks
from projections.caseviews import CaseProjection, CaseViews

BATCH_SIZE = 1_000
# Refusals in a row (another runner got there first) before giving up.
SHARED_ATTEMPTS = 100
# Reviews share the store's log; the case read models take only the case's own events.
CASE_TOPICS = (get_topic(Case.Opened), get_topic(Case.EntryRecorded))


class CaseViewsRunner:
    """Keeps the case read models up to date with the event log, exactly once."""

    def __init__(self, service: CaseService, views: CaseViews, batch_size: int = BATCH_SIZE):
        self.service = service
        self.views = views
        self.projection = CaseProjection(views)
        self.batch_size = batch_size
        self._lock = threading.Lock()

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
        """Apply every event recorded since the tracked position; return how many."""
        applied = 0
        start = self.position()
        if max_batches is not None and max_batches <= 0:
            return 0
        chunks = stored_event_chunks(self.service, CASE_TOPICS, self.batch_size, start)
        for batches, (batch, last) in enumerate(chunks, start=1):
            self.projection.process_batch(batch, Tracking(self.application_name, last), after=start)
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
        do not each project, or race to project, the same events."""
        target = self.service.recorder.max_notification_id() or 0
        with self._lock:
            for attempt in range(SHARED_ATTEMPTS):
                if self.position() >= target:
                    return 0
                try:
                    return self.catch_up()
                except IntegrityError:
                    # Each refusal means another runner moved the position on: follow it.
                    self.projection.forget_cached_cases()
                    if attempt == SHARED_ATTEMPTS - 1:
                        raise
            raise AssertionError("unreachable")

    def rebuild(
        self, progress: Callable[[int], None] | None = None, chunk_size: int = REBUILD_CHUNK
    ) -> int:
        """Empty every read model and build it again from the log (the bulk path)."""
        self.projection.forget_cached_cases()
        return rebuild_read_models(self.service, self.views, CASE_TOPICS, progress, chunk_size)
