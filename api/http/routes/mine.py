"""A reader's own cases (`GET /me/cases`) and finding a case (`GET /cases?q=`): the lists the
web page starts from, each case summed up as the reader's agency knows it now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from api.access_log import EVERY_CASE, access_log
from api.http.deps import (
    READ_CASE_ROLES,
    WHOLE_RECORD_ROLES,
    ForesightDep,
    log_read,
    role_required,
)
from api.users import User
from replay.caseload import Caseload, CaseSummary

router = APIRouter(tags=["cases"])

# A worker's own caseload is a practitioner's or a manager's: reviewers and auditors hold none.
CASELOAD_ROLES = frozenset({"practitioner", "manager"})
CaseHolder = Annotated[User, Depends(role_required(CASELOAD_ROLES, "hold cases"))]
CaseFinder = Annotated[User, Depends(role_required(READ_CASE_ROLES, "find cases"))]

SearchText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=80),
    Query(
        description="Part of a case id, or of a child's name as your agency knows it "
        "(any letter case; at least 2 characters)",
        examples=["FAM-00", "ava"],
    ),
]


class CaseItem(BaseModel):
    """One case in a reader's list, as their agency knows it now."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    children: list[str]
    last_entry_on: date | None
    new_since_last_look: int
    last_looked_at: datetime | None


def _item(summary: CaseSummary) -> CaseItem:
    return CaseItem(
        case_id=summary.case_id,
        children=list(summary.children),
        last_entry_on=summary.last_entry_on,
        new_since_last_look=summary.new_since_last_look,
        last_looked_at=summary.last_looked_at,
    )


def last_looks(foresight: ForesightDep, user: User, case_ids: Sequence[str]) -> dict[str, datetime]:
    """When the user last read each case, from the access log (any read naming the case; a
    list like this one is logged against every case, so it is not a look at any)."""
    if not case_ids:
        return {}
    log = access_log
    query = (
        select(log.c.case_id, func.max(log.c.at).label("last"))
        .where(
            log.c.user == user.name,
            log.c.agency == user.agency,
            log.c.case_id.in_(sorted(set(case_ids))),
        )
        .group_by(log.c.case_id)
    )
    with foresight.queries.engine.connect() as connection:
        return {row.case_id: row.last for row in connection.execute(query)}


def _summed_up(
    foresight: ForesightDep, user: User, case_ids: Sequence[str], agency: str | None
) -> list[CaseItem]:
    caseload = Caseload(foresight.queries.engine)
    looks = last_looks(foresight, user, case_ids)
    return [_item(summary) for summary in caseload.summaries(case_ids, agency, looks)]


@router.get(
    "/me/cases",
    response_model=list[CaseItem],
    summary="My cases: those allocated to me, newest activity first",
)
def my_cases(request: Request, user: CaseHolder, foresight: ForesightDep) -> list[CaseItem]:
    """The cases where a `worker_allocated` of your agency names you and no later
    `worker_unallocated` undoes it, as your agency knows them now: the children, the last
    entry's date, and how many entries reached your agency since you last read the case."""
    foresight.caught_up()
    case_ids = Caseload(foresight.queries.engine).allocated_case_ids(user.name, user.agency)
    found = _summed_up(foresight, user, case_ids, user.agency)
    log_read(foresight, user, request, case_id=EVERY_CASE, viewed_as=user.agency)
    return found


@router.get(
    "/cases",
    response_model=list[CaseItem],
    summary="Find a case by its id or a child's name",
)
def find_cases(
    request: Request, user: CaseFinder, foresight: ForesightDep, q: SearchText
) -> list[CaseItem]:
    """Cases whose id, or one of whose children's names as your agency knows them, holds `q`
    (reviewers search the whole record); the most recently active first, at most 50."""
    agency = None if user.role in WHOLE_RECORD_ROLES else user.agency
    foresight.caught_up()
    case_ids = Caseload(foresight.queries.engine).matching_case_ids(q, agency)
    found = _summed_up(foresight, user, case_ids, agency)
    log_read(foresight, user, request, case_id=EVERY_CASE, viewed_as=agency)
    return found
