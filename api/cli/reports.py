"""`foresight report`: reports across every case (timeliness), as information, not targets."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli.reading import caught_up_queries, date_option, log_cli_read
from api.formats.tables import frame_bytes, workbook_bytes
from api.formats.timeliness import (
    TimescalesSettingError,
    intervals_frame,
    rule_packs,
    rules_frame,
    summary_frame,
    timeliness_report,
)
from api.settings import get_settings
from events.timepoints import parse_instant
from replay.timeliness import Interval, MilestoneSummary

report_app = typer.Typer(help="Reports across every case.", no_args_is_help=True)
err = Console(stderr=True)
FORMATS = ("table", "csv", "xlsx", "json")
TABLE_COLUMNS = (
    "case_id",
    "label",
    "reference",
    "from_date",
    "to_date",
    "status",
    "calendar_days",
    "working_days",
    "timescale",
    "timescale_date",
)


@report_app.command("timeliness")
def report_timeliness(
    occurred_from: Annotated[
        str | None, typer.Option("--from", help="First milestones on or after this date")
    ] = None,
    occurred_to: Annotated[
        str | None, typer.Option("--to", help="First milestones on or before this date")
    ] = None,
    as_known_at: Annotated[str | None, typer.Option(help="As known at this time")] = None,
    on: Annotated[
        str | None,
        typer.Option(
            help="Measure open milestones to this date (default: as-known-at date, or today)"
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            help="Rule pack: england, wales, or the local one (default FORESIGHT_TIMESCALES)"
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, xlsx or json")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file")
    ] = None,
) -> None:
    """Intervals between milestones in every case, in calendar and working days, beside the
    local timescales, with a summary per milestone (the whole record)."""
    if output_format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if output_format == "xlsx" and output is None:
        err.print("--format xlsx needs -o FILE")
        raise typer.Exit(2)
    try:
        default, packs = rule_packs(get_settings().timescales)
    except TimescalesSettingError as error:
        err.print(str(error))
        raise typer.Exit(2) from None
    if rules is not None and rules not in packs:
        err.print(f"--rules must be one of {', '.join(packs)}")
        raise typer.Exit(2)
    pack = packs[rules] if rules else default
    try:
        known = parse_instant(as_known_at) if as_known_at else None
    except ValueError as error:
        err.print(f"--as-known-at: {error}")
        raise typer.Exit(2) from None
    queries = caught_up_queries()
    report = timeliness_report(
        queries,
        pack,
        as_known_at=known,
        occurred_from=date_option(occurred_from, "--from"),
        occurred_to=date_option(occurred_to, "--to"),
        on=date_option(on, "--on"),
    )
    log_cli_read(queries, "report timeliness", as_known_at=known)
    if output_format == "table":
        _print_tables(report.summary, report.intervals, pack.name, report.on)
        return
    if output_format == "xlsx":
        data = workbook_bytes(
            {
                "summary": summary_frame(report.summary),
                "intervals": intervals_frame(report.intervals),
                "rules": rules_frame(pack),
            }
        )
    elif output_format == "json":
        data = report.model_dump_json(indent=2).encode("utf-8")
    else:
        data = frame_bytes(intervals_frame(report.intervals), "csv")
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        err.print(f"Wrote {len(report.intervals)} intervals from {report.cases} cases to {output}")


def _print_tables(
    summary: list[MilestoneSummary],
    intervals: list[Interval],
    rules: str,
    on: date,
) -> None:
    out = Console()  # made here, so the terminal width (COLUMNS) is read when printing
    overview = Table(title=f"Timeliness by milestone ({rules} timescales, on {on})")
    for column in (
        "milestone",
        "intervals",
        "completed",
        "open",
        "median calendar days",
        "median working days",
        "with timescale",
        "beyond timescale",
    ):
        overview.add_column(column)
    for item in summary:
        overview.add_row(
            item.label,
            str(item.intervals),
            str(item.completed),
            str(item.open),
            _shown(item.median_calendar_days),
            _shown(item.median_working_days),
            str(item.with_timescale),
            str(item.beyond_timescale),
        )
    out.print(overview)
    table = Table(title=f"Intervals ({len(intervals)})")
    for column in TABLE_COLUMNS:
        table.add_column(column.replace("_", " "), overflow="fold")
    for interval in intervals:
        row = interval.model_dump()
        table.add_row(
            *("" if row[column] is None else str(row[column]) for column in TABLE_COLUMNS)
        )
    out.print(table)


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
