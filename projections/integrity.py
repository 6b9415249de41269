"""`foresight verify`: recompute every case's hash chain and check the append-only guarantee."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.case import GENESIS_HASH, Case, case_uuid, chain_hash
from domain.review import Review
from domain.service import CaseService
from projections.eventstore import EventIndexQueries

PAGE_SIZE = 1_000
OPENED_TOPIC = get_topic(Case.Opened)
RECORDED_TOPIC = get_topic(Case.EntryRecorded)
REVIEW_TOPICS = frozenset(
    get_topic(kind) for kind in (Review.Opened, Review.EpisodeSelected, Review.FindingRecorded)
)


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the stored log is not what was appended."""

    position: int
    case_id: str | None
    version: int | None
    event_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"position {self.position}"
        if self.case_id is not None:
            where += f", case {self.case_id!r} version {self.version}"
        if self.event_id:
            where += f", event {self.event_id}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """What `verify` checked and the first problem found, if any."""

    events_checked: int
    cases_checked: int
    missing_triggers: tuple[str, ...]
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.missing_triggers


@dataclass
class _CaseTip:
    case_id: str
    version: int
    hash: str


def verify_store(
    service: CaseService, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Walk the whole log in position order, streaming, and stop at the first broken link."""
    recorder = service.recorder
    assert isinstance(recorder, EventIndexQueries)
    missing = tuple(recorder.missing_append_only_triggers())
    tips: dict[UUID, _CaseTip] = {}
    checked = 0
    expected_position = 1
    for page in _pages(recorder):
        index = {row.position: row for row in recorder.index_rows_between(page[0].id, page[-1].id)}
        for notification in page:
            problem = None
            if notification.id != expected_position:
                problem = _missing(recorder, expected_position, notification.id - 1)
            if problem is None:
                problem = _check(service, notification, tips, index.get(notification.id))
            if problem is not None:
                return VerifyReport(checked, len(tips), missing, problem)
            expected_position = notification.id + 1
            checked += 1
        if progress is not None:
            progress(len(page))
    orphans = recorder.index_rows_between(expected_position, None)
    if orphans:
        row = orphans[0]
        return VerifyReport(
            checked, len(tips), missing,
            BrokenLink(row.position, row.case_id, row.version, row.event_id,
                       "the event index names an event that is not in the log (deleted?)"),
        )
    return VerifyReport(checked, len(tips), missing, None)


def _missing(recorder: Any, first: int, last: int) -> BrokenLink | None:
    """A gap in the log from `first` to `last`, naming an event there if the index knows it.

    On PostgreSQL a gap is normal (a rolled-back append leaves one in the sequence); it is
    a deletion only if the index still names an event there. SQLite's positions have no gaps.
    """
    for row in recorder.index_rows_between(first, last):
        return BrokenLink(
            row.position, row.case_id, row.version, row.event_id,
            "the event is missing from the log (deleted?)",
        )
    if not recorder.positions_are_contiguous:
        return None
    return BrokenLink(
        first, None, None, None, f"event at position {first} is missing (deleted?)"
    )


def _pages(recorder: Any) -> Iterator[list[Notification]]:
    start = 0
    while True:
        page = list(recorder.select_notifications(start, PAGE_SIZE, inclusive_of_start=False))
        if not page:
            return
        yield page
        start = page[-1].id


def _check(
    service: CaseService, notification: Notification, tips: dict[UUID, _CaseTip], index_row: Any
) -> BrokenLink | None:
    position = notification.id

    def broken(reason: str, case_id: str | None = None, version: int | None = None,
               event_id: str | None = None) -> BrokenLink:
        return BrokenLink(position, case_id, version, event_id, reason)

    try:
        state = _decode(service, notification)
    except Exception as error:  # noqa: BLE001 - any undecodable row is tampering to report
        return broken(f"stored event cannot be read: {error}")
    if notification.topic in REVIEW_TOPICS:
        # Reviews share the log but are not part of any case's chain (they change no case).
        return None
    entry = state.get("entry")
    if notification.topic not in (OPENED_TOPIC, RECORDED_TOPIC) or not isinstance(entry, dict):
        return broken(f"unexpected topic {notification.topic!r}")
    event_id = str(entry.get("event_id"))
    originator_id = UUID(str(notification.originator_id))
    version = notification.originator_version
    tip = tips.get(originator_id)
    if notification.topic == OPENED_TOPIC:
        if tip is not None:
            return broken("a second opening event for a case", tip.case_id, version, event_id)
        tip = _CaseTip(str(state.get("case_id")), 0, GENESIS_HASH)
        if case_uuid(tip.case_id) != originator_id:
            return broken("case id does not match the stored case", tip.case_id, version, event_id)
    elif tip is None:
        return broken("event of a case whose opening event is missing", None, version, event_id)
    if version != tip.version + 1:
        return broken(
            f"expected version {tip.version + 1} (an event was deleted, inserted or moved)",
            tip.case_id, version, event_id,
        )
    if entry.get("case_id") != tip.case_id:
        return broken("entry names another case", tip.case_id, version, event_id)
    if state.get("prev_hash") != tip.hash:
        return broken("link to the previous event's hash is broken", tip.case_id, version, event_id)
    recomputed = chain_hash(
        tip.hash, case_id=tip.case_id, version=version, recorded_at=state["timestamp"], entry=entry
    )
    if recomputed != state.get("hash"):
        return broken("content does not match its hash (altered)", tip.case_id, version, event_id)
    if index_row is None or (index_row.event_id, index_row.case_id, index_row.version) != (
        event_id, tip.case_id, version
    ):
        return broken("event index does not match the log", tip.case_id, version, event_id)
    tips[originator_id] = _CaseTip(tip.case_id, version, recomputed)
    return None


def _decode(service: CaseService, notification: Notification) -> dict[str, Any]:
    """The stored state exactly as written: decrypted and decoded, never upcast."""
    mapper = service.mapper
    state = notification.state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    decoded = mapper.transcoder.decode(state)
    assert isinstance(decoded, dict)
    return decoded
