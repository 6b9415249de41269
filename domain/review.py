"""The Review aggregate: a systems-approach review of one case; it never changes the case record."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

REVIEW_NAMESPACE = uuid5(NAMESPACE_URL, "urn:foresight:review")


def review_uuid(review_id: str) -> UUID:
    """The store's id for a review."""
    return uuid5(REVIEW_NAMESPACE, review_id)


class Review(Aggregate):
    """Key practice episodes and findings about one case, in the order the reviewer made them."""

    class Opened(Aggregate.Created):
        """A reviewer opened the review."""

        review_id: str
        case_id: str
        title: str
        case_as_known_at: str | None
        opened_by: str

    class EpisodeSelected(Aggregate.Event):
        """A key practice episode was selected."""

        episode: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Review)
            aggregate.episodes.append(self.episode)

    class FindingRecorded(Aggregate.Event):
        """A finding was recorded."""

        finding: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Review)
            aggregate.findings.append(self.finding)

    @staticmethod
    def create_id(review_id: str) -> UUID:
        return review_uuid(review_id)

    def __init__(
        self,
        review_id: str,
        case_id: str,
        title: str,
        case_as_known_at: str | None,
        opened_by: str,
    ):
        self.review_id = review_id
        self.case_id = case_id
        self.title = title
        self.case_as_known_at = case_as_known_at
        self.opened_by = opened_by
        self.episodes: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []

    @classmethod
    def open(
        cls,
        *,
        review_id: str,
        case_id: str,
        title: str,
        case_as_known_at: str | None,
        opened_by: str,
        at: datetime,
    ) -> Review:
        return cls._create(
            cls.Opened,
            review_id=review_id,
            case_id=case_id,
            title=title,
            case_as_known_at=case_as_known_at,
            opened_by=opened_by,
            timestamp=at,
        )

    def select_episode(self, episode: dict[str, Any], at: datetime) -> None:
        self.trigger_event(self.EpisodeSelected, episode=episode, timestamp=at)

    def record_finding(self, finding: dict[str, Any], at: datetime) -> None:
        self.trigger_event(self.FindingRecorded, finding=finding, timestamp=at)

    @property
    def created_at(self) -> datetime:
        return self.created_on
