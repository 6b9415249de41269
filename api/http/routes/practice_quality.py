"""Practice quality as information: a case's, and the authority-wide report (never a score)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.access_log import EVERY_CASE
from api.formats.practice_quality import cases_frame, report_sheets
from api.formats.tables import MEDIA_TYPES, frame_bytes, workbook_bytes
from api.http.deps import ForesightDep, KnownCase, Reader, Reporter, ViewingAgency, log_read
from api.http.params import AsKnownAt, OnDate, day_asked
from replay.practice_quality import (
    CasePracticeQuality,
    PracticeQualityReport,
    practice_quality,
    practice_quality_report,
)

router = APIRouter()


@router.get(
    "/cases/{case_id}/practice-quality",
    tags=["cases"],
    response_model=CasePracticeQuality,
    summary="How often and when each child was seen, seen alone and heard; oversight of decisions",
)
def case_practice_quality_view(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    on: OnDate = None,
) -> CasePracticeQuality:
    """Per child: the dates seen, seen alone and their words recorded, the gaps between visits
    and the days since each (to `on`, default the as-known-at date or today); per decision: the
    management oversight recorded on it and how many days after. Facts, not a score."""
    result = practice_quality(
        foresight.queries,
        case_id,
        on=day_asked(on, as_known_at),
        as_known_at=as_known_at,
        agency=viewer,
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return result


@router.get(
    "/reports/practice-quality",
    tags=["reports"],
    response_model=PracticeQualityReport,
    summary="Practice quality across every case: children seen, seen alone, heard; oversight",
    responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}}}},
)
def practice_quality_report_view(
    request: Request,
    user: Reporter,
    viewer: ViewingAgency,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    on: OnDate = None,
    output_format: Annotated[
        Literal["json", "csv", "xlsx"], Query(alias="format", description="Output format")
    ] = "json",
) -> PracticeQualityReport | Response:
    """For managers (their agency's knowledge) and reviewers (the record, or one agency): one
    row per case with a child, and the totals. Facts beside the timeliness report, not a score.
    CSV has one row per case; XLSX adds the totals; JSON has both."""
    report = practice_quality_report(
        foresight.caught_up(),
        on=day_asked(on, as_known_at),
        as_known_at=as_known_at,
        agency=viewer,
    )
    log_read(
        foresight, user, request, case_id=EVERY_CASE, as_known_at=as_known_at, viewed_as=viewer
    )
    if output_format == "json":
        return report
    if output_format == "csv":
        content = frame_bytes(cases_frame(report), "csv")
    else:
        content = workbook_bytes(report_sheets(report))
    return Response(
        content,
        media_type=MEDIA_TYPES[output_format],
        headers={"Content-Disposition": f'attachment; filename="practice-quality.{output_format}"'},
    )
