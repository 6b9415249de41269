"""`foresight export`: statutory returns built from the event log as known at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.annex_a import export_annex_a
from api.cli.completeness import print_issues
from api.cli.reading import caught_up_queries, export_time, log_cli_read
from api.cli.ssda903 import export_ssda903
from api.formats.cin_census_xml import census_from_store, census_parameter_errors, census_xml

export_app = typer.Typer(help="Statutory returns from the event log.", no_args_is_help=True)
export_app.command("annex-a")(export_annex_a)
export_app.command("ssda903")(export_ssda903)
err = Console(stderr=True)


@export_app.command("cin-census")
def export_cin_census(
    year: Annotated[
        int,
        typer.Option(
            help="Collection year, named by the 31 March it ends on: 2026 is 1 April 2025 to "
            "31 March 2026"
        ),
    ],
    la: Annotated[str, typer.Option(help="The DfE three-digit local authority code")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Write the XML to this file")],
    as_known_at: Annotated[
        str | None, typer.Option(help="The return as the record knew it at this time (default now)")
    ] = None,
) -> None:
    """The DfE Children in Need census XML for a collection year, from the event log as known
    at a time, and the completeness report: what stops a child's record being complete or
    valid, with the events to correct."""
    refused = census_parameter_errors(year, la)
    for name, reason in refused:
        err.print(f"--{name}: expected {reason}")
    if refused:
        raise typer.Exit(2)
    known = export_time(as_known_at)
    queries = caught_up_queries()
    census = census_from_store(queries, year=year, la=la, as_known_at=known)
    log_cli_read(queries, "export cin-census", as_known_at=known)
    output.write_bytes(census_xml(census))
    episodes = sum(len(child.episodes) for child in census.children)
    err.print(
        f"Wrote {len(census.children)} children ({episodes} episodes) for "
        f"{census.collection_start} to {census.reference_date} as known at "
        f"{known.isoformat()} to {output}",
        highlight=False,
    )
    if census.issues:
        print_issues(census.issues)
    else:
        Console().print("Completeness: every child's record is complete.")
