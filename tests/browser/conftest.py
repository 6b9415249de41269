"""The browser tests' shared parts: the demo served on loopback, Debian's Chromium, and
helpers that act on the page as a person would."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.demo_server import Demo, served_demo

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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with served_demo(tmp_path_factory.mktemp("web")) as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the whole run: each test gets a context of its own (no shared cookies,
    storage or pages), and launching it again per module cost a second or more each time."""
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
