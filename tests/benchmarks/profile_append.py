"""Where an append's time goes: the bulk-append benchmark's path under cProfile, by stage.

Run: python -m tests.benchmarks.profile_append [--events 10000] [--backend sqlite|postgresql]
        [--singles 1000] [--top 25]

The batches are `bench_append`'s (synthetic cases of 2,000 events, batches of 500). They are
appended twice, each time to a fresh store: once plainly, for the wall-clock and CPU time per
event, and once under cProfile counting this process's CPU time (not the wall clock, which on
a shared machine counts other processes' turns too). A stage's µs per event is its share of
the profiled CPU time applied to the plain run's CPU time, since the profiler slows some code
more than other. The database server's own work (PostgreSQL) is not this process's CPU: it is
the difference between the wall-clock and the CPU time, when the machine is otherwise idle.
Stages nest (indented rows are part of the row above). Then `--singles` single-event appends
in process (as the HTTP POST does, one at a time), timed plainly.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from collections.abc import Sequence
from typing import Any

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from tests.benchmarks import bench_http
from tests.benchmarks.suite import fresh_store, synthetic_batches

# Each stage: its label, then where its time is, as "file name ending:function"; the first of
# these found in the profile gives the stage's cumulative time.
STAGES: tuple[tuple[str, ...], ...] = (
    ("the whole append (CaseService.append)", "domain/service.py:append"),
    ("loading each case (repository: cache, snapshot, events)", "domain/service.py:_get_case"),
    ("deciding: invariants and the entry (decide)", "domain/case.py:decide"),
    ("  re-validating the type's data (check_data)", "domain/case.py:check_data"),
    ("  the entry's JSON-ready content (entry_content)", "events/envelope.py:entry_content"),
    ("  the content digest", "domain/case.py:digest_of_content", "domain/case.py:content_digest"),
    ("the chain hash (chain_hash)", "domain/case.py:chain_hash"),
    (
        "the library's event object, applied (trigger_event)",
        "eventsourcing/domain.py:trigger_event",
    ),
    ("saving (Application.save)", "eventsourcing/application.py:save"),
    ("  storing the events (Application._record)", "eventsourcing/application.py:_record"),
    ("    their JSON (mapper.to_stored_event)", "eventsourcing/persistence.py:to_stored_event"),
    (
        "  inserting rows (events, index, snapshots; commit)",
        "eventsourcing/sqlite.py:insert_events",
        "eventsourcing/postgres.py:insert_events",
    ),
    ("  taking snapshots", "eventsourcing/application.py:_take_snapshots"),
    ("event ids used elsewhere (index lookup)", "domain/service.py:_ids_used_elsewhere"),
    ("reading stored events back (_read_back)", "domain/service.py:_read_back"),
    ("the returned events (RecordedEvent)", "domain/service.py:recorded_event"),
    ("in all: decoding stored events (mapper)", "domain/service.py:to_domain_event"),
    (
        "in all: folding stored events",
        "eventsourcing/application.py:project_aggregate",
        "domain/service.py:fold_case",
    ),
)


def append_all(
    url: str, batches: Sequence[Sequence[Any]], profile: cProfile.Profile | None
) -> tuple[float, float]:
    """Append the batches: the wall-clock and CPU seconds it took."""
    service = bootstrap_writer(Settings(db_url=url))
    started, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    for batch in batches:
        service.append(batch)
    if profile is not None:
        profile.disable()
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    service.close()
    return elapsed


def cumulative(stats: pstats.Stats, functions: Sequence[str]) -> float | None:
    """The cumulative seconds of the first of `functions` that the profile has."""
    table: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    for where in functions:
        suffix, name = where.split(":")
        found = [
            entry[3]
            for (file, _, function), entry in table.items()
            if function == name and file.endswith(suffix)
        ]
        if found:
            return float(sum(found))
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--singles", type=int, default=1_000, help="single appends (0: none)")
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions")
    arguments = parser.parse_args()
    batches = list(synthetic_batches(arguments.events, 2_000, seed=21))
    total = sum(len(batch) for batch in batches)
    load_before = os.getloadavg()[0]
    with fresh_store(arguments.backend) as url:
        wall, cpu = append_all(url, batches, None)
    profile = cProfile.Profile(time.process_time)
    with fresh_store(arguments.backend) as url:
        append_all(url, batches, profile)
    stats = pstats.Stats(profile)
    whole = cumulative(stats, STAGES[0][1:]) or 1.0
    per_event = cpu / total * 1e6
    print(
        f"{total:,} events in batches of 500 on {arguments.backend}: {total / wall:,.0f} events/s "
        f"({wall / total * 1e6:,.0f} µs per event, of which {per_event:,.0f} µs this process's "
        f"CPU) without the profiler; load average {load_before:.1f} → "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'stage (CPU of this process)':<60} {'µs/event':>9} {'share':>6}")
    for label, *functions in STAGES:
        seconds = cumulative(stats, functions)
        if seconds is None:
            continue
        share = seconds / whole
        print(f"{label:<60} {share * per_event:>9,.0f} {share:>6.0%}")
    if arguments.top:
        stats.sort_stats("tottime").print_stats(arguments.top)
    if arguments.singles and arguments.backend == "sqlite":
        options = bench_http.parser().parse_args(
            ["--appends", str(arguments.singles), "--reads", "0", "--read-cases", "0"]
        )
        run, _ = bench_http.bench_in_process("sqlite", options)
        print(f"single-event appends in process (SQLite): {run.rate:,.0f}/s")


if __name__ == "__main__":
    main()
