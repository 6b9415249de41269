"""A review as a panel reads it: each episode's entries and the foresight view of its decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.review import Review
from events.reviews import CONTRIBUTORY_FACTORS
from events.timepoints import InstantField, parse_instant
from projections.fold import ChronologyEntry
from replay.foresight import ForesightView, foresight_view
from replay.queries import CaseQueries


class EpisodeView(BaseModel):
    """A key practice episode with its entries (as known at the review's date) and decisions."""

    model_config = ConfigDict(frozen=True)

    episode_id: str
    title: str
    starts: str
    ends: str
    summary: str | None
    selected_by: str
    entries: list[ChronologyEntry]
    decisions: list[ForesightView]


class ReviewView(BaseModel):
    """The whole review."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    case_id: str
    title: str
    case_as_known_at: str | None
    opened_by: str
    opened_at: InstantField
    episodes: list[EpisodeView]
    findings: list[dict[str, Any]]
    factor_vocabulary: list[str]


def review_view(queries: CaseQueries, review: Review) -> ReviewView:
    """Build the panel's view of a review from the read models."""
    as_known_at: datetime | None = (
        parse_instant(review.case_as_known_at) if review.case_as_known_at else None
    )
    episodes = []
    for episode in review.episodes:
        entries = [
            entry
            for event_id in episode["event_ids"]
            if (entry := queries.entry(review.case_id, event_id, as_known_at=as_known_at))
        ]
        decisions = [
            foresight_view(
                queries, review.case_id, str(entry.event_id), hindsight_as_known_at=as_known_at
            )
            for entry in entries
            if entry.type == "decision_made"
        ]
        episodes.append(
            EpisodeView(
                episode_id=episode["episode_id"],
                title=episode["title"],
                starts=episode["starts"],
                ends=episode["ends"],
                summary=episode.get("summary"),
                selected_by=episode["selected_by"],
                entries=entries,
                decisions=decisions,
            )
        )
    return ReviewView(
        review_id=review.review_id,
        case_id=review.case_id,
        title=review.title,
        case_as_known_at=review.case_as_known_at,
        opened_by=review.opened_by,
        opened_at=review.created_on,
        episodes=episodes,
        findings=list(review.findings),
        factor_vocabulary=list(CONTRIBUTORY_FACTORS),
    )
