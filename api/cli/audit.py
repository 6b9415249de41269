"""`foresight audit`: who recorded, corrected, retracted, shared or viewed what, and when."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine

from api.audit import access_audit, actions_per_agency, recording_audit
from api.cli.reading import OutputFile, caught_up_queries, check_output_options, write_output
from api.formats.tables import frame_bytes
from events.timepoints import local_zone, parse_instant

audit_app = typer.Typer(help="Audit queries for information governance.", no_args_is_help=True)
err = Console(stderr=True)
FORMATS = ("table", "csv", "xlsx", "parquet", "json")


def _instant(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        err.print(f"{option}: {error}")
        raise typer.Exit(2) from None


def _emit(frame: pd.DataFrame, output_format: str, output: Path | None, title: str) -> None:
    check_output_options(output_format, output, FORMATS, needs_file=("xlsx", "parquet"))
    if output_format == "table":
        table = Table(title=f"{title} ({len(frame)} rows)")
        for column in frame.columns:
            table.add_column(str(column), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(
                *(
                    Text(cell_shown(str(column), value))
                    for column, value in zip(frame.columns, row, strict=True)
                )
            )
        Console().print(table)
        return
    write_output(frame_bytes(frame, output_format, sheet=title), output, f"{len(frame)} rows")


# Durations in days (fractions of a day) in the recording audit; shown in words in the table,
# kept as numbers in the files.
DURATION_COLUMNS = frozenset({"days_to_record", "days_to_store"})
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = HOURS_PER_DAY * MINUTES_PER_HOUR


def cell_shown(column: str, value: object) -> str:
    """A value of an audit frame as a person reads it in the table: nothing for a missing one
    (not `nan`), a duration in days, hours or minutes, a time to the second in local time."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column in DURATION_COLUMNS and isinstance(value, (int, float)):
        return duration_shown(float(value))
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def duration_shown(days: float) -> str:
    """28.08 days as "28.1 days", 0.2 days as "5 hours", a few seconds as "under a minute"; a
    negative duration (recorded before it happened, as a planned meeting is) keeps its sign."""
    sign, size = ("-" if days < 0 else ""), abs(days)
    # Chosen on the rounded amount, so 23 h 59 min reads "1 day", not "24 hours".
    if round(size * MINUTES_PER_DAY) < 1:
        return "under a minute"
    if round(size * MINUTES_PER_DAY) < MINUTES_PER_HOUR:
        amount, unit = float(round(size * MINUTES_PER_DAY)), "minute"
    elif round(size * HOURS_PER_DAY) < HOURS_PER_DAY:
        amount, unit = float(round(size * HOURS_PER_DAY)), "hour"
    else:
        amount, unit = round(size, 1), "day"
    return f"{sign}{amount:g} {unit}{'' if amount == 1 else 's'}"


def _engine() -> Engine:
    return caught_up_queries().engine


@audit_app.command("recording")
def audit_recording(
    case: Annotated[str | None, typer.Option(help="Only this case")] = None,
    agency: Annotated[str | None, typer.Option(help="Only events recorded by this agency")] = None,
    recorded_by: Annotated[str | None, typer.Option(help="Only this recorder")] = None,
    since: Annotated[str | None, typer.Option(help="Recorded after this time")] = None,
    until: Annotated[str | None, typer.Option(help="Recorded up to this time")] = None,
    late_after_days: Annotated[
        float, typer.Option(help="Late if recorded this many days after it happened")
    ] = 7.0,
    late_only: Annotated[bool, typer.Option(help="Only late entries")] = False,
    per_agency: Annotated[bool, typer.Option(help="Counts per agency instead of rows")] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, xlsx, parquet or json")
    ] = "table",
    output: OutputFile = None,
) -> None:
    """Who recorded, corrected, retracted and shared what, when, and how late."""
    frame = recording_audit(
        _engine(),
        case_id=case,
        agency=agency,
        recorded_by=recorded_by,
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),
        late_after_days=late_after_days,
        late_only=late_only,
    )
    if per_agency:
        frame = actions_per_agency(frame)
    _emit(frame, output_format, output, "recording")


@audit_app.command("access")
def audit_access(
    case: Annotated[str | None, typer.Option(help="Only reads of this case")] = None,
    person: Annotated[str | None, typer.Option(help="Only reads of this person's record")] = None,
    user: Annotated[str | None, typer.Option(help="Only reads by this user")] = None,
    agency: Annotated[str | None, typer.Option(help="Only reads by this agency's users")] = None,
    since: Annotated[str | None, typer.Option(help="Read after this time")] = None,
    until: Annotated[str | None, typer.Option(help="Read up to this time")] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, xlsx, parquet or json")
    ] = "table",
    output: OutputFile = None,
) -> None:
    """Every read of case data: who, in which role and agency, which case or person, as known
    when."""
    engine = _engine()
    frame = access_audit(
        engine,
        case_id=case,
        person_id=person,
        user=user,
        agency=agency,
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),
    )
    _emit(frame, output_format, output, "access")
