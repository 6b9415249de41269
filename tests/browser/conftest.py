"""The browser tests' shared parts: the demo served on loopback, Debian's Chromium, and
helpers that act on the page as a person would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI must install Debian's chromium (apt-get install -y chromium)")
    pytest.skip("Debian's chromium is not installed here (CI installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """A running `foresight demo`: its base URL and the demo users' tokens."""

    def __init__(self, base: str, tokens: dict[str, str]):
        self.base = base
        self.tokens = tokens

    def api(self, user: str, path: str, **params: str) -> list | dict:
        response = httpx.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("web")
    port = free_port()
    env = {**os.environ, "FORESIGHT_DB_URL": f"sqlite:///{directory / 'f.db'}", "COLUMNS": "200"}
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
        while len(tokens) < 7 and time.monotonic() < deadline:
            line = server.stdout.readline()
            match = re.match(r"^\s+(\S+)\s+\S+\s+\S+\s+(fst_\S+)\s*$", line)
            if match:
                tokens[match.group(1)] = match.group(2)
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def sign_in(page, demo: Demo, user: str, path: str = "/ui/cases/FAM-0042") -> None:
    page.goto(demo.base + path)
    page.get_by_label("Token", exact=True).fill(demo.tokens[user])
    page.get_by_role("button", name="Sign in").click()


def shown_rows(page) -> list[str]:
    return page.eval_on_selector_all(
        "#entries tbody tr", "rows => rows.map(r => r.dataset.eventId)"
    )


def wait_for_rows(page, expected: list[str]) -> list[str]:
    """Wait until the table shows `expected` (the page renders asynchronously)."""
    deadline = time.monotonic() + 10
    rows = shown_rows(page)
    while rows != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        rows = shown_rows(page)
    return rows


def ids(entries: list) -> list[str]:
    return [entry["event_id"] for entry in entries]
