"""`GET /cases/{case_id}/patterns`: repeated contacts and outcomes, as facts, never a score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.http.deps import ForesightDep, KnownCase, Reader, ViewingAgency, log_read
from api.http.params import AsKnownAt
from api.http.problems import ProblemError
from events.envelope import FieldError
from events.vocabulary import IDENTIFIER_PATTERN
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


def window_rules(window: WindowParam = None) -> list[WindowRule]:
    """The window rules asked for (422 naming `query.window` if any is not a rule)."""
    if not window:
        return list(DEFAULT_RULES)
    errors: list[FieldError] = []
    rules: list[WindowRule] = []
    for text in window:
        try:
            rules.append(WindowRule.parse(text))
        except ValueError as error:
            errors.append(FieldError("query.window", str(error)))
    if len(window) > MAX_RULES:
        errors.append(FieldError("query.window", f"at most {MAX_RULES} windows"))
    if errors:
        raise ProblemError(
            422, "Invalid request", "The request was refused; nothing was written.", errors
        )
    return rules


# A dependency, so a bad rule is refused after the reader's role and agency and before the case
# is looked up.
WindowRules = Annotated[list[WindowRule], Depends(window_rules)]


@router.get(
    "/{case_id}/patterns",
    response_model=CasePatterns,
    summary="Repeated contacts, repeated 'no further action', plans ended and restarted",
)
def case_patterns_view(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    rules: WindowRules,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
    subject: Annotated[
        str | None, Query(pattern=IDENTIFIER_PATTERN, description="Only what names this child")
    ] = None,
    min_nfa_run: Annotated[
        int, Query(ge=2, le=100, description="Shortest run of 'no further action' reported")
    ] = 2,
) -> CasePatterns:
    """Contacts counted in rolling windows (over all, per source agency, per concern) with each
    contact's outcome; totals; runs of consecutive "no further action"; strategy discussions
    ending in no further action; plans of a kind ended and started again for the same child.

    A window of L days starts on each contact's date and covers L calendar days from it
    (contacts exactly L days apart are not in one window); windows meeting the rule and sharing
    a contact merge into one episode. Built from the chronology as known at `as_known_at`, to
    `agency` (corrections applied, retracted entries left out). Facts to interpret, not a score.
    """
    entries = foresight.queries.chronology(
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
