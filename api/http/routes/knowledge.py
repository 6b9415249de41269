"""The knowledge matrix of a case: what each agency knew at a moment (reviewers only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator

from api.http.deps import ForesightDep, WholeRecordReader, log_read
from api.http.params import AsKnownAt, CaseId
from api.http.problems import ProblemError
from events.envelope import FieldError
from events.timepoints import parse_instant, utc_now
from replay.knowledge_matrix import KnowledgeMatrix, knowledge_matrix

router = APIRouter(prefix="/cases", tags=["cases"])


def _moment(value: object) -> datetime | None:
    return None if value in (None, "") else parse_instant(value)


Moment = Annotated[
    datetime | None,
    BeforeValidator(_moment),
    Query(
        description="The moment whose knowledge is shown (a date means the end of that day; "
        "default: as_known_at, or now)",
        examples=["2024-01-16T12:00"],
    ),
]


@router.get(
    "/{case_id}/knowledge",
    response_model=KnowledgeMatrix,
    summary="What each agency knew at a moment, and when each entry reached each agency",
)
def case_knowledge(
    case_id: CaseId,
    request: Request,
    user: WholeRecordReader,
    foresight: ForesightDep,
    at: Moment = None,
    as_known_at: AsKnownAt = None,
) -> KnowledgeMatrix:
    """One column per agency: what it knew at `at`, and what it held that no other agency knew;
    for each entry, the share that carried it to each agency (or that it never was), as known
    at `as_known_at`. Reviewers only: it shows every agency's records."""
    moment = at or as_known_at or utc_now()
    if as_known_at is not None and moment > as_known_at:
        raise ProblemError(
            422,
            "Invalid request",
            "The moment is after the time the record is read as known at",
            [FieldError("query.at", "must not be after as_known_at")],
        )
    matrix = knowledge_matrix(foresight.caught_up(), case_id, at=moment, as_known_at=as_known_at)
    log_read(foresight, user, request, case_id=case_id, as_known_at=moment)
    return matrix
