"""`GET /exports/annex-a`: Ofsted's Annex A lists 1-8 as an XLSX workbook or a zip of CSVs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BeforeValidator

from api.access_log import EVERY_CASE
from api.formats.annex_a import annex_a_csv_zip, annex_a_xlsx
from api.formats.tables import MEDIA_TYPES
from api.http.deps import ForesightDep, Reporter, ViewingAgency, log_read
from api.http.params import AsKnownAt, calendar_day
from api.http.problems import ProblemError
from events.envelope import FieldError
from events.timepoints import utc_now
from replay.annex_a import annex_a_from_queries

router = APIRouter(prefix="/exports", tags=["exports"])

PeriodDay = Annotated[date, BeforeValidator(calendar_day)]


@router.get(
    "/annex-a",
    summary="Ofsted's Annex A lists 1-8 for a period, as known at a time (managers, reviewers)",
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}, "application/zip": {}}}},
)
def export_annex_a(
    request: Request,
    user: Reporter,
    viewer: ViewingAgency,  # a manager: their own agency's knowledge only
    foresight: ForesightDep,
    period_from: Annotated[PeriodDay, Query(alias="from", description="First day, included")],
    period_to: Annotated[PeriodDay, Query(alias="to", description="Last day, included")],
    as_known_at: AsKnownAt = None,
    output_format: Annotated[
        Literal["xlsx", "csv"],
        Query(alias="format", description="xlsx: a sheet per list; csv: a zip with a CSV per list"),
    ] = "xlsx",
) -> Response:
    """Contacts, early help, referrals, assessments, section 47 enquiries, children in need,
    child protection and children looked after, from the whole record (or what `agency` knew)
    as known at `as_known_at` (default now). The same log and the same `as_known_at` give
    byte-identical files (the time used is in the `Foresight-As-Known-At` header)."""
    if period_to < period_from:
        raise ProblemError(
            422,
            "Invalid request",
            "The period ends before it starts.",
            [FieldError("query.to", "must not be before `from`")],
        )
    known = as_known_at or utc_now().replace(microsecond=0)
    annex = annex_a_from_queries(
        foresight.caught_up(),
        period_from=period_from,
        period_to=period_to,
        as_known_at=known,
        agency=viewer,
    )
    log_read(foresight, user, request, case_id=EVERY_CASE, as_known_at=known, viewed_as=viewer)
    stem = f"annex-a-{period_from.isoformat()}-{period_to.isoformat()}"
    if output_format == "xlsx":
        data, media_type, name = annex_a_xlsx(annex), MEDIA_TYPES["xlsx"], f"{stem}.xlsx"
    else:
        data, media_type, name = annex_a_csv_zip(annex), "application/zip", f"{stem}.zip"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Foresight-As-Known-At": known.isoformat(),
        },
    )
