"""The type-specific `data` of each event type (docs/recording.md), one frozen model per type."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from events import codes
from events.timepoints import WhenField

# A case, person or other reference id as sent by a recording system; the HTTP layer checks
# path and query ids against the same pattern.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$"
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=IDENTIFIER_PATTERN),
]


def _lowered(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


AgencyName = Annotated[
    str, BeforeValidator(_lowered), StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Slug = Annotated[
    str, BeforeValidator(_lowered), StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
]


def _abuse_category(value: object) -> object:
    if isinstance(value, str):
        return codes.ABUSE_CATEGORY_WORDS.get(value.strip().lower(), value.strip().upper())
    return value


AbuseCategoryField = Annotated[codes.AbuseCategory, BeforeValidator(_abuse_category)]


def _distinct(event_ids: tuple[UUID, ...]) -> tuple[UUID, ...]:
    # A repeated id would count one piece of information twice (a share, a decision's basis).
    if len(set(event_ids)) != len(event_ids):
        raise ValueError("names the same event more than once")
    return event_ids


EventIds = Annotated[tuple[UUID, ...], AfterValidator(_distinct)]


class EventData(BaseModel):
    """Base of every type's data: frozen, unknown fields refused, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: ClassVar[int] = 1
    # Fields that say which thing an event is about; a correction may not change them.
    identity_fields: ClassVar[tuple[str, ...]] = ()
    # Fields naming other events of the same case.
    event_reference_fields: ClassVar[tuple[str, ...]] = ()
    # Fields naming people of the case.
    person_reference_fields: ClassVar[tuple[str, ...]] = ()


class CaseOpened(EventData):
    """A case begins; explicit, or added by the store before a case's first event."""


class PersonAdded(EventData):
    """A child or adult becomes part of the case."""

    identity_fields = ("person_id",)

    person_id: Identifier
    role: codes.PersonRole
    name: ShortText | None = None
    date_of_birth: WhenField | None = None
    expected_birth_date: WhenField | None = None
    relationship: ShortText | None = None
    household: ShortText | None = None
    upn: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{11}[0-9A-Z]$")] | None = None
    # Why the child has no UPN (the DfE's UN codes): only when `upn` is absent.
    upn_unknown_reason: codes.UpnUnknownReason | None = None
    sex: codes.Sex | None = None
    ethnicity: codes.Ethnicity | None = None
    disabilities: tuple[codes.Disability, ...] | None = None

    @field_validator("upn_unknown_reason")
    @classmethod
    def _only_without_upn(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if reason is not None and info.data.get("upn") is not None:
            raise ValueError("only when no upn is recorded")
        return reason


class RelationshipRecorded(EventData):
    """How two people of the case are related (for genograms)."""

    person_reference_fields = ("person_id", "other_person_id")

    person_id: Identifier
    other_person_id: Identifier
    relationship: ShortText


class ContactReceived(EventData):
    """A contact, referral, concern or notification about a child.

    Version 2 replaced the single `concern_category` with the list `concern_categories`.
    """

    version = 2

    contact_kind: codes.ContactKind | None = None
    source_agency: AgencyName | None = None
    concern_categories: tuple[codes.ConcernCategory, ...] | None = None
    outcome: codes.ContactOutcome | None = None
    referral_source: codes.ReferralSource | None = None
    primary_need: codes.PrimaryNeed | None = None


class ChildSeen(EventData):
    """A professional saw the child."""

    seen_alone: bool | None = None
    where: ShortText | None = None


class ChildVoiceRecorded(EventData):
    """The child's own words, verbatim."""

    words: Text


class AssessmentStarted(EventData):
    """An assessment begins."""

    identity_fields = ("assessment_id",)

    assessment_id: Identifier
    kind: codes.AssessmentKind | None = None


class AssessmentCompleted(EventData):
    """An assessment is completed."""

    identity_fields = ("assessment_id",)

    assessment_id: Identifier
    outcome: ShortText | None = None
    analysis: Text | None = None
    factors: (
        tuple[Annotated[str, StringConstraints(pattern=codes.ASSESSMENT_FACTOR_PATTERN)], ...]
        | None
    ) = None


class StrategyDiscussionHeld(EventData):
    """Agencies met or spoke to decide whether to make enquiries."""

    agencies: tuple[AgencyName, ...] | None = None
    outcome: Slug | None = None


class ConferenceHeld(EventData):
    """A child protection conference."""

    kind: codes.ConferenceKind
    outcome: codes.ConferenceOutcome | None = None
    category: AbuseCategoryField | None = None


class PlanStarted(EventData):
    """A plan (early help, child in need, child protection, looked after) begins."""

    identity_fields = ("plan_id", "kind")

    plan_id: Identifier
    kind: codes.PlanKind
    category: AbuseCategoryField | None = None
    goals: tuple[ShortText, ...] | None = None
    review_due: WhenField | None = None


class PlanReviewed(EventData):
    """A plan is reviewed."""

    identity_fields = ("plan_id",)

    plan_id: Identifier
    progress: Text | None = None
    next_review_due: WhenField | None = None
    # A looked-after child's review: how the child took part (the SSDA903 REVIEW_CODE).
    participation: codes.ReviewParticipation | None = None


class PlanEnded(EventData):
    """A plan ends."""

    identity_fields = ("plan_id",)

    plan_id: Identifier
    reason: ShortText | None = None


class DecisionMade(EventData):
    """A decision, with the information it relied on."""

    event_reference_fields = ("information_relied_on",)

    decision: Text
    rationale: Text | None = None
    options_considered: tuple[ShortText, ...] | None = None
    information_relied_on: EventIds | None = None
    risks: Text | None = None
    urgency: codes.Urgency | None = None
    review_by: WhenField | None = None


class ActionTaken(EventData):
    """An action planned, done or cancelled."""

    description: Text
    action_kind: codes.ActionKind | None = None
    status: codes.ActionStatus | None = None
    due: WhenField | None = None


class InformationShared(EventData):
    """Events of this case shared with another agency, from this event's known time."""

    identity_fields = ("to_agency", "event_ids")
    event_reference_fields = ("event_ids",)

    to_agency: AgencyName
    event_ids: EventIds = Field(min_length=1)
    basis: codes.SharingBasis | None = None
    summary: Text | None = None


class NoteAdded(EventData):
    """A free-text note; the text is the envelope's `summary`."""


class DocumentAttached(EventData):
    """A document, identified by its SHA-256."""

    name: ShortText
    sha256: Annotated[str, BeforeValidator(_lowered), StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    media_type: ShortText | None = None
    size: Annotated[int, Field(ge=0)] | None = None


class DocumentVersionAdded(EventData):
    """A version of a document of the case (docs/documents.md); the store keeps its bytes.

    Versions of one `document_id` are numbered 1, 2, … in recording order; the case assigns
    the next number when `version_number` is not given.
    """

    identity_fields = ("document_id", "version_number", "sha256", "media_type", "size")

    document_id: Identifier
    name: ShortText
    sha256: Annotated[str, BeforeValidator(_lowered), StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    media_type: Annotated[
        str,
        BeforeValidator(_lowered),
        StringConstraints(
            pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$"
        ),
    ]
    size: Annotated[int, Field(ge=0)]
    version_number: Annotated[int, Field(ge=1)] | None = None


class MarkedSignificant(EventData):
    """A professional's mark of how significant another entry is."""

    identity_fields = ("target_event_id",)
    event_reference_fields = ("target_event_id",)

    target_event_id: UUID
    significance: codes.Significance
    reason: Text | None = None


class EntryChanges(BaseModel):
    """What a correction sets on its target; at least one field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: WhenField | None = None
    date_uncertain: bool | None = None
    summary: Text | None = None
    subjects: tuple[Identifier, ...] | None = None
    significance: codes.Significance | None = None
    impact: Text | None = None
    action: Text | None = None
    data: dict[str, Any] | None = None


class EntryCorrected(EventData):
    """A correction of another entry; the target stays in the log as it was."""

    identity_fields = ("target_event_id",)
    event_reference_fields = ("target_event_id",)

    target_event_id: UUID
    changes: EntryChanges
    reason: Text


class EntryRetracted(EventData):
    """An entry withdrawn from chronologies from now on; it stays in the log."""

    identity_fields = ("target_event_id",)
    event_reference_fields = ("target_event_id",)

    target_event_id: UUID
    reason: Text


class WorkerAllocated(EventData):
    """A worker takes the case for the recording agency: who holds it there, from now on."""

    # Which worker the entry is about: retract and record anew rather than correct it.
    identity_fields = ("worker",)

    worker: Identifier  # the worker's user name
    team: ShortText | None = None
    role: ShortText | None = None
    # The worker's Social Work England registration number (the SSDA903 SW_ID).
    registration_number: Annotated[str, StringConstraints(pattern=r"^SW[0-9]{1,10}$")] | None = None


class WorkerUnallocated(EventData):
    """A worker allocated to the case for the recording agency no longer holds it."""

    identity_fields = ("worker",)

    worker: Identifier
    team: ShortText | None = None
    role: ShortText | None = None
    # Why the worker no longer holds it (the SSDA903 SW_REASON of the next worker's episode).
    reason: codes.SocialWorkerChangeReason | None = None


class OversightRecorded(EventData):
    """A manager's oversight of one decision of the case, or (no target) of the case as a whole."""

    identity_fields = ("target_event_id",)
    event_reference_fields = ("target_event_id",)

    target_event_id: UUID | None = None
    view: codes.OversightView
    reasons: Text | None = None
    next_steps: Text | None = None


class CaseClosed(EventData):
    """The case is closed; later entries are still accepted and flagged."""

    reason_code: codes.ClosureReason | None = None


class CaseReopened(EventData):
    """A closed case is opened again."""

    reason: ShortText | None = None


def _upper(value: object) -> object:
    return " ".join(value.split()).upper() if isinstance(value, str) else value


def _postcode(value: object) -> object:
    """Capitals, single spaces, and a full postcode written without its space given one."""
    value = _upper(value)
    if isinstance(value, str):
        return re.sub(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$", r"\1 \2", value)
    return value


# A UK postcode, full ("LS1 4AP": the SSDA903 returns full home and placement postcodes to the
# DfE, which derives the placement's authority and distance from them) or partial ("LS1 4",
# the outward code and sector digit, or the outward code alone) where only that is known.
Postcode = Annotated[
    str,
    BeforeValidator(_postcode),
    StringConstraints(pattern=r"^[A-Z]{1,2}[0-9][0-9A-Z]?( [0-9]([A-Z]{2})?)?$"),
]


class CoreGroupHeld(EventData):
    """The core group of a child protection plan met."""

    plan_id: Identifier | None = None
    agencies: tuple[AgencyName, ...] | None = None
    outcome: ShortText | None = None


class LegalStatusChanged(EventData):
    """A child's legal status as a looked-after child (SSDA903 code) changed."""

    person_reference_fields = ("person_id",)

    status: codes.LegalStatus
    person_id: Identifier | None = None


class PlacementStarted(EventData):
    """A looked-after child's placement began."""

    identity_fields = ("placement_id",)
    person_reference_fields = ("person_id",)

    placement_id: Identifier
    person_id: Identifier | None = None
    kind: codes.PlacementType | None = None  # the SSDA903 placement type
    provider: codes.PlacementProvider | None = None
    postcode: Postcode | None = None  # the placement's
    # The child's home postcode when this period of care began (the SSDA903 HOME_POST).
    home_postcode: Postcode | None = None
    reason: codes.EpisodeStartReason | None = None
    change_reason: codes.PlacementChangeReason | None = None
    urn: Identifier | None = None
    # On the placement that begins a period of care: the child's previous permanence (the
    # SSDA903 PrevPerm table), the date of its order and the authority that arranged it.
    previous_permanence: codes.PreviousPermanence | None = None
    permanence_date: WhenField | None = None
    permanence_authority: codes.PermanenceAuthority | None = None

    @field_validator("permanence_date", "permanence_authority")
    @classmethod
    def _only_with_permanence(cls, value: object, info: ValidationInfo) -> object:
        option = info.data.get("previous_permanence")
        if value is not None and option in (None, codes.NO_PREVIOUS_PERMANENCE):
            raise ValueError("only with a previous_permanence P1-P4")
        return value


class PlacementEnded(EventData):
    """A looked-after child's placement ended."""

    identity_fields = ("placement_id",)
    person_reference_fields = ("person_id",)

    placement_id: Identifier
    person_id: Identifier | None = None
    reason: codes.EpisodeEndReason | None = None


class MissingEpisodeRecorded(EventData):
    """A period when a child was missing, or away without authorisation."""

    person_reference_fields = ("person_id",)

    person_id: Identifier
    started: WhenField
    ended: WhenField | None = None
    kind: codes.MissingKind | None = None
    return_interview_offered: bool | None = None


class EmergencyProtection(EventData):
    """Police protection or an emergency protection order for a child."""

    person_reference_fields = ("person_id",)

    kind: codes.EmergencyProtectionKind
    person_id: Identifier | None = None
    ends: WhenField | None = None


DATA_MODELS: dict[str, type[EventData]] = {
    "case_opened": CaseOpened,
    "person_added": PersonAdded,
    "relationship_recorded": RelationshipRecorded,
    "contact_received": ContactReceived,
    "child_seen": ChildSeen,
    "child_voice_recorded": ChildVoiceRecorded,
    "assessment_started": AssessmentStarted,
    "assessment_completed": AssessmentCompleted,
    "strategy_discussion_held": StrategyDiscussionHeld,
    "conference_held": ConferenceHeld,
    "plan_started": PlanStarted,
    "plan_reviewed": PlanReviewed,
    "plan_ended": PlanEnded,
    "decision_made": DecisionMade,
    "action_taken": ActionTaken,
    "information_shared": InformationShared,
    "note_added": NoteAdded,
    "document_attached": DocumentAttached,
    "document_version_added": DocumentVersionAdded,
    "marked_significant": MarkedSignificant,
    "entry_corrected": EntryCorrected,
    "entry_retracted": EntryRetracted,
    "worker_allocated": WorkerAllocated,
    "worker_unallocated": WorkerUnallocated,
    "oversight_recorded": OversightRecorded,
    "case_closed": CaseClosed,
    "case_reopened": CaseReopened,
    "core_group_held": CoreGroupHeld,
    "legal_status_changed": LegalStatusChanged,
    "placement_started": PlacementStarted,
    "placement_ended": PlacementEnded,
    "missing_episode_recorded": MissingEpisodeRecorded,
    "emergency_protection": EmergencyProtection,
}

EVENT_TYPES: tuple[str, ...] = tuple(DATA_MODELS)

# Events about other entries rather than entries of the chronology themselves.
AMENDING_TYPES = frozenset({"entry_corrected", "entry_retracted", "marked_significant"})
# Who holds a case for an agency: allocations and their undoing, in recording order.
ALLOCATION_TYPES = frozenset({"worker_allocated", "worker_unallocated"})
# A looked-after child's legal status and placements: the facts of a period of care.
CARE_TYPES = frozenset({"legal_status_changed", "placement_started", "placement_ended"})
