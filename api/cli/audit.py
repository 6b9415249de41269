"""`foresight audit`: who recorded, corrected, retracted, shared or viewed what, and when."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.audit import access_audit, actions_per_agency, recording_audit
from api.cli.reading import caught_up_queries
from api.formats.tables import frame_bytes
from events.timepoints import parse_instant

audit_app = typer.Typer(help="Audit queries for information governance.", no_args_is_help=True)
err = Console(stderr=True)
FORMATS = ("table", "csv", "xlsx", "parquet", "json")


def _instant(value: str | None, option: str) -> object:
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        err.print(f"{option}: {error}")
        raise typer.Exit(2) from None


def _emit(frame: object, output_format: str, output: Path | None, title: str) -> None:
    if output_format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if output_format == "table":
        table = Table(title=f"{title} ({len(frame)} rows)")  # type: ignore[arg-type]
        for column in frame.columns:  # type: ignore[attr-defined]
            table.add_column(str(column), overflow="fold")
        for row in frame.itertuples(index=False):  # type: ignore[attr-defined]
            table.add_row(*("" if value is None else str(value) for value in row))
        Console().print(table)
        return
    if output_format in ("xlsx", "parquet") and output is None:
        err.print(f"--format {output_format} needs -o FILE")
        raise typer.Exit(2)
    data = frame_bytes(frame, output_format, sheet=title)  # type: ignore[arg-type]
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        err.print(f"Wrote {len(frame)} rows to {output}")  # type: ignore[arg-type]


def _engine() -> object:
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
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file")
    ] = None,
) -> None:
    """Who recorded, corrected, retracted and shared what, when, and how late."""
    frame = recording_audit(
        _engine(),
        case_id=case,
        agency=agency,
        recorded_by=recorded_by,  # type: ignore[arg-type]
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),  # type: ignore[arg-type]
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
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file")
    ] = None,
) -> None:
    """Every read of case data: who, in which role and agency, which case or person, as known
    when."""
    engine = _engine()
    frame = access_audit(
        engine,
        case_id=case,
        person_id=person,
        user=user,
        agency=agency,  # type: ignore[arg-type]
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),  # type: ignore[arg-type]
    )
    _emit(frame, output_format, output, "access")
