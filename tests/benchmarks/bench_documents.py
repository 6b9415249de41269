"""Benchmark: uploading and downloading a document over HTTP, beside a plain file copy, and the
memory each takes as the file grows.

Run: python -m tests.benchmarks.bench_documents [--mib 10] [--backend sqlite|postgresql]

The app is served by uvicorn on loopback in a thread of this process, and an httpx client
streams the file up from disk and the bytes down to disk, so neither side needs the whole file
in memory. Throughput (MiB/s) is timed without tracing; the peak memory is Python's own
(`tracemalloc`, client and server together) over an upload and a download of a file a fifth
of the size and of the full size: streamed, the two peaks are about the same. The baseline,
in the same run on the same disk, is `shutil.copyfile` of the same file.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from api.http.app import create_app
from api.samples.demo import DEMO_CASE, demo_case_events
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from tests.demo_server import free_port

MIB = 1024 * 1024
Row = tuple[str, str, str]
console = Console()


@contextmanager
def served(db_url: str, max_bytes: int) -> Iterator[tuple[str, str]]:
    """The app over a store holding the demo case, served on loopback; its URL and a token."""
    app = create_app(Settings(db_url=db_url, max_document_bytes=max_bytes))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    token = add_user(foresight.queries.engine, "bench-sw", "practitioner", "social_care")[1]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join()
        foresight.service.close()


def write_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
        out.write(os.urandom(size % MIB))


def upload(client: httpx.Client, path: Path) -> str:
    """Upload the file streamed from disk; the address of the version stored."""
    with path.open("rb") as source:
        response = client.post(
            f"/cases/{DEMO_CASE}/documents",
            files={"file": (path.name, source, "video/mp4")},
            data={"summary": "Digital story"},
        )
    response.raise_for_status()
    return response.headers["Location"]


def download(client: httpx.Client, location: str, target: Path) -> None:
    with client.stream("GET", location) as response, target.open("wb") as out:
        response.raise_for_status()
        for chunk in response.iter_bytes(MIB):
            out.write(chunk)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def traced_peak(work: Callable[[], object]) -> float:
    """Python's peak allocation (MiB) while `work` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def bench_documents(db_url: str, mib: int) -> list[Row]:
    size = mib * MIB
    with tempfile.TemporaryDirectory() as directory, served(db_url, size) as (base, token):
        folder = Path(directory)
        source, small, copy, back = (folder / name for name in ("doc", "small", "copy", "back"))
        write_file(source, size)
        write_file(small, size // 5)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            upload(client, small)  # warm up: imports, connections, the first append
            location = ""

            def up() -> None:
                nonlocal location
                location = upload(client, source)

            up_seconds = timed(up)
            down_seconds = timed(lambda: download(client, location, back))
            assert back.read_bytes() == source.read_bytes()
            copy_seconds = timed(lambda: shutil.copyfile(source, copy))
            peaks = {}
            for name, path in (("small", small), ("full", source)):
                write_file(path, path.stat().st_size)  # new content: a new blob to store

                def up_traced(path: Path = path) -> None:
                    nonlocal location
                    location = upload(client, path)

                uploading = traced_peak(up_traced)
                peaks[name] = (uploading, traced_peak(lambda: download(client, location, back)))
    return [
        (
            f"upload of a {mib} MiB document over HTTP (stored, SHA-256 checked)",
            f"{mib / up_seconds:,.1f} MiB/s",
            f"file copy {mib / copy_seconds:,.0f} MiB/s",
        ),
        (
            f"download of the {mib} MiB document (checked before it is served)",
            f"{mib / down_seconds:,.1f} MiB/s",
            f"file copy {mib / copy_seconds:,.0f} MiB/s",
        ),
        (
            "peak Python memory, upload (tracemalloc)",
            f"{peaks['full'][0]:,.1f} MiB for {mib} MiB",
            f"{peaks['small'][0]:,.1f} MiB for {mib / 5:g} MiB",
        ),
        (
            "peak Python memory, download (tracemalloc)",
            f"{peaks['full'][1]:,.1f} MiB for {mib} MiB",
            f"{peaks['small'][1]:,.1f} MiB for {mib / 5:g} MiB",
        ),
    ]


def run(backend: str, mib: int) -> list[Row]:
    from tests.benchmarks.suite import fresh_store

    with fresh_store(backend) as url:
        return bench_documents(url, mib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=10, help="the document's size in MiB")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    arguments = parser.parse_args()
    table = Table(title=f"Documents ({arguments.backend})")
    for column in ("what", "measured", "baseline in the same run"):
        table.add_column(column)
    for row in run(arguments.backend, arguments.mib):
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
