"""An agency's own chronology (CSV) merged into a case as `note_added` events.

Every row is checked the way an append would check it (the envelope, then the case's
invariants) before anything is written, so a dry run names every row that would be refused.
Each row's event id is derived from the case, the agency and the row's content, so importing
the same file again writes nothing new, and a row repeated in the file is written once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from domain.service import CaseService
from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event

COLUMNS = ("date", "time", "summary", "significance", "recorded_date", "subjects", "impact",
           "action")
REQUIRED = ("date", "summary")
IMPORT_NAMESPACE = UUID("5b0f3a52-5f7e-4d0c-9b1e-3c1f2f8a6e41")
WRITE_BATCH = 500
# The envelope's field names as the CSV's column names, for messages people can act on.
COLUMN_OF_FIELD = {"occurred_at": "date", "source_recorded_at": "recorded_date"}
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ChronologyFileError(ValueError):
    """The file as a whole cannot be read as a chronology (its header, its encoding)."""


def column_key(header: str) -> str:
    """Headers match case-insensitively, with spaces, hyphens and underscores alike."""
    return re.sub(r"[\s_-]+", "_", header.strip().lower())


@dataclass
class ImportRow:
    line: int
    envelope: EventEnvelope | None = None
    errors: list[FieldError] = field(default_factory=list)
    duplicate_of: int | None = None  # the earlier line with the same content
    stored: bool = False  # already in the case (imported before)


@dataclass
class ImportPlan:
    """What importing a file would do, row by row."""

    rows: list[ImportRow]

    @property
    def refused(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def to_write(self) -> list[ImportRow]:
        return [row for row in self.rows
                if not row.errors and row.duplicate_of is None and not row.stored]

    @property
    def already_stored(self) -> list[ImportRow]:
        return [row for row in self.rows if row.stored]

    @property
    def duplicates(self) -> list[ImportRow]:
        return [row for row in self.rows if row.duplicate_of is not None and not row.errors]


def _iso_date(value: str) -> str:
    """ISO dates pass through; 31/12/2024 (day first, as UK agencies write) becomes ISO."""
    match = UK_DATE.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return value  # left for the envelope to name as not a real date
    return value


def _row_event(values: dict[str, str], case_id: str, agency: str, recorded_by: str) -> dict[str, Any]:
    occurred = _iso_date(values["date"])
    if values["time"]:
        occurred = f"{occurred}T{values['time']}"
    subjects = [part.strip() for part in re.split(r"[;,]", values["subjects"]) if part.strip()]
    identity = json.dumps([case_id, agency, occurred, values["summary"], values["significance"],
                           values["recorded_date"], subjects, values["impact"], values["action"]])
    raw: dict[str, Any] = {
        "event_id": str(uuid5(IMPORT_NAMESPACE, identity)),
        "type": "note_added",
        "case_id": case_id,
        "occurred_at": occurred,
        "agency": agency,
        "recorded_by": recorded_by,
        "summary": values["summary"],
        "subjects": subjects,
    }
    if values["significance"]:
        raw["significance"] = values["significance"].lower()
    if values["recorded_date"]:
        raw["source_recorded_at"] = _iso_date(values["recorded_date"])
    for optional in ("impact", "action"):
        if values[optional]:
            raw[optional] = values[optional]
    return raw


def _as_columns(errors: Sequence[FieldError]) -> list[FieldError]:
    return [FieldError(COLUMN_OF_FIELD.get(error.field, error.field), error.reason)
            for error in errors]


def read_chronology(text: str, *, case_id: str, agency: str, recorded_by: str) -> list[ImportRow]:
    """Each data row as an envelope, or the reasons it cannot be one (line numbers as in the file)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ChronologyFileError("the file is empty: expected a header row")
    keys = {header: column_key(header) for header in reader.fieldnames if header is not None}
    unknown = [header for header, key in keys.items() if key not in COLUMNS]
    missing = [column for column in REQUIRED if column not in keys.values()]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        raise ChronologyFileError(
            "; ".join(problems) + f" (the columns are {', '.join(COLUMNS)}; only date and "
            "summary are required)")
    rows = []
    for record in reader:
        row = ImportRow(line=reader.line_num)
        values = dict.fromkeys(COLUMNS, "")
        for header, value in record.items():
            if header is None:  # more cells than headers
                row.errors.append(FieldError("(row)", "has more cells than the header"))
                continue
            values[keys[header]] = (value or "").strip()
        for column in REQUIRED:
            if not values[column]:
                row.errors.append(FieldError(column, "is required"))
        if not row.errors:
            try:
                row.envelope = parse_event(_row_event(values, case_id, agency, recorded_by))
            except InvalidEventError as error:
                row.errors.extend(_as_columns(error.errors))
        rows.append(row)
    return rows


def plan_import(service: CaseService, rows: list[ImportRow]) -> ImportPlan:
    """Check every readable row against the case as an append would (nothing is written)."""
    first_line: dict[str, int] = {}
    candidates = []
    for row in rows:
        if row.envelope is None:
            continue
        event_id = str(row.envelope.event_id)
        if event_id in first_line:
            row.duplicate_of = first_line[event_id]
            continue
        first_line[event_id] = row.line
        candidates.append(row)
    for check in service.check([row.envelope for row in candidates if row.envelope]):
        row = candidates[check.index]
        if check.error is not None:
            row.errors.extend(_as_columns(check.error.errors))
        row.stored = check.stored
    return ImportPlan(rows)


def write_import(
    service: CaseService, plan: ImportPlan, progress: Callable[[int], None] | None = None
) -> int:
    """Append the rows to write, in batches (each batch all or nothing); return how many were new."""
    envelopes = [row.envelope for row in plan.to_write if row.envelope is not None]
    written = 0
    for start in range(0, len(envelopes), WRITE_BATCH):
        batch = envelopes[start : start + WRITE_BATCH]
        written += service.append(batch).new_count
        if progress is not None:
            progress(len(batch))
    return written


def describe(errors: Sequence[FieldError]) -> str:
    return "; ".join(f"{error.field} {error.reason}" for error in errors)


