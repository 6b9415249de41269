"""`foresight export annex-a`: Ofsted's Annex A lists 1-8 from the event log as known at T."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.reading import caught_up_queries, date_option, export_time, log_cli_read
from api.formats.annex_a import write_annex_a
from replay.annex_a import annex_a_from_queries

err = Console(stderr=True)
FORMATS = ("xlsx", "csv")


def export_annex_a(
    period_from: Annotated[
        str, typer.Option("--from", help="First day of the period (YYYY-MM-DD), included")
    ],
    period_to: Annotated[
        str, typer.Option("--to", help="Last day of the period (YYYY-MM-DD), included")
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The XLSX file, or the directory for the CSV files"),
    ],
    as_known_at: Annotated[
        str | None,
        typer.Option(help="As known at this time (default: now); also the files' timestamps"),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(
            help="Only what this agency knew (for example social_care); default the whole record"
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="xlsx (one sheet per list) or csv (one file per list)")
    ] = "xlsx",
) -> None:
    """Annex A lists 1-8 (contacts, early help, referrals, assessments, section 47 enquiries,
    children in need, child protection, children looked after) for a period, as known at a
    time. The same log and the same --as-known-at give byte-identical files."""
    if output_format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    first, last = date_option(period_from, "--from"), date_option(period_to, "--to")
    if first is None or last is None:
        err.print("--from and --to need a date each")
        raise typer.Exit(2)
    if last < first:
        err.print(f"--to ({last}) is before --from ({first})")
        raise typer.Exit(2)
    known = export_time(as_known_at)
    queries = caught_up_queries()
    viewer = agency.lower() if agency else None
    annex = annex_a_from_queries(
        queries, period_from=first, period_to=last, as_known_at=known, agency=viewer
    )
    log_cli_read(queries, "export annex-a", as_known_at=known, agency=viewer)
    written = write_annex_a(annex, output, output_format)
    counts = ", ".join(f"list {number}: {len(rows)}" for number, rows in annex.rows.items())
    err.print(f"Wrote {len(written)} file(s) to {output} ({counts})")
