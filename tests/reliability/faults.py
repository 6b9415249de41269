"""kill -9 at random points: the server during appends, the projection runner (`foresight
project --follow`) while it applies them, and `foresight rebuild` part-way.

    FORESIGHT_FAULT_ROUNDS=30 python -m tests.reliability.faults --backend sqlite
    FORESIGHT_TEST_POSTGRES_URL=$(.ci/postgres start) FORESIGHT_FAULT_ROUNDS=30 \\
        python -m tests.reliability.faults --backend postgresql

Round n kills the server, the projection runner or the rebuild in turn. Writers keep their
acknowledgements; a batch whose answer was cut off by the kill is in doubt and is sent again,
with the same event ids, once the server is back (it must then be acknowledged). After every
kill: each acknowledged event is in the log exactly once, no event twice, every hash chain
intact, and the read models, once caught up, equal a rebuild from the log into a fresh
database. At the end `foresight verify` must pass. Prints one table; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.bootstrap import bootstrap, bootstrap_writer
from api.samples.generator import generate_case
from api.settings import Settings
from events.envelope import parse_event
from tests.reliability.ledger import (
    ACKNOWLEDGED,
    IN_DOUBT,
    PRACTITIONERS,
    Ledger,
    StoreCheck,
    append_until_answered,
    check_store,
    note,
    read_models_match_a_rebuild,
)
from tests.reliability.processes import (
    kill_group,
    new_store,
    prepare_store,
    start,
    start_server,
    stop_group,
)

ROUNDS_VARIABLE = "FORESIGHT_FAULT_ROUNDS"
KILL_TARGETS = ("server", "project", "rebuild")
# Longest wait for a projection runner or a rebuild to show it has started its work.
WORK_STARTS_WITHIN = 60.0

FreshStore = Callable[[], AbstractContextManager[str]]
# (the writer's user name, case id, batch): a resend must come from the same user, since the
# server takes the agency and recorded_by of an event from the token.
Pending = list[tuple[str, str, list[dict[str, Any]]]]


@dataclass
class Kill:
    round: int
    target: str
    after_seconds: float
    finished_first: bool  # the process had ended before the signal landed
    resent: int  # batches in doubt, sent again once the server was back


@dataclass
class FaultResult:
    backend: str
    kills: list[Kill]
    ledger: Ledger
    store: StoreCheck
    problems: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str]]:
        by_target = {
            target: [kill for kill in self.kills if kill.target == target]
            for target in KILL_TARGETS
        }
        return [
            ("backend", self.backend),
            (
                "kill -9",
                ", ".join(
                    f"{target} {len(kills)} "
                    f"({sum(not kill.finished_first for kill in kills)} mid-run)"
                    for target, kills in by_target.items()
                ),
            ),
            ("events acknowledged", str(len(self.ledger.acknowledged))),
            ("batches in doubt, resent and acknowledged", str(sum(k.resent for k in self.kills))),
            ("in-doubt events found stored", str(self.store.in_doubt_stored)),
            ("events in the log", str(self.store.events_in_log)),
            (
                "lost / duplicated / never sent",
                (
                    f"{len(self.store.lost)} / {len(self.store.duplicated)} / "
                    f"{len(self.store.unexpected)}"
                ),
            ),
            ("problems", str(len(self.problems))),
        ]


def preload(db_url: str, cases: int, events_per_case: int, seed: int) -> set[str]:
    """Synthetic cases appended in process, so that a rebuild has work to be killed in."""
    service = bootstrap_writer(Settings(db_url=db_url))
    rng = random.Random(seed)
    ids: set[str] = set()
    try:
        for number in range(cases):
            raw = generate_case(rng, f"FAULT-PRE-{number}", events_per_case)
            outcome = service.append([parse_event(item) for item in raw])
            ids |= {str(stored.event_id) for stored in outcome.events}
    finally:
        service.close()
    return ids


class ReadModelPosition:
    """The tracked position of the read models, read from outside the processes under test."""

    def __init__(self, db_url: str):
        settings = Settings(db_url=db_url)
        foresight = bootstrap(settings)
        self.service, self.runner = foresight.service, foresight.runner

    def __call__(self) -> int:
        return self.runner.position()

    def close(self) -> None:
        self.runner.views.engine.dispose()
        self.service.close()


async def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WORK_STARTS_WITHIN
    while not condition() and process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


class FaultRun:
    """One store, one server (restarted after each kill), writers, and the kills."""

    def __init__(
        self,
        db_url: str,
        backend: str,
        fresh_store: FreshStore,
        log_dir: Path,
        *,
        workers: int = 1,
        writers: int = 4,
        cases: int = 8,
        seed: int = 1,
    ):
        self.db_url, self.backend, self.fresh_store = db_url, backend, fresh_store
        self.log_dir, self.workers, self.writers, self.seed = log_dir, workers, writers, seed
        self.case_ids = [f"FAULT-{number:03d}" for number in range(cases)]
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.pending: Pending = []
        self.problems: list[str] = []
        self.kills: list[Kill] = []
        self.tokens: dict[str, str] = {}
        self.server: subprocess.Popen[str] | None = None
        self.base = ""
        self.position = ReadModelPosition(db_url)

    def log(self, name: str) -> Path:
        return self.log_dir / f"{self.backend}-{name}.log"

    def ensure_server(self) -> None:
        if self.server is None:
            self.server, self.base = start_server(self.db_url, self.workers, self.log("serve"))

    async def resend_pending(self) -> int:
        """Every batch left in doubt by a kill, sent again: it must be acknowledged now."""
        batches, self.pending = self.pending, []
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            for name, case_id, batch in batches:
                client.headers["Authorization"] = f"Bearer {self.tokens[name]}"
                outcome = await append_until_answered(client, self.ledger, case_id, batch)
                if outcome != ACKNOWLEDGED:
                    self.problems.append(f"a batch in doubt was {outcome} when sent again")
        return len(batches)

    async def write_until(self, stop: asyncio.Event, server_gone: asyncio.Event) -> None:
        async def writer(number: int) -> None:
            rng = random.Random(self.rng.random())
            name = PRACTITIONERS[number % len(PRACTITIONERS)][0]
            async with httpx.AsyncClient(
                base_url=self.base,
                timeout=60,
                headers={"Authorization": f"Bearer {self.tokens[name]}"},
            ) as client:
                while not stop.is_set():
                    case_id = rng.choice(self.case_ids)
                    batch = [note(rng, number) for _ in range(rng.choice((1, 2, 3)))]
                    outcome = await append_until_answered(
                        client, self.ledger, case_id, batch, server_gone
                    )
                    if outcome == IN_DOUBT:
                        self.pending.append((name, case_id, batch))

        await asyncio.gather(*(writer(number) for number in range(self.writers)))

    async def kill_during_appends(self, round_: int, target: str) -> Kill:
        stop, server_gone = asyncio.Event(), asyncio.Event()
        writing = asyncio.ensure_future(self.write_until(stop, server_gone))
        started = time.monotonic()
        process: subprocess.Popen[str]
        if target == "server":
            assert self.server is not None
            process = self.server
            await asyncio.sleep(self.rng.uniform(0.3, 1.5))
            server_gone.set()
        elif target == "project":
            before = self.position()
            process = start(
                ["project", "--follow", "--interval", "0.05"], self.db_url, self.log("project")
            )
            started = time.monotonic()
            await wait_for(lambda: self.position() > before, process)
            await asyncio.sleep(self.rng.uniform(0, 0.5))
        else:
            process = start(["rebuild"], self.db_url, self.log("rebuild"))
            started = time.monotonic()
            # The rebuild empties the read models first (position 0), then fills them.
            await wait_for(lambda: self.position() == 0, process)
            await asyncio.sleep(self.rng.uniform(0, 0.8))
        finished_first = process.poll() is not None
        kill_group(process)
        killed_after = time.monotonic() - started
        if target == "server":
            self.server = None
        stop.set()
        await writing
        return Kill(round_, target, killed_after, finished_first, 0)

    def check(self, label: str, known_before: set[str], read_models: bool) -> StoreCheck:
        store = check_store(self.db_url, self.ledger, known_before)
        for kind, found in (
            ("lost", store.lost),
            ("duplicated", store.duplicated),
            ("never sent", store.unexpected),
        ):
            if found:
                self.problems.append(f"after {label}: {len(found)} {kind}, e.g. {found[:3]}")
        if store.verify_problem:
            self.problems.append(f"after {label}: {store.verify_problem}")
        if not read_models:
            return store
        with self.fresh_store() as fresh_url:
            differing = read_models_match_a_rebuild(self.db_url, fresh_url)
        if differing:
            self.problems.append(f"after {label}: {differing}")
        return store

    def run(self, rounds: int, preload_cases: int, preload_events: int) -> FaultResult:
        self.tokens = prepare_store(self.db_url, PRACTITIONERS)
        known_before = preload(self.db_url, preload_cases, preload_events, self.seed)
        try:
            for round_ in range(rounds):
                target = KILL_TARGETS[round_ % len(KILL_TARGETS)]
                self.ensure_server()
                resent = asyncio.run(self.resend_pending())
                kill = asyncio.run(self.kill_during_appends(round_, target))
                kill.resent = resent
                self.kills.append(kill)
                # A killed server's read models are compared after the restart that follows.
                self.check(
                    f"round {round_} (kill -9 {target})",
                    known_before,
                    read_models=target != "server",
                )
            self.ensure_server()
            self.kills[-1].resent += asyncio.run(self.resend_pending())
        finally:
            if self.server is not None:
                stop_group(self.server)
            self.position.close()
        verifying = start(["verify"], self.db_url, self.log("verify"))
        store = self.check(
            "the last restart", known_before, read_models=self.kills[-1].target == "server"
        )
        if verifying.wait(timeout=300) != 0:
            self.problems.append(
                f"foresight verify exited with {verifying.returncode}:\n"
                f"{self.log('verify').read_text()}"
            )
        self.problems += self.ledger.failures
        return FaultResult(self.backend, self.kills, self.ledger, store, self.problems)


def run_faults(
    db_url: str,
    backend: str,
    fresh_store: FreshStore,
    *,
    rounds: int = 3,
    workers: int = 1,
    writers: int = 4,
    preload_cases: int = 3,
    preload_events: int = 400,
    seed: int = 1,
    log_dir: Path | None = None,
) -> FaultResult:
    with tempfile.TemporaryDirectory() as scratch:
        fault_run = FaultRun(
            db_url,
            backend,
            fresh_store,
            log_dir or Path(scratch),
            workers=workers,
            writers=writers,
            seed=seed,
        )
        return fault_run.run(rounds, preload_cases, preload_events)


def rounds_from_environment(default: int) -> int:
    return int(os.environ.get(ROUNDS_VARIABLE, default))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.faults", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--rounds",
        type=int,
        default=rounds_from_environment(30),
        help=f"kills in all (default: {ROUNDS_VARIABLE} or 30)",
    )
    parser.add_argument("--workers", type=int, default=2, help="foresight serve --workers")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument(
        "--preload-events",
        type=int,
        default=1000,
        help="events in each of 3 synthetic cases stored before the first kill",
    )
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    with new_store(options.backend) as db_url:
        result = run_faults(
            db_url,
            options.backend,
            lambda: new_store(options.backend),
            rounds=options.rounds,
            workers=options.workers,
            writers=options.writers,
            preload_events=options.preload_events,
            seed=options.seed,
        )
    width = max(len(label) for label, _ in result.rows())
    for label, value in result.rows():
        print(f"{label:<{width}}  {value}")
    for problem in result.problems:
        print(f"PROBLEM: {problem}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
