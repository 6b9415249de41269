"""`foresight report`: reports across every case (timeliness, practice quality), as
information, not targets."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli.reading import (
    OutputFile,
    caught_up_queries,
    check_output_options,
    date_option,
    log_cli_read,
    write_output,
)
from api.formats.practice_quality import CASE_COLUMNS, cases_frame, report_sheets
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
from events.timepoints import format_local, local_date, parse_instant, utc_now
from replay.practice_quality import (
    CasePracticeQuality,
    PracticeQualityReport,
    practice_quality,
    practice_quality_report,
)
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
    output: OutputFile = None,
) -> None:
    """Intervals between milestones in every case, in calendar and working days, beside the
    local timescales, with a summary per milestone (the whole record)."""
    check_output_options(output_format, output, FORMATS)
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
    write_output(data, output, f"{len(report.intervals)} intervals from {report.cases} cases")


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


@report_app.command("practice-quality")
def report_practice_quality(
    case_id: Annotated[
        str | None, typer.Option("--case", help="One case: each child, and each decision")
    ] = None,
    as_known_at: Annotated[str | None, typer.Option(help="As known at this time")] = None,
    on: Annotated[
        str | None,
        typer.Option(help="Count days since to this date (default: as-known-at date, or today)"),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, xlsx or json (csv and xlsx: every case)")
    ] = "table",
    output: OutputFile = None,
) -> None:
    """How often and when children were seen, seen alone and their words recorded, the gaps
    between, and management oversight of decisions: facts, never a score (the whole record)."""
    check_output_options(output_format, output, FORMATS)
    if output_format in ("csv", "xlsx") and case_id is not None:
        err.print(f"--format {output_format} is for every case; leave out --case")
        raise typer.Exit(2)
    try:
        known = parse_instant(as_known_at) if as_known_at else None
    except ValueError as error:
        err.print(f"--as-known-at: {error}")
        raise typer.Exit(2) from None
    measured_on = date_option(on, "--on") or local_date(known or utc_now())
    queries = caught_up_queries()
    if case_id is not None:
        if not queries.case_exists(case_id):
            err.print(f"No case {case_id!r}")
            raise typer.Exit(1)
        case = practice_quality(queries, case_id, on=measured_on, as_known_at=known)
        log_cli_read(queries, "report practice-quality", case_id=case_id, as_known_at=known)
        if output_format == "json":
            sys.stdout.write(case.model_dump_json(indent=2) + "\n")
        else:
            _print_case_practice(case)
        return
    report = practice_quality_report(queries, on=measured_on, as_known_at=known)
    log_cli_read(queries, "report practice-quality", as_known_at=known)
    if output_format != "table":
        write_output(practice_quality_bytes(report, output_format), output, f"{report.cases} cases")
        return
    out = Console()
    out.print(
        f"Practice quality on {report.on}: {report.cases} cases, {report.children} children; "
        f"{report.children_seen} seen, {report.children_seen_alone} seen alone, "
        f"{report.children_with_words_recorded} with their words recorded; median gap between "
        f"visits: {_days(report.median_gap_days)}; {report.decisions_with_oversight} of "
        f"{report.decisions} decisions with management oversight (median "
        f"{_days(report.median_days_to_first_oversight)} after)",
        highlight=False,
    )
    table = Table(title="By case")
    for column in CASE_COLUMNS:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in report.rows:
        values = row.model_dump()
        table.add_row(*("" if values[c] is None else str(values[c]) for c in CASE_COLUMNS))
    out.print(table)


def practice_quality_bytes(report: PracticeQualityReport, output_format: str) -> bytes:
    if output_format == "json":
        return (report.model_dump_json(indent=2) + "\n").encode("utf-8")
    if output_format == "csv":
        return frame_bytes(cases_frame(report), "csv")
    return workbook_bytes(report_sheets(report))


def _days(value: float | None) -> str:
    return "none yet" if value is None else f"{value:g} days"


def _print_case_practice(case: CasePracticeQuality) -> None:
    out = Console()
    children = Table(title=f"Children of {case.case_id}, on {case.on}")
    for column in (
        "child",
        "seen",
        "seen alone",
        "words recorded",
        "last seen",
        "longest gap (days)",
        "days since seen",
    ):
        children.add_column(column, overflow="fold")
    for child in case.children:
        children.add_row(
            child.name or child.person_id,
            str(len(child.seen_on)),
            str(len(child.seen_alone_on)),
            str(len(child.words_recorded_on)),
            format_local(child.seen_on[-1]) if child.seen_on else "never",
            _shown(child.longest_gap_days),
            _shown(child.days_since_seen),
        )
    out.print(children)
    decisions = Table(title="Decisions and management oversight")
    for column in ("decided", "decision", "oversight", "days after"):
        decisions.add_column(column, overflow="fold")
    for decision in case.decisions:
        decisions.add_row(
            format_local(decision.decided_on),
            decision.summary or "",
            ", ".join(item.view or "recorded" for item in decision.oversight) or "none",
            _shown(decision.days_to_first_oversight),
        )
    out.print(decisions)
