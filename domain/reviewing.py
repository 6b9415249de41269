"""The write side of reviews: open a review, select episodes, record findings, all checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from domain.errors import CaseNotFound, ReviewNotFound, UnknownReference
from domain.review import Review, review_uuid
from domain.service import CaseService
from events.fieldpaths import field_path
from events.reviews import EpisodeSelection, FindingRecord, ReviewOpening
from events.timepoints import format_timepoint, utc_now


class ReviewDesk:
    """Reviews live in the same store as cases, as their own aggregates; a review only reads
    the case record, never writes to it."""

    def __init__(self, service: CaseService):
        self.service = service

    def open(self, opening: ReviewOpening, reviewer: str) -> Review:
        if not self.service.case_exists(opening.case_id):
            raise CaseNotFound(opening.case_id)
        review = Review.open(
            review_id=f"REV-{uuid4().hex[:12]}",
            case_id=opening.case_id,
            title=opening.title,
            case_as_known_at=(
                format_timepoint(opening.case_as_known_at) if opening.case_as_known_at else None
            ),
            opened_by=reviewer,
            at=utc_now(),
        )
        self.service.save(review)
        return review

    def get(self, review_id: str) -> Review:
        try:
            review: object = self.service.repository.get(review_uuid(review_id))
        except AggregateNotFoundError:
            raise ReviewNotFound(review_id) from None
        assert isinstance(review, Review)
        return review

    def opened(self, case_id: str | None = None) -> list[Review.Opened]:
        """Every review opened (of one case, if given), in the order opened: read from the
        store's log by the event's topic, a page at a time."""
        topic = get_topic(Review.Opened)
        found: list[Review.Opened] = []
        start: int | None = None
        while True:
            page = self.service.recorder.select_notifications(
                start=start, limit=500, topics=[topic], inclusive_of_start=start is None
            )
            for notification in page:
                event = self.service.mapper.to_domain_event(notification)
                assert isinstance(event, Review.Opened)
                if case_id is None or event.case_id == case_id:
                    found.append(event)
            if len(page) < 500:
                return found
            start = page[-1].id

    def select_episode(
        self, review_id: str, selection: EpisodeSelection, reviewer: str
    ) -> dict[str, Any]:
        review = self.get(review_id)
        self._check_in_case(review, selection.event_ids)
        episode = {
            "episode_id": f"E{len(review.episodes) + 1}",
            "title": selection.title,
            "starts": format_timepoint(selection.starts),
            "ends": format_timepoint(selection.ends),
            "event_ids": [str(event_id) for event_id in selection.event_ids],
            "summary": selection.summary,
            "selected_by": reviewer,
        }
        review.select_episode(episode, utc_now())
        self.service.save(review)
        return episode

    def record_finding(
        self, review_id: str, finding: FindingRecord, reviewer: str
    ) -> dict[str, Any]:
        review = self.get(review_id)
        self._check_in_case(review, finding.event_ids)
        if finding.episode_id and finding.episode_id not in {
            episode["episode_id"] for episode in review.episodes
        }:
            raise UnknownReference(
                "episode_id", f"review {review_id} has no episode {finding.episode_id!r}"
            )
        recorded = {
            "finding_id": f"F{len(review.findings) + 1}",
            "text": finding.text,
            "factors": list(finding.factors),
            "tags": list(finding.tags),
            "event_ids": [str(event_id) for event_id in finding.event_ids],
            "episode_id": finding.episode_id,
            "recorded_by": reviewer,
        }
        review.record_finding(recorded, utc_now())
        self.service.save(review)
        return recorded

    def _check_in_case(self, review: Review, event_ids: Sequence[UUID]) -> None:
        located = self.service.index.locate(str(event_id) for event_id in event_ids)
        for index, event_id in enumerate(event_ids):
            where = located.get(str(event_id))
            if where is None or where.case_id != review.case_id:
                raise UnknownReference(
                    field_path("event_ids", index),
                    f"no event {event_id} in case {review.case_id!r}",
                )
