"""`foresight export ssda903`: the DfE's looked-after children return (first tables) as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.completeness import print_issues
from api.cli.reading import caught_up_queries, export_time, log_cli_read
from api.formats.ssda903_csv import LA_CODE, ssda903_files, ssda903_from_store
from api.settings import get_settings

err = Console(stderr=True)
FIRST_YEAR, LAST_YEAR = 2010, 2100


def export_ssda903(
    year: Annotated[
        int,
        typer.Option(
            help="Collection year, named by the 31 March it ends on: 2026 is 1 April 2025 to "
            "31 March 2026"
        ),
    ],
    la: Annotated[
        str,
        typer.Option(
            help="The authority's ONS code as the DfE's validator names it (E08000035: Leeds); "
            "written to metadata.json"
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The directory to write the CSV files into")
    ],
    as_known_at: Annotated[
        str | None, typer.Option(help="The return as the record knew it at this time (default now)")
    ] = None,
) -> None:
    """The SSDA903 header, episodes and missing tables for a collection year, as the CSV files
    the DfE's validator reads, from the event log as known at a time; and the completeness
    report: what the recorded facts leave missing."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        err.print(f"--year: expected a year from {FIRST_YEAR} to {LAST_YEAR}")
        raise typer.Exit(2)
    if not LA_CODE.match(la):
        err.print("--la: expected an ONS authority code such as E08000035")
        raise typer.Exit(2)
    known = export_time(as_known_at)
    queries = caught_up_queries()
    agency = get_settings().returns_agency.lower()
    found = ssda903_from_store(queries, year=year, as_known_at=known, agency=agency)
    log_cli_read(queries, "export ssda903", as_known_at=known)
    output.mkdir(parents=True, exist_ok=True)
    for name, data in ssda903_files(found, la=la).items():
        (output / name).write_bytes(data)
    err.print(
        f"Wrote {len(found.header)} children ({len(found.episodes)} episodes, "
        f"{len(found.missing)} missing) for {year} as known at {known.isoformat()} to {output}",
        highlight=False,
    )
    if found.issues:
        print_issues(found.issues)
    else:
        Console().print("Completeness: every child's record is complete.")
