"""Real `foresight` processes for the reliability runs: started in a process group of their own,
so that `kill -9` reaches a server's workers too, and stores to run them on."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from api.bootstrap import bootstrap_writer, build_engine
from api.settings import Settings
from api.users import add_user
from tests.backends import (
    POSTGRES_URL_VARIABLE,
    drop_postgres_database,
    new_postgres_database,
    new_sqlite_url,
)
from tests.integration.test_serve_end_to_end import environment, foresight_command, free_port

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


class ProcessFailed(RuntimeError):
    """A foresight process did not start or ended badly; the message holds its output."""


@contextmanager
def new_store(backend: str) -> Iterator[str]:
    """A fresh store of `backend` outside pytest (the tests use the `db_url` fixture)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="foresight-reliability-") as directory:
            yield new_sqlite_url(Path(directory))
        return
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        raise SystemExit(f"set {POSTGRES_URL_VARIABLE} (.ci/postgres start) for PostgreSQL runs")
    url = new_postgres_database(server)
    try:
        yield url
    finally:
        drop_postgres_database(server, url)


def prepare_store(db_url: str, users: list[tuple[str, str, str]]) -> dict[str, str]:
    """Create the store's tables and the users; each user's token by name."""
    bootstrap_writer(Settings(db_url=db_url)).close()
    engine = build_engine(Settings(db_url=db_url))
    try:
        return {name: add_user(engine, name, role, agency)[1] for name, role, agency in users}
    finally:
        engine.dispose()


def start(args: list[str], db_url: str, log: Path) -> subprocess.Popen[str]:
    """A foresight command in a new session (its own process group)."""
    output = log.open("a")
    try:
        return subprocess.Popen(
            [*foresight_command(), *args],
            cwd=ROOT,
            env=environment(db_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    finally:
        output.close()


def kill_group(process: subprocess.Popen[str]) -> None:
    """kill -9 the process and every process it started (a server's workers)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop_group(process: subprocess.Popen[str]) -> None:
    """Ask the process group to stop (SIGTERM), and kill it if it does not within 15 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        kill_group(process)


def wait_until_healthy(process: subprocess.Popen[str], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise ProcessFailed(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ProcessFailed(f"no answer on /health in {START_SECONDS} s:\n{log.read_text()}")
        time.sleep(0.1)


def start_server(db_url: str, workers: int, log: Path) -> tuple[subprocess.Popen[str], str]:
    """`foresight serve --workers N` on a free loopback port, once /health answers."""
    port = free_port()
    server = start(["serve", "--port", str(port), "--workers", str(workers)], db_url, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(server, base, log)
    except BaseException:
        kill_group(server)
        raise
    return server, base


@contextmanager
def serving(db_url: str, workers: int, log: Path) -> Iterator[str]:
    server, base = start_server(db_url, workers, log)
    try:
        yield base
    finally:
        stop_group(server)
