"""The write side's application service: append events to cases, atomically and idempotently."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProjectorFunction,
    project_aggregate,
)
from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic
from pydantic_core import from_json

from domain.case import Case, case_uuid, content_digest
from domain.errors import CaseNotFound, DomainError, EventIdConflict, VersionConflict
from domain.ports import EventIndex, Located
from domain.recording_rights import EntryOwner
from events.envelope import EventEnvelope, FieldError, InvalidEventError
from events.fieldpaths import field_path
from events.recorded import AppendOutcome, RecordedEvent
from events.timepoints import utc_now
from events.upcasting import upcast_entry

CASE_TOPIC = get_topic(Case)


class UpcastingMapper(Mapper[UUID]):
    """The library's mapper, plus: stored entries are read in the current shape of their type,
    and a case's snapshot in the shapes the case keeps."""

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        entry = getattr(domain_event, "entry", None)
        if entry is not None:
            domain_event.__dict__["entry"] = upcast_entry(entry)
        elif isinstance(domain_event, Snapshot) and domain_event.topic == CASE_TOPIC:
            Case.revive(domain_event.state)
        return domain_event


class StateTranscoder(JSONTranscoder):
    """The library's JSON transcoder, reading with pydantic's JSON parser when the event's
    timestamp is its only typed value, as in every event Foresight writes.

    Reading the log is most of a rebuild, and that parser (in Rust) reads a stored event in
    under half the time of `json` with the library's per-object hook. The result is the same:
    any other typed value, or text that parser refuses, is read the library's way.
    """

    def decode(self, data: bytes) -> Any:
        if data.count(b'"_type_"') == 1:
            try:
                state = from_json(data)
            except ValueError:
                return super().decode(data)
            stamp = state.get("timestamp") if isinstance(state, dict) else None
            if isinstance(stamp, dict) and stamp.keys() == {"_type_", "_data_"}:
                state["timestamp"] = self._decode_obj(stamp)
                return state
        return super().decode(data)


def fold_case(case: Any, events: Iterable[DomainEventProtocol[UUID]]) -> Any:
    """The library's `project_aggregate` without its per-event `isinstance` against a runtime
    protocol, which on Python 3.11 cost more than applying the event (docs/performance.md)."""
    for domain_event in events:
        case = domain_event.mutate(case)  # type: ignore[attr-defined]
    return case


RACE_ATTEMPTS = 5


@dataclass(frozen=True)
class DraftCheck:
    """What appending one draft would do: write it, nothing (stored already), or refuse it."""

    index: int
    stored: bool = False
    error: DomainError | InvalidEventError | None = None


class _StoredMeanwhile(EventIdConflict):
    """Event ids of the batch were stored by another writer between reading and writing."""


@dataclass
class _CaseBatch:
    """The events of one batch that go to one case."""

    case_id: str
    drafts: list[tuple[int, EventEnvelope]] = field(default_factory=list)


class CaseService(Application[UUID]):
    """Appends events to cases and reads a case's events back, as the store holds them."""

    name = "Foresight"
    env = {  # noqa: RUF012
        "AGGREGATE_CACHE_MAXSIZE": "500",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    # A snapshot holds every entry id of the case, so it grows with the case: take few.
    DEFAULT_SNAPSHOT_INTERVAL = 500
    # The library enables its snapshot store from this class attribute.
    snapshotting_intervals = {Case: DEFAULT_SNAPSHOT_INTERVAL}  # noqa: RUF012
    snapshotting_projectors = {Case: fold_case}  # noqa: RUF012

    def __init__(self, env: Mapping[str, str] | None = None, snapshot_interval: int | None = None):
        # ... and reads the interval from the instance when saving.
        self.snapshotting_intervals = {  # type: ignore[misc]
            Case: snapshot_interval or self.DEFAULT_SNAPSHOT_INTERVAL
        }
        # The states of cases whose snapshot is due, by (id, version), while an append saves
        # them (see `take_snapshot`): each thread's own, as another thread's append may be due
        # a snapshot of the same version of the same case, which it will fail to store.
        self._saving = threading.local()
        super().__init__(env)

    def construct_transcoder(self) -> Transcoder:
        transcoder = StateTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        return UpcastingMapper(
            transcoder=self.construct_transcoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )

    @property
    def index(self) -> EventIndex:
        recorder = self.recorder
        if not isinstance(recorder, EventIndex):
            raise TypeError(f"{type(recorder).__name__} keeps no event index")
        return recorder

    # -- writing ----------------------------------------------------------------------------

    def append(
        self,
        drafts: Sequence[EventEnvelope],
        *,
        expected_versions: Mapping[str, int] | None = None,
        recorded_at: datetime | None = None,
    ) -> AppendOutcome:
        """Append a batch: all of it or none. Retries of stored events are returned, not repeated.

        `expected_versions` gives optimistic concurrency per case: if a case has moved on,
        nothing is written and `VersionConflict` is raised.
        """
        for attempt in range(RACE_ATTEMPTS):
            try:
                return self._append_once(drafts, expected_versions, recorded_at)
            except _StoredMeanwhile:
                # Another writer stored some of these event ids between our read and our
                # write (typically a client retry racing its original). Read again: the same
                # content is now a no-op retry, other content a conflict, the rest appended.
                if attempt == RACE_ATTEMPTS - 1:
                    raise
            except VersionConflict:
                # Another writer appended to the case between our read and our write. A
                # writer that named no version did not ask to be refused for that: read the
                # case again and decide again (nothing was written).
                if expected_versions or attempt == RACE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _append_once(
        self,
        drafts: Sequence[EventEnvelope],
        expected_versions: Mapping[str, int] | None,
        recorded_at: datetime | None,
    ) -> AppendOutcome:
        if not drafts:
            raise InvalidEventError([FieldError("events", "no events to append")])
        self._refuse_repeated_ids(drafts)
        now = recorded_at or utc_now()
        batches: dict[str, _CaseBatch] = {}
        for index, draft in enumerate(drafts):
            batches.setdefault(draft.case_id, _CaseBatch(draft.case_id)).drafts.append(
                (index, draft)
            )
        elsewhere = self._ids_used_elsewhere(drafts)

        results: dict[int, tuple[str, str]] = {}  # batch index -> (case_id, event_id)
        changed: list[Case] = []
        due_snapshots: dict[tuple[UUID, int], Case] = {}
        new_count = 0
        for batch in batches.values():
            case = self._get_case(batch.case_id)
            new_drafts = []
            for index, draft in batch.drafts:
                prefix = field_path(index) if len(drafts) > 1 else ""
                if _is_stored(case, draft, elsewhere, prefix):
                    results[index] = (batch.case_id, str(draft.event_id))
                    continue
                new_drafts.append((index, prefix, draft))
            if not new_drafts:
                continue
            self._check_expected_version(batch.case_id, case, expected_versions)
            for index, prefix, draft in new_drafts:
                case = _recorded_on(case, draft, now, prefix)
                results[index] = (batch.case_id, _last_event_id(case))
                new_count += 1
                if case.version % self.snapshotting_intervals[Case] == 0:
                    # The state a snapshot of this version holds, before later drafts move
                    # the case on (a copy: the case itself keeps changing).
                    due_snapshots[(case.id, case.version)] = copy.deepcopy(case)
            if case is not None:  # always: a draft was recorded on it
                changed.append(case)

        recordings = self._save(changed, due_snapshots) if changed else []
        appended = {_entry_of(recording.domain_event)["event_id"] for recording in recordings}
        # Retries of events stored before are read back now, from the store; the events just
        # stored are built as recorded (with their positions) when the caller asks for them.
        in_batch_order = [results[index] for index in range(len(drafts))]
        stored_before = self._read_back(
            [
                (case_id, event_id)
                for case_id, event_id in in_batch_order
                if event_id not in appended
            ]
        )
        event_ids = [event_id for _, event_id in in_batch_order]
        return AppendOutcome(
            lambda: _returned_events(event_ids, recordings, stored_before), new_count=new_count
        )

    def _save(
        self, cases: list[Case], due_snapshots: Mapping[tuple[UUID, int], Case]
    ) -> list[Recording[UUID]]:
        """Store the cases' new events in one transaction; each with its position.

        Then each case, as now stored, goes to the repository's cache, so that the next
        append to it reads only what other writers added since (the library's fast-forward)
        rather than this append's events again.
        """
        event_index = {
            (event.originator_id, event.originator_version): (
                _entry_of(event)["event_id"],
                case.case_id,
            )
            for case in cases
            for event in case.pending_events
        }
        self._saving.due_snapshots = due_snapshots
        try:
            recordings = self.save(*cases, event_index=event_index)
        except IntegrityError:
            clashes = self.index.locate(event_id for event_id, _ in event_index.values())
            if clashes:
                raise _StoredMeanwhile(
                    "event_id", f"{next(iter(clashes))} was stored by another writer meanwhile"
                ) from None
            raise VersionConflict(
                "version", "another writer appended to this case meanwhile; reload and retry"
            ) from None
        finally:
            self._saving.due_snapshots = {}
        if self.repository.cache is not None:
            for case in cases:
                self.repository.cache.put(case.id, case)
        return recordings

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """The library's snapshot, of the state the append that is saving it held in memory
        when there is one: the library would read the case back from the store and fold it
        again (a snapshot's events and more), which cost a quarter of a bulk append."""
        due: Mapping[tuple[UUID, int], Case] = getattr(self._saving, "due_snapshots", {})
        state = due.get((aggregate_id, version)) if version else None
        if state is None or self.snapshots is None:
            super().take_snapshot(aggregate_id, version, projector_func)
            return
        self.snapshots.put([type(state).Snapshot.take(state)])

    @staticmethod
    def _refuse_repeated_ids(drafts: Sequence[EventEnvelope]) -> None:
        seen: set[UUID] = set()
        for index, draft in enumerate(drafts):
            if draft.event_id is None:
                continue
            if draft.event_id in seen:
                raise InvalidEventError(
                    [FieldError(field_path(index, "event_id"), "appears twice in this batch")]
                )
            seen.add(draft.event_id)

    def _ids_used_elsewhere(self, drafts: Sequence[EventEnvelope]) -> dict[str, Located]:
        given = {str(draft.event_id): draft.case_id for draft in drafts if draft.event_id}
        located = self.index.locate(given) if given else {}
        return {
            event_id: where
            for event_id, where in located.items()
            if where.case_id != given[event_id]
        }

    @staticmethod
    def _check_expected_version(
        case_id: str, case: Case | None, expected_versions: Mapping[str, int] | None
    ) -> None:
        if not expected_versions or case_id not in expected_versions:
            return
        expected = expected_versions[case_id]
        actual = case.version if case is not None else 0
        if actual != expected:
            raise VersionConflict(
                "version",
                f"case {case_id!r} is at version {actual}, not {expected}; reload and retry",
            )

    def check(
        self, drafts: Sequence[EventEnvelope], *, recorded_at: datetime | None = None
    ) -> list[DraftCheck]:
        """Decide each draft in order as an append would, writing nothing (a dry run).

        Each draft is checked against its case as it would be with the earlier drafts that
        passed: one refused draft does not hide the rest's problems. A draft whose event_id is
        already stored with the same content is reported as stored (a retry).
        """
        now = recorded_at or utc_now()
        elsewhere = self._ids_used_elsewhere(drafts)
        cases: dict[str, Case | None] = {}
        checks = []
        for index, draft in enumerate(drafts):
            if draft.case_id not in cases:
                # A copy: what the dry run records on it never reaches the repository's cache.
                found = self._get_case(draft.case_id)
                cases[draft.case_id] = copy.deepcopy(found) if found is not None else None
            case = cases[draft.case_id]
            try:
                if _is_stored(case, draft, elsewhere):
                    checks.append(DraftCheck(index, stored=True))
                    continue
                cases[draft.case_id] = _recorded_on(case, draft, now)
            except (DomainError, InvalidEventError) as error:  # the invariants and the clock rules
                checks.append(DraftCheck(index, error=error))
                continue
            checks.append(DraftCheck(index))
        return checks

    # -- reading ----------------------------------------------------------------------------

    def _get_case(self, case_id: str) -> Case | None:
        try:
            found: object = self.repository.get(case_uuid(case_id), projector_func=fold_case)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, Case)
        return found

    def case_version(self, case_id: str) -> int:
        """The current version of a case (404 if it has none)."""
        case = self._get_case(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case.version

    def case_exists(self, case_id: str) -> bool:
        return bool(self.index.case_positions(case_id))

    def entry_agency(self, case_id: str, event_id: str) -> EntryOwner | None:
        """The agency that recorded an entry of a case, and its type, or None if the case
        holds no such entry (who may amend it: domain/recording_rights.py)."""
        located = self.index.locate([event_id]).get(event_id)
        if located is None or located.case_id != case_id:
            return None
        stored = self._read_back([(case_id, event_id)])[0]
        return EntryOwner(stored.agency, stored.type)

    def case_events(self, case_id: str, *, after_version: int | None = None) -> list[RecordedEvent]:
        """Every stored event of a case in recording order (raises CaseNotFound if none)."""
        positions = self.index.case_positions(case_id)
        if not positions:
            raise CaseNotFound(case_id)
        return self._recorded(case_id, positions, gt=after_version)

    def case_events_up_to(self, case_id: str, position: int) -> list[RecordedEvent]:
        """The stored events of a case at or before a global position (none if it had none)."""
        positions = self.index.case_positions(case_id)
        versions = [version for version, at in positions.items() if at <= position]
        if not versions:
            return []
        return self._recorded(case_id, positions, lte=max(versions))

    def _recorded(
        self,
        case_id: str,
        positions: Mapping[int, int],
        *,
        gt: int | None = None,
        lte: int | None = None,
    ) -> list[RecordedEvent]:
        """The case's stored events in a range of versions, each with its global position."""
        return [
            recorded_event(event, positions[event.originator_version])
            for event in self.events.get(case_uuid(case_id), gt=gt, lte=lte)
        ]

    def _read_back(self, wanted: list[tuple[str, str]]) -> list[RecordedEvent]:
        by_case: dict[str, list[str]] = {}
        for case_id, event_id in wanted:
            by_case.setdefault(case_id, []).append(event_id)
        found: dict[str, RecordedEvent] = {}
        for case_id, event_ids in by_case.items():
            located = self.index.locate(event_ids)
            first = min(where.version for where in located.values())
            positions = {where.version: where.position for where in located.values()}
            for event in self.events.get(case_uuid(case_id), gt=first - 1):
                if event.originator_version in positions:
                    recorded = recorded_event(event, positions[event.originator_version])
                    found[str(recorded.event_id)] = recorded
        return [found[event_id] for _, event_id in wanted]


def recorded_event(
    event: DomainEventProtocol[UUID], position: int, *, trusted: bool = False
) -> RecordedEvent:
    """A stored Case event as the store returns it, given its global position (`trusted`:
    without validating it again, see `RecordedEvent.from_stored`)."""
    if not isinstance(event, Case.Opened | Case.EntryRecorded):
        raise TypeError(f"{type(event).__name__} is not an event of a case")
    return RecordedEvent.from_stored(
        event.entry,
        recorded_at=event.timestamp,
        position=position,
        version=event.originator_version,
        prev_hash=event.prev_hash,
        hash=event.hash,
        trusted=trusted,
    )


# What an append decides for each draft, and its dry run too: is it stored already (a retry),
# and if not, may it be recorded on its case (`_recorded_on`)? An append first asks the former
# of every draft of a case, then checks the case's expected version, then records.


def _is_stored(
    case: Case | None, draft: EventEnvelope, elsewhere: Mapping[str, Located], prefix: str = ""
) -> bool:
    """True if the draft is stored in its case already (a retry), False if it is new.

    Raises EventIdConflict if its event_id is taken by other content, in its case or another.
    """
    if draft.event_id is None:
        return False
    event_id = str(draft.event_id)
    stored_digest = case.digest_of(event_id) if case is not None else None
    if stored_digest is not None:
        if stored_digest != content_digest(draft):
            raise EventIdConflict(
                field_path(prefix, "event_id"),
                "is already stored with other content; use a new event_id",
            )
        return True
    if event_id in elsewhere:
        raise EventIdConflict(field_path(prefix, "event_id"), "is already used by another event")
    return False


def _recorded_on(
    case: Case | None, draft: EventEnvelope, recorded_at: datetime, prefix: str = ""
) -> Case:
    """The case with the draft decided and recorded on it; a new case for its first event."""
    if case is None:
        return Case.open(draft, recorded_at=recorded_at, prefix=prefix)
    case.record(draft, recorded_at=recorded_at, prefix=prefix)
    return case


def _returned_events(
    event_ids: Sequence[str],
    recordings: Sequence[Recording[UUID]],
    stored_before: list[RecordedEvent],
) -> list[RecordedEvent]:
    """The events of `event_ids`, in that order: those just stored as recorded, the others
    (retries) as read back from the store."""
    found = {str(event.event_id): event for event in stored_before}
    for recording in recordings:
        event = recorded_event(recording.domain_event, recording.notification.id)
        found[str(event.event_id)] = event
    return [found[event_id] for event_id in event_ids]


def _entry_of(event: object) -> dict[str, Any]:
    """The entry a case's event records."""
    if not isinstance(event, Case.Opened | Case.EntryRecorded):
        raise TypeError(f"{type(event).__name__} is not an event of a case")
    return event.entry


def _last_event_id(case: Case) -> str:
    return str(_entry_of(case.pending_events[-1])["event_id"])
