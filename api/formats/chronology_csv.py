"""An agency's own chronology (CSV) merged into a case as `note_added` events.

Every row is checked the way an append would check it (the envelope, then the case's
invariants) before anything is written, so a dry run names every row that would be refused.
Each row's event id is derived from the case, the agency and the row's content once
normalised (dates, times, significance), so importing the same file again — even re-saved with
dates as 05/03/2024 or times as 14:30:00, or imported by someone else — writes nothing new,
and a row repeated in the file is written once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from domain.errors import EventIdConflict
from domain.service import CaseService
from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event
from events.timepoints import format_timepoint, parse_timepoint

COLUMNS = (
    "date",
    "time",
    "summary",
    "significance",
    "recorded_date",
    "subjects",
    "impact",
    "action",
)
REQUIRED = ("date", "summary")
IMPORT_NAMESPACE = UUID("5b0f3a52-5f7e-4d0c-9b1e-3c1f2f8a6e41")
WRITE_BATCH = 500
# Day first, as UK agencies (and Excel in a UK locale) write dates; a time may follow.
# ASCII digits only: `\d` alone would also take Arabic-Indic or full-width digits.
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$", re.ASCII)
TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)


class ChronologyFileError(ValueError):
    """The file as a whole cannot be read as a chronology (its header, its encoding)."""


def column_key(header: str) -> str:
    """Headers match case-insensitively, with spaces, hyphens and underscores alike."""
    return re.sub(r"[\s_-]+", "_", header.strip().lower())


@dataclass
class ImportRow:
    line: int  # where the row starts in the file; the header is line 1
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
        return [
            row
            for row in self.rows
            if not row.errors and row.duplicate_of is None and not row.stored
        ]

    @property
    def already_stored(self) -> list[ImportRow]:
        return [row for row in self.rows if row.stored and row.duplicate_of is None]

    @property
    def duplicates(self) -> list[ImportRow]:
        return [row for row in self.rows if row.duplicate_of is not None and not row.errors]


def _iso_date(value: str) -> str:
    """ISO passes through; 31/12/2024 (optionally with a time) is rewritten as ISO.

    Not checked here: an impossible day such as 31/02/2024 is left for the envelope to name.
    """
    match = UK_DATE.match(value)
    if not match:
        return value
    day, month, year, clock = match.groups()
    iso = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{iso}T{clock}" if clock else iso


def _time_of_day(value: str) -> str | None:
    """`9:05`, `09:05` or `09:05:30` as ISO `HH:MM[:SS]`; None if it is not a time of day."""
    match = TIME_OF_DAY.match(value)
    if not match:
        return None
    hour, minute, second = match.groups()
    if int(hour) > 23 or int(minute) > 59 or (second is not None and int(second) > 59):
        return None
    return f"{int(hour):02d}:{minute}" + (f":{second}" if second is not None else "")


def _is_timepoint(value: str) -> bool:
    try:
        parse_timepoint(value)
    except ValueError:
        return False
    return True


def _identity(envelope: EventEnvelope) -> str:
    """The row's content as stored, without who imported it: the same row, the same event id."""
    source = envelope.source_recorded_at
    return json.dumps(
        [
            envelope.case_id,
            envelope.agency,
            format_timepoint(envelope.occurred_at),
            envelope.summary,
            envelope.significance,
            format_timepoint(source) if source is not None else None,
            list(envelope.subjects),
            envelope.impact,
            envelope.action,
        ]
    )


def _row_envelope(
    values: dict[str, str], case_id: str, agency: str, recorded_by: str
) -> tuple[EventEnvelope | None, list[FieldError]]:
    """The row as a note of the agency, or each column that stops it being one."""
    occurred = _iso_date(values["date"])
    # A bad time is named as the time, not as the date it was joined to.
    occurred_column = "date"
    if values["time"]:
        clock = _time_of_day(values["time"])
        if clock is None:
            return None, [
                FieldError(
                    "time", f"{values['time']!r} is not a time of day (HH:MM or HH:MM:SS, 24-hour)"
                )
            ]
        if _is_timepoint(occurred):
            occurred_column = "time"  # the date is fine alone; the time does not fit it
        occurred = f"{occurred}T{clock}"
    raw: dict[str, Any] = {
        "type": "note_added",
        "case_id": case_id,
        "occurred_at": occurred,
        "agency": agency,
        "recorded_by": recorded_by,
        "summary": values["summary"],
        "subjects": [
            part.strip() for part in re.split(r"[;,]", values["subjects"]) if part.strip()
        ],
    }
    if values["significance"]:
        raw["significance"] = values["significance"].lower()
    if values["recorded_date"]:
        raw["source_recorded_at"] = _iso_date(values["recorded_date"])
    for optional in ("impact", "action"):
        if values[optional]:
            raw[optional] = values[optional]
    try:
        envelope = parse_event(raw)
    except InvalidEventError as error:
        column_of = {"occurred_at": occurred_column, "source_recorded_at": "recorded_date"}
        return None, _as_columns(error.errors, column_of)
    event_id = uuid5(IMPORT_NAMESPACE, _identity(envelope))
    return envelope.model_copy(update={"event_id": event_id}), []


def _as_columns(
    errors: Sequence[FieldError], column_of: dict[str, str] | None = None
) -> list[FieldError]:
    """The envelope's field names as the CSV's column names, for messages people can act on."""
    column_of = column_of or {"occurred_at": "date", "source_recorded_at": "recorded_date"}
    return [FieldError(column_of.get(error.field, error.field), error.reason) for error in errors]


def _header_columns(header: list[str]) -> list[str | None]:
    """Each header cell's column, None for a blank one; an unknown or repeated column refuses
    the file, since it may hold something the agency expects to be imported."""
    columns: list[str | None] = []
    unknown: list[str] = []
    named: dict[str, list[str]] = {}
    for cell in header:
        if not cell.strip():
            columns.append(None)
            continue
        key = column_key(cell)
        if key not in COLUMNS:
            unknown.append(cell)
        named.setdefault(key, []).append(cell)
        columns.append(key)
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    repeated = [cells for key, cells in named.items() if key in COLUMNS and len(cells) > 1]
    if repeated:
        problems.append(
            "column(s) given more than once: "
            + "; ".join(" and ".join(map(repr, cells)) for cells in repeated)
        )
    missing = [column for column in REQUIRED if column not in named]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if problems:
        raise ChronologyFileError(
            "; ".join(problems) + f" (the columns are {', '.join(COLUMNS)}; only date and "
            "summary are required)"
        )
    return columns


def read_chronology(text: str, *, case_id: str, agency: str, recorded_by: str) -> list[ImportRow]:
    """Each data row as an envelope, or the reasons it cannot be one (line numbers as in the
    file). Rows with nothing in any cell (as spreadsheets export at the end) are skipped."""
    # strict: a quote left open would otherwise swallow every later row into one cell.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    next_line = 1
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ChronologyFileError("the file is empty: expected a header row")
        columns = _header_columns(header)
        rows = []
        next_line = reader.line_num + 1
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_read_row(line, cells, columns, case_id, agency, recorded_by))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise ChronologyFileError(
                f'line {next_line}: not readable as CSV: a quoted cell is never closed (a " '
                "is missing), so every line after it would be read into that cell"
            ) from None
        raise ChronologyFileError(f"line {reader.line_num}: not readable as CSV: {error}") from None
    return rows


def _read_row(
    line: int,
    cells: list[str],
    columns: list[str | None],
    case_id: str,
    agency: str,
    recorded_by: str,
) -> ImportRow:
    row = ImportRow(line=line)
    values = dict.fromkeys(COLUMNS, "")
    for position, cell in enumerate(cells):
        column = columns[position] if position < len(columns) else None
        if column is None:
            if cell.strip():
                row.errors.append(
                    FieldError(
                        "(row)", f"has a value in cell {position + 1}, which has no column header"
                    )
                )
            continue
        values[column] = cell.strip()
    for column in REQUIRED:
        if not values[column]:
            row.errors.append(FieldError(column, "is required"))
    if not row.errors:
        row.envelope, errors = _row_envelope(values, case_id, agency, recorded_by)
        row.errors.extend(errors)
    return row


def plan_import(service: CaseService, rows: list[ImportRow]) -> ImportPlan:
    """Check every readable row against the case as an append would (nothing is written)."""
    first: dict[UUID | None, ImportRow] = {}
    repeats: list[tuple[ImportRow, ImportRow]] = []
    candidates = []
    for row in rows:
        if row.envelope is None:
            continue
        original = first.setdefault(row.envelope.event_id, row)
        if original is not row:
            row.duplicate_of = original.line
            repeats.append((row, original))
            continue
        candidates.append(row)
    drafts = [row.envelope for row in candidates if row.envelope is not None]
    conflicts = []
    for check in service.check(drafts):
        row = candidates[check.index]
        if isinstance(check.error, EventIdConflict):
            conflicts.append(row)
        elif check.error is not None:
            row.errors.extend(_as_columns(check.error.errors))
        row.stored = check.stored
    _settle_imported_by_others(service, conflicts)
    for row, original in repeats:  # a repeated row shares its first occurrence's fate
        row.errors, row.stored = list(original.errors), original.stored
    return ImportPlan(rows)


def _settle_imported_by_others(service: CaseService, rows: list[ImportRow]) -> None:
    """An id derived from the row is taken by other content only when the same row was imported
    before with another --recorded-by: that row is already in the case, not a refusal."""
    envelopes = [(row, row.envelope) for row in rows if row.envelope is not None]
    if not envelopes:
        return
    stored = {
        str(recorded.event_id): recorded
        for recorded in service.case_events(envelopes[0][1].case_id)
    }
    for row, envelope in envelopes:
        earlier = stored.get(str(envelope.event_id))
        if (
            earlier is not None
            and earlier.type == "note_added"
            and _identity(earlier) == _identity(envelope)
        ):
            row.stored = True
        else:
            row.errors.append(
                FieldError(
                    "(row)", "its derived event_id is already used by another event of the store"
                )
            )


def write_import(
    service: CaseService, plan: ImportPlan, progress: Callable[[int], None] | None = None
) -> int:
    """Append the rows to write, in batches (each batch all or nothing); return how many were
    new."""
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
