"""The `foresight` command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.bootstrap import build_case_service, build_case_views_runner, build_engine
from api.cli.audit import audit_app
from api.cli.exports import export_app
from api.cli.importing import import_chronology
from api.cli.operations import generate, project
from api.cli.reading import caught_up_queries, log_cli_read
from api.cli.reports import report_app
from api.formats.eventfiles import parse_events, relabel, split_events
from api.formats.tables import chronology_frame, entry_flags, frame_bytes, headline, when_shown
from api.samples.demo import DEMO_AUTHORITY_YEAR, DEMO_CASE, demo_authority_events, demo_case_events
from api.settings import get_settings
from api.users import UserError, add_user, issue_token
from domain.errors import DomainError
from events.envelope import InvalidEventError, parse_event
from events.timepoints import format_local, parse_instant
from projections.batch_writes import REBUILD_CHUNK
from projections.fold import ChronologyEntry
from projections.rebuild_mark import RebuildUnderWay
from projections.store.integrity import Anchor, verify_store
from replay.foresight import foresight_view
from replay.queries import ChronologyFilter

app = typer.Typer(
    help="Foresight: a case chronology that shows what was known, when, and by whom.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
app.command()(generate)
app.command()(project)
app.command(name="import-chronology")(import_chronology)

out = Console()
err = Console(stderr=True)


@app.command()
def append(
    file: Annotated[str, typer.Argument(help="JSON or JSON Lines of event envelopes; - for stdin")],
) -> None:
    """Append events from a file. All of them are written, or none."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        err.print(f"[red]{file}[/red] is not UTF-8 text; nothing was written.")
        raise typer.Exit(2) from None
    sources = []
    try:
        sources = split_events(text)
        envelopes = parse_events(sources)
        outcome = build_case_service(get_settings()).append(envelopes)
    except (InvalidEventError, DomainError) as error:
        err.print(f"[red]Nothing was written.[/red] {len(error.errors)} problem(s):")
        for problem in error.errors:
            err.print(f"  {relabel(problem.field, sources)}: {problem.reason}", markup=False)
        raise typer.Exit(1) from None
    already = len(outcome.events) - outcome.new_count
    out.print(
        f"Appended {outcome.new_count} event(s)"
        + (f"; {already} already stored (retry)" if already else "")
        + "."
    )


FORMATS = ("table", "csv", "json")


@app.command(name="chronology")
def chronology_command(
    case_id: Annotated[str, typer.Argument(help="The case id, for example FAM-0042")],
    as_known_at: Annotated[
        str | None, typer.Option(help="Show the case as known at this date or datetime")
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Only what this agency knew")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    include_retracted: Annotated[bool, typer.Option(help="Show retracted entries too")] = False,
) -> None:
    """The chronology of a case, ordered by when things happened."""
    if output_format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        cutoff = parse_instant(as_known_at) if as_known_at else None
    except ValueError as error:
        err.print(f"--as-known-at: {error}")
        raise typer.Exit(2) from None
    queries = caught_up_queries()
    if not queries.case_exists(case_id):
        err.print(f"No case {case_id!r}.")
        raise typer.Exit(1)
    log_cli_read(queries, "chronology", case_id=case_id, as_known_at=cutoff, agency=agency)
    entries = queries.chronology(
        case_id,
        as_known_at=cutoff,
        agency=agency,
        where=ChronologyFilter(include_retracted=include_retracted),
    )
    if output_format == "json":
        out.print_json(json.dumps([entry.model_dump(mode="json") for entry in entries]))
    elif output_format == "csv":
        sys.stdout.write(frame_bytes(chronology_frame(entries), "csv").decode("utf-8"))
    else:
        out.print(chronology_table(case_id, entries, as_known_at, agency))


def chronology_table(
    case_id: str, entries: list[ChronologyEntry], as_known_at: str | None, agency: str | None
) -> Table:
    title = f"Chronology of {case_id}"
    if agency:
        title += f" as known to {agency}"
    title += f" as known at {as_known_at}" if as_known_at else " (as known now)"
    table = Table(title=title, show_lines=False)
    for column in ("when", "agency", "what", "significance", "summary"):
        table.add_column(column)
    for entry in entries:
        summary = headline(entry)
        if entry_flags(entry):
            summary = f"{summary} [{', '.join(entry_flags(entry))}]"
        table.add_row(when_shown(entry), entry.agency, entry.type, entry.significance, summary)
    return table


DEMO_USERS = (
    ("sw-jones", "practitioner", "social_care"),
    ("tm-hughes", "manager", "social_care"),
    ("pc-1234", "practitioner", "police"),
    ("dsl-patel", "practitioner", "school"),
    ("hv-okafor", "practitioner", "health"),
    ("reviewer-lee", "reviewer", "review"),
    ("auditor-khan", "auditor", "information_governance"),
)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after loading")
    ] = True,
    authority: Annotated[
        int,
        typer.Option(
            help="Children of a generated authority loaded beside the demo case, for the reports "
            "and statutory returns (0: none)",
            min=0,
        ),
    ] = 60,
) -> None:
    """Load the multi-agency demo case FAM-0042 and a generated authority around it, make demo
    users, and serve the API."""
    settings = get_settings()
    service = build_case_service(settings)
    envelopes = [parse_event(raw) for raw in demo_case_events()]
    outcome = service.append(envelopes)
    out.print(
        f"Demo case {DEMO_CASE}: {outcome.new_count} new event(s), "
        f"{len(outcome.events) - outcome.new_count} already stored, in {settings.db_url}"
    )
    generated = [parse_event(raw) for raw in demo_authority_events(authority)]
    if generated:
        stored = service.append(generated)
        cases = len({envelope.case_id for envelope in generated})
        out.print(
            f"Generated authority: {authority} children in {cases} cases (AUTH-…), census year "
            f"{DEMO_AUTHORITY_YEAR - 1}-{DEMO_AUTHORITY_YEAR % 100:02d}: {stored.new_count} new "
            f"event(s)",
            highlight=False,
            soft_wrap=True,
        )
    queries = caught_up_queries()
    log_cli_read(queries, "demo", case_id=DEMO_CASE)
    entries = queries.chronology(DEMO_CASE)
    out.print(chronology_table(DEMO_CASE, entries, None, None))
    engine = build_engine(settings)
    base = f"http://{host}:{port}"
    out.print("Demo users (new tokens on every run):")
    for name, role, agency in DEMO_USERS:
        _, token = issue_token(engine, name, role, agency)
        print(f"  {name:<13} {role:<13} {agency:<23} {token}")
    out.print(
        f"API docs: {base}/docs\n"
        f"Chronology: curl -H 'Authorization: Bearer <token>' "
        f"'{base}/cases/{DEMO_CASE}/chronology?as_known_at=2024-01-16T12:00'",
        highlight=False,
        soft_wrap=True,
    )
    if serve_api:
        serve(host=host, port=port, workers=1)


WORKER_START_SECONDS = 60


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API for the store named by FORESIGHT_DB_URL."""
    import uvicorn

    # A spawned worker answers the supervisor's pings only once it has imported the app and
    # opened the store; uvicorn's default 5 s made a busy host kill and respawn every worker
    # for ever (found by tests/reliability).
    uvicorn.run(
        "api.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )


@app.command(name="foresight")
def foresight_command(
    case_id: Annotated[str, typer.Argument(help="The case id")],
    event_id: Annotated[str, typer.Argument(help="The event id of a decision_made event")],
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """What the maker of a decision knew, what others held, and what was learned later."""
    queries = caught_up_queries()
    try:
        view = foresight_view(queries, case_id, event_id)
    except DomainError as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    log_cli_read(queries, "foresight", case_id=case_id)
    if output_format == "json":
        out.print_json(view.model_dump_json())
        return
    out.print(
        f"Decision {event_id} of {case_id} by {view.deciding_agency}: "
        f"{headline(view.decision)}\nCutoff: {format_local(view.cutoff)}",
        highlight=False,
    )
    groups = (
        ("Known to the decider", view.known_to_decider),
        ("Held elsewhere (known to the record, not to the deciding agency)", view.held_elsewhere),
        ("Learned later (happened before, known only after)", view.learned_later),
    )
    for title, items in groups:
        table = Table(title=title, title_justify="left")
        for column in ("when", "agency", "what", "summary", "since"):
            table.add_column(column)
        for item in items:
            entry = item.entry
            since = (
                "retracted later"
                if item.retracted_later
                else ("changed later" if item.changed_later else "")
            )
            table.add_row(
                format_local(entry.occurred_at), entry.agency, entry.type, headline(entry), since
            )
        out.print(table)


@app.command()
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
    settings = get_settings()
    service = build_case_service(settings)
    runner = build_case_views_runner(settings, service)
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


@app.command()
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
    """Recompute every case's hash chain, check snapshots and the append-only triggers."""
    kept = None
    if anchor is not None:
        try:
            kept = Anchor.from_json(anchor.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            err.print(f"[red]Cannot use the anchor[/red] {anchor}: {error}", highlight=False)
            raise typer.Exit(2) from None
    service = build_case_service(get_settings(), check_key=False)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("Verifying", total=None)
        report = verify_store(service, lambda count: progress.advance(task, count), kept)
    for trigger in report.missing_triggers:
        err.print(f"[red]Append-only trigger missing:[/red] {trigger}")
    if report.broken is not None:
        err.print(f"[red]Broken link[/red] at {report.broken}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    summary = (
        f"Verified {report.events_checked} event(s) in {report.cases_checked} case(s) and "
        f"{report.snapshots_checked} snapshot(s): every hash chain intact, stored events "
        "append-only" + (f", matching the anchor of position {kept.position}." if kept else ".")
    )
    if print_anchor and report.anchor is not None:
        err.print(summary)
        err.print(f"Anchor digest: {report.anchor.digest}")
        print(report.anchor.to_json())
        return
    out.print(summary)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name, recorded as recorded_by")],
    role: Annotated[str, typer.Option(help="practitioner, manager, reviewer, auditor or admin")],
    agency: Annotated[str, typer.Option(help="The user's agency, for example police")],
) -> None:
    """Add a user and print their token once; only its SHA-256 is stored."""
    try:
        user, token = add_user(build_engine(get_settings()), name, role, agency)
    except UserError as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    err.print(f"Added {user.name} ({user.role}, {user.agency}). Token (shown once):")
    print(token)


if __name__ == "__main__":
    app()
