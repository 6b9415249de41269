"""`foresight import-chronology`: an agency's chronology CSV merged into a case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import bootstrap_writer
from api.formats.chronology_csv import (
    ChronologyFileError,
    describe,
    plan_import,
    read_chronology,
    write_import,
)
from api.settings import get_settings

out = Console()
err = Console(stderr=True)


def import_chronology(
    file: Annotated[
        Path,
        typer.Argument(help="The agency's chronology as CSV (UTF-8)", exists=True, dir_okay=False),
    ],
    case: Annotated[str, typer.Option("--case", help="The case to merge it into")],
    agency: Annotated[str, typer.Option("--agency", help="The agency whose chronology it is")],
    recorded_by: Annotated[
        str | None, typer.Option(help="Who is importing (default: import:<agency>)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row, write nothing")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Write the valid rows even if some are refused")
    ] = False,
) -> None:
    """Merge an agency's chronology (columns date, time, summary, significance, recorded_date,
    subjects, impact, action; only date and summary required) into a case as notes. A case not
    yet in the store is opened by the import, as a first append opens one."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        err.print(f"[red]{file}[/red] is not UTF-8 text; save the CSV as UTF-8 and try again.")
        raise typer.Exit(2) from None
    service = bootstrap_writer(get_settings())
    try:
        try:
            rows = read_chronology(
                text, case_id=case, agency=agency, recorded_by=recorded_by or f"import:{agency}"
            )
        except ChronologyFileError as error:
            err.print(f"[red]{file}:[/red] {error}", highlight=False)
            raise typer.Exit(2) from None
        with Progress(console=err, transient=True) as progress:
            progress.add_task(f"Checking {len(rows)} row(s)", total=None)
            plan = plan_import(service, rows)
        for row in plan.refused:
            # One line per row, never wrapped, so the list can be searched and filtered.
            err.print(
                f"line {row.line}: refused: {describe(row.errors)}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        for row in plan.duplicates:
            err.print(
                f"line {row.line}: the same as line {row.duplicate_of}; imported once",
                highlight=False,
                soft_wrap=True,
            )
        summary = (
            f"{len(plan.rows)} row(s): {len(plan.to_write)} to write, "
            f"{len(plan.already_stored)} already in {case}, {len(plan.duplicates)} "
            f"repeated in the file, {len(plan.refused)} refused"
        )
        if dry_run:
            out.print(f"Dry run, nothing written. {summary}.", highlight=False)
            raise typer.Exit(1 if plan.refused else 0)
        if plan.refused and not skip_invalid:
            err.print(
                f"Nothing written: {len(plan.refused)} row(s) refused "
                "(fix them, or give --skip-invalid to write the rest).",
                highlight=False,
            )
            raise typer.Exit(1)
        if plan.refused and not plan.to_write and not plan.already_stored:
            err.print(f"Nothing written: every row refused. {summary}.", highlight=False)
            raise typer.Exit(1)
        with Progress(console=err) as progress:
            task = progress.add_task("Importing", total=len(plan.to_write))
            written = write_import(service, plan, lambda count: progress.advance(task, count))
        out.print(f"Imported {written} new event(s) into {case}. {summary}.", highlight=False)
    finally:
        service.close()
