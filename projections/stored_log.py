"""Stored events read back from the event store, decoded by the application's mapper.

The read models keep no copy of an event (revision 0011): the event store holds each one.
The raw log, `changes` and the runner's refold of a case select positions from `rm_events`
(the bitemporal filters stay in SQL there) and read the events themselves here, one query
per call, through the mapper, so an encrypted store's cipher decrypts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eventsourcing.persistence import Notification

from domain.service import CaseService, recorded_event
from events.recorded import RecordedEvent
from projections.store.recorders import EventIndexQueries


def decoded(
    service: CaseService, notifications: Iterable[Notification], *, trusted: bool = True
) -> list[RecordedEvent]:
    """Stored events as the store returns them, in the order given: by default without
    validating them again (they were validated when written; `foresight verify` checks the
    log), see `RecordedEvent.from_stored`."""
    to_domain_event = service.mapper.to_domain_event
    return [
        recorded_event(to_domain_event(notification), notification.id, trusted=trusted)
        for notification in notifications
    ]


class StoredLog:
    """The event store's events by position, decoded."""

    def __init__(self, service: CaseService):
        recorder = service.recorder
        if not isinstance(recorder, EventIndexQueries):
            raise TypeError(f"{type(recorder).__name__} cannot read events by position")
        self.service = service
        self.recorder = recorder

    def events_at(self, positions: Sequence[int]) -> list[RecordedEvent]:
        """The stored events at these positions, in the order given (a position given twice
        is given twice). Every position must be in the store: read models name only stored
        events, and the store never deletes one."""
        found = {
            event.position: event
            for event in decoded(self.service, self.recorder.notifications_at(positions))
        }
        return [found[position] for position in positions]
