"""The SSDA903 return from the store, written as the CSV files the DfE's validator reads."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime

from pydantic import BaseModel

from api.formats.annex_a import files_zip
from replay.queries import CaseQueries
from replay.ssda903 import (
    SSDA903_TYPES,
    AdoptionRow,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    OutcomesRow,
    PlacedForAdoptionRow,
    PreviousPermanenceRow,
    ReviewRow,
    SocialWorkerRow,
    Ssda903,
    ssda903,
)

# The authority as the DfE's validator names it: the ONS code of an upper-tier authority in
# England ("E08000035", Leeds), from which it tells placements inside the authority from those
# outside (from the placement's postcode).
LA_CODE = re.compile(r"^E[0-9]{8}$")
# The file holding what the validator is told beside the tables: the year and the authority.
METADATA_FILE = "metadata.json"
COMPLETENESS_FILE = "completeness.csv"
COMPLETENESS_COLUMNS = ("person_id", "case_id", "field", "rule", "message", "event_ids")
# The validator's file of each table, and the table's columns in its order.
TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "header.csv": ("header", HeaderRow),
    "episodes.csv": ("episodes", EpisodeRow),
    "missing.csv": ("missing", MissingRow),
    "reviews.csv": ("reviews", ReviewRow),
    "social_worker_episodes.csv": ("social_workers", SocialWorkerRow),
    "previous_permanence.csv": ("previous_permanence", PreviousPermanenceRow),
    "placed_for_adoption.csv": ("placed_for_adoption", PlacedForAdoptionRow),
    "ad1.csv": ("adoptions", AdoptionRow),
    "oc2.csv": ("outcomes", OutcomesRow),
}


def ssda903_from_store(
    queries: CaseQueries, *, year: int, as_known_at: datetime, agency: str | None = None
) -> Ssda903:
    """The return for collection `year` from every case holding one of its events known at T;
    social workers are those `agency` allocated (any agency's when None)."""
    chronologies = dict(queries.chronologies_of_cases_with(SSDA903_TYPES, as_known_at=as_known_at))
    return ssda903(chronologies, year=year, as_known_at=as_known_at, agency=agency)


def ssda903_files(found: Ssda903, *, la: str) -> dict[str, bytes]:
    """Each table as CSV bytes: the validator's columns, dates as dd/mm/yyyy, blanks empty,
    Unix line ends; and `metadata.json`, the validator's own metadata (the collection year
    and `la`, the authority's code). The same return gives the same bytes."""
    if not LA_CODE.match(la):
        raise ValueError(f"la: expected an ONS authority code such as E08000035, not {la!r}")
    files = {METADATA_FILE: _metadata(found.year, la)}
    for name, (attribute, model) in TABLES.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = list(model.model_fields)
        writer.writerow(columns)
        for row in getattr(found, attribute):
            writer.writerow([_cell(getattr(row, column)) for column in columns])
        files[name] = buffer.getvalue().encode("utf-8")
    return files


def ssda903_zip(found: Ssda903, *, la: str) -> bytes:
    """The files and `completeness.csv` (the completeness report, a row per issue) in one zip
    archive dated at the return's as-known-at time: the same log and time give the same
    bytes."""
    files = ssda903_files(found, la=la) | {COMPLETENESS_FILE: completeness_csv(found)}
    return files_zip(files, found.as_known_at)


def completeness_csv(found: Ssda903) -> bytes:
    """The completeness report: a row per child and field the recorded facts leave missing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COMPLETENESS_COLUMNS)
    for issue in found.issues:
        writer.writerow(
            [
                issue.person_id,
                issue.case_id or "",
                issue.field,
                issue.rule or "",
                issue.message,
                " ".join(str(event_id) for event_id in issue.event_ids),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _metadata(year: int, la: str) -> bytes:
    # The validator reads the year's first four characters as the year the collection ends.
    metadata = {"collectionYear": str(year), "localAuthority": la}
    return (json.dumps(metadata, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
