"""Benchmark: "as known at T" chronology from the read models, and rebuild throughput.

Run: python -m tests.benchmarks.bench_replay [--case-events 2000] [--rebuild-events 1000000]

Each figure is printed next to a baseline measured in the same run: the chronology
folded directly from the case's stored events, and a raw scan (read and decode) of the log.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.bootstrap import bootstrap, bootstrap_writer
from api.samples.generator import generate_case
from api.settings import Settings
from events.envelope import parse_event
from projections.fold import chronology
from replay.queries import CaseQueries

console = Console()


def load(settings: Settings, cases: int, events_per_case: int, seed: int) -> int:
    """Append synthetic cases in batches; return the number of events."""
    service = bootstrap_writer(settings)
    rng = random.Random(seed)
    total = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"Appending {cases * events_per_case:,} events", total=cases)
        for index in range(cases):
            raw = generate_case(rng, f"BENCH-{index:06d}", events_per_case)
            envelopes = [parse_event(event) for event in raw]
            for start in range(0, len(envelopes), 500):
                service.append(envelopes[start : start + 500])
            total += len(raw)
            progress.advance(task)
    service.close()
    return total


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def bench_chronology(
    directory: Path, case_events: int, queries_count: int
) -> list[tuple[str, str]]:
    settings = Settings(db_url=f"sqlite:///{directory / 'case.db'}")
    load(settings, 1, case_events, seed=11)
    foresight = bootstrap(settings)
    service, runner = foresight.service, foresight.runner
    runner.catch_up()
    queries = CaseQueries(runner.views.engine, runner.views.log)
    case_id = "BENCH-000000"
    events = service.case_events(case_id)
    first = min(event.known_at for event in events)
    last = max(event.known_at for event in events)
    rng = random.Random(5)
    moments = [first + (last - first) * rng.random() for _ in range(queries_count)]

    read_model, as_json, folded, sizes = [], [], [], []
    for moment in moments:
        started = time.perf_counter()
        entries = queries.chronology(case_id, as_known_at=moment)
        read_model.append((time.perf_counter() - started) * 1000)
        sizes.append(len(entries))
        started = time.perf_counter()
        queries.chronology_json(case_id, as_known_at=moment)
        as_json.append((time.perf_counter() - started) * 1000)
    for moment in moments:
        started = time.perf_counter()
        chronology(service.case_events(case_id), as_known_at=moment)
        folded.append((time.perf_counter() - started) * 1000)
    rm50, rm95 = percentiles(read_model)
    j50, j95 = percentiles(as_json)
    f50, f95 = percentiles(folded)
    what = (
        f"chronology of a {len(events):,}-event case as known at random T "
        f"({queries_count} queries, median {statistics.median(sizes):.0f} entries)"
    )
    baseline = f"baseline fold from the store p50 {f50:.1f} ms, p95 {f95:.1f} ms"
    return [
        (
            f"{what}, as JSON (what the API returns)",
            f"read models p50 {j50:.1f} ms, p95 {j95:.1f} ms | {baseline}",
        ),
        (
            f"{what}, as Python objects",
            f"read models p50 {rm50:.1f} ms, p95 {rm95:.1f} ms | {baseline}",
        ),
    ]


def bench_rebuild(directory: Path, rebuild_events: int) -> list[tuple[str, str]]:
    settings = Settings(db_url=f"sqlite:///{directory / 'log.db'}")
    per_case = 2_000
    cases = max(1, rebuild_events // per_case)
    total = load(settings, cases, per_case, seed=13)
    foresight = bootstrap(settings)
    service = foresight.service

    started = time.perf_counter()
    scanned, start = 0, 0
    while True:
        page = service.recorder.select_notifications(start, 1_000, inclusive_of_start=False)
        if not page:
            break
        for notification in page:
            service.mapper.to_domain_event(notification)
        scanned += len(page)
        start = page[-1].id
    scan_seconds = time.perf_counter() - started

    runner = foresight.runner
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"Rebuilding from {total:,} events", total=total)
        applied = runner.rebuild(lambda count: progress.advance(task, count))
    rebuild_seconds = time.perf_counter() - started
    return [
        (
            f"rebuild of every read model from {applied:,} events ({cases:,} cases), SQLite",
            f"{applied / rebuild_seconds:,.0f} events/s ({rebuild_seconds:,.1f} s) | "
            f"baseline raw scan and decode {scanned / scan_seconds:,.0f} events/s "
            f"({scan_seconds:,.1f} s)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case-events", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild-events", type=int, default=1_000_000)
    arguments = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        rows += bench_chronology(Path(directory), arguments.case_events, arguments.queries)
        if arguments.rebuild_events:
            rows += bench_rebuild(Path(directory), arguments.rebuild_events)
    table = Table(title="Foresight replay benchmark")
    table.add_column("what")
    table.add_column("measured (baseline in the same run)")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
