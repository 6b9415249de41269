"""`GET /cases/{case_id}/patterns`: repeated contacts and outcomes, as facts, never a score."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.http.deps import CurrentUser, ForesightDep, log_read, viewing_agency
from api.http.params import AgencyParam, AsKnownAt
from api.http.problems import ProblemError
from api.http.routes.cases import IDENTIFIER, CaseId, _known_case
from events.envelope import FieldError
from replay.patterns import DEFAULT_RULES, PATTERN_TYPES, CasePatterns, WindowRule, case_patterns
from replay.queries import ChronologyFilter

router = APIRouter(prefix="/cases", tags=["cases"])

MAX_RULES = 10

WindowParam = Annotated[
    list[str] | None,
    Query(
        alias="window",
        description=(
            "A rule COUNT:DAYS (`3:90`) or COUNT:MONTHSm (`5:12m`); repeat for several. "
            "Replaces the defaults 3:90 and 5:12m"
        ),
        examples=[["3:90", "5:12m"]],
    ),
]


def _rules(texts: list[str] | None) -> list[WindowRule]:
    if not texts:
        return list(DEFAULT_RULES)
    errors = []
    rules = []
    for text in texts:
        try:
            rules.append(WindowRule.parse(text))
        except ValueError as error:
            errors.append(FieldError("query.window", str(error)))
    if len(texts) > MAX_RULES:
        errors.append(FieldError("query.window", f"at most {MAX_RULES} windows"))
    if errors:
        raise ProblemError(
            422, "Invalid request", "The request was refused; nothing was written.", errors
        )
    return rules


@router.get(
    "/{case_id}/patterns",
    response_model=CasePatterns,
    summary="Repeated contacts, repeated 'no further action', plans ended and restarted",
)
def case_patterns_view(
    case_id: CaseId,
    request: Request,
    user: CurrentUser,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    agency: AgencyParam = None,
    subject: Annotated[
        str | None, Query(pattern=IDENTIFIER, description="Only what names this child")
    ] = None,
    window: WindowParam = None,
    min_nfa_run: Annotated[
        int, Query(ge=2, le=100, description="Shortest run of 'no further action' reported")
    ] = 2,
) -> Any:
    """Contacts counted in rolling windows (over all, per source agency, per concern) with each
    contact's outcome; totals; runs of consecutive "no further action"; strategy discussions
    ending in no further action; plans of a kind ended and started again for the same child.

    A window of L days starts on each contact's date and covers L calendar days from it
    (contacts exactly L days apart are not in one window); windows meeting the rule and sharing
    a contact merge into one episode. Built from the chronology as known at `as_known_at`, to
    `agency` (corrections applied, retracted entries left out). Facts to interpret, not a score.
    """
    viewer = viewing_agency(user, agency)
    rules = _rules(window)
    queries = _known_case(foresight, case_id)
    entries = queries.chronology(
        case_id,
        as_known_at=as_known_at,
        agency=viewer,
        where=ChronologyFilter(types=PATTERN_TYPES),
    )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return case_patterns(
        case_id,
        entries,
        rules=rules,
        subject=subject,
        min_no_further_action_run=min_nfa_run,
        as_known_at=as_known_at,
        viewed_as=viewer,
    )
