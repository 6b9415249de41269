"""The event envelope (docs/recording.md): parsing a submitted event and naming every bad field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from events import codes
from events.fieldpaths import field_path, location_path
from events.timepoints import WhenField, is_before
from events.vocabulary import (
    DATA_MODELS,
    AgencyName,
    EventData,
    Identifier,
    ShortText,
    Text,
)

EventType = Literal[
    "case_opened",
    "person_added",
    "relationship_recorded",
    "contact_received",
    "child_seen",
    "child_voice_recorded",
    "assessment_started",
    "assessment_completed",
    "strategy_discussion_held",
    "conference_held",
    "plan_started",
    "plan_reviewed",
    "plan_ended",
    "decision_made",
    "action_taken",
    "information_shared",
    "note_added",
    "document_attached",
    "document_version_added",
    "marked_significant",
    "entry_corrected",
    "entry_retracted",
    "worker_allocated",
    "worker_unallocated",
    "oversight_recorded",
    "case_closed",
    "case_reopened",
    "core_group_held",
    "legal_status_changed",
    "placement_started",
    "placement_ended",
    "missing_episode_recorded",
    "emergency_protection",
]


@dataclass(frozen=True)
class FieldError:
    """One refused field: where it is (dotted path) and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidEventError(ValueError):
    """A submitted event (or batch) breaks the vocabulary; nothing is written."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as dotted field paths with a readable reason."""
    found = []
    for detail in error.errors(include_url=False):
        path = location_path(detail["loc"], prefix)
        reason = detail["msg"].removeprefix("Value error, ")
        found.append(FieldError(path or "(event)", reason))
    return found


class EventEnvelope(BaseModel):
    """An event as submitted: the common fields, with `data` checked against its type."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "3f1c2a9e-6b1d-4c39-9a51-0c2f6f0b7e11",
                    "type": "contact_received",
                    "case_id": "FAM-0042",
                    "occurred_at": "2024-03-01T10:15:00+00:00",
                    "agency": "police",
                    "recorded_by": "pc-1234",
                    "subjects": ["child-ava"],
                    "summary": "Neighbour reported shouting and a child crying late at night",
                    "significance": "significant",
                    "data": {"contact_kind": "concern", "outcome": "strategy_discussion"},
                }
            ]
        },
    )

    event_id: UUID | None = None
    type: EventType
    case_id: Identifier
    occurred_at: WhenField
    agency: AgencyName
    recorded_by: ShortText | None = None
    subjects: tuple[Identifier, ...] = ()
    summary: Text | None = None
    significance: codes.Significance = "routine"
    source_recorded_at: WhenField | None = None
    impact: Text | None = None
    action: Text | None = None
    date_uncertain: bool = False
    data: dict[str, Any] = Field(default_factory=dict)

    def typed_data(self) -> EventData:
        """The `data` as its type's model (already validated by `parse_event`)."""
        return DATA_MODELS[self.type].model_validate(self.data)


def parse_event(raw: object, *, prefix: str = "") -> EventEnvelope:
    """Validate one submitted event, envelope and `data`; raise naming every bad field."""
    if not isinstance(raw, Mapping):
        raise InvalidEventError([FieldError(prefix or "(event)", "expected a JSON object")])
    try:
        envelope = EventEnvelope.model_validate(dict(raw))
    except ValidationError as error:
        errors = field_errors(error, prefix)
        raw_type = raw.get("type")
        # `type` may be any JSON value here, a list or an object too (unhashable).
        if (
            isinstance(raw_type, str)
            and raw_type in DATA_MODELS
            and isinstance(raw.get("data", {}), Mapping)
        ):
            errors += _data_errors(raw_type, raw.get("data", {}), prefix)
        raise InvalidEventError(_deduplicate(errors)) from None
    errors = _data_errors(envelope.type, envelope.data, prefix) + _cross_field_errors(
        envelope, prefix
    )
    if errors:
        raise InvalidEventError(errors)
    normalised = DATA_MODELS[envelope.type].model_validate(envelope.data)
    return envelope.model_copy(
        update={"data": normalised.model_dump(mode="json", exclude_none=True)}
    )


def _cross_field_errors(envelope: EventEnvelope, prefix: str) -> list[FieldError]:
    errors = []
    if envelope.source_recorded_at is not None and is_before(
        envelope.source_recorded_at, envelope.occurred_at
    ):
        errors.append(
            FieldError(
                field_path(prefix, "source_recorded_at"), "may not be earlier than occurred_at"
            )
        )
    if len(set(envelope.subjects)) != len(envelope.subjects):
        errors.append(
            FieldError(field_path(prefix, "subjects"), "names the same person more than once")
        )
    return errors


def _data_errors(event_type: str, data: Mapping[str, Any], prefix: str) -> list[FieldError]:
    try:
        DATA_MODELS[event_type].model_validate(dict(data))
    except ValidationError as error:
        return field_errors(error, field_path(prefix, "data"))
    return []


def _deduplicate(errors: list[FieldError]) -> list[FieldError]:
    seen: dict[str, FieldError] = {}
    for error in errors:
        seen.setdefault(str(error), error)
    return list(seen.values())


def entry_content(envelope: EventEnvelope) -> dict[str, Any]:
    """The envelope as stored: JSON-ready, defaults written out, versioned by type."""
    # Time points are written by their fields' serializer (`format_timepoint`, WhenField).
    content = envelope.model_dump(mode="json")
    content["schema_version"] = DATA_MODELS[envelope.type].version
    return content


def correction_data_changes(
    target_type: str, changes: Mapping[str, Any], prefix: str
) -> dict[str, Any]:
    """Check a correction's `data` changes field by field against the target's type."""
    model = DATA_MODELS[target_type]
    errors: list[FieldError] = []
    normalised: dict[str, Any] = {}
    for name, value in changes.items():
        where = field_path(prefix, name)
        field = model.model_fields.get(name)
        if field is None:
            errors.append(FieldError(where, f"{target_type} has no data field {name!r}"))
            continue
        if name in model.identity_fields:
            errors.append(
                FieldError(
                    where,
                    "says which thing the entry is about and cannot be corrected; "
                    "retract the entry and record it anew",
                )
            )
            continue
        adapter = _field_adapter(target_type, name)
        try:
            normalised[name] = adapter.dump_python(adapter.validate_python(value), mode="json")
        except ValidationError as error:
            errors += field_errors(error, where)
    if errors:
        raise InvalidEventError(errors)
    return normalised


@cache
def _field_adapter(event_type: str, name: str) -> TypeAdapter[Any]:
    field = DATA_MODELS[event_type].model_fields[name]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)])
