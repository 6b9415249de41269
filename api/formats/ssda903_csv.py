"""The SSDA903 return from the store, written as the CSV files the DfE's validator reads."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from pydantic import BaseModel

from replay.queries import CaseQueries
from replay.ssda903 import SSDA903_TYPES, EpisodeRow, HeaderRow, MissingRow, Ssda903, ssda903

# The validator's file of each table, and the table's columns in its order.
TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "header.csv": ("header", HeaderRow),
    "episodes.csv": ("episodes", EpisodeRow),
    "missing.csv": ("missing", MissingRow),
}


def ssda903_from_store(queries: CaseQueries, *, year: int, as_known_at: datetime) -> Ssda903:
    """The return for collection `year` from every case holding one of its events known at T."""
    chronologies = dict(queries.chronologies_of_cases_with(SSDA903_TYPES, as_known_at=as_known_at))
    return ssda903(chronologies, year=year, as_known_at=as_known_at)


def ssda903_files(found: Ssda903) -> dict[str, bytes]:
    """Each table as CSV bytes: the validator's columns, dates as dd/mm/yyyy, blanks empty,
    Unix line ends; the same return gives the same bytes."""
    files = {}
    for name, (attribute, model) in TABLES.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = list(model.model_fields)
        writer.writerow(columns)
        for row in getattr(found, attribute):
            writer.writerow([_cell(getattr(row, column)) for column in columns])
        files[name] = buffer.getvalue().encode("utf-8")
    return files


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
