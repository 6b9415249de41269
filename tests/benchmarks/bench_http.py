"""Benchmark: the API over loopback (`foresight serve --workers N`) beside in-process baselines.

Run: python -m tests.benchmarks.bench_http [--backend sqlite|postgresql] [--workers 2]
        [--clients 8] [--appends 2000] [--reads 2000] [--cases 20] [--read-cases 10]
        [--case-events 200]
or:  python -m tests.benchmarks --only http

Two phases against one server, each timed with `--clients` client threads (one keep-alive
connection each):

- appends: single `note_added` events, each on a case picked at random among `--cases` opened
  before timing; when two appends to one case race, the server answers 409 and the client sends
  the append again (counted apart, and timed as one more request);
- reads: `GET /cases/{id}/chronology` (JSON) of a case of `--case-events` synthetic events
  (appended through the write side before the server starts), as a social-care practitioner.

Beside them, measured in the same run on a store of their own of the same backend: the
in-process append (`CaseService.append` of one event at a time) and the in-process chronology
query (`CaseQueries.chronology_json` of the same cases). PostgreSQL needs
FORESIGHT_BENCH_POSTGRES_URL (or FORESIGHT_TEST_POSTGRES_URL): a server on which the benchmark
creates, and afterwards drops, databases of its own.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from api.bootstrap import bootstrap, bootstrap_writer, build_engine
from api.samples.generator import generate_case
from api.settings import Settings
from api.users import add_user
from domain.service import CaseService
from events.envelope import parse_event
from tests.benchmarks.suite import fresh_store
from tests.reliability.processes import start_server, stop_group

console = Console(width=200)
READER_AGENCY = "social_care"


@dataclass
class Run:
    """One measured series of requests (or in-process calls)."""

    label: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    done: int = 0
    conflicts: int = 0
    errors: int = 0
    server_cpu: float | None = None  # CPU seconds the server's processes spent meanwhile
    own_cpu: float = 0.0  # CPU seconds this process spent (in process, or the clients')
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentiles_ms(self) -> tuple[float, float]:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return statistics.median(ordered) * 1000, p95 * 1000

    def row(self, baseline: Run | None) -> list[str]:
        p50, p95 = self.percentiles_ms()
        return [
            self.label,
            f"{self.done:,}",
            f"{self.rate:,.0f}/s",
            f"{p50:.1f}",
            f"{p95:.1f}",
            f"{self.conflicts:,}",
            f"{self.errors:,}",
            self.cpu_per_request(),
            f"{self.rate / baseline.rate:.2f}x" if baseline else "",
        ]

    def cpu_per_request(self) -> str:
        """The server's CPU per request (HTTP; then the clients' own), or this process's per
        call (in process): what a request costs whatever else the machine is running."""
        attempts = self.done + self.conflicts + self.errors
        if not attempts:
            return ""
        if self.server_cpu is None:
            return f"{self.own_cpu / attempts * 1000:.2f}"
        return f"{self.server_cpu / attempts * 1000:.2f} (+{self.own_cpu / attempts * 1000:.2f})"


def note(case_id: str, index: int) -> dict[str, object]:
    return {
        "type": "note_added",
        "case_id": case_id,
        "occurred_at": "2024-03-01T10:00",
        "summary": f"Benchmark note {index}",
        "subjects": [],
        "data": {},
    }


def case_opened(case_id: str) -> dict[str, object]:
    return {"type": "case_opened", "case_id": case_id, "occurred_at": "2024-03-01"}


def read_case_ids(read_cases: int) -> list[str]:
    return [f"READ-{index:03d}" for index in range(read_cases)]


def fill_read_cases(service: CaseService, read_cases: int, case_events: int) -> None:
    """Synthetic cases of `case_events` events each, through the write side."""
    rng = random.Random(3)
    for case_id in read_case_ids(read_cases):
        service.append([parse_event(raw) for raw in generate_case(rng, case_id, case_events)])


def run_clients(run: Run, clients: int, count: int, request: Callable[[int, random.Random], str]):
    """`count` calls of `request(index, rng)` shared by `clients` threads, each timed.
    `request` answers "ok", "conflict" (sent again, counted apart) or "error"."""
    counter = iter(range(count))
    take = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with take:
                index = next(counter, None)
            if index is None:
                return
            while True:
                began = time.perf_counter()
                try:
                    outcome = request(index, rng)
                except httpx.HTTPError:
                    outcome = "error"
                elapsed = time.perf_counter() - began
                with run.lock:
                    run.latencies.append(elapsed)
                    if outcome == "conflict":
                        run.conflicts += 1
                    elif outcome == "error":
                        run.errors += 1
                    else:
                        run.done += 1
                if outcome != "conflict":
                    break

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    run.own_cpu = time.process_time() - cpu
    return run


def bench_in_process(backend: str, args: argparse.Namespace) -> tuple[Run, Run]:
    """The baselines: `CaseService.append` one event at a time, and the chronology query of
    the read cases, in this process, one thread."""
    with fresh_store(backend) as url:
        foresight = bootstrap(Settings(db_url=url))
        service = foresight.service
        case_ids = [f"PROC-{index:03d}" for index in range(args.cases)]
        for case_id in case_ids:
            service.append([parse_event({**case_opened(case_id), "agency": READER_AGENCY})])
        rng = random.Random(args.seed)
        append = Run("in process: CaseService.append, 1 thread")
        started, cpu = time.perf_counter(), time.process_time()
        for index in range(args.appends):
            case_id = rng.choice(case_ids)
            raw = {**note(case_id, index), "agency": READER_AGENCY, "recorded_by": "bench-sw"}
            began = time.perf_counter()
            service.append([parse_event(raw)])
            append.latencies.append(time.perf_counter() - began)
            append.done += 1
        append.seconds = time.perf_counter() - started
        append.own_cpu = time.process_time() - cpu

        fill_read_cases(service, args.read_cases, args.case_events)
        foresight.runner.catch_up()
        queries = foresight.queries
        read = Run("in process: CaseQueries.chronology_json, 1 thread")
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.reads):
            case_id = rng.choice(read_case_ids(args.read_cases))
            began = time.perf_counter()
            queries.chronology_json(case_id, agency=READER_AGENCY)
            read.latencies.append(time.perf_counter() - began)
            read.done += 1
        read.seconds = time.perf_counter() - started
        read.own_cpu = time.process_time() - cpu
        foresight.runner.views.engine.dispose()
        service.close()
    return append, read


def bench_over_http(backend: str, directory: Path, args: argparse.Namespace) -> tuple[Run, Run]:
    """The append phase, then the read phase, against `foresight serve --workers N`."""
    with fresh_store(backend) as url:
        service = bootstrap_writer(Settings(db_url=url))
        fill_read_cases(service, args.read_cases, args.case_events)
        service.close()
        engine = build_engine(Settings(db_url=url))
        _, token = add_user(engine, "bench-sw", "practitioner", READER_AGENCY)
        engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        case_ids = [f"HTTP-{index:03d}" for index in range(args.cases)]
        readable = read_case_ids(args.read_cases)
        local = threading.local()
        server, base = start_server(url, args.workers, directory / "serve.log")
        try:

            def client() -> httpx.Client:
                if not hasattr(local, "client"):
                    local.client = httpx.Client(base_url=base, headers=headers, timeout=60)
                return local.client

            for case_id in case_ids:  # opened before timing, warming each worker
                client().post(f"/cases/{case_id}/events", json=case_opened(case_id))
            suffix = f"{args.clients} clients, {args.workers} workers"

            def append(index: int, rng: random.Random) -> str:
                case_id = rng.choice(case_ids)
                answer = client().post(f"/cases/{case_id}/events", json=note(case_id, index))
                if answer.status_code == 409:
                    return "conflict"
                return "ok" if answer.status_code == 201 else "error"

            def read(index: int, rng: random.Random) -> str:
                answer = client().get(f"/cases/{rng.choice(readable)}/chronology")
                return "ok" if answer.status_code == 200 and answer.content[:1] == b"[" else "error"

            run_clients(Run("warm-up"), args.clients, 4 * args.clients * args.workers, read)
            cpu = server_cpu_seconds(server.pid)
            appended = run_clients(
                Run(f"HTTP appends, {suffix}"), args.clients, args.appends, append
            )
            appended.server_cpu, cpu = (
                server_cpu_seconds(server.pid) - cpu,
                server_cpu_seconds(server.pid),
            )
            reads = run_clients(
                Run(f"HTTP chronology reads, {suffix}"), args.clients, args.reads, read
            )
            reads.server_cpu = server_cpu_seconds(server.pid) - cpu
        finally:
            stop_group(server)
    return appended, reads


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by a process and its children (uvicorn's
    supervisor and its workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, …; utime and stime are the 12th and 13th.
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run(args: argparse.Namespace) -> list[tuple[Run, Run | None]]:
    """Every series, each with its baseline (None for a baseline)."""
    with tempfile.TemporaryDirectory(prefix="foresight-bench-http-") as temporary:
        directory = Path(temporary)
        with console.status("In process"):
            append_base, read_base = bench_in_process(args.backend, args)
        with console.status(f"HTTP, {args.workers} workers, {args.clients} clients"):
            appended, reads = bench_over_http(args.backend, directory, args)
    return [(append_base, None), (appended, append_base), (read_base, None), (reads, read_base)]


def parser() -> argparse.ArgumentParser:
    parsing = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parsing.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parsing.add_argument("--workers", type=int, default=2, help="server worker processes")
    parsing.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parsing.add_argument("--appends", type=int, default=2000, help="timed appends")
    parsing.add_argument("--reads", type=int, default=2000, help="timed chronology reads")
    parsing.add_argument("--cases", type=int, default=20, help="cases the appends spread over")
    parsing.add_argument("--read-cases", type=int, default=10, help="cases read")
    parsing.add_argument("--case-events", type=int, default=200, help="events of a read case")
    parsing.add_argument("--seed", type=int, default=7)
    return parsing


def suite_rows(backend: str) -> list[tuple[str, str, str, str]]:
    """The suite's rows (what, measured, baseline, ratio) for `python -m tests.benchmarks --only
    http`, with this module's defaults."""
    args = parser().parse_args(["--backend", backend])
    rows = []
    for measured, baseline in run(args):
        if baseline is None:
            continue
        p50, p95 = measured.percentiles_ms()
        _, b95 = baseline.percentiles_ms()
        rows.append(
            (
                f"{measured.label} ({args.backend}, {args.case_events}-event cases for reads)",
                f"{measured.rate:,.0f}/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"{measured.errors} errors, {measured.conflicts} 409 retries, server CPU "
                f"{measured.cpu_per_request()} ms each",
                f"{baseline.label}: {baseline.rate:,.0f}/s, p95 {b95:.1f} ms, CPU "
                f"{baseline.cpu_per_request()} ms each",
                f"{measured.rate / baseline.rate:.2f}× the baseline's rate",
            )
        )
    return rows


def main() -> None:
    args = parser().parse_args()
    load_before = os.getloadavg()[0]
    series = run(args)
    table = Table(
        title=f"The API over loopback ({args.backend}; uvicorn, {args.workers} workers, "
        f"{args.clients} clients; {os.cpu_count()} CPUs; load average {load_before:.1f} → "
        f"{os.getloadavg()[0]:.1f})"
    )
    for column in (
        "series",
        "done",
        "rate",
        "p50 ms",
        "p95 ms",
        "409 retries",
        "errors",
        "CPU ms each",
        "vs baseline",
    ):
        table.add_column(column, justify="left" if column == "series" else "right")
    for measured, baseline in series:
        table.add_row(*measured.row(baseline))
    console.print(table)
    console.print(
        "Latency is per request as the client saw it (409s and their retries included); "
        f"reads are the JSON chronology of {args.case_events}-event cases. CPU ms each: the "
        "server's processes' CPU per request (HTTP; in brackets the clients'), this process's per "
        "call (in process)."
    )


if __name__ == "__main__":
    main()
