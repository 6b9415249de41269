"""Case endpoints: append events, and read the case as known at a time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.formats.html import chronology_html
from api.formats.tables import MEDIA_TYPES, chronology_frame, frame_bytes
from api.http.deps import (
    CurrentUser,
    ForesightDep,
    KnownCase,
    Reader,
    ViewingAgency,
    WholeRecordReader,
    log_read,
)
from api.http.params import (
    AsKnownAt,
    CaseId,
    ChronologyFormat,
    OccurredFrom,
    OccurredTo,
    OnDate,
    Since,
    Until,
)
from api.http.problems import ProblemError
from api.users import User
from domain.recording_rights import Recorder, check_batch_may_be_recorded, check_may_append
from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event
from events.fieldpaths import field_path
from events.recorded import RecordedEvent
from events.timepoints import utc_now
from events.vocabulary import IDENTIFIER_PATTERN
from projections.fold import ChronologyEntry
from projections.store.blobs import check_blobs_stored
from replay.foresight import ForesightView, foresight_view
from replay.queries import ChronologyFilter, PlanOnDate

router = APIRouter(prefix="/cases", tags=["cases"])

_APPEND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/EventEnvelope"},
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/EventEnvelope"},
                            "minItems": 1,
                        },
                    ]
                },
                "examples": {
                    "one event": {
                        "value": {
                            "type": "contact_received",
                            "occurred_at": "2024-03-01T10:15:00+00:00",
                            "subjects": ["ava"],
                            "summary": "Neighbour reported shouting and a child crying late "
                            "at night",
                            "significance": "significant",
                            "data": {"contact_kind": "concern", "outcome": "strategy_discussion"},
                        }
                    },
                    "a batch": {
                        "value": [
                            {
                                "type": "person_added",
                                "occurred_at": "2024-03-01",
                                "data": {"person_id": "ava", "role": "child", "name": "Ava"},
                            },
                            {
                                "type": "child_seen",
                                "occurred_at": "2024-03-02T15:00",
                                "subjects": ["ava"],
                                "data": {"seen_alone": True, "where": "school"},
                            },
                        ]
                    },
                },
            }
        },
    }
}


# OpenAPI links: what a client (and Schemathesis' stateful tests) can read after appending.
_SAME_CASE = {"case_id": "$request.path.case_id"}
_AFTER_APPEND = {
    **{
        name: {
            "operationRef": f"#/paths/~1cases~1{{case_id}}~1{path}/get",
            "parameters": _SAME_CASE,
            "description": f"The case's {path} now",
        }
        for name, path in (
            ("Chronology", "chronology"),
            ("Events", "events"),
            ("Decisions", "decisions"),
            ("Plans", "plans"),
            ("Changes", "changes"),
            ("Timeliness", "timeliness"),
            ("Patterns", "patterns"),
        )
    },
    "Foresight": {
        "operationRef": "#/paths/~1cases~1{case_id}~1decisions~1{event_id}~1foresight/get",
        "parameters": {**_SAME_CASE, "event_id": "$response.body#/event_id"},
        "description": "The foresight view of the decision just appended",
    },
}


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ProblemError(
            422,
            "Invalid request",
            "If-Match must be a case version",
            [FieldError("header.If-Match", "expected a case version such as 7")],
        )
    return int(text)


@router.post(
    "/{case_id}/events",
    status_code=201,
    response_model=list[RecordedEvent] | RecordedEvent,
    summary="Append one event or a batch (atomic)",
    openapi_extra=_APPEND_BODY,
    responses={
        201: {"links": _AFTER_APPEND},
        200: {"description": "An idempotent retry: the stored events, nothing new"},
        409: {"description": "Version conflict, event id reused, or refused by the case"},
        413: {"description": "Request larger than 1 MiB"},
    },
)
def append_events(
    case_id: CaseId,
    request: Request,
    user: CurrentUser,
    foresight: ForesightDep,
    body: Annotated[Any, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Append events to a case: all of them or none. `agency` and `recorded_by` come from the
    token."""
    recorder = Recorder(name=user.name, role=user.role, agency=user.agency)
    check_may_append(recorder)
    items = body if isinstance(body, list) else [body]
    if not items:
        raise InvalidEventError([FieldError("(body)", "no events to append")])
    envelopes: list[EventEnvelope] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        prefix = field_path(index) if isinstance(body, list) else ""
        try:
            envelopes.append(_submitted(item, case_id, user, prefix))
        except InvalidEventError as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidEventError(errors)
    check_batch_may_be_recorded(
        envelopes,
        lambda _: recorder,
        foresight.service.entry_agency,
        numbered=isinstance(body, list),
    )
    check_blobs_stored(envelopes, foresight.blobs, numbered=isinstance(body, list))
    expected = _expected_version(if_match)
    outcome = foresight.service.append(
        envelopes, expected_versions={case_id: expected} if expected is not None else None
    )
    # The stored events' own JSON, answered as it is: FastAPI would validate them again
    # against the response model (in one more thread hop) before writing the same text.
    texts = [event.model_dump_json() for event in outcome.events]
    return Response(
        "[" + ",".join(texts) + "]" if isinstance(body, list) else texts[0],
        status_code=201 if outcome.created else 200,
        media_type="application/json",
        headers={"ETag": f'"{max(event.version for event in outcome.events)}"'},
    )


def _submitted(item: object, case_id: str, user: User, prefix: str) -> EventEnvelope:
    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    if not isinstance(item, dict):
        raise InvalidEventError([FieldError(prefix or "(body)", "expected a JSON object")])
    raw = dict(item)
    if raw.get("case_id") not in (None, case_id):
        raise InvalidEventError([FieldError(at("case_id"), f"must be {case_id!r}, as in the URL")])
    if raw.get("agency") not in (None, "") and str(raw["agency"]).strip().lower() != user.agency:
        raise ProblemError(
            403,
            "Forbidden",
            f"You record for {user.agency}, not {raw['agency']}",
            [FieldError(at("agency"), f"must be your agency, {user.agency}")],
        )
    if raw.get("recorded_by") not in (None, "", user.name):
        raise ProblemError(
            403,
            "Forbidden",
            f"You are {user.name}, not {raw['recorded_by']}",
            [FieldError(at("recorded_by"), f"must be you, {user.name}")],
        )
    raw.update(case_id=case_id, agency=user.agency, recorded_by=user.name)
    return parse_event(raw, prefix=prefix)


@router.get(
    "/{case_id}/events", response_model=list[RecordedEvent], summary="The raw log of a case"
)
def case_events(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    include_retracted: bool = True,
) -> list[RecordedEvent]:
    """The stored events of a case, in recording order, known at `as_known_at`."""
    found = foresight.queries.events(
        case_id, as_known_at=as_known_at, include_retracted=include_retracted, agency=viewer
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return found


@router.get(
    "/{case_id}/chronology",
    response_model=list[ChronologyEntry],
    summary="The chronology, ordered by when things happened",
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def case_chronology(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    subject: Annotated[
        str | None,
        Query(pattern=IDENTIFIER_PATTERN, description="Only entries naming this person"),
    ] = None,
    significance: Literal["routine", "significant", "key"] | None = None,
    types: Annotated[str | None, Query(description="Comma-separated event types")] = None,
    occurred_from: OccurredFrom = None,
    occurred_to: OccurredTo = None,
    include_retracted: bool = False,
    output_format: ChronologyFormat = "json",
) -> Response:
    """Entries as known at `as_known_at` (to the whole record, or to `agency`), with filters."""
    queries = foresight.queries
    where = ChronologyFilter(
        subject=subject,
        min_significance=significance,
        types=tuple(t.strip() for t in types.split(",") if t.strip()) if types else (),
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        include_retracted=include_retracted,
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    if output_format == "json":
        return Response(
            queries.chronology_json(case_id, as_known_at=as_known_at, agency=viewer, where=where),
            media_type="application/json",
        )
    entries = queries.chronology(case_id, as_known_at=as_known_at, agency=viewer, where=where)
    if output_format == "html":
        return HTMLResponse(
            chronology_html(
                f"Chronology of {case_id}",
                entries,
                as_known_at=as_known_at,
                viewed_as=viewer,
                generated_at=utc_now(),
            )
        )
    return Response(
        frame_bytes(chronology_frame(entries), output_format, sheet=case_id),
        media_type=MEDIA_TYPES[output_format],
        headers={
            "Content-Disposition": f'attachment; filename="{case_id}-chronology.{output_format}"'
        },
    )


@router.get(
    "/{case_id}/plans",
    response_model=list[PlanOnDate],
    summary="Plans active on a date, as known at a time to the reader's agency",
)
def case_plans(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    on: OnDate = None,
    as_known_at: AsKnownAt = None,
) -> list[PlanOnDate]:
    """Each plan active `on` a date as known at `as_known_at` to the reader's agency (or, for a
    reviewer, the whole record or `agency`), with goals, last review and due date: a plan is
    known like any entry, by starting it or being sent its start."""
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return foresight.queries.plans(case_id, on=on, as_known_at=as_known_at, agency=viewer)


@router.get(
    "/{case_id}/decisions", response_model=list[ChronologyEntry], summary="The decisions register"
)
def case_decisions(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> list[ChronologyEntry]:
    """Every decision as known at `as_known_at`, with rationale, options and information
    relied on."""
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return foresight.queries.decisions(case_id, as_known_at=as_known_at, agency=viewer)


@router.get(
    "/{case_id}/decisions/{event_id}/foresight",
    response_model=ForesightView,
    summary="What the decider knew, what others held, what was learned later",
)
def decision_foresight(
    case_id: CaseId,
    event_id: str,
    request: Request,
    user: WholeRecordReader,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> ForesightView:
    """The foresight view of one decision (reviewers only: it shows other agencies' records).
    The groups are read at the decision's cutoff; `as_known_at` says when to read what came
    after it: entries learned later, later corrections and retractions, and the managers'
    oversight of the decision (`oversight`)."""
    view = foresight_view(
        foresight.caught_up(), case_id, event_id, hindsight_as_known_at=as_known_at
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=view.cutoff)
    return view


@router.get(
    "/{case_id}/changes",
    response_model=list[RecordedEvent],
    summary="What became known between two times",
)
def case_changes(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    since: Since,
    until: Until = None,
) -> JSONResponse:
    """New events, corrections, retractions and shares that became known in (since, until]."""
    log_read(foresight, user, request, case_id=case_id, as_known_at=until, viewed_as=viewer)
    return JSONResponse(
        [
            event.model_dump(mode="json")
            for event in foresight.queries.changes(case_id, since=since, until=until, agency=viewer)
        ]
    )
