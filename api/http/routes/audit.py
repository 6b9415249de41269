"""Audit endpoints for information governance (auditors only)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Response

from api.audit import a_page, access_audit, access_count, actions_per_agency, recording_audit
from api.formats.tables import MEDIA_TYPES, frame_bytes
from api.http.deps import AccessAuditor, Auditor, ForesightDep
from api.http.params import After, AgencyParam, AuditFormat, Until
from events.vocabulary import IDENTIFIER_PATTERN

router = APIRouter(prefix="/audit", tags=["audit"])

Limit = Annotated[
    int | None,
    Query(ge=1, le=10_000, description="At most this many rows (default: every row)"),
]
Offset = Annotated[int, Query(ge=0, description="Skip this many rows first (paging)")]
TOTAL = {
    "X-Total-Count": {
        "description": "How many rows the filters select, before limit and offset",
        "schema": {"type": "integer"},
    }
}


def _respond(frame: pd.DataFrame, output_format: str, name: str, total: int) -> Response:
    headers = {"X-Total-Count": str(total)}
    if output_format != "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}.{output_format}"'
    return Response(
        frame_bytes(frame, output_format, sheet=name),
        media_type=MEDIA_TYPES[output_format],
        headers=headers,
    )


@router.get(
    "/recording",
    summary="Who recorded, corrected, retracted and shared what; late entries",
    responses={200: {"headers": TOTAL}},
)
def audit_recording(
    user: Auditor,
    foresight: ForesightDep,
    case_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    person_id: Annotated[
        str | None,
        Query(pattern=IDENTIFIER_PATTERN, description="Only events about this person"),
    ] = None,
    agency: AgencyParam = None,
    recorded_by: Annotated[str | None, Query(max_length=80)] = None,
    since: After = None,
    until: Until = None,
    late_after_days: Annotated[float, Query(ge=0, le=3650)] = 7.0,
    late_only: bool = False,
    per_agency: Annotated[bool, Query(description="Counts per agency instead of rows")] = False,
    limit: Limit = None,
    offset: Offset = 0,
    output_format: AuditFormat = "json",
) -> Response:
    """One row per stored event, with delays from when it happened to when it was recorded;
    `limit` and `offset` page through the rows in recording order."""
    foresight.caught_up()
    frame = recording_audit(
        foresight.queries.engine,
        case_id=case_id,
        person_id=person_id,
        agency=agency,
        recorded_by=recorded_by,
        since=since,
        until=until,
        late_after_days=late_after_days,
        late_only=late_only,
    )
    if per_agency:
        frame = actions_per_agency(frame)
    return _respond(a_page(frame, limit, offset), output_format, "recording", len(frame))


@router.get(
    "/access",
    summary="Who read which case or person, when, and as known when",
    responses={200: {"headers": TOTAL}},
)
def audit_access(
    user: AccessAuditor,
    foresight: ForesightDep,
    case_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    person_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    reader: Annotated[str | None, Query(max_length=80, description="The user who read")] = None,
    agency: AgencyParam = None,
    since: After = None,
    until: Until = None,
    limit: Limit = None,
    offset: Offset = 0,
    output_format: AuditFormat = "json",
) -> Response:
    """The append-only access log, filtered; `limit` and `offset` page through it in the
    order the reads were made."""
    engine = foresight.queries.engine
    frame = access_audit(
        engine,
        case_id=case_id,
        person_id=person_id,
        user=reader,
        agency=agency,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    total = access_count(
        engine,
        case_id=case_id,
        person_id=person_id,
        user=reader,
        agency=agency,
        since=since,
        until=until,
    )
    return _respond(frame, output_format, "access", total)
