"""What clients were told, and what the store holds: the two sides of "nothing lost, nothing twice".

Every writer keeps its own acknowledgements (event ids the server answered 2xx for) and the ids
it sent without an answer (in doubt: a timeout, a dropped connection, a killed server). The
store is then read from its log, not its index, and each acknowledged id must be there exactly
once; an id in doubt may be there at most once.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from api.bootstrap import bootstrap, bootstrap_writer, build_engine
from api.settings import Settings
from domain.service import recorded_event
from projections.caseviews import CaseViews
from projections.runner import CASE_TOPICS, CaseViewsRunner
from projections.store.integrity import verify_store
from projections.stored_log import StoredLog
from tests.property.test_replay_properties import dump

AGENCIES = ("police", "school", "health", "social_care")
PRACTITIONERS = [(f"load-{agency}", "practitioner", agency) for agency in AGENCIES]
REVIEWER = ("load-reviewer", "reviewer", "review")
SCAN_BATCH = 1_000
# How long one batch is retried (503, conflicts, a server restarting) before it is given up.
BATCH_PATIENCE_SECONDS = 60


@dataclass
class Ledger:
    """One client's record of its appends, and of what it saw."""

    acknowledged: dict[str, datetime] = field(default_factory=dict)  # event id -> when answered
    in_doubt: set[str] = field(default_factory=set)
    by_case: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    write_seconds: list[float] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)  # HTTP status -> count
    transport_errors: int = 0
    retried: Counter[str] = field(default_factory=Counter)  # why a write was sent again
    reads_unavailable: int = 0
    stale_reads: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def merge(self, other: Ledger) -> None:
        self.acknowledged.update(other.acknowledged)
        self.in_doubt |= other.in_doubt
        for case_id, acks in other.by_case.items():
            self.by_case.setdefault(case_id, []).extend(acks)
        self.write_seconds += other.write_seconds
        self.read_seconds += other.read_seconds
        self.answers.update(other.answers)
        self.transport_errors += other.transport_errors
        self.retried.update(other.retried)
        self.reads_unavailable += other.reads_unavailable
        self.stale_reads += other.stale_reads
        self.failures += other.failures

    @property
    def server_errors(self) -> int:
        """Answers of 500 and above other than 503 (which says when to retry)."""
        return sum(
            count for status, count in self.answers.items() if status >= 500 and status != 503
        )


def note(rng: random.Random, writer: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "note_added",
        "occurred_at": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00+00:00",
        "summary": f"Home visit noted by writer {writer}",
    }


ACKNOWLEDGED, REFUSED, IN_DOUBT = "acknowledged", "refused", "in doubt"


async def append_until_answered(
    client: httpx.AsyncClient,
    ledger: Ledger,
    case_id: str,
    batch: list[dict[str, Any]],
    server_gone: asyncio.Event | None = None,
) -> str:
    """POST a batch until the server answers 2xx; retry 503 (after Retry-After, at most 1 s),
    version conflicts and lost connections with the same event ids.

    Returns ACKNOWLEDGED, REFUSED, or IN_DOUBT when the connection failed after
    `server_gone` was set (the batch may or may not be stored: send it again later)."""
    ids = [item["event_id"] for item in batch]
    ledger.in_doubt.update(ids)
    give_up_at = time.monotonic() + BATCH_PATIENCE_SECONDS
    while time.monotonic() < give_up_at:
        started = time.perf_counter()
        try:
            response = await client.post(f"/cases/{case_id}/events", json=batch)
        except httpx.TransportError:
            ledger.transport_errors += 1
            if server_gone is not None and server_gone.is_set():
                return IN_DOUBT
            ledger.retried["lost connection"] += 1
            await asyncio.sleep(0.2)
            continue
        elapsed = time.perf_counter() - started
        ledger.answers[response.status_code] += 1
        if response.is_success:
            answered = datetime.now(UTC)
            ledger.write_seconds.append(elapsed)
            returned = [stored["event_id"] for stored in response.json()]
            if returned != ids:
                ledger.failures.append(f"{case_id}: sent {ids}, acknowledged {returned}")
            for event_id in ids:
                ledger.acknowledged[event_id] = answered
                ledger.in_doubt.discard(event_id)
            ledger.by_case.setdefault(case_id, []).extend((answered, event_id) for event_id in ids)
            return ACKNOWLEDGED
        if response.status_code == 503:
            ledger.retried["503"] += 1
            await asyncio.sleep(min(1.0, float(response.headers.get("retry-after", "1"))))
            continue
        if response.status_code == 409 and "version" in response.text.lower():
            ledger.retried["version conflict"] += 1
            continue
        ledger.failures.append(f"POST {case_id}: {response.status_code} {response.text[:300]}")
        if response.status_code < 500:
            return REFUSED
        ledger.retried["server error"] += 1
    ledger.failures.append(f"POST {case_id}: not acknowledged in {BATCH_PATIENCE_SECONDS} s")
    return REFUSED


async def read_as_known_at(
    client: httpx.AsyncClient,
    ledger: Ledger,
    acknowledged: Ledger,
    rng: random.Random,
    since: datetime,
) -> None:
    """The chronology of a case as known at a random past moment: it must hold every event
    acknowledged by then, and nothing known later."""
    cases = [case_id for case_id, acks in acknowledged.by_case.items() if acks]
    if not cases:
        await asyncio.sleep(0.05)
        return
    case_id = rng.choice(cases)
    now = datetime.now(UTC)
    moment = since + (now - since) * rng.random()
    expected = {
        event_id for answered, event_id in list(acknowledged.by_case[case_id]) if answered <= moment
    }
    started = time.perf_counter()
    try:
        response = await client.get(
            f"/cases/{case_id}/chronology", params={"as_known_at": moment.isoformat()}
        )
    except httpx.TransportError:
        ledger.transport_errors += 1
        return
    ledger.answers[response.status_code] += 1
    if not response.is_success:
        if response.status_code == 503:
            ledger.reads_unavailable += 1
        else:
            ledger.failures.append(f"GET {case_id}: {response.status_code} {response.text[:300]}")
        return
    ledger.read_seconds.append(time.perf_counter() - started)
    entries = response.json()
    missing = expected - {entry["event_id"] for entry in entries}
    early = [
        entry["event_id"] for entry in entries if datetime.fromisoformat(entry["known_at"]) > moment
    ]
    if missing or early:
        ledger.stale_reads.append(
            f"{case_id} as known at {moment.isoformat()}: missing {sorted(missing)[:3]}, "
            f"known only later {early[:3]}"
        )


@dataclass
class StoreCheck:
    """The store against the ledger: each list should be empty."""

    events_in_log: int
    lost: list[str]
    duplicated: list[str]
    unexpected: list[str]
    in_doubt_stored: int
    verify_problem: str | None

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.verify_problem)


def log_event_ids(db_url: str) -> Counter[str]:
    """How many times each event id is in the log itself (not the index, which is unique)."""
    service = bootstrap_writer(Settings(db_url=db_url))
    counts: Counter[str] = Counter()
    try:
        start = 0
        while True:
            notifications = service.recorder.select_notifications(
                start, SCAN_BATCH, topics=CASE_TOPICS, inclusive_of_start=False
            )
            if not notifications:
                return counts
            for notification in notifications:
                stored = recorded_event(
                    service.mapper.to_domain_event(notification), notification.id
                )
                counts[str(stored.event_id)] += 1
            start = notifications[-1].id
    finally:
        service.close()


def check_store(
    db_url: str,
    ledger: Ledger,
    known_before: Collection[str] = frozenset(),
) -> StoreCheck:
    """Every acknowledged event once, nothing unknown, nothing twice, every chain intact."""
    counts = log_event_ids(db_url)
    sent = set(ledger.acknowledged) | ledger.in_doubt | set(known_before)
    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        report = verify_store(service)
    finally:
        service.close()
    return StoreCheck(
        events_in_log=sum(counts.values()),
        lost=sorted(event_id for event_id in ledger.acknowledged if counts[event_id] != 1),
        duplicated=sorted(event_id for event_id, count in counts.items() if count > 1),
        unexpected=sorted(set(counts) - sent),
        in_doubt_stored=sum(1 for event_id in ledger.in_doubt if counts[event_id]),
        verify_problem=None if report.ok else str(report),
    )


def read_models_match_a_rebuild(db_url: str, fresh_url: str) -> str | None:
    """Catch the store's read models up, rebuild them from the same log into a fresh database,
    and compare every row; None if equal, else which tables differ."""
    settings = Settings(db_url=db_url)
    foresight = bootstrap(settings)
    service, kept = foresight.service, foresight.runner
    rebuilt = CaseViewsRunner(
        service, CaseViews(build_engine(Settings(db_url=fresh_url)), StoredLog(service))
    )
    try:
        kept.catch_up_shared()
        rebuilt.catch_up()
        incremental, fresh = dump(kept.views.engine), dump(rebuilt.views.engine)
    finally:
        kept.views.engine.dispose()
        rebuilt.views.engine.dispose()
        service.close()
    differing = [name for name in fresh if incremental.get(name) != fresh[name]]
    return f"read models differ from a rebuild: {differing}" if differing else None


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
