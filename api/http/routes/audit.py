"""Audit endpoints for information governance (auditors only)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Response

from api.audit import access_audit, actions_per_agency, recording_audit
from api.formats.tables import MEDIA_TYPES, frame_bytes
from api.http.deps import AccessAuditor, Auditor, ForesightDep
from api.http.params import After, AgencyParam, AuditFormat, Until
from events.vocabulary import IDENTIFIER_PATTERN

router = APIRouter(prefix="/audit", tags=["audit"])


def _respond(frame: pd.DataFrame, output_format: str, name: str) -> Response:
    return Response(
        frame_bytes(frame, output_format, sheet=name),
        media_type=MEDIA_TYPES[output_format],
        headers={}
        if output_format == "json"
        else {"Content-Disposition": f'attachment; filename="{name}.{output_format}"'},
    )


@router.get(
    "/recording", summary="Who recorded, corrected, retracted and shared what; late entries"
)
def audit_recording(
    user: Auditor,
    foresight: ForesightDep,
    case_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    agency: AgencyParam = None,
    recorded_by: Annotated[str | None, Query(max_length=80)] = None,
    since: After = None,
    until: Until = None,
    late_after_days: Annotated[float, Query(ge=0, le=3650)] = 7.0,
    late_only: bool = False,
    per_agency: Annotated[bool, Query(description="Counts per agency instead of rows")] = False,
    output_format: AuditFormat = "json",
) -> Response:
    """One row per stored event, with delays from when it happened to when it was recorded."""
    foresight.caught_up()
    frame = recording_audit(
        foresight.queries.engine,
        case_id=case_id,
        agency=agency,
        recorded_by=recorded_by,
        since=since,
        until=until,
        late_after_days=late_after_days,
        late_only=late_only,
    )
    if per_agency:
        frame = actions_per_agency(frame)
    return _respond(frame, output_format, "recording")


@router.get("/access", summary="Who read which case or person, when, and as known when")
def audit_access(
    user: AccessAuditor,
    foresight: ForesightDep,
    case_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    person_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    reader: Annotated[str | None, Query(max_length=80, description="The user who read")] = None,
    agency: AgencyParam = None,
    since: After = None,
    until: Until = None,
    output_format: AuditFormat = "json",
) -> Response:
    """The append-only access log, filtered."""
    frame = access_audit(
        foresight.queries.engine,
        case_id=case_id,
        person_id=person_id,
        user=reader,
        agency=agency,
        since=since,
        until=until,
    )
    return _respond(frame, output_format, "access")
