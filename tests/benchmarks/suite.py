"""All the benchmarks in one command, each figure beside a baseline measured in the same run.

Run: python -m tests.benchmarks [--events 1000000] [--case-events 2000] [--backend sqlite|postgresql]

Each benchmark runs in a process of its own so that its peak memory (max RSS) is its own.
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
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import JSON, Column, Integer, MetaData, String, create_engine, func, select
from sqlalchemy import Table as SqlTable

from api.bootstrap import build_case_service, build_case_views_runner
from api.settings import Settings
from api.synthetic import generate_case
from events.envelope import parse_event
from projections import tables
from replay.authority import AuthorityQueries
from replay.fold import chronology
from replay.queries import CaseQueries
from tests.backends import drop_postgres_database, new_postgres_database, new_sqlite_url

console = Console()
Row = tuple[str, str, str]  # what, measured, baseline


@contextmanager
def fresh_store(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield new_sqlite_url(Path(directory))
        return
    server = os.environ.get("FORESIGHT_BENCH_POSTGRES_URL") or os.environ[
        "FORESIGHT_TEST_POSTGRES_URL"]
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
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_append(backend: str, events: int) -> list[Row]:
    """Bulk append through the write side vs plain SQLAlchemy inserts of the same rows."""
    batches = list(synthetic_batches(events, 2_000, seed=21))
    total = sum(len(batch) for batch in batches)
    with fresh_store(backend) as url:
        service = build_case_service(Settings(db_url=url))
        started = time.perf_counter()
        for batch in batches:
            service.append(batch)
        appended = time.perf_counter() - started
        service.close()
        engine = create_engine(url)
        raw = SqlTable("bench_raw_events", MetaData(), Column("id", Integer, primary_key=True),
                       Column("case_id", String(80)), Column("content", JSON))
        raw.metadata.create_all(engine)
        started = time.perf_counter()
        for batch in batches:
            with engine.begin() as connection:
                connection.execute(raw.insert(), [
                    {"case_id": envelope.case_id, "content": envelope.model_dump(mode="json")}
                    for envelope in batch])
        inserted = time.perf_counter() - started
        engine.dispose()
    return [(f"bulk append, {total:,} events in batches of 500 (invariants, hash chain, index)",
             f"{total / appended:,.0f} events/s", f"raw SQLAlchemy inserts of the same rows "
             f"{total / inserted:,.0f} rows/s")]


def bench_chronology(backend: str, case_events: int, queries: int = 200) -> list[Row]:
    """As-known-at chronology of one long case from the read models vs folding the log."""
    with fresh_store(backend) as url:
        settings = Settings(db_url=url)
        service = build_case_service(settings)
        for batch in synthetic_batches(case_events, case_events, seed=11):
            service.append(batch)
        runner = build_case_views_runner(settings, service)
        runner.catch_up()
        read = CaseQueries(runner.views.engine)
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
    return [(f"chronology of a {len(events):,}-event case as known at random T, JSON",
             f"p50 {j50:.1f} ms, p95 {j95:.1f} ms",
             f"fold from the store p50 {f50:.1f} ms, p95 {f95:.1f} ms")]


def bench_rebuild_and_authority_query(backend: str, events: int) -> list[Row]:
    """Rebuild every read model vs a raw scan of the log; then the authority-wide plan query."""
    with fresh_store(backend) as url:
        settings = Settings(db_url=url)
        service = build_case_service(settings)
        total = 0
        for batch in synthetic_batches(events, 2_000, seed=13):
            service.append(batch)
            total += len(batch)
        started = time.perf_counter()
        start = 0
        while page := service.recorder.select_notifications(start, 1_000, inclusive_of_start=False):
            for notification in page:
                service.mapper.to_domain_event(notification)
            start = page[-1].id
        scan = time.perf_counter() - started
        runner = build_case_views_runner(settings, service)
        started = time.perf_counter()
        applied = runner.rebuild()
        rebuild = time.perf_counter() - started

        authority = AuthorityQueries(runner.views.engine)
        timings, found = [], 0
        for day in range(20):
            on = date(2021 + day % 3, 1 + day % 12, 1 + day)
            as_known_at = datetime(2024, 1 + day % 12, 1, tzinfo=timezone.utc)
            started = time.perf_counter()
            found = len(authority.children_on_plans(on=on, as_known_at=as_known_at))
            timings.append((time.perf_counter() - started) * 1000)
        counting = time.perf_counter()
        with runner.views.engine.connect() as connection:
            plan_rows = connection.execute(select(func.count()).select_from(tables.plan_periods)).scalar()
        count_ms = (time.perf_counter() - counting) * 1000
        runner.views.engine.dispose()
        service.close()
    q50, q95 = percentiles(timings)
    return [
        (f"rebuild of every read model from {applied:,} events ({backend})",
         f"{applied / rebuild:,.0f} events/s ({rebuild:,.1f} s)",
         f"raw scan and decode of the log {total / scan:,.0f} events/s ({scan:,.1f} s)"),
        (f"children on a child protection plan on D as known at T, {total:,} events "
         f"({found} children in the last answer)",
         f"p50 {q50:.1f} ms, p95 {q95:.1f} ms",
         f"count of all {plan_rows:,} plan-period rows {count_ms:.1f} ms"),
    ]


def _child(target: Callable[..., list[Row]], args: tuple[Any, ...], results: Any) -> None:
    rows = target(*args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put([(*row, f"{peak_mib:,.0f} MiB") for row in rows])


def run_isolated(target: Callable[..., list[Row]], *args: Any) -> list[tuple[str, ...]]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(target, args, results))
    process.start()
    rows = results.get()
    process.join()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="events for the rebuild and the authority-wide query")
    parser.add_argument("--append-events", type=int, default=100_000)
    parser.add_argument("--case-events", type=int, default=2_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    arguments = parser.parse_args()
    table = Table(title=f"Foresight benchmarks ({arguments.backend}, {os.cpu_count()} cores)")
    for column in ("what", "measured", "baseline in the same run", "peak memory"):
        table.add_column(column)
    for target, args in (
        (bench_append, (arguments.backend, arguments.append_events)),
        (bench_chronology, (arguments.backend, arguments.case_events)),
        (bench_rebuild_and_authority_query, (arguments.backend, arguments.events)),
    ):
        console.print(f"running {target.__name__} …")
        for row in run_isolated(target, *args):
            table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
