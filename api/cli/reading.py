"""Reading for the command line: the read models, caught up with the log first."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from api.access_log import EVERY_CASE, Access, AccessLog
from api.bootstrap import Foresight, bootstrap
from api.settings import get_settings
from events.timepoints import parse_instant, utc_now
from projections.rebuild_mark import RebuildUnderWay
from replay.queries import CaseQueries

err = Console(stderr=True)


def date_option(value: str | None, option: str) -> date | None:
    """A date option's value, or exit 2 naming the option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"{option}: expected a date (YYYY-MM-DD), not {value!r}")
        raise typer.Exit(2) from None


def export_time(as_known_at: str | None) -> datetime:
    """The time a return is as known at: --as-known-at, else now to the second (a time the
    file can name, and be regenerated from); exit 2 if it cannot be read."""
    try:
        return parse_instant(as_known_at) if as_known_at else utc_now().replace(microsecond=0)
    except ValueError as error:
        err.print(f"--as-known-at: {error}")
        raise typer.Exit(2) from None


def caught_up_queries(foresight: Foresight | None = None) -> CaseQueries:
    """Read-model queries, after applying any events the read models have not seen yet (a
    command reads the store as it is now, even with no projection process running); exit 1
    while a rebuild is filling them, rather than read part of the log.

    The application is bootstrapped from the settings unless the command has it already.
    """
    foresight = foresight or bootstrap(get_settings())
    runner = foresight.runner
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("Updating read models", total=runner.lag() or None)
            runner.catch_up(lambda count: progress.advance(task, count))
    except RebuildUnderWay as error:
        err.print(f"{error} Nothing was read; try again when it has finished.")
        raise typer.Exit(1) from None
    return foresight.queries


# How the access log names a reader at the command line, who has no token: the operating
# system's user, with this role and agency.
CLI_ROLE = "cli"
CLI_AGENCY = "(command line)"


def log_cli_read(
    queries: CaseQueries,
    command: str,
    *,
    case_id: str = EVERY_CASE,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> None:
    """Record a read of case data made at the command line in the access log, as the API
    records its reads (an authority-wide one against EVERY_CASE)."""
    AccessLog(queries.engine).record(
        Access(
            user=_os_user(),
            role=CLI_ROLE,
            agency=CLI_AGENCY,
            endpoint=f"foresight {command}",
            case_id=case_id,
            as_known_at=as_known_at,
            viewed_as=agency,
        )
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's bare uid): name the uid
        return f"uid {os.getuid()}"


# Where a command writes its table or workbook (standard output when left out).
OutputFile = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file")]


def check_output_options(
    output_format: str,
    output: Path | None,
    formats: tuple[str, ...],
    needs_file: tuple[str, ...] = ("xlsx",),
) -> None:
    """A known --format, and a file for a binary one (exit 2 otherwise)."""
    if output_format not in formats:
        err.print(f"--format must be one of {', '.join(formats)}")
        raise typer.Exit(2)
    if output_format in needs_file and output is None:
        err.print(f"--format {output_format} needs -o FILE")
        raise typer.Exit(2)


def write_output(data: bytes, output: Path | None, what: str) -> None:
    """To the file, saying what was written, or (text formats) to standard output."""
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        err.print(f"Wrote {what} to {output}")
