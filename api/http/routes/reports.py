"""Authority-wide reports answered from the read models (managers and reviewers)."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request, Response

from api.access_log import EVERY_CASE
from api.formats.tables import MEDIA_TYPES, frame_bytes
from api.http.deps import ForesightDep, WholeRecordReporter, log_read
from api.http.params import AsKnownAt, OnDate
from replay.authority import AuthorityQueries, ChildOnPlan

router = APIRouter(prefix="/reports", tags=["reports"])

PlanKind = Literal["child_protection", "child_in_need", "looked_after", "early_help"]


@router.get(
    "/children-on-plans",
    response_model=list[ChildOnPlan],
    summary="Every child on a plan of a kind on a date, as known at a time",
)
def children_on_plans(
    request: Request,
    user: WholeRecordReporter,
    foresight: ForesightDep,
    kind: Annotated[PlanKind, Query(description="The kind of plan")] = "child_protection",
    on: OnDate = None,
    as_known_at: AsKnownAt = None,
    output_format: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> list[ChildOnPlan] | Response:
    """For example, the children on a child protection plan on 31 March as the record knew it
    on 1 April (a plan ending on the date counts as active that day)."""
    foresight.caught_up()
    children = AuthorityQueries(foresight.queries.engine).children_on_plans(
        kind=kind, on=on, as_known_at=as_known_at
    )
    log_read(foresight, user, request, case_id=EVERY_CASE, as_known_at=as_known_at)
    if output_format == "json":
        return children
    frame = pd.DataFrame(
        [child.model_dump() for child in children], columns=list(ChildOnPlan.model_fields)
    )
    return Response(
        frame_bytes(frame, output_format, sheet="children on plans"),
        media_type=MEDIA_TYPES[output_format],
    )
