"""Operating a store: fill it with synthetic cases, keep the read models up to date in a process
of their own, rebuild them, and verify the log's integrity."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import bootstrap, bootstrap_writer, build_blob_store, open_engine
from api.samples.generator import generate_authority, generate_cases
from api.settings import get_settings
from events.envelope import parse_event
from projections.batch_writes import REBUILD_CHUNK
from projections.rebuild_mark import RebuildUnderWay
from projections.store.integrity import Anchor, verify_store, verify_users_record

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
            help="Instead, families in every stage of statutory work in this CIN census year "
            "(2026: 1 April 2025 to 31 March 2026), with the census fields; --cases counts "
            "children",
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
    service = None if output else bootstrap_writer(get_settings())
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
    runner = bootstrap(get_settings()).runner
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


def rebuild(
    chunk_events: Annotated[
        int,
        typer.Option(min=1, help="Events per transaction: more is faster and holds more in memory"),
    ] = REBUILD_CHUNK,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes computing the rows (0: this one alone). Default: one per core "
            "for a log of 50,000 events or more",
        ),
    ] = None,
) -> None:
    """Rebuild every read model from the event log, in bulk."""
    foresight = bootstrap(get_settings())
    service, runner = foresight.service, foresight.runner
    total = service.recorder.max_notification_id() or 0
    started = time.perf_counter()
    try:
        with Progress(console=err) as progress:
            task = progress.add_task("Rebuilding read models", total=total)
            applied = runner.rebuild(
                lambda count: progress.advance(task, count), chunk_events, workers
            )
    except RebuildUnderWay as error:
        err.print(f"Another rebuild is under way: {error}")
        raise typer.Exit(1) from None
    elapsed = time.perf_counter() - started
    out.print(f"Rebuilt the read models from {applied} event(s) in {elapsed:.1f} s.")


def verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="An anchor file printed earlier by --print-anchor: also check nothing before it "
            "was removed or rewritten"
        ),
    ] = None,
    print_anchor: Annotated[
        bool,
        typer.Option(
            "--print-anchor", help="On success, print the store's anchor (JSON) to keep elsewhere"
        ),
    ] = False,
) -> None:
    """Recompute every case's hash chain and the users' record's, check snapshots and the
    append-only triggers."""
    kept = None
    if anchor is not None:
        try:
            kept = Anchor.from_json(anchor.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            err.print(f"[red]Cannot use the anchor[/red] {anchor}: {error}", highlight=False)
            raise typer.Exit(2) from None
    settings = get_settings()
    service = bootstrap_writer(settings, check_key=False)
    engine = open_engine(settings)
    blobs = build_blob_store(settings, engine)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("Verifying", total=None)
        report = verify_store(service, lambda count: progress.advance(task, count), kept, blobs)
    users = verify_users_record(engine, kept.users if kept else None)
    for trigger in report.missing_triggers:
        err.print(f"[red]Append-only trigger missing:[/red] {trigger}")
    if report.broken is not None:
        err.print(f"[red]Broken link[/red] at {report.broken}", highlight=False)
    for problem in report.blob_problems:
        err.print(f"[red]Document not as recorded:[/red] {problem}", highlight=False)
    if users.broken is not None:
        err.print(f"[red]Broken link[/red] at {users.broken}", highlight=False)
    if not report.ok or users.broken is not None:
        raise typer.Exit(1)
    summary = (
        f"Verified {report.events_checked} event(s) in {report.cases_checked} case(s) and "
        f"{report.snapshots_checked} snapshot(s), {users.rows_checked} row(s) of the users' "
        f"record, and {report.blobs_checked} document blob(s) against their SHA-256: every "
        "hash chain intact, stored events and the users' record append-only"
        + (f", matching the anchor of position {kept.position}." if kept else ".")
    )
    if print_anchor and report.anchor is not None:
        taken = replace(report.anchor, users=users.head)
        err.print(summary)
        err.print(f"Anchor digest: {taken.digest}")
        print(taken.to_json())
        return
    out.print(summary)
