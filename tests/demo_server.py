"""`foresight demo` served on a loopback port in its own process, with the demo users' tokens,
for the browser tests and the web benchmark."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_USERS = 7
# A line of the demo's token table: name, role, agency, token.
TOKEN_LINE = re.compile(r"^\s+(\S+)\s+\S+\s+\S+\s+(fst_\S+)\s*$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """A running `foresight demo`: its base URL and the demo users' tokens."""

    def __init__(self, base: str, tokens: dict[str, str]):
        self.base = base
        self.tokens = tokens

    def api(self, user: str, path: str, **params: str) -> Any:
        response = httpx.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


@contextmanager
def served_demo(
    directory: Path, port: int | None = None, settings: dict[str, str] | None = None
) -> Iterator[Demo]:
    """The demo loaded into a new SQLite store in `directory` and served until the block ends
    (on `port`, or a free one; with more FORESIGHT_* `settings`, if given)."""
    port = port or free_port()
    env = {
        **os.environ,
        **(settings or {}),
        "FORESIGHT_DB_URL": f"sqlite:///{directory / 'f.db'}",
        "COLUMNS": "200",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tokens: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 60
        assert server.stdout is not None
        while len(tokens) < DEMO_USERS and time.monotonic() < deadline:
            match = TOKEN_LINE.match(server.stdout.readline())
            if match:
                tokens[match.group(1)] = match.group(2)
        # Keep reading what the server prints, so a full pipe never stalls it.
        threading.Thread(target=server.stdout.read, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Demo(base, tokens)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
