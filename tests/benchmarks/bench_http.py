"""Benchmark: single-event appends over HTTP (`foresight serve`, loopback) beside in-process.

Run: python -m tests.benchmarks.bench_http [--appends 1000] [--threads 4] [--cases 20]

Each HTTP figure is printed next to the in-process append rate (`CaseService.append` of one
event at a time) measured in the same run on its own SQLite file. Before timing, every case
is opened (one event each), so each timed request is one new `note_added` on an existing case.
Clients pick a case at random for each append; when two appends to one case race, the server
answers 409 and the client sends the append again (counted, and timed as one more request).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from api.bootstrap import bootstrap_writer, build_engine
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from tests.reliability.processes import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
console = Console()


@dataclass
class Run:
    """One measured series of appends."""

    label: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    conflicts: int = 0
    appends: int = 0

    def row(self, baseline: float | None) -> list[str]:
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rate = self.appends / self.seconds
        return [
            self.label,
            f"{self.appends:,}",
            f"{self.seconds:.2f}",
            f"{rate:,.0f}",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{p95 * 1000:.1f}",
            f"{self.conflicts:,}",
            f"{rate / baseline:.2f}x" if baseline else "1.00x",
        ]


def note(case_id: str, index: int) -> dict[str, object]:
    return {
        "type": "note_added",
        "case_id": case_id,
        "occurred_at": "2024-03-01T10:00",
        "summary": f"Benchmark note {index}",
        "subjects": [],
        "data": {},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(db_url: str, port: int, log: Path) -> Iterator[str]:
    """`foresight serve` on 127.0.0.1:port until the block ends."""
    script = shutil.which("foresight")
    command = [script] if script else [sys.executable, "-m", "api.cli"]
    env = {**os.environ, "FORESIGHT_DB_URL": db_url}
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until_healthy(process, base, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def bench_http(directory: Path, appends: int, threads: int, cases: int, seed: int) -> Run:
    db_url = f"sqlite:///{directory / f'http-{threads}.db'}"
    _, token = add_user(
        build_engine(Settings(db_url=db_url)), "bench-sw", "practitioner", "social_care"
    )
    run = Run(f"HTTP, {threads} client thread{'s' if threads > 1 else ''}")
    case_ids = [f"HTTP-{index:03d}" for index in range(cases)]
    with server(db_url, free_port(), directory / f"serve-{threads}.log") as base:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for case_id in case_ids:  # open every case before timing
                opened = client.post(
                    f"/cases/{case_id}/events",
                    json={"type": "case_opened", "occurred_at": "2024-03-01"},
                )
                opened.raise_for_status()
        lock = threading.Lock()
        counter = iter(range(appends))

        def worker(worker_seed: int) -> None:
            rng = random.Random(worker_seed)
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                while True:
                    with lock:
                        index = next(counter, None)
                    if index is None:
                        return
                    case_id = rng.choice(case_ids)
                    while True:
                        started = time.perf_counter()
                        response = client.post(
                            f"/cases/{case_id}/events", json=note(case_id, index)
                        )
                        elapsed = time.perf_counter() - started
                        with lock:
                            run.latencies.append(elapsed)
                        if response.status_code == 409:
                            with lock:
                                run.conflicts += 1
                            continue
                        response.raise_for_status()
                        with lock:
                            run.appends += 1
                        break

        pool = [threading.Thread(target=worker, args=(seed + number,)) for number in range(threads)]
        started = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        run.seconds = time.perf_counter() - started
    return run


def bench_in_process(directory: Path, appends: int, cases: int, seed: int) -> Run:
    service = bootstrap_writer(Settings(db_url=f"sqlite:///{directory / 'inproc.db'}"))
    case_ids = [f"PROC-{index:03d}" for index in range(cases)]
    for case_id in case_ids:
        service.append(
            [
                parse_event(
                    {
                        "type": "case_opened",
                        "case_id": case_id,
                        "occurred_at": "2024-03-01",
                        "agency": "social_care",
                    }
                )
            ]
        )
    rng = random.Random(seed)
    run = Run("in process (CaseService.append), 1 thread")
    started = time.perf_counter()
    for index in range(appends):
        case_id = rng.choice(case_ids)
        began = time.perf_counter()
        raw = {**note(case_id, index), "agency": "social_care", "recorded_by": "bench-sw"}
        service.append([parse_event(raw)])
        run.latencies.append(time.perf_counter() - began)
        run.appends += 1
    run.seconds = time.perf_counter() - started
    service.close()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=1000, help="timed appends per series")
    parser.add_argument("--threads", type=int, default=4, help="client threads for HTTP")
    parser.add_argument("--cases", type=int, default=20, help="cases the appends spread over")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="foresight-bench-http-") as temporary:
        directory = Path(temporary)
        with console.status("In process"):
            baseline = bench_in_process(directory, args.appends, args.cases, args.seed)
        runs = [baseline]
        thread_counts = sorted({1, args.threads})
        for threads in thread_counts:
            with console.status(f"HTTP with {threads} client thread(s)"):
                runs.append(bench_http(directory, args.appends, threads, args.cases, args.seed))

    baseline_rate = baseline.appends / baseline.seconds
    table = Table(
        title=f"Single-event appends over {args.cases} cases "
        f"(SQLite file; uvicorn, 1 worker, on 127.0.0.1; {os.cpu_count()} CPUs)"
    )
    for column in (
        "series",
        "appends",
        "seconds",
        "appends/s",
        "p50 ms",
        "p95 ms",
        "409 retries",
        "vs in process",
    ):
        table.add_column(column, justify="left" if column == "series" else "right")
    for run in runs:
        table.add_row(*run.row(None if run is baseline else baseline_rate))
    console.print(table)
    console.print("Latency is per request as the client saw it (including 409s and their retries).")


if __name__ == "__main__":
    main()
