"""`foresight verify`: recompute every case's hash chain and check the append-only guarantee.

What is checked, streaming the log once in position order:

- every stored event decodes, and its stored bytes are exactly the library's encoding of what
  they decode to (so no byte can change without changing the decoded content);
- case events: topic, fields, versions 1, 2, 3… in order, the link to the predecessor's hash,
  the hash of the content, and the event index row at that position;
- review events (not hash-chained: the Review aggregate predates the chain): topic, fields,
  versions in order;
- missing positions (deletions) and index rows naming events that are not in the log;
- after the walk, every snapshot against the aggregate folded from the verified events;
- against an anchor taken earlier (`Anchor`), that every anchored case still has its anchored
  head and that the log up to the anchored position is byte for byte what it was (its
  plaintext: re-encryption under a new key is not a change);
- given the blob store, that every document version the log names has its bytes there,
  matching its SHA-256 and size.

The users' record (users, their tokens and subject mappings) is a chain of its own, checked by
`verify_users_record`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.utils import get_topic
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from domain.case import GENESIS_HASH, Case, canonical_json, case_uuid, chain_hash
from domain.ports import Located as EventLocation
from domain.review import Review, review_uuid
from domain.service import CaseService
from projections.keyring import LostKeyError
from projections.store.blobs import BlobStore, blob_problem
from projections.store.recorders import USERS_HISTORY_TABLE, EventIndexQueries
from projections.tables import UtcDateTime

PAGE_SIZE = 1_000
# Format 2 digests each row's plaintext, so re-encryption under a new key (`foresight rekey`)
# keeps an anchor valid; format 1 digested the stored bytes (the same on a plain store).
# 3: the log's plaintext digest and the users' record's head; 2: the same without the users'
# record; 1: a digest of the stored bytes (from before key ids), still accepted.
ANCHOR_FORMAT = "foresight-anchor/3"
PLAINTEXT_ANCHOR_FORMAT = "foresight-anchor/2"
STORED_BYTES_ANCHOR_FORMAT = "foresight-anchor/1"
CASE_TOPIC = get_topic(Case)
OPENED_TOPIC = get_topic(Case.Opened)
RECORDED_TOPIC = get_topic(Case.EntryRecorded)
REVIEW_OPENED_TOPIC = get_topic(Review.Opened)
REVIEW_TOPICS = frozenset(
    get_topic(kind) for kind in (Review.Opened, Review.EpisodeSelected, Review.FindingRecorded)
)
SNAPSHOT_TOPIC = get_topic(Snapshot)
# The fields each kind of case event is stored with; anything else was added behind our back.
CASE_EVENT_FIELDS = {
    OPENED_TOPIC: {"timestamp", "originator_topic", "case_id", "entry", "prev_hash", "hash"},
    RECORDED_TOPIC: {"timestamp", "entry", "prev_hash", "hash"},
}


class _StoreToVerify(Protocol):
    """What verify reads from a recorder: the log in position order and the event index."""

    positions_are_contiguous: bool

    def index_rows_between(self, first: int, last: int | None) -> list[EventLocation]: ...

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the stored log is not what was appended."""

    position: int | None
    case_id: str | None
    version: int | None
    event_id: str | None
    reason: str

    def __str__(self) -> str:
        parts = []
        if self.position is not None:
            parts.append(f"position {self.position}")
        if self.case_id is not None:
            parts.append(f"case {self.case_id!r} version {self.version}")
        if self.event_id:
            parts.append(f"event {self.event_id}")
        return f"{', '.join(parts) or 'store'}: {self.reason}"


@dataclass(frozen=True)
class Anchor:
    """What an auditor keeps outside the database: each case's head and a digest of the log.

    The per-case chains show an event changed, moved or deleted in the middle of a case; only
    something kept elsewhere can show that the newest events were removed, or that a whole
    chain was recomputed. Later appends do not invalidate an anchor.
    """

    position: int
    events: int
    log_digest: str
    heads: dict[str, tuple[int, str]]  # case id -> (version, hash of that event)
    format: str = ANCHOR_FORMAT
    # The users' record's newest row then: (seq, hash), or None (empty, or an older format).
    users: tuple[int, str] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": self.format,
            "position": self.position,
            "events": self.events,
            "log_digest": self.log_digest,
            "cases": {case_id: list(head) for case_id, head in sorted(self.heads.items())},
        }
        if self.format == ANCHOR_FORMAT:
            body["users"] = list(self.users) if self.users else None
        return body

    @property
    def digest(self) -> str:
        """One line for the auditor's notebook: SHA-256 of the anchor's content."""
        return hashlib.sha256(canonical_json(self.body())).hexdigest()

    def to_json(self) -> str:
        return json.dumps({**self.body(), "digest": self.digest}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Read an anchor file; ValueError if it is not one or does not match its own digest."""
        try:
            raw = json.loads(text)
            if raw.get("format") not in (
                ANCHOR_FORMAT,
                PLAINTEXT_ANCHOR_FORMAT,
                STORED_BYTES_ANCHOR_FORMAT,
            ):
                raise ValueError(f"not a Foresight anchor (format {raw.get('format')!r})")
            anchor = cls(
                position=int(raw["position"]),
                events=int(raw["events"]),
                log_digest=str(raw["log_digest"]),
                heads={
                    str(case): (int(head[0]), str(head[1])) for case, head in raw["cases"].items()
                },
                format=raw["format"],
                users=(int(raw["users"][0]), str(raw["users"][1])) if raw.get("users") else None,
            )
        except (KeyError, TypeError, IndexError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a Foresight anchor: {error}") from None
        if raw.get("digest") != anchor.digest:
            raise ValueError("the anchor file does not match its own digest (damaged or edited)")
        return anchor


@dataclass(frozen=True)
class DocumentBlob:
    """A document version as the log names it: where it is and what its bytes must be."""

    case_id: str
    document_id: str
    version_number: int
    sha256: str
    size: int


@dataclass(frozen=True)
class BlobProblem:
    """A document version whose bytes are missing from the blob store or not what they were."""

    document: DocumentBlob
    reason: str

    def __str__(self) -> str:
        where = self.document
        return (
            f"case {where.case_id!r} document {where.document_id!r} version "
            f"{where.version_number}: {self.reason}"
        )


@dataclass(frozen=True)
class VerifyReport:
    """What `verify` checked and the first problem found, if any."""

    events_checked: int
    cases_checked: int
    missing_triggers: tuple[str, ...]
    broken: BrokenLink | None
    # The store's anchor as verified (None when a link is broken).
    anchor: Anchor | None = None
    snapshots_checked: int = 0
    blobs_checked: int = 0
    blob_problems: tuple[BlobProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.missing_triggers and not self.blob_problems


@dataclass
class _CaseTip:
    case_id: str
    version: int
    hash: str
    position: int


@dataclass
class _Walk:
    """The state of one walk through the log."""

    service: CaseService
    anchor: Anchor | None
    tips: dict[UUID, _CaseTip] = field(default_factory=dict)
    review_versions: dict[UUID, int] = field(default_factory=dict)
    checked: int = 0
    log_digest: str = GENESIS_HASH
    # Of the stored bytes, for an anchor of format 1 only.
    stored_digest: str = GENESIS_HASH
    last_position: int = 0
    anchored_digest: str | None = None
    # The decrypted bytes of the row just checked (the digest covers them, not the ciphertext).
    plaintext: bytes = b""
    documents: list[DocumentBlob] = field(default_factory=list)

    def fold_into_log_digest(self, notification: Notification) -> None:
        """Chain every stored row, whatever its kind, in position order (for anchors)."""
        if (
            self.anchor is not None
            and self.anchored_digest is None
            and (notification.id > self.anchor.position)
        ):
            self.anchored_digest = (
                self.stored_digest
                if self.anchor.format == STORED_BYTES_ANCHOR_FORMAT
                else self.log_digest
            )
        row = (
            f"|{notification.id}|{UUID(str(notification.originator_id))}|"
            f"{notification.originator_version}|{notification.topic}|"
        ).encode()
        self.log_digest = _chained(self.log_digest, row, self.plaintext)
        if self.anchor is not None and self.anchor.format == STORED_BYTES_ANCHOR_FORMAT:
            self.stored_digest = _chained(self.stored_digest, row, notification.state)
        self.last_position = notification.id


def _chained(digest: str, row: bytes, content: bytes) -> str:
    return hashlib.sha256(
        digest.encode() + row + hashlib.sha256(content).hexdigest().encode()
    ).hexdigest()


def verify_store(
    service: CaseService,
    progress: Callable[[int], None] | None = None,
    anchor: Anchor | None = None,
    blobs: BlobStore | None = None,
) -> VerifyReport:
    """Walk the whole log in position order, streaming, and stop at the first broken link;
    then, given the blob store, check the bytes of every document version the log names."""
    recorder = service.recorder
    assert isinstance(recorder, EventIndexQueries)
    missing = tuple(recorder.missing_append_only_triggers())
    walk = _Walk(service, anchor)

    def report(broken: BrokenLink | None, snapshots: int = 0) -> VerifyReport:
        verified = (
            None
            if broken
            else Anchor(
                walk.last_position,
                walk.checked,
                walk.log_digest,
                {tip.case_id: (tip.version, tip.hash) for tip in walk.tips.values()},
            )
        )
        return VerifyReport(walk.checked, len(walk.tips), missing, broken, verified, snapshots)

    expected_position = 1
    try:
        for page in _pages(recorder):
            problem = _check_page(walk, recorder, page, expected_position)
            if problem is not None:
                return report(problem)
            expected_position = page[-1].id + 1
            if progress is not None:
                progress(len(page))
    except _UnreadableRow as unreadable:
        return report(unreadable.broken_link(recorder))
    orphans = recorder.index_rows_between(expected_position, None)
    if orphans:
        row = orphans[0]
        return report(
            BrokenLink(
                row.position,
                row.case_id,
                row.version,
                row.event_id,
                "the event index names an event that is not in the log (deleted?)",
            )
        )
    problem = _against_anchor(walk) if anchor is not None else None
    if problem is not None:
        return report(problem)
    snapshots, problem = _check_snapshots(service, recorder, walk)
    verified = report(problem, snapshots)
    if blobs is None or problem is not None:
        return verified
    checked, problems = _check_blobs(blobs, walk.documents)
    return dataclasses.replace(verified, blobs_checked=checked, blob_problems=problems)


def _check_blobs(
    blobs: BlobStore, documents: Sequence[DocumentBlob]
) -> tuple[int, tuple[BlobProblem, ...]]:
    """Each distinct blob read once, whole, against its SHA-256; each version naming a bad one
    reported."""
    reasons: dict[tuple[str, int], str | None] = {}
    problems = []
    for document in documents:
        key = (document.sha256, document.size)
        if key not in reasons:
            reasons[key] = blob_problem(blobs, document.sha256, document.size)
        reason = reasons[key]
        if reason is not None:
            problems.append(BlobProblem(document, reason))
    return len(reasons), tuple(problems)


def _check_page(
    walk: _Walk, recorder: _StoreToVerify, page: list[Notification], expected_position: int
) -> BrokenLink | None:
    index = {row.position: row for row in recorder.index_rows_between(page[0].id, page[-1].id)}
    for notification in page:
        problem = None
        if notification.id != expected_position:
            problem = _missing(recorder, expected_position, notification.id - 1)
        if problem is None:
            problem = _check(walk, notification, index.get(notification.id))
        if problem is not None:
            return problem
        walk.fold_into_log_digest(notification)
        expected_position = notification.id + 1
        walk.checked += 1
    return None


class _UnreadableRow(Exception):
    """The library could not even read a row (its id or version column was altered)."""

    def __init__(self, after: int, error: Exception):
        super().__init__(str(error))
        self.after = after
        self.error = error

    def broken_link(self, recorder: _StoreToVerify) -> BrokenLink:
        reason = (
            f"the row after position {self.after} cannot be read (its id or version was "
            f"altered): {self.error}"
        )
        for row in recorder.index_rows_between(self.after + 1, None)[:1]:
            return BrokenLink(row.position, row.case_id, row.version, row.event_id, reason)
        return BrokenLink(None, None, None, None, reason)


def _missing(recorder: _StoreToVerify, first: int, last: int) -> BrokenLink | None:
    """A gap in the log from `first` to `last`, naming an event there if the index knows it.

    On PostgreSQL a gap is normal (a rolled-back append leaves one in the sequence); it is
    a deletion only if the index still names an event there. SQLite's positions have no gaps.
    """
    for row in recorder.index_rows_between(first, last):
        return BrokenLink(
            row.position,
            row.case_id,
            row.version,
            row.event_id,
            "the event is missing from the log (deleted?)",
        )
    if not recorder.positions_are_contiguous:
        return None
    return BrokenLink(first, None, None, None, f"event at position {first} is missing (deleted?)")


def _pages(recorder: _StoreToVerify) -> Iterator[list[Notification]]:
    start = 0
    while True:
        try:
            page = list(recorder.select_notifications(start, PAGE_SIZE, inclusive_of_start=False))
        except Exception as error:
            raise _UnreadableRow(_last_readable(recorder, start), error) from error
        if not page:
            return
        yield page
        start = page[-1].id


def _last_readable(recorder: _StoreToVerify, start: int) -> int:
    """The position of the last row before the unreadable one, read one row at a time."""
    while True:
        try:
            page = recorder.select_notifications(start, 1, inclusive_of_start=False)
        except Exception:  # noqa: BLE001 - found it
            return start
        if not page:
            return start
        start = page[0].id


def _check(
    walk: _Walk, notification: Notification, index_row: EventLocation | None
) -> BrokenLink | None:
    position = notification.id

    def broken(
        reason: str,
        case_id: str | None = None,
        version: int | None = None,
        event_id: str | None = None,
    ) -> BrokenLink:
        return BrokenLink(position, case_id, version, event_id, reason)

    try:
        walk.plaintext = _plaintext(walk.service, notification.state)
        state = _decode_plaintext(walk.service, walk.plaintext)
    except (Exception, LostKeyError) as error:  # noqa: BLE001 - any undecodable row is tampering to report
        where = (index_row.case_id, index_row.version, index_row.event_id) if index_row else ()
        return broken(
            f"stored event cannot be read (altered, or not this store's cipher key): "
            f"{error.__cause__ or error}",
            *where,
        )
    originator_id = UUID(str(notification.originator_id))
    version = notification.originator_version
    if notification.topic in REVIEW_TOPICS:
        if index_row is not None:
            return broken("the event index names a case event where a review event is stored")
        return _check_review(walk, notification.topic, originator_id, version, state, broken)
    entry = state.get("entry")
    if notification.topic not in CASE_EVENT_FIELDS or not isinstance(entry, dict):
        return broken(f"unexpected topic {notification.topic!r}")
    event_id = str(entry.get("event_id"))
    tip = walk.tips.get(originator_id)
    if tip is None and notification.topic == OPENED_TOPIC:
        tip = _CaseTip(str(state.get("case_id")), 0, GENESIS_HASH, 0)
    problems = _case_event_problems(
        walk, notification.topic, originator_id, tip, version, state, index_row
    )
    problem = next(problems, None)
    if problem is not None:
        return broken(problem, _case_named(originator_id, tip, entry, index_row), version, event_id)
    assert tip is not None  # no problem was found, so the case has a chain
    walk.tips[originator_id] = _CaseTip(tip.case_id, version, state["hash"], position)
    if entry.get("type") == "document_version_added":
        data = entry["data"]
        walk.documents.append(
            DocumentBlob(
                tip.case_id,
                data["document_id"],
                data["version_number"],
                data["sha256"],
                data["size"],
            )
        )
    return None


def _case_named(
    originator_id: UUID,
    tip: _CaseTip | None,
    entry: dict[str, Any],
    index_row: EventLocation | None,
) -> str | None:
    """The case a broken event belongs to, for the report: of the ids the event's copies name
    (its chain, its entry, its index row), the one the stored case id derives from, so an
    altered copy is not reported as the case."""
    named = [tip.case_id if tip else None, entry.get("case_id")]
    named.append(index_row.case_id if index_row else None)
    for case_id in named:
        if isinstance(case_id, str) and case_uuid(case_id) == originator_id:
            return case_id
    return tip.case_id if tip else None


def _case_event_problems(
    walk: _Walk,
    topic: str,
    originator_id: UUID,
    tip: _CaseTip | None,
    version: int,
    state: dict[str, Any],
    index_row: EventLocation | None,
) -> Iterator[str]:
    """Each way a case event breaks its case's hash chain, the event index or the anchor, in
    the order checked. `tip` is the chain so far (a new one, version 0, for an opening event).
    Read only the first: each check relies on the ones before it having passed."""
    if tip is None:
        yield "event of a case whose opening event is missing"
        return
    entry = state["entry"]
    if topic == OPENED_TOPIC:
        if tip.version > 0:
            yield "a second opening event for a case"
        if case_uuid(tip.case_id) != originator_id:
            yield "case id does not match the stored case"
        if state.get("originator_topic") != CASE_TOPIC:
            yield "the opening event names another aggregate"
    if version != tip.version + 1:
        yield f"expected version {tip.version + 1} (an event was deleted, inserted or moved)"
    if set(state) != CASE_EVENT_FIELDS[topic]:
        yield "stored fields differ from a case event's (altered)"
    if entry.get("case_id") != tip.case_id:
        yield "entry names another case"
    if state.get("prev_hash") != tip.hash:
        yield "link to the previous event's hash is broken"
    recomputed = chain_hash(
        tip.hash, case_id=tip.case_id, version=version, recorded_at=state["timestamp"], entry=entry
    )
    if recomputed != state.get("hash"):
        yield "content does not match its hash (altered)"
    event_id = str(entry.get("event_id"))
    if index_row is None or (index_row.event_id, index_row.case_id, index_row.version) != (
        event_id,
        tip.case_id,
        version,
    ):
        yield "event index does not match the log"
    anchored = walk.anchor.heads.get(tip.case_id) if walk.anchor else None
    if anchored is not None and anchored[0] == version and anchored[1] != recomputed:
        yield "differs from the anchor: the case was rewritten after the anchor was taken"


def _check_review(
    walk: _Walk,
    topic: str,
    originator_id: UUID,
    version: int,
    state: dict[str, Any],
    broken: Callable[..., BrokenLink],
) -> BrokenLink | None:
    """Reviews carry no hash: check what can be checked without one (see the module docstring)."""
    previous = walk.review_versions.get(originator_id)
    if topic == REVIEW_OPENED_TOPIC:
        if previous is not None:
            return broken("a second opening event for a review")
        if review_uuid(str(state.get("review_id"))) != originator_id:
            return broken("review id does not match the stored review")
        previous = 0
    elif previous is None:
        return broken("event of a review whose opening event is missing")
    if version != previous + 1:
        return broken(
            f"review event: expected version {previous + 1} (an event was deleted, "
            "inserted or moved)"
        )
    walk.review_versions[originator_id] = version
    return None


def _against_anchor(walk: _Walk) -> BrokenLink | None:
    """Anchored cases still reach their anchored heads, and the anchored log is unchanged."""
    anchor = walk.anchor
    assert anchor is not None
    tips = {tip.case_id: tip for tip in walk.tips.values()}
    for case_id, (version, _) in sorted(anchor.heads.items()):
        tip = tips.get(case_id)
        if tip is None or tip.version < version:
            return BrokenLink(
                tip.position if tip else None,
                case_id,
                tip.version if tip else 0,
                None,
                f"the anchor recorded {version} event(s) of this case; the log has "
                f"{tip.version if tip else 0} (events removed from its end)",
            )
    if walk.last_position < anchor.position:
        return BrokenLink(
            walk.last_position,
            None,
            None,
            None,
            f"the log ends before the anchored position {anchor.position} "
            "(events removed from its end)",
        )
    whole_log = (
        walk.stored_digest if anchor.format == STORED_BYTES_ANCHOR_FORMAT else walk.log_digest
    )
    digest = walk.anchored_digest or whole_log
    if digest != anchor.log_digest:
        return BrokenLink(
            anchor.position,
            None,
            None,
            None,
            "the log up to this position differs from the anchor (events moved, "
            "or review events altered, after the anchor was taken)",
        )
    return None


def _check_snapshots(
    service: CaseService, recorder: EventIndexQueries, walk: _Walk
) -> tuple[int, BrokenLink | None]:
    """Each snapshot must be what folding the (verified) events up to its version gives.

    A snapshot is not chained; the aggregate trusts it when deciding the next append, so a
    forged one could change what a case allows.
    """
    try:
        return _fold_and_compare_snapshots(service, recorder, walk)
    except (Exception, LostKeyError) as error:  # noqa: BLE001 - a snapshot row the library cannot read
        return 0, BrokenLink(
            None, None, None, None, f"a snapshot cannot be read (altered): {error}"
        )


def _fold_and_compare_snapshots(
    service: CaseService, recorder: EventIndexQueries, walk: _Walk
) -> tuple[int, BrokenLink | None]:
    checked = 0
    for originator_id, versions in recorder.snapshot_versions().items():
        tip = walk.tips.get(originator_id)
        case_id = tip.case_id if tip else None
        stored_snapshots = {
            stored.originator_version: stored
            for stored in service.snapshots.recorder.select_events(originator_id)  # type: ignore[union-attr]
        }
        folded: Any = None
        remaining = sorted(versions)
        for domain_event in service.events.get(originator_id, lte=remaining[-1]):
            folded = domain_event.mutate(folded)  # type: ignore[attr-defined]
            if folded is not None and folded.version == remaining[0]:
                problem = _compare_snapshot(
                    service, stored_snapshots[remaining.pop(0)], folded, case_id
                )
                if problem is not None:
                    return checked, problem
                checked += 1
                if not remaining:
                    break
        if remaining:
            return checked, BrokenLink(
                None,
                case_id,
                remaining[0],
                None,
                f"a snapshot of version {remaining[0]} of {originator_id}, which the log does not "
                "have (forged)",
            )
    return checked, None


def _compare_snapshot(
    service: CaseService, stored: StoredEvent, folded: Any, case_id: str | None
) -> BrokenLink | None:
    def forged(reason: str) -> BrokenLink:
        return BrokenLink(None, case_id, stored.originator_version, None, f"snapshot {reason}")

    if stored.topic != SNAPSHOT_TOPIC:
        return forged(f"has an unexpected topic {stored.topic!r} (forged)")
    try:
        found = _decode(service, stored.state)
    except (Exception, LostKeyError) as error:  # noqa: BLE001 - any undecodable snapshot is tampering
        return forged(f"cannot be read (altered): {error}")
    expected = _decode(service, service.mapper.to_stored_event(Snapshot.take(folded)).state)
    found.pop("timestamp", None)
    expected.pop("timestamp", None)
    if found != expected:
        return forged("does not match the events it summarises (forged or altered)")
    return None


def _decode(service: CaseService, stored_state: bytes) -> dict[str, Any]:
    """The stored state exactly as written: decrypted and decoded, never upcast.

    Raises ValueError if the bytes are not the library's own encoding of what they decode to
    (a changed byte that still decodes to the same content, such as `-00:00` for `+00:00`).
    """
    return _decode_plaintext(service, _plaintext(service, stored_state))


def _plaintext(service: CaseService, stored_state: bytes) -> bytes:
    """The stored state decrypted (under whichever configured key it names) and decompressed."""
    mapper = service.mapper
    state = stored_state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    return state


def _decode_plaintext(service: CaseService, state: bytes) -> dict[str, Any]:
    mapper = service.mapper
    decoded = mapper.transcoder.decode(state)
    if not isinstance(decoded, dict):
        raise TypeError("not an object")
    if mapper.transcoder.encode(decoded) != state:
        raise ValueError("stored bytes are not the canonical encoding of their content")
    return decoded


# -- the users' record ------------------------------------------------------------------------

USER_RECORD_FIELDS = ("kind", "name", "role", "agency", "token_sha256", "subject", "at")


def user_record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """The hash of one row of the users' record, chained to the row before it (the first
    row's predecessor is GENESIS_HASH): its fields, the instant to the microsecond in UTC."""
    at: datetime = record["at"]
    body = {name: record[name] for name in USER_RECORD_FIELDS if name != "at"}
    body["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(canonical_json({**body, "prev_hash": prev_hash})).hexdigest()


@dataclass(frozen=True)
class BrokenUserRecord:
    """The first row of the users' record that is not what was appended."""

    seq: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"users' record row {self.seq} (user {self.name!r}): {self.reason}"


@dataclass(frozen=True)
class UsersRecordReport:
    rows_checked: int
    broken: BrokenUserRecord | None
    head: tuple[int, str] | None = None  # the newest row: (seq, hash)


def verify_users_record(
    engine: Engine, anchored: tuple[int, str] | None = None
) -> UsersRecordReport:
    """Walk the users' record in order: each row links to its predecessor's hash and matches
    its own. A row changed, removed or inserted in the middle breaks a link. The newest rows
    removed show only against an anchor kept elsewhere: `anchored`, the newest row then
    (seq, hash), must still be there as it was."""
    if not inspect(engine).has_table(USERS_HISTORY_TABLE):
        return UsersRecordReport(0, _missing_anchored(anchored))
    statement = text(
        f"SELECT seq, prev_hash, hash, {', '.join(USER_RECORD_FIELDS)} "
        f"FROM {USERS_HISTORY_TABLE} ORDER BY seq"
    ).columns(at=UtcDateTime())
    previous = GENESIS_HASH
    checked = 0
    head: tuple[int, str] | None = None
    with engine.connect() as connection:
        for row in connection.execute(statement).mappings():
            reason = None
            if row["prev_hash"] != previous:
                reason = "link to the previous row's hash is broken (a row deleted or inserted)"
            elif user_record_hash(previous, dict(row)) != row["hash"]:
                reason = "content does not match its hash (altered)"
            if reason is not None:
                return UsersRecordReport(checked, BrokenUserRecord(row["seq"], row["name"], reason))
            if anchored is not None and row["seq"] == anchored[0]:
                if row["hash"] != anchored[1]:
                    return UsersRecordReport(
                        checked,
                        BrokenUserRecord(row["seq"], row["name"], "not the row the anchor holds"),
                    )
                anchored = None  # found as anchored
            previous = row["hash"]
            head = (row["seq"], row["hash"])
            checked += 1
    return UsersRecordReport(checked, _missing_anchored(anchored), head if checked else None)


def _missing_anchored(anchored: tuple[int, str] | None) -> BrokenUserRecord | None:
    if anchored is None:
        return None
    reason = "the anchor's newest row is gone (rows removed since the anchor was taken)"
    return BrokenUserRecord(anchored[0], "", reason)
