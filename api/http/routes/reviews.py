"""Systems-approach reviews: open one, select key practice episodes, record findings, read it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.formats.html import review_html
from api.formats.tables import MEDIA_TYPES, review_frames, workbook_bytes
from api.http.deps import ForesightDep, ReviewEditor, ReviewOpener, ReviewReader, log_read
from domain.reviewing import ReviewDesk
from events.reviews import EpisodeSelection, FindingRecord, ReviewOpening
from events.timepoints import InstantField
from events.vocabulary import IDENTIFIER_PATTERN
from replay.review_view import ReviewView, review_view

router = APIRouter(prefix="/reviews", tags=["reviews"])
ReviewId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]


@router.post("", status_code=201, response_model=ReviewView, summary="Open a review of a case")
def open_review(
    opening: ReviewOpening, request: Request, user: ReviewOpener, foresight: ForesightDep
) -> ReviewView:
    """A reviewer opens a review, optionally of the case as known at a date."""
    review = ReviewDesk(foresight.service).open(opening, user.name)
    log_read(foresight, user, request, case_id=opening.case_id)
    return review_view(foresight.caught_up(), review)


class ReviewListed(BaseModel):
    """A review in the list: what it is of, and who opened it when."""

    review_id: str
    case_id: str
    title: str
    case_as_known_at: str | None
    opened_by: str
    opened_at: InstantField


@router.get("", response_model=list[ReviewListed], summary="The reviews, newest first")
def list_reviews(
    user: ReviewReader,
    foresight: ForesightDep,
    case_id: Annotated[
        str | None, Query(pattern=IDENTIFIER_PATTERN, description="Only reviews of this case")
    ] = None,
) -> list[ReviewListed]:
    """Every review opened (of one case, if given), the newest first: titles and cases only,
    no case data."""
    return [
        ReviewListed(
            review_id=opened.review_id,
            case_id=opened.case_id,
            title=opened.title,
            case_as_known_at=opened.case_as_known_at,
            opened_by=opened.opened_by,
            opened_at=opened.timestamp,
        )
        for opened in reversed(ReviewDesk(foresight.service).opened(case_id))
    ]


@router.get(
    "/{review_id}",
    response_model=ReviewView,
    responses={200: {"content": {MEDIA_TYPES["html"]: {}, MEDIA_TYPES["xlsx"]: {}}}},
    summary="The review: episodes with their foresight views, and findings",
)
def get_review(
    review_id: ReviewId,
    request: Request,
    user: ReviewReader,
    foresight: ForesightDep,
    output_format: Annotated[Literal["json", "html", "xlsx"], Query(alias="format")] = "json",
) -> ReviewView | Response:
    """Each episode with the foresight view of each decision in it, and the findings."""
    review = ReviewDesk(foresight.service).get(review_id)
    view = review_view(foresight.caught_up(), review)
    log_read(foresight, user, request, case_id=review.case_id)
    if output_format == "html":
        return HTMLResponse(review_html(view))
    if output_format == "xlsx":
        return Response(
            workbook_bytes(review_frames(view)),
            media_type=MEDIA_TYPES["xlsx"],
            headers={"Content-Disposition": f'attachment; filename="{review_id}.xlsx"'},
        )
    return view


@router.post("/{review_id}/episodes", status_code=201, summary="Select a key practice episode")
def select_episode(
    review_id: ReviewId, selection: EpisodeSelection, user: ReviewEditor, foresight: ForesightDep
) -> dict[str, Any]:
    """A titled span of time and the case events it is made of (all must be in the case)."""
    return ReviewDesk(foresight.service).select_episode(review_id, selection, user.name)


@router.post("/{review_id}/findings", status_code=201, summary="Record a finding")
def record_finding(
    review_id: ReviewId, finding: FindingRecord, user: ReviewEditor, foresight: ForesightDep
) -> dict[str, Any]:
    """Text, contributory factors from the Learning Together typology or free tags, and the
    events it rests on (all must be in the case)."""
    return ReviewDesk(foresight.service).record_finding(review_id, finding, user.name)
