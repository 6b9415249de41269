"""Operating a store: fill it with synthetic cases, and keep the read models in a process of their own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import build_case_service, build_case_views_runner
from api.samples.generator import generate_authority, generate_cases
from api.settings import get_settings
from events.envelope import parse_event
from projections.rebuild_mark import RebuildUnderWay

out = Console()
err = Console(stderr=True)
APPEND_BATCH = 500


def generate(
    cases: Annotated[int, typer.Option(min=1, help="How many cases")] = 100,
    seed: Annotated[int, typer.Option(help="The same seed gives the same cases")] = 1,
    events_per_case: Annotated[
        int | None, typer.Option(min=8, help="Events in every case (default: realistic sizes)")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write JSON Lines here instead of appending"),
    ] = None,
    census_year: Annotated[
        int | None,
        typer.Option(
            min=2000,
            max=2100,
            help="Instead, families in every stage of statutory work in this CIN census year (2026: "
            "1 April 2025 to 31 March 2026), with the census fields; --cases counts children",
        ),
    ] = None,
) -> None:
    """Synthetic multi-agency cases (recording delays, shares, corrections, retractions, plans,
    decisions), appended to the store or written as JSON Lines for `foresight append`."""
    families: Iterable[list[dict[str, Any]]] = generate_cases(cases, events_per_case, seed)
    steps = cases
    if census_year is not None:
        families = generate_authority(cases, year=census_year, seed=seed)
        steps = len(families)
    total = 0
    service = None if output else build_case_service(get_settings())
    sink = output.open("w", encoding="utf-8") if output else None
    try:
        with Progress(console=err) as progress:
            task = progress.add_task("Generating cases", total=steps)
            for raw_events in families:
                if sink is not None:
                    sink.writelines(json.dumps(raw) + "\n" for raw in raw_events)
                else:
                    assert service is not None
                    envelopes = [parse_event(raw) for raw in raw_events]
                    for start in range(0, len(envelopes), APPEND_BATCH):
                        service.append(envelopes[start : start + APPEND_BATCH])
                total += len(raw_events)
                progress.advance(task)
    finally:
        if sink is not None:
            sink.close()
        if service is not None:
            service.close()
    where = output if output else get_settings().db_url
    made = (
        f"{cases} case(s)"
        if census_year is None
        else f"{cases} children in census year {census_year}"
    )
    out.print(f"{made}, {total} event(s) (seed {seed}) → {where}")


def project(
    follow: Annotated[bool, typer.Option(help="Keep following the log until stopped")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls")] = 0.5,
) -> None:
    """Bring the read models up to date with the log (a projection process of its own).

    Several may run against one store: each event is applied exactly once, whichever gets it.
    """
    settings = get_settings()
    runner = build_case_views_runner(settings, build_case_service(settings))
    first, waiting = True, False  # waiting for a rebuild: said once
    try:
        while True:
            try:
                applied = runner.catch_up_shared()
            except RebuildUnderWay as error:
                if not follow:
                    err.print(f"{error} It brings them up to date itself; nothing was applied.")
                    raise typer.Exit(1) from None
                if not waiting:
                    err.print(f"{error} Waiting for it to finish.")
                waiting = True
            else:
                waiting = False
                if applied or first:
                    out.print(
                        f"Applied {applied} event(s); read models at position {runner.position()}."
                    )
            if not follow:
                return
            first = False
            time.sleep(interval)
    except KeyboardInterrupt:
        out.print("Stopped.")
