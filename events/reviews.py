"""What a systems-approach case review records: the review, key practice episodes, findings."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from events.timepoints import WhenField, is_before
from events.vocabulary import Identifier, ShortText, Text

# SCIE "Learning Together" typology of underlying patterns (docs/reviews.md).
ContributoryFactor = Literal[
    "human_tool_operation",
    "human_management_systems",
    "multi_agency_communication_in_incidents_and_crises",
    "multi_agency_communication_in_assessment_and_longer_term_work",
    "family_professional_interaction",
    "human_reasoning",
]
CONTRIBUTORY_FACTORS: tuple[str, ...] = ContributoryFactor.__args__  # type: ignore[attr-defined]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class ReviewOpening(BaseModel):
    """A reviewer opens a review of one case, optionally of the case as known at a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: Identifier
    title: ShortText
    case_as_known_at: WhenField | None = None


class EpisodeSelection(BaseModel):
    """A key practice episode: a titled span of time and the events it is made of."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: ShortText
    starts: WhenField
    ends: WhenField
    event_ids: tuple[UUID, ...] = Field(min_length=1)
    summary: Text | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> EpisodeSelection:
        if is_before(self.ends, self.starts):
            raise ValueError("ends may not be before starts")
        return self


class FindingRecord(BaseModel):
    """A finding: text, contributory factors (typology or free tags), the events it rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Text
    factors: tuple[ContributoryFactor, ...] = ()
    tags: tuple[Tag, ...] = ()
    event_ids: tuple[UUID, ...] = ()
    episode_id: Identifier | None = None
