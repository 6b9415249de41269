"""`GET /exports/cin-census` and `GET /exports/ssda903`: the DfE's Children in Need census
(XML) and looked-after children return (a zip of CSV files), with their completeness reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from api.access_log import EVERY_CASE
from api.formats.cin_census_xml import (
    FIRST_YEAR,
    LA_CODE,
    LAST_YEAR,
    census_from_store,
    census_xml,
    schema_errors,
)
from api.formats.ssda903_csv import LA_CODE as ONS_LA_CODE
from api.formats.ssda903_csv import ssda903_from_store, ssda903_zip
from api.http.deps import CensusReporter, ForesightDep, log_read, whole_record_report
from api.http.params import AsKnownAt
from api.users import User
from events.timepoints import utc_now
from replay.cin_census import CompletenessIssue

router = APIRouter(prefix="/exports", tags=["exports"])

XML_MEDIA_TYPE = "application/xml"
ZIP_MEDIA_TYPE = "application/zip"
ISSUES_HEADER = "Foresight-Completeness-Issues"
KNOWN_AT_HEADER = "Foresight-As-Known-At"
CollectionYear = Annotated[
    int,
    Query(
        ge=FIRST_YEAR,
        le=LAST_YEAR,
        description="Collection year, named by the 31 March it ends on: 2026 is 1 April 2025 "
        "to 31 March 2026",
    ),
]


class CinCensusReport(BaseModel):
    """The census return with what stops it being complete, from one reading of the log."""

    year: int
    la: str
    collection_start: date
    reference_date: date
    as_known_at: datetime
    children: int
    episodes: int
    complete: bool
    schema_errors: list[str]
    issues: list[CompletenessIssue]
    xml: str


@router.get(
    "/cin-census",
    summary="The DfE Children in Need census for a collection year, as known at a time "
    "(managers, reviewers)",
    response_model=CinCensusReport,
    responses={200: {"content": {XML_MEDIA_TYPE: {}}}},
)
def export_cin_census(
    request: Request,
    user: CensusReporter,
    foresight: ForesightDep,
    year: CollectionYear,
    la: Annotated[
        str, Query(pattern=LA_CODE.pattern, description="The DfE three-digit local authority code")
    ],
    as_known_at: AsKnownAt = None,
    output_format: Annotated[
        Literal["xml", "json"],
        Query(
            alias="format",
            description="xml: the return itself; json: the completeness report "
            "with the return as a string",
        ),
    ] = "xml",
) -> Response:
    """The return from the whole record as known at `as_known_at` (default now, to the
    second; the time used is in the `Foresight-As-Known-At` header and the file's DateTime).
    The same log and the same `as_known_at` give byte-identical XML. Nothing is invented:
    what is missing or breaks a DfE rule is left as recorded and listed, with the DfE rule and
    the events to correct (the count is in `Foresight-Completeness-Issues`)."""
    known = as_known_at or utc_now().replace(microsecond=0)
    census = census_from_store(foresight.caught_up(), year=year, la=la, as_known_at=known)
    log_read(foresight, user, request, case_id=EVERY_CASE, as_known_at=known)
    xml = census_xml(census)
    headers = {ISSUES_HEADER: str(len(census.issues)), KNOWN_AT_HEADER: known.isoformat()}
    if output_format == "xml":
        headers["Content-Disposition"] = f'attachment; filename="cin-census-{year}-{la}.xml"'
        return Response(xml, media_type=XML_MEDIA_TYPE, headers=headers)
    report = CinCensusReport(
        year=year,
        la=la,
        collection_start=census.collection_start,
        reference_date=census.reference_date,
        as_known_at=known,
        children=len(census.children),
        episodes=sum(len(child.episodes) for child in census.children),
        complete=not census.issues,
        schema_errors=schema_errors(xml),
        issues=list(census.issues),
        xml=xml.decode("utf-8"),
    )
    return Response(report.model_dump_json(), media_type="application/json", headers=headers)


Ssda903Reporter = Annotated[User, Depends(whole_record_report("read the SSDA903 return"))]


@router.get(
    "/ssda903",
    summary="The DfE looked-after children return (SSDA903) for a collection year, as known "
    "at a time: a zip of its CSV files (managers, reviewers)",
    response_class=Response,
    responses={200: {"content": {ZIP_MEDIA_TYPE: {}}}},
)
def export_ssda903(
    request: Request,
    user: Ssda903Reporter,
    foresight: ForesightDep,
    year: CollectionYear,
    la: Annotated[
        str,
        Query(
            pattern=ONS_LA_CODE.pattern,
            description="The authority's ONS code as the DfE's validator names it (E08000035)",
        ),
    ],
    as_known_at: AsKnownAt = None,
) -> Response:
    """The CSV files the DfE's validator reads and `metadata.json` (the year and `la`, as the
    validator takes them), from the whole record as known at `as_known_at` (default now, to
    the second; in the `Foresight-As-Known-At` header and as every file's time in the zip).
    The same log and `as_known_at` give byte-identical zips. The number of completeness
    issues (facts the return needs that the record lacks) is in
    `Foresight-Completeness-Issues`; `foresight export ssda903` prints them."""
    known = as_known_at or utc_now().replace(microsecond=0)
    found = ssda903_from_store(
        foresight.caught_up(), year=year, as_known_at=known, agency=foresight.returns_agency
    )
    log_read(foresight, user, request, case_id=EVERY_CASE, as_known_at=known)
    headers = {
        ISSUES_HEADER: str(len(found.issues)),
        KNOWN_AT_HEADER: known.isoformat(),
        "Content-Disposition": f'attachment; filename="ssda903-{year}-{la}.zip"',
    }
    return Response(ssda903_zip(found, la=la), media_type=ZIP_MEDIA_TYPE, headers=headers)
