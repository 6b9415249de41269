"""Timeliness: a case's intervals between milestones, and the authority-wide report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api.access_log import EVERY_CASE
from api.formats.tables import MEDIA_TYPES, frame_bytes, workbook_bytes
from api.formats.timeliness import (
    TimelinessReport,
    TimescalesSettingError,
    intervals_frame,
    rule_packs,
    rules_frame,
    summary_frame,
    timeliness_report,
)
from api.http.deps import (
    ForesightDep,
    KnownCase,
    Reader,
    SettingsDep,
    TimelinessReporter,
    ViewingAgency,
    log_read,
)
from api.http.params import AsKnownAt, OnDate, day_asked
from api.http.problems import ProblemError
from events.envelope import FieldError
from replay.queries import ChronologyFilter
from replay.timeliness import MILESTONE_TYPES, CaseTimeliness, RulePack, case_timeliness

router = APIRouter()

RulesParam = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        examples=["england"],
        description="The rule pack of local timescales: `england`, `wales`, or the local pack "
        "named by FORESIGHT_TIMESCALES (default: FORESIGHT_TIMESCALES, else england)",
    ),
]


class CaseTimelinessView(CaseTimeliness):
    """A case's intervals as known at a time, to the record or one agency."""

    case_id: str
    as_known_at: datetime | None
    viewed_as: str | None


def rule_pack(settings: SettingsDep, rules: RulesParam = None) -> RulePack:
    """The rule pack asked for, else the configured default (422 naming `query.rules` if there
    is no such pack; 500 if the configured packs cannot be read)."""
    try:
        default, packs = rule_packs(settings.timescales)
    except TimescalesSettingError as error:
        raise ProblemError(500, "Timescales misconfigured", str(error)) from None
    if rules is None:
        return default
    if rules not in packs:
        raise ProblemError(
            422,
            "Invalid request",
            f"No rule pack named {rules!r}",
            [FieldError("query.rules", "expected one of " + ", ".join(packs))],
        )
    return packs[rules]


# A dependency, so an unknown pack is refused after the reader's role and agency and before the
# case is looked up.
ChosenRulePack = Annotated[RulePack, Depends(rule_pack)]


@router.get(
    "/cases/{case_id}/timeliness",
    tags=["cases"],
    response_model=CaseTimelinessView,
    summary="Intervals between milestones beside local timescales (information)",
)
def case_timeliness_view(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    pack: ChosenRulePack,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    on: OnDate = None,
) -> CaseTimelinessView:
    """Contact to decision, to assessment start and completion; strategy discussion to initial
    conference; conference to plan; plan start to first review, review to review. Each in
    calendar and working days, beside the local timescale and the date it falls on; open
    milestones measured to `on` (default: the as-known-at date, or today). Information for
    practitioners and managers, not a pass or fail."""
    entries = foresight.queries.chronology(
        case_id,
        as_known_at=as_known_at,
        agency=viewer,
        where=ChronologyFilter(types=MILESTONE_TYPES),
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    result = case_timeliness(entries, pack, pack.working_days(), day_asked(on, as_known_at))
    return CaseTimelinessView(
        **dict(result), case_id=case_id, as_known_at=as_known_at, viewed_as=viewer
    )


@router.get(
    "/reports/timeliness",
    tags=["reports"],
    response_model=TimelinessReport,
    summary="Timeliness across every case: one row per interval, a summary per milestone",
    responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}}}},
)
def timeliness_report_view(
    request: Request,
    user: TimelinessReporter,
    viewer: ViewingAgency,
    pack: ChosenRulePack,
    foresight: ForesightDep,
    occurred_from: Annotated[
        date | None, Query(alias="from", description="First milestones on or after this date")
    ] = None,
    occurred_to: Annotated[
        date | None, Query(alias="to", description="First milestones on or before this date")
    ] = None,
    as_known_at: AsKnownAt = None,
    on: OnDate = None,
    output_format: Annotated[
        Literal["json", "csv", "xlsx"], Query(alias="format", description="Output format")
    ] = "json",
) -> TimelinessReport | Response:
    """For managers (their agency's knowledge) and reviewers (the record, or one agency). CSV
    has one row per interval; XLSX adds the summary and the rule pack; JSON has both."""
    if occurred_from and occurred_to and occurred_to < occurred_from:
        raise ProblemError(
            422,
            "Invalid request",
            "`to` is before `from`",
            [FieldError("query.to", "must not be before from")],
        )
    report = timeliness_report(
        foresight.caught_up(),
        pack,
        as_known_at=as_known_at,
        agency=viewer,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        on=day_asked(on, as_known_at),
    )
    log_read(
        foresight, user, request, case_id=EVERY_CASE, as_known_at=as_known_at, viewed_as=viewer
    )
    if output_format == "json":
        return report
    if output_format == "csv":
        content = frame_bytes(intervals_frame(report.intervals), "csv")
    else:
        content = workbook_bytes(
            {
                "summary": summary_frame(report.summary),
                "intervals": intervals_frame(report.intervals),
                "rules": rules_frame(pack),
            }
        )
    return Response(
        content,
        media_type=MEDIA_TYPES[output_format],
        headers={"Content-Disposition": f'attachment; filename="timeliness.{output_format}"'},
    )
