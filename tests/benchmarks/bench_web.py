"""Benchmark: recording a contact in the browser, from pressing Save to the entry in the table,
beside a plain API append of the same contact to the same server.

Run: python -m tests.benchmarks.bench_web [--saves 50]

`foresight demo` is served on loopback and Debian's Chromium (Playwright) records contacts on
FAM-0042 as the demo's social worker: the form is filled before the clock starts, and the
clock stops when the new entry's row is in the chronology table (the page saved, then drew the
case again as known now, without a reload). The baseline, in the same run against the same
server and case, is one `POST /cases/FAM-0042/events` of the same contact, timed to its answer.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from tests.demo_server import Demo, served_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
USER = "sw-jones"
CASE = "FAM-0042"
console = Console()


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def api_appends(demo: Demo, count: int) -> list[float]:
    """Milliseconds for each plain append of one contact, to its 201."""
    headers = {"Authorization": f"Bearer {demo.tokens[USER]}"}
    seconds = []
    with httpx.Client(base_url=demo.base, headers=headers, timeout=30) as client:
        for number in range(count):
            body: dict[str, Any] = {
                "event_id": str(uuid.uuid4()),
                "type": "contact_received",
                "occurred_at": "2024-03-15T10:15",
                "subjects": ["ava"],
                "summary": f"Benchmark contact by the API {number}",
                "data": {"contact_kind": "concern"},
            }
            started = time.perf_counter()
            response = client.post(f"/cases/{CASE}/events", json=body)
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
    return [1000 * value for value in seconds]


def browser_saves(demo: Demo, count: int) -> list[float]:
    """Milliseconds from Save to the new row in the table, for each contact recorded."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{demo.base}/ui/cases/{CASE}")
        page.get_by_label("Token").fill(demo.tokens[USER])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#entries tbody tr")
        for number in range(count):
            summary = f"Benchmark contact in the browser {number}"
            page.locator("#recording").get_by_role("button", name="Record a contact").click()
            form = page.get_by_role("form", name="Record a contact")
            form.get_by_role("radio", name="Concern").check()
            form.get_by_label("When", exact=True).fill("15/03/2024 10:15")
            form.get_by_role("group", name="About").get_by_label("Ava (child)").check()
            form.get_by_label("Summary").fill(summary)
            started = time.perf_counter()
            form.get_by_role("button", name="Save").click()
            page.locator("#entries tbody tr").filter(has_text=summary).wait_for()
            times.append(1000 * (time.perf_counter() - started))
        browser.close()
    return times


def bench_recording(saves: int) -> list[tuple[str, str, str]]:
    """The benchmark suite's row: Save to visible in the browser, beside a plain API append."""
    with tempfile.TemporaryDirectory() as directory, served_demo(Path(directory)) as demo:
        baseline = api_appends(demo, saves)
        measured = browser_saves(demo, saves)
    return [
        (
            f"recording a contact in the browser, Save to the entry in the table ({saves} saves; "
            f"ratio of p95s {p95(measured) / p95(baseline):.1f}x)",
            f"p50 {statistics.median(measured):.0f} ms, p95 {p95(measured):.0f} ms",
            f"plain API append of the same contact p50 {statistics.median(baseline):.0f} ms, "
            f"p95 {p95(baseline):.0f} ms",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50, help="contacts recorded each way")
    arguments = parser.parse_args()
    table = Table(title="Recording a contact (sqlite, loopback)")
    for column in ("what", "measured", "baseline in the same run"):
        table.add_column(column)
    for row in bench_recording(arguments.saves):
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
