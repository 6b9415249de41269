"""All the benchmarks in one command, each figure beside a baseline measured in the same run.

Run: python -m tests.benchmarks [--events 1000000] [--case-events 2000] [--saves 50]
        [--backend sqlite|postgresql] [--store-cache DIR]
        [--document-mib 10] [--only append,chronology,rebuild,recording,documents,http]

Each benchmark runs in a process of its own so that its peak memory (max RSS) is its own: the
store the rebuild reads is filled first, in another process, so appending is not counted.
`--store-cache DIR` keeps that SQLite store (by size and seed) and copies it for later runs:
filling a million events through the write side takes minutes.
PostgreSQL needs FORESIGHT_BENCH_POSTGRES_URL (or FORESIGHT_TEST_POSTGRES_URL): a server URL
on which the benchmark creates, and afterwards drops, a database of its own.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import JSON, Column, Integer, MetaData, String, create_engine, func, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.engine import make_url

from api.bootstrap import bootstrap, bootstrap_writer, build_engine
from api.samples.generator import generate_case
from api.settings import Settings
from events.envelope import parse_event
from projections import tables
from projections.batch_writes import notification_chunks
from projections.fold import chronology
from projections.runner import CASE_TOPICS
from projections.stored_log import StoredLog, decoded
from replay.authority import AuthorityQueries
from replay.queries import CaseQueries
from tests.backends import drop_postgres_database, new_postgres_database, new_sqlite_url
from tests.benchmarks import bench_documents
from tests.benchmarks.bench_web import bench_recording

console = Console(width=220)
# what, measured, the baseline measured in the same run, and their ratio ("" when none)
Row = tuple[str, ...]


@contextmanager
def fresh_store(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield new_sqlite_url(Path(directory))
        return
    server = (
        os.environ.get("FORESIGHT_BENCH_POSTGRES_URL") or os.environ["FORESIGHT_TEST_POSTGRES_URL"]
    )
    url = new_postgres_database(server)
    try:
        yield url
    finally:
        drop_postgres_database(server, url)


def synthetic_batches(events: int, per_case: int, seed: int) -> Iterator[list[Any]]:
    """Envelopes of synthetic cases in batches of up to 500 (one case per batch list)."""
    rng = random.Random(seed)
    for index in range(max(1, events // per_case)):
        envelopes = [parse_event(raw) for raw in generate_case(rng, f"BENCH-{index:06d}", per_case)]
        for start in range(0, len(envelopes), 500):
            yield envelopes[start : start + 500]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


def bench_append(backend: str, events: int) -> list[Row]:
    """Bulk append through the write side vs plain SQLAlchemy inserts of the same rows."""
    batches = list(synthetic_batches(events, 2_000, seed=21))
    total = sum(len(batch) for batch in batches)
    with fresh_store(backend) as url:
        service = bootstrap_writer(Settings(db_url=url))
        engine = create_engine(url)
        raw = SqlTable(
            "bench_raw_events",
            MetaData(),
            Column("id", Integer, primary_key=True),
            Column("case_id", String(80)),
            Column("content", JSON),
        )
        raw.metadata.create_all(engine)
        appended = returned = inserted = 0.0
        # The two take turns batch by batch, so that on a shared machine both see the same
        # load (one after the other, the ratio moved threefold with the other work).
        for batch in batches:
            started = time.perf_counter()
            outcome = service.append(batch)
            appended += time.perf_counter() - started
            # What the batch route over HTTP adds: the stored events, built when asked for.
            started = time.perf_counter()
            if len(outcome.events) != len(batch):
                raise RuntimeError("an append returned fewer events than it was given")
            returned += time.perf_counter() - started
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(
                    raw.insert(),
                    [
                        {"case_id": envelope.case_id, "content": envelope.model_dump(mode="json")}
                        for envelope in batch
                    ],
                )
            inserted += time.perf_counter() - started
        service.close()
        engine.dispose()
    return [
        (
            f"bulk append, {total:,} events in batches of 500 (invariants, hash chain, index)",
            f"{total / appended:,.0f} events/s ({inserted / appended:.0%} of the baseline); "
            f"with the stored events returned {total / (appended + returned):,.0f} events/s "
            f"({inserted / (appended + returned):.0%})",
            f"raw SQLAlchemy inserts of the same rows {total / inserted:,.0f} rows/s",
            f"{inserted / appended:.2f}× the baseline's rate (#22: at least 0.25×)",
        )
    ]


def bench_chronology(backend: str, case_events: int, queries: int = 200) -> list[Row]:
    """As-known-at chronology of one long case from the read models vs folding the log."""
    with fresh_store(backend) as url:
        settings = Settings(db_url=url)
        foresight = bootstrap(settings)
        service = foresight.service
        for batch in synthetic_batches(case_events, case_events, seed=11):
            service.append(batch)
        runner = foresight.runner
        runner.catch_up()
        read = CaseQueries(runner.views.engine, runner.views.log)
        case_id = "BENCH-000000"
        events = service.case_events(case_id)
        first, last = min(e.known_at for e in events), max(e.known_at for e in events)
        rng = random.Random(5)
        moments = [first + (last - first) * rng.random() for _ in range(queries)]
        as_json, folded = [], []
        for moment in moments:
            started = time.perf_counter()
            read.chronology_json(case_id, as_known_at=moment)
            as_json.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            chronology(service.case_events(case_id), as_known_at=moment)
            folded.append((time.perf_counter() - started) * 1000)
        runner.views.engine.dispose()
        service.close()
    j50, j95 = percentiles(as_json)
    f50, f95 = percentiles(folded)
    return [
        (
            f"chronology of a {len(events):,}-event case as known at random T, JSON",
            f"p50 {j50:.1f} ms, p95 {j95:.1f} ms",
            f"fold from the store p50 {f50:.1f} ms, p95 {f95:.1f} ms",
            f"p95 {j95 / f95:.3f}× the fold's",
        )
    ]


REBUILD_SEED = 13
CASE_EVENTS_FOR_REBUILD = 2_000


def fill_store(url: str, events: int, seed: int = REBUILD_SEED) -> int:
    """Synthetic cases appended through the write side (invariants, hash chain, the library's
    recorder), each case in one batch: the fastest honest way to a large store."""
    service = bootstrap_writer(Settings(db_url=url))
    rng = random.Random(seed)
    total = 0
    for index in range(max(1, events // CASE_EVENTS_FOR_REBUILD)):
        raw = generate_case(rng, f"BENCH-{index:06d}", CASE_EVENTS_FOR_REBUILD)
        service.append([parse_event(event) for event in raw])
        total += len(raw)
    service.close()
    return total


@contextmanager
def filled_store(backend: str, events: int, cache: Path | None) -> Iterator[str]:
    """A store of about `events` events, filled in a process of its own (or copied from the
    cache), with its read models empty."""
    with fresh_store(backend) as url:
        cached = cache / f"sqlite-{events}-seed{REBUILD_SEED}.db" if cache else None
        if cached is not None and backend == "sqlite" and not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            run_in_process(fill_store, f"sqlite:///{cached}", events)
        if cached is not None and backend == "sqlite":
            copy_sqlite(cached, Path(make_url(url).database or ""))
        else:
            run_in_process(fill_store, url, events)
        yield url


def copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()


def timed(work: Callable[[], int]) -> tuple[int, float, float]:
    """What `work` returns, its wall-clock seconds and this process's CPU seconds (the CPU
    time says what the work costs when other processes share the cores)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - started, time.process_time() - cpu


def bench_scan(url: str) -> list[Row]:
    """The baseline: read and decode the whole log in position order, nothing written. The
    decode is the validating one (what reading the store costs anyone), not the rebuild's
    trusted reading."""
    service = bootstrap_writer(Settings(db_url=url))
    scanned, scan, cpu = timed(
        lambda: sum(
            len(decoded(service, notifications, trusted=False))
            for notifications, _ in notification_chunks(service, CASE_TOPICS)
        )
    )
    service.close()
    return [
        (
            f"raw scan and decode of the log, {scanned:,} events",
            f"{scanned / scan:,.0f} events/s ({scan:,.1f} s; CPU {cpu:,.1f} s)",
            "",
        )
    ]


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def children_peak_mib() -> float:
    """The largest peak memory of this process's finished children (the rebuild's workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench_rebuild(url: str) -> list[Row]:
    """`foresight rebuild`'s path: every read model from the log, in bulk, its rows computed
    by one worker process per core (their CPU time is counted too)."""
    settings = Settings(db_url=url)
    foresight = bootstrap(settings)
    service, runner = foresight.service, foresight.runner
    workers = runner.default_rebuild_workers()
    before = children_cpu()
    applied, rebuild, cpu = timed(runner.rebuild)
    worker_cpu = children_cpu() - before
    with runner.views.engine.connect() as connection:
        rows = sum(
            connection.execute(select(func.count()).select_from(table)).scalar() or 0
            for table in tables.READ_MODEL_TABLES
        )
    runner.views.engine.dispose()
    service.close()
    return [
        (
            f"rebuild of every read model from {applied:,} events ({rows:,} rows written, "
            f"{workers} worker processes)",
            f"{applied / rebuild:,.0f} events/s ({rebuild:,.1f} s; CPU: writer {cpu:,.1f} s, "
            f"workers {worker_cpu:,.1f} s; each worker's peak memory at most "
            f"{children_peak_mib():,.0f} MiB)",
            "",
        )
    ]


def bench_authority_query(url: str) -> list[Row]:
    """Children on a child protection plan on D as known at T, across every case."""
    settings = Settings(db_url=url)
    engine = build_engine(settings)
    authority = AuthorityQueries(engine)
    timings, found = [], 0
    for day in range(20):
        on = date(2021 + day % 3, 1 + day % 12, 1 + day)
        as_known_at = datetime(2024, 1 + day % 12, 1, tzinfo=UTC)
        started = time.perf_counter()
        found = len(authority.children_on_plans(on=on, as_known_at=as_known_at))
        timings.append((time.perf_counter() - started) * 1000)
    counting = time.perf_counter()
    with engine.connect() as connection:
        plan_rows = connection.execute(
            select(func.count()).select_from(tables.plan_periods)
        ).scalar()
        events = connection.execute(select(func.count()).select_from(tables.events)).scalar()
    count_ms = (time.perf_counter() - counting) * 1000
    engine.dispose()
    q50, q95 = percentiles(timings)
    return [
        (
            (
                f"children on a child protection plan on D as known at T, {events:,} events "
                f"({found} children in the last answer)"
            ),
            f"p50 {q50:.1f} ms, p95 {q95:.1f} ms",
            f"count of all {plan_rows:,} plan-period rows {count_ms:.1f} ms",
            f"p95 {q95 / count_ms:.2f}× the count's time" if count_ms else "",
        )
    ]


def bench_person_chronology(url: str, people: int = 20) -> list[Row]:
    """One child's own chronology across cases as known at T (the person index), against
    the chronology of their whole case at the same T."""
    settings = Settings(db_url=url)
    engine = build_engine(settings)
    service = bootstrap_writer(settings)
    queries = CaseQueries(engine, StoredLog(service))
    subjects = tables.state_subjects
    with engine.connect() as connection:
        named = connection.execute(
            select(subjects.c.person_id, func.min(subjects.c.case_id))
            .group_by(subjects.c.person_id)
            .order_by(subjects.c.person_id)
        ).all()
    chosen = named[:: max(1, len(named) // people)][:people]
    person_ms, case_ms, entries = [], [], 0
    for index, (person_id, case_id) in enumerate(chosen):
        as_known_at = datetime(2022 + index % 3, 1 + index % 12, 1, tzinfo=UTC)
        started = time.perf_counter()
        entries = len(queries.person_chronology(person_id, as_known_at=as_known_at))
        person_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        queries.chronology_json(case_id, as_known_at=as_known_at)
        case_ms.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    service.close()
    q50, q95 = percentiles(person_ms)
    c50, c95 = percentiles(case_ms)
    return [
        (
            (
                f"a person's own chronology across cases as known at T ({len(chosen)} people, "
                f"{entries} entries in the last)"
            ),
            f"p50 {q50:.1f} ms, p95 {q95:.1f} ms",
            f"their whole case's chronology p50 {c50:.1f} ms, p95 {c95:.1f} ms",
            f"p95 {q95 / c95:.2f}× the case's",
        )
    ]


def bench_rebuild_and_authority_query(
    backend: str, events: int, cache: Path | None = None
) -> list[tuple[str, ...]]:
    """Rebuild every read model vs a raw scan of the same log; then the authority-wide plan
    query on what the rebuild wrote. Each in a process of its own."""
    with filled_store(backend, events, cache) as url:
        scan = run_isolated(bench_scan, url)
        rebuild = run_isolated(bench_rebuild, url)
        query = run_isolated(bench_authority_query, url)
        person = run_isolated(bench_person_chronology, url)
    rate = scan[0][1]
    ratio = leading_rate(rebuild[0][1]) / leading_rate(rate)
    return [
        (
            rebuild[0][0] + f" ({backend})",
            rebuild[0][1],
            f"raw scan and decode of the log {rate}",
            f"{ratio:.2f}× the scan's rate (#22: at least 0.30×)",
            *rebuild[0][4:],
        ),
        query[0],
        person[0],
        (scan[0][0] + " (the baseline alone)", scan[0][1], "", "", *scan[0][4:]),
    ]


def leading_rate(measured: str) -> float:
    """The rate a measured cell starts with ("12,865 events/s (77.7 s; …)" → 12865.0)."""
    return float(measured.split(maxsplit=1)[0].replace(",", ""))


def _child(target: Callable[..., Sequence[Row]], args: tuple[Any, ...], results: Any) -> None:
    load_before = os.getloadavg()[0]
    rows = target(*args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    # A row without a ratio (a benchmark with no baseline to divide by) gets an empty one.
    results.put([(*row, *([""] * (4 - len(row))), f"{peak_mib:,.0f} MiB", load) for row in rows])


def run_isolated(target: Callable[..., Sequence[Row]], *args: Any) -> list[tuple[str, ...]]:
    """Run a benchmark in a fresh process: its rows, each with that process's peak memory and
    the machine's load average (1 minute) before and after."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(target, args, results))
    process.start()
    rows = results.get()
    process.join()
    return rows


def run_in_process(target: Callable[..., Any], *args: Any) -> None:
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=target, args=args)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"{target.__name__} failed (exit code {process.exitcode})")


BENCHMARKS = ("append", "chronology", "rebuild", "recording", "documents", "http")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="events for the rebuild and the authority-wide query",
    )
    parser.add_argument("--append-events", type=int, default=100_000)
    parser.add_argument("--case-events", type=int, default=2_000)
    parser.add_argument("--saves", type=int, default=50, help="contacts recorded in the browser")
    parser.add_argument("--document-mib", type=int, default=10, help="the document's size")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--store-cache",
        type=Path,
        default=None,
        help="keep the filled SQLite store here and copy it on later runs",
    )
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)}",
    )
    arguments = parser.parse_args()
    chosen = {name.strip() for name in arguments.only.split(",") if name.strip()}
    table = Table(
        title=f"Foresight benchmarks ({arguments.backend}, {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC)"
    )
    for column in (
        "what",
        "measured",
        "baseline in the same run",
        "ratio",
        "peak memory",
        "load avg before → after",
    ):
        table.add_column(column)
    if "append" in chosen:
        console.print("running bench_append …")
        for row in run_isolated(bench_append, arguments.backend, arguments.append_events):
            table.add_row(*row)
    if "chronology" in chosen:
        console.print("running bench_chronology …")
        for row in run_isolated(bench_chronology, arguments.backend, arguments.case_events):
            table.add_row(*row)
    if "rebuild" in chosen:
        console.print("running the rebuild and the authority-wide query …")
        for row in bench_rebuild_and_authority_query(
            arguments.backend, arguments.events, arguments.store_cache
        ):
            table.add_row(*row)
    if "recording" in chosen:
        console.print("running bench_recording (Debian's Chromium) …")
        for row in run_isolated(bench_recording, arguments.saves):
            table.add_row(*row)
    if "documents" in chosen:
        console.print("running bench_documents …")
        for row in run_isolated(bench_documents.run, arguments.backend, arguments.document_mib):
            table.add_row(*row)
    if "http" in chosen:
        from tests.benchmarks import bench_http  # it imports this module

        console.print("running bench_http (foresight serve, loopback) …")
        for row in run_isolated(bench_http.suite_rows, arguments.backend):
            table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
