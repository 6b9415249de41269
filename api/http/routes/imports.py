"""Importing an agency's chronology (CSV) into a case over HTTP: a dry-run report, then the write.

The rules are the command line's (`foresight import-chronology`, api/formats/chronology_csv.py):
the same columns, the same checks, the same derived event ids, so a file imported here and
there is stored once. Over HTTP the agency and the recorder are the signed-in user's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.formats.chronology_csv import (
    ChronologyFileError,
    ImportPlan,
    plan_import,
    read_chronology,
    write_import,
)
from api.http.deps import CurrentUser, ForesightDep
from api.http.params import CaseId
from api.http.problems import PROBLEM_JSON, ProblemError, ProblemField, problem_response
from domain.recording_rights import Recorder, check_batch_may_be_recorded, check_may_append
from events.envelope import FieldError
from events.fieldpaths import field_path

router = APIRouter(prefix="/cases", tags=["cases"])

CSV = "text/csv"
_EXAMPLE = (
    "date,time,summary,significance,subjects\n"
    "05/03/2024,09:30,Ava arrived hungry and without a coat,significant,ava\n"
    "2024-03-12,,Attendance meeting with mother,,ava\n"
)
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The agency's chronology as CSV, UTF-8, with a header row: date, time, "
        "summary, significance, recorded_date, subjects, impact, action (only date and summary "
        "required; headers match case-insensitively, spaces, hyphens and underscores alike).",
        "content": {CSV: {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }
}
_PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class RefusedRow(BaseModel):
    """A row that would not be written, by its line in the file (the header is line 1)."""

    line: int
    errors: list[ProblemField]


class ImportReport(BaseModel):
    """What importing the file does (a dry run) or did: counts of rows, and each refused row."""

    dry_run: bool
    rows: int
    to_write: int
    already_stored: int
    repeated: int
    refused: list[RefusedRow]
    written: int


def get_importer(user: CurrentUser) -> Recorder:
    """The signed-in user as a recorder, if their role may append to a case (403 otherwise,
    before the file is read)."""
    recorder = Recorder(name=user.name, role=user.role, agency=user.agency)
    check_may_append(recorder)
    return recorder


Importer = Annotated[Recorder, Depends(get_importer)]


async def csv_body(request: Request, importer: Importer) -> str:
    """The request's body as text: a CSV file in UTF-8 (415 for another media type, 422 if it
    is not UTF-8). `importer` is here so the role is checked first."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != CSV:
        raise ProblemError(
            415,
            "Unsupported media type",
            f"Send the chronology as {CSV} (UTF-8), not {media_type or 'no Content-Type'}",
            [FieldError("header.Content-Type", f"must be {CSV}")],
        )
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(
            422,
            "Not a chronology",
            "The file is not UTF-8 text; save the CSV as UTF-8 and send it again. Nothing was "
            "written.",
            [FieldError("(body)", "is not UTF-8 text")],
        ) from None


CsvText = Annotated[str, Depends(csv_body)]


def _report(plan: ImportPlan, *, dry_run: bool, written: int) -> ImportReport:
    return ImportReport(
        dry_run=dry_run,
        rows=len(plan.rows),
        to_write=len(plan.to_write),
        already_stored=len(plan.already_stored),
        repeated=len(plan.duplicates),
        refused=[
            RefusedRow(
                line=row.line,
                errors=[
                    ProblemField(field=error.field, reason=error.reason) for error in row.errors
                ],
            )
            for row in plan.refused
        ],
        written=written,
    )


def _refused(request: Request, report: ImportReport, detail: str) -> JSONResponse:
    """422 naming each refused row's fields by line (`line 4.date`), with the whole report."""
    errors = [
        FieldError(field_path(f"line {row.line}", error.field), error.reason)
        for row in report.refused
        for error in row.errors
    ]
    return problem_response(
        request,
        422,
        "Rows refused",
        detail,
        errors,
        extensions={"report": report.model_dump()},
    )


@router.post(
    "/{case_id}/imports",
    response_model=ImportReport,
    summary="Import an agency's chronology (CSV) as notes: a dry run, or the write",
    openapi_extra=_IMPORT_BODY,
    responses={
        200: {"description": "What the import does (a dry run) or did"},
        409: {"description": "The case changed while importing, or refused by the case"},
        413: {"description": "Request larger than 1 MiB"},
        415: {"description": "Not sent as text/csv", "content": _PROBLEM},
        422: {
            "description": "Not a chronology (not UTF-8, not CSV, a column missing or unknown), "
            "or rows refused in a real import without skip_invalid; nothing was written"
        },
    },
)
def import_chronology(
    case_id: CaseId,
    request: Request,
    importer: Importer,
    text: CsvText,
    foresight: ForesightDep,
    dry_run: Annotated[
        bool, Query(description="true: check every row and write nothing; false: write")
    ],
    skip_invalid: Annotated[
        bool, Query(description="Write the valid rows even if some are refused")
    ] = False,
) -> ImportReport | JSONResponse:
    """Merge the signed-in user's agency's chronology into a case as notes of that agency,
    recorded by the user. A case not yet in the store is opened by the import. Each row's event
    id is derived from its content, so importing the same file again writes nothing new."""
    try:
        rows = read_chronology(
            text, case_id=case_id, agency=importer.agency, recorded_by=importer.name
        )
    except ChronologyFileError as error:
        raise ProblemError(
            422,
            "Not a chronology",
            f"The file cannot be read as a chronology: {error}. Nothing was written.",
            [FieldError("(body)", str(error))],
        ) from None
    service = foresight.service
    check_batch_may_be_recorded(
        [row.envelope for row in rows if row.envelope is not None],
        lambda _: importer,
        service.entry_agency,
        numbered=False,
    )
    plan = plan_import(service, rows)
    if dry_run:
        return _report(plan, dry_run=True, written=0)
    if plan.refused and not skip_invalid:
        return _refused(
            request,
            _report(plan, dry_run=False, written=0),
            f"Nothing written: {len(plan.refused)} row(s) refused (fix them, or send "
            "skip_invalid=true to write the rest).",
        )
    if plan.refused and not plan.to_write and not plan.already_stored:
        return _refused(
            request,
            _report(plan, dry_run=False, written=0),
            "Nothing written: every row was refused.",
        )
    return _report(plan, dry_run=False, written=write_import(service, plan))
