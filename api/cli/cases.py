"""Reading and writing one case: `append`, `chronology` and `foresight`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.bootstrap import bootstrap_writer, build_blob_store, build_engine
from api.cli.reading import caught_up_queries, log_cli_read
from api.formats.eventfiles import parse_events, relabel, split_events
from api.formats.tables import (
    chronology_frame,
    entry_flags,
    frame_bytes,
    headline,
    when_shown,
    would_join,
)
from api.settings import get_settings
from domain.errors import DomainError
from domain.recording_rights import check_batch_may_be_recorded, command_line_recorder
from events.envelope import InvalidEventError
from events.timepoints import format_local, parse_instant
from projections.fold import ChronologyEntry
from projections.store.blobs import check_blobs_stored
from replay.foresight import foresight_view
from replay.queries import ChronologyFilter

out = Console()
err = Console(stderr=True)


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
        settings = get_settings()
        service = bootstrap_writer(settings)
        numbered = len(envelopes) > 1
        check_batch_may_be_recorded(
            envelopes, command_line_recorder, service.entry_agency, numbered=numbered
        )
        if any(envelope.type == "document_version_added" for envelope in envelopes):
            # Only then is the blob store opened: plain appends run while a rebuild holds
            # the read models.
            check_blobs_stored(
                envelopes, build_blob_store(settings, build_engine(settings)), numbered
            )
        outcome = service.append(envelopes)
    except (InvalidEventError, DomainError) as error:
        if not error.errors:
            err.print(f"[red]Nothing was written.[/red] {error}", markup=False)
            raise typer.Exit(1) from None
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
        terminal = Console()  # made now, so the width (COLUMNS) is read when printing
        terminal.print(chronology_table(case_id, entries, as_known_at, agency, terminal.width))


# Below this many columns the significance moves from a column of its own into the summary's
# flags, so an 80-column terminal keeps every type whole and the summary a few words a line.
SIGNIFICANCE_COLUMN_FROM = 120
# A date (2024-01-26, or 2024-01-26? when approximate) on one line, a time under it.
WHEN_WIDTH = len("2024-01-26?")
AGENCY_WIDTH = len("social_care") + 1  # longer agency names fold
SUMMARY_MIN_WIDTH = 20


def chronology_table(
    case_id: str,
    entries: list[ChronologyEntry],
    as_known_at: str | None,
    agency: str | None,
    width: int,
) -> Table:
    """The chronology as a table for a terminal `width` columns wide."""
    title = f"Chronology of {case_id}"
    if agency:
        title += f" as known to {agency}"
    title += f" as known at {as_known_at}" if as_known_at else " (as known now)"
    with_significance = width >= SIGNIFICANCE_COLUMN_FROM
    table = Table(title=title, show_lines=False)
    add_entry_columns(table, entries)
    if with_significance:
        table.add_column("significance", no_wrap=True)
    table.add_column("summary", min_width=SUMMARY_MIN_WIDTH)
    for entry in entries:
        flags = entry_flags(entry)
        if not with_significance and entry.significance != "routine":
            flags = [entry.significance, *flags]
        summary = headline(entry) + (f" [{', '.join(flags)}]" if flags else "")
        cells = [when_shown(entry), entry.agency, entry.type]
        if with_significance:
            cells.append(entry.significance)
        # Text, not markup: a recorded summary (or the flags' brackets) is never a style.
        table.add_row(*(Text(cell) for cell in [*cells, summary]))
    return table


def add_entry_columns(table: Table, entries: list[ChronologyEntry]) -> None:
    """The when, agency and what columns, sized so a narrow terminal narrows the summary, not
    the type: the type is never cut or wrapped (it is a name to search for)."""
    table.add_column("when", max_width=WHEN_WIDTH)
    table.add_column("agency", max_width=AGENCY_WIDTH, overflow="fold")
    longest_type = max((len(entry.type) for entry in entries), default=len("what"))
    table.add_column("what", no_wrap=True, min_width=longest_type)


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
        (
            "Order uncertain (a date-only side on the decision's day; 'since' says the group "
            "it would join if it came first)",
            view.order_uncertain,
        ),
    )
    for title, items in groups:
        table = Table(title=title, title_justify="left")
        add_entry_columns(table, [item.entry for item in items])
        table.add_column("summary", min_width=SUMMARY_MIN_WIDTH)
        table.add_column("since")
        for item in items:
            entry = item.entry
            since = (
                "retracted later"
                if item.retracted_later
                else ("changed later" if item.changed_later else "")
            )
            if group := would_join(item):
                since = ", ".join(filter(None, (f"if first: {group.replace('_', ' ')}", since)))
            cells = (
                format_local(entry.occurred_at),
                entry.agency,
                entry.type,
                headline(entry),
                since,
            )
            table.add_row(*(Text(cell) for cell in cells))
        Console().print(table)  # made now, so the width (COLUMNS) is read when printing
