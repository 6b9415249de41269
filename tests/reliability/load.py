"""A bounded load run: many writers over many cases and readers replaying as known at random
moments, against a real `foresight serve --workers N` on loopback.

    python -m tests.reliability.load --backend sqlite --writers 16 --seconds 20
    FORESIGHT_TEST_POSTGRES_URL=$(.ci/postgres start) \\
        python -m tests.reliability.load --backend postgresql --writers 16 --seconds 20

Afterwards the store is read back from its log: every acknowledged event must be there exactly
once, no event twice, every hash chain intact. Prints one table; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.reliability.ledger import (
    ACKNOWLEDGED,
    PRACTITIONERS,
    REVIEWER,
    Ledger,
    StoreCheck,
    append_until_answered,
    check_store,
    note,
    percentile,
    read_as_known_at,
)
from tests.reliability.processes import new_store, prepare_store, serving

BATCH_SIZES = (1, 1, 1, 2, 3)


@dataclass
class LoadResult:
    backend: str
    workers: int
    writers: int
    readers: int
    seconds: float
    cases: int
    ledger: Ledger
    store: StoreCheck

    @property
    def problems(self) -> list[str]:
        found = [f"lost: {self.store.lost[:5]}"] if self.store.lost else []
        found += [f"duplicated: {self.store.duplicated[:5]}"] if self.store.duplicated else []
        found += [f"never sent: {self.store.unexpected[:5]}"] if self.store.unexpected else []
        found += [self.store.verify_problem] if self.store.verify_problem else []
        found += (
            [f"{self.ledger.server_errors} server error(s) (5xx other than 503)"]
            if (self.ledger.server_errors)
            else []
        )
        found += [f"stale read: {stale}" for stale in self.ledger.stale_reads[:5]]
        found += self.ledger.failures[:5]
        if not self.ledger.acknowledged:
            found.append("no append was acknowledged")
        return found

    def rows(self) -> list[tuple[str, str]]:
        ledger, store = self.ledger, self.store
        acknowledged = len(ledger.acknowledged)
        return [
            ("backend", f"{self.backend}, {self.workers} worker(s)"),
            (
                "clients",
                (
                    f"{self.writers} writers, {self.readers} readers, "
                    f"{self.cases} cases, {self.seconds:.0f} s"
                ),
            ),
            ("events acknowledged", f"{acknowledged} ({acknowledged / self.seconds:.0f}/s)"),
            ("events in the log", str(store.events_in_log)),
            ("writes (2xx)", latencies(ledger.write_seconds)),
            ("reads as known at (2xx)", latencies(ledger.read_seconds)),
            (
                "writes sent again",
                ", ".join(
                    f"{ledger.retried[why]} after a {why}"
                    for why in ("503", "version conflict", "lost connection")
                ),
            ),
            ("reads answered 503 (not retried)", str(ledger.reads_unavailable)),
            (
                "lost / duplicated / never sent",
                f"{len(store.lost)} / {len(store.duplicated)} / {len(store.unexpected)}",
            ),
            ("5xx other than 503", str(ledger.server_errors)),
            ("stale reads as known at", str(len(ledger.stale_reads))),
            ("hash chains", store.verify_problem or "verified"),
        ]


def latencies(seconds: list[float]) -> str:
    return (
        f"{len(seconds)}: p50 {percentile(seconds, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(seconds, 0.95) * 1000:.1f} ms"
    )


async def drive(
    base: str,
    tokens: dict[str, str],
    writers: int,
    readers: int,
    seconds: float,
    cases: int,
    seed: int,
) -> Ledger:
    """Writers and readers until the deadline; each keeps its own ledger, merged at the end."""
    case_ids = [f"LOAD-{number:04d}" for number in range(cases)]
    deadline = time.monotonic() + seconds
    since = datetime.now(UTC)
    writer_ledgers = [Ledger() for _ in range(writers)]
    acknowledged = Ledger()  # what readers may expect: filled as writers are answered

    async def writer(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        name = PRACTITIONERS[number % len(PRACTITIONERS)][0]
        ledger = writer_ledgers[number]
        async with httpx.AsyncClient(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {tokens[name]}"}
        ) as client:
            while time.monotonic() < deadline:
                case_id = rng.choice(case_ids)
                batch = [note(rng, number) for _ in range(rng.choice(BATCH_SIZES))]
                if await append_until_answered(client, ledger, case_id, batch) == ACKNOWLEDGED:
                    acknowledged.by_case.setdefault(case_id, []).extend(
                        (ledger.acknowledged[item["event_id"]], item["event_id"]) for item in batch
                    )

    async def reader(number: int, ledger: Ledger) -> None:
        rng = random.Random(seed * 1000 + 500 + number)
        async with httpx.AsyncClient(
            base_url=base,
            timeout=60,
            headers={"Authorization": f"Bearer {tokens[REVIEWER[0]]}"},
        ) as client:
            while time.monotonic() < deadline:
                await read_as_known_at(client, ledger, acknowledged, rng, since)

    reader_ledgers = [Ledger() for _ in range(readers)]
    await asyncio.gather(
        *(writer(number) for number in range(writers)),
        *(reader(number, reader_ledgers[number]) for number in range(readers)),
    )
    merged = Ledger()
    for ledger in [*writer_ledgers, *reader_ledgers]:
        merged.merge(ledger)
    return merged


def run_load(
    db_url: str,
    backend: str,
    *,
    writers: int = 16,
    readers: int = 4,
    seconds: float = 20,
    workers: int = 4,
    cases: int | None = None,
    seed: int = 1,
    log_dir: Path | None = None,
) -> LoadResult:
    """Serve a fresh store, drive it, stop the server, and check the store against the ledger."""
    cases = cases or max(8, 2 * writers)
    tokens = prepare_store(db_url, [*PRACTITIONERS, REVIEWER])
    with tempfile.TemporaryDirectory() as scratch:
        log = (log_dir or Path(scratch)) / f"serve-{backend}.log"
        with serving(db_url, workers, log) as base:
            started = time.monotonic()
            ledger = asyncio.run(drive(base, tokens, writers, readers, seconds, cases, seed))
            elapsed = time.monotonic() - started
    return LoadResult(
        backend, workers, writers, readers, elapsed, cases, ledger, check_store(db_url, ledger)
    )


def print_table(results: list[LoadResult]) -> None:
    for result in results:
        width = max(len(label) for label, _ in result.rows())
        print()
        for label, value in result.rows():
            print(f"{label:<{width}}  {value}")
        for problem in result.problems:
            print(f"PROBLEM: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4, help="foresight serve --workers")
    parser.add_argument("--cases", type=int, default=None, help="default: twice the writers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--lock-timeout",
        type=int,
        default=None,
        help="the server's FORESIGHT_LOCK_TIMEOUT in seconds (default 30): "
        "1 makes writers meet 503s, which they retry",
    )
    options = parser.parse_args(argv)
    if options.lock_timeout is not None:
        os.environ["FORESIGHT_LOCK_TIMEOUT"] = str(options.lock_timeout)
    with new_store(options.backend) as db_url:
        result = run_load(
            db_url,
            options.backend,
            writers=options.writers,
            readers=options.readers,
            seconds=options.seconds,
            workers=options.workers,
            cases=options.cases,
            seed=options.seed,
        )
    print_table([result])
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
