"""The Case aggregate: decides whether an event may be recorded, then records it in a hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from domain.errors import InvariantViolation, UnknownReference
from events.envelope import (
    EventEnvelope,
    FieldError,
    InvalidEventError,
    correction_data_changes,
    entry_content,
    field_errors,
)
from events.fieldpaths import field_path
from events.timepoints import Timepoint, is_before, parse_timepoint, start_of
from events.vocabulary import ALLOCATION_TYPES, AMENDING_TYPES, DATA_MODELS

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:foresight:case")
GENESIS_HASH = "0" * 64
FUTURE_TOLERANCE = timedelta(hours=24)


def case_uuid(case_id: str) -> UUID:
    """The store's id for a case: stable, derived from the case id."""
    return uuid5(CASE_NAMESPACE, case_id)


# Built once: `json.dumps` with these options builds an encoder on every call.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return _CANONICAL_ENCODER.encode(value).encode()


def content_digest(envelope: EventEnvelope) -> str:
    """What a client sent, as a digest; an idempotent retry must send the same."""
    return digest_of_content(entry_content(envelope))


def digest_of_content(content: dict[str, Any]) -> str:
    """`content_digest` of the envelope whose `entry_content` this is."""
    return hashlib.sha256(
        canonical_json({name: value for name, value in content.items() if name != "event_id"})
    ).hexdigest()


def chain_hash(
    prev_hash: str, *, case_id: str, version: int, recorded_at: datetime, entry: dict[str, Any]
) -> str:
    """SHA-256 over the predecessor's hash and this event's canonical content."""
    content = {
        "case_id": case_id,
        "version": version,
        "recorded_at": recorded_at.isoformat(),
        "entry": entry,
    }
    return hashlib.sha256(prev_hash.encode() + canonical_json(content)).hexdigest()


class Entry(NamedTuple):
    """What the invariants know of one entry of a case.

    Immutable, so copies of the case share it; a tuple, so a snapshot stores it as the JSON
    list it always has (`Case.revive` makes it an Entry again when a snapshot is read).
    """

    type: str
    version: int
    digest: str | None
    retracted: bool
    # What the entry is about (a person, plan or assessment id; for an allocation, the agency
    # and the worker), for the tracked types.
    key: str | None


class DatedEntry(TypedDict):
    """An entry whose dates the invariants compare: its type, when and data, as corrected."""

    type: str
    occurred_at: str
    data: dict[str, Any]


# Entries with dates that must keep their order: a missing episode's start and end, a
# placement's start and its end.
DATED_TYPES = frozenset({"missing_episode_recorded", "placement_started", "placement_ended"})


def corrected(dated: DatedEntry, changes: dict[str, Any]) -> DatedEntry:
    """The entry as a correction leaves it: a new occurred_at, data fields set."""
    return {
        "type": dated["type"],
        "occurred_at": changes.get("occurred_at") or dated["occurred_at"],
        "data": {**dated["data"], **(changes.get("data") or {})},
    }


class PlanState(TypedDict):
    """What the invariants know of one plan of a case."""

    kind: str
    ended: bool
    ended_at: str | None


class Case(Aggregate):
    """One case record: its people, plans, assessments and the ids of every entry.

    The state kept here is only what the invariants need, so an append loads a
    snapshot and a few events, never the whole chronology.
    """

    class Opened(Aggregate.Created):
        """The first event of a case, whatever its type."""

        case_id: str
        entry: dict[str, Any]
        prev_hash: str
        hash: str

    class EntryRecorded(Aggregate.Event):
        """Every later event of the case."""

        entry: dict[str, Any]
        prev_hash: str
        hash: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate._take(self.entry, self.hash, self.originator_version)

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return case_uuid(case_id)

    def __init__(self, case_id: str, entry: dict[str, Any], prev_hash: str, hash: str):
        self.case_id = case_id
        self.entries: dict[str, Entry] = {}
        self.persons: dict[str, int] = {}
        self.plans: dict[str, PlanState] = {}
        # assessment_id -> completed?
        self.assessments: dict[str, bool] = {}
        # document_id -> versions recorded (retracted ones too: a number is never reused)
        self.documents: dict[str, int] = {}
        # event_id -> the type, occurred_at and data (corrections applied) of each entry whose
        # dates are checked against each other: a correction is checked as the corrected entry.
        self.dated: dict[str, DatedEntry] = {}
        self.closed = False
        self.last_hash = GENESIS_HASH
        # The base class has already set self.version to this first event's version.
        self._take(entry, hash, self.version)

    # -- deciding ---------------------------------------------------------------------------

    @classmethod
    def open(cls, envelope: EventEnvelope, *, recorded_at: datetime, prefix: str = "") -> Case:
        """Start a case with its first event, checked against an empty case."""
        entry = decide(_EmptyCase(envelope.case_id), envelope, recorded_at, prefix)
        return cls._create(
            cls.Opened,
            case_id=envelope.case_id,
            entry=entry,
            prev_hash=GENESIS_HASH,
            hash=chain_hash(
                GENESIS_HASH,
                case_id=envelope.case_id,
                version=cls.INITIAL_VERSION,
                recorded_at=recorded_at,
                entry=entry,
            ),
            timestamp=recorded_at,
        )

    def record(self, envelope: EventEnvelope, *, recorded_at: datetime, prefix: str = "") -> None:
        """Check an event against the case as recorded so far, then record it."""
        entry = decide(self, envelope, recorded_at, prefix)
        version = self.version + 1
        self.trigger_event(
            self.EntryRecorded,
            entry=entry,
            prev_hash=self.last_hash,
            hash=chain_hash(
                self.last_hash,
                case_id=self.case_id,
                version=version,
                recorded_at=recorded_at,
                entry=entry,
            ),
            timestamp=recorded_at,
        )

    # -- applying ---------------------------------------------------------------------------

    def _take(self, entry: dict[str, Any], hash: str, version: int) -> None:
        """Fold one stored entry, the case's `version`th, into the state the invariants need."""
        event_id = entry["event_id"]
        event_type = entry["type"]
        data = entry.get("data", {})
        key = _key_of(event_type, data, entry["agency"])
        self.entries[event_id] = Entry(event_type, version, entry.get("digest"), False, key)
        self.last_hash = hash
        if event_type in DATED_TYPES:
            self.dated[event_id] = {
                "type": event_type,
                "occurred_at": entry["occurred_at"],
                "data": data,
            }
        elif event_type == "entry_corrected" and data["target_event_id"] in self.dated:
            self.dated[data["target_event_id"]] = corrected(
                self.dated[data["target_event_id"]], data["changes"]
            )
        if key is not None:
            self._track(event_type, key, version, entry)
        elif event_type == "entry_retracted":
            self._withdraw(data["target_event_id"])
        elif event_type == "case_closed":
            self.closed = True
        elif event_type == "case_reopened":
            self.closed = False

    def _track(self, event_type: str, key: str, version: int, entry: dict[str, Any]) -> None:
        """Fold an entry about a person, plan or assessment (its `key`) into their state."""
        if event_type == "person_added":
            self.persons.setdefault(key, version)
        elif event_type == "plan_started":
            self.plans[key] = {"kind": entry["data"]["kind"], "ended": False, "ended_at": None}
        elif event_type == "plan_ended":
            plan = self.plans[key]
            plan["ended"], plan["ended_at"] = True, entry["occurred_at"]
        elif event_type == "assessment_started":
            self.assessments[key] = False
        elif event_type == "assessment_completed":
            self.assessments[key] = True
        elif event_type == "document_version_added":
            self.documents[key] = self.documents.get(key, 0) + 1

    def _withdraw(self, target_id: str) -> None:
        """A retracted entry no longer counts for the invariants: its plan, person or
        assessment can be recorded anew."""
        target = self.entries[target_id]
        self.entries[target_id] = target._replace(retracted=True)
        target_type, key = target.type, target.key
        if key is None:
            return
        if target_type == "person_added":
            self.persons.pop(key, None)
        elif target_type == "plan_started":
            self.plans.pop(key, None)
        elif target_type == "plan_ended" and key in self.plans:
            plan = self.plans[key]
            plan["ended"], plan["ended_at"] = False, None
        elif target_type == "assessment_started":
            self.assessments.pop(key, None)
        elif target_type == "assessment_completed" and key in self.assessments:
            self.assessments[key] = False

    def __deepcopy__(self, memo: dict[int, Any]) -> Case:
        """A copy for the repository cache, in time proportional to the number of entries.

        Entries are immutable and can be shared; only the containers are copied.
        """
        clone = object.__new__(type(self))
        for name, value in self.__dict__.items():
            copied = value
            if name == "plans":
                copied = {plan_id: dict(plan) for plan_id, plan in value.items()}
            elif isinstance(value, dict):
                copied = dict(value)
            elif isinstance(value, list):
                copied = list(value)
            clone.__dict__[name] = copied
        return clone

    def digest_of(self, event_id: str) -> str | None:
        """The content digest of an entry of this case, or None if the case has no such entry."""
        found = self.entries.get(event_id)
        return found.digest if found else None

    def version_of(self, event_id: str) -> int:
        return self.entries[event_id].version

    @staticmethod
    def revive(state: dict[str, Any]) -> None:
        """A snapshot's state as JSON gives it back, in the shapes the case keeps: each entry,
        stored as a list, an Entry again."""
        state["entries"] = {
            event_id: Entry(*fields) for event_id, fields in state["entries"].items()
        }
        state.setdefault("documents", {})  # a snapshot taken before documents were kept
        # Snapshots taken before dates were kept: those entries' dates are not checked.
        state.setdefault("dated", {})


# The data field that names what an entry is about, for the types the invariants track.
_KEY_FIELDS: dict[str, str] = {
    "person_added": "person_id",
    "plan_started": "plan_id",
    "plan_reviewed": "plan_id",
    "plan_ended": "plan_id",
    "assessment_started": "assessment_id",
    "assessment_completed": "assessment_id",
    "placement_started": "placement_id",
    "placement_ended": "placement_id",
    "document_version_added": "document_id",
}


def _key_of(event_type: str, data: dict[str, Any], agency: str) -> str | None:
    if event_type in ALLOCATION_TYPES:
        return allocation_key(agency, data["worker"])
    name = _KEY_FIELDS.get(event_type)
    return data.get(name) if name is not None else None


def allocation_key(agency: str, worker: str) -> str:
    """What an allocation is about: a worker holding the case for an agency. An agency name
    has no space in it, so the two are told apart again."""
    return f"{agency} {worker}"


def is_allocated(entries: dict[str, Entry], key: str) -> bool:
    """Whether the allocations recorded (in order, retracted ones not counting) leave the
    worker of `key` holding the case."""
    allocated = False
    for entry in entries.values():
        if entry.key == key and entry.type in ALLOCATION_TYPES and not entry.retracted:
            allocated = entry.type == "worker_allocated"
    return allocated


def recorded_of(entries: dict[str, Entry], event_type: str, key: str) -> bool:
    """Whether the case holds an entry of this type about `key`, not retracted."""
    return any(
        entry.key == key and entry.type == event_type and not entry.retracted
        for entry in entries.values()
    )


class _EmptyCase:
    """The state of a case before its first event, for checking that event."""

    def __init__(self, case_id: str):
        self.case_id = case_id
        self.version = 0
        self.entries: dict[str, Entry] = {}
        self.persons: dict[str, int] = {}
        self.plans: dict[str, PlanState] = {}
        self.assessments: dict[str, bool] = {}
        self.documents: dict[str, int] = {}
        self.dated: dict[str, DatedEntry] = {}
        self.closed = False


def decide(
    case: Case | _EmptyCase, envelope: EventEnvelope, recorded_at: datetime, prefix: str
) -> dict[str, Any]:
    """Refuse an event that breaks an invariant; otherwise return the entry to store."""
    check_times(envelope, recorded_at, prefix)
    check_data(envelope, prefix)
    checks = _Checks(case, envelope, recorded_at, prefix)
    checks.run()
    entry = entry_content(envelope)
    entry["digest"] = digest_of_content(entry)
    entry["event_id"] = str(envelope.event_id or uuid4())
    if checks.normalised_changes is not None:
        entry["data"]["changes"]["data"] = checks.normalised_changes
    if envelope.type == "document_version_added":
        entry["data"]["version_number"] = checks.document_version
    if case.closed and envelope.type != "case_reopened":
        entry["recorded_while_closed"] = True
    return entry


def check_times(envelope: EventEnvelope, recorded_at: datetime, prefix: str = "") -> None:
    """The clock rules: nothing far in the future; a source record not after ours."""
    errors = []
    if _in_far_future(envelope.occurred_at, recorded_at):
        errors.append(
            FieldError(field_path(prefix, "occurred_at"), "is more than 24 hours in the future")
        )
    source = envelope.source_recorded_at
    if source is not None and is_before(recorded_at, source):
        errors.append(
            FieldError(
                field_path(prefix, "source_recorded_at"),
                "may not be later than the time of recording",
            )
        )
    if errors:
        raise InvalidEventError(errors)


def check_data(envelope: EventEnvelope, prefix: str = "") -> None:
    """The type's data again: an envelope may have been built without `parse_event`."""
    try:
        DATA_MODELS[envelope.type].model_validate(envelope.data)
    except ValidationError as error:
        raise InvalidEventError(field_errors(error, field_path(prefix, "data"))) from None


def _check_missing_order(data: dict[str, Any], where: str) -> None:
    """A missing episode does not end before it started."""
    ended = data.get("ended")
    if ended is not None and is_before(parse_timepoint(ended), parse_timepoint(data["started"])):
        raise InvalidEventError([FieldError(where, "is before the episode started")])


def _in_far_future(when: Timepoint, recorded_at: datetime) -> bool:
    return start_of(when) > recorded_at + FUTURE_TOLERANCE


class _Checks:
    """The vocabulary's invariants (docs/recording.md) for one event against one case's state."""

    def __init__(
        self, case: Case | _EmptyCase, envelope: EventEnvelope, recorded_at: datetime, prefix: str
    ):
        self.case = case
        self.envelope = envelope
        self.recorded_at = recorded_at
        self.prefix = prefix
        self.data = envelope.data
        self.normalised_changes: dict[str, Any] | None = None
        self.document_version = 0

    def at(self, *parts: str | int) -> str:
        return field_path(self.prefix, *parts)

    def run(self) -> None:
        self.check_subjects(self.envelope.subjects, "subjects")
        handler = getattr(self, f"check_{self.envelope.type}", None)
        if handler is not None:
            handler()
        model = DATA_MODELS[self.envelope.type]
        for name in model.event_reference_fields:
            value = self.data.get(name)
            if value is None:
                continue
            for index, event_id in enumerate(value if isinstance(value, list) else [value]):
                where = (
                    field_path("data", name, index)
                    if isinstance(value, list)
                    else field_path("data", name)
                )
                self.check_event_exists(str(event_id), where)
        for name in model.person_reference_fields:
            if name in self.data:
                self.check_person_exists(self.data[name], field_path("data", name))

    def check_subjects(self, subjects: Sequence[str], where: str) -> None:
        own = self.data.get("person_id") if self.envelope.type == "person_added" else None
        for index, person_id in enumerate(subjects):
            # The path is written only for a refusal (most events pass: this runs for each).
            if person_id != own and person_id not in self.case.persons:
                self.check_person_exists(person_id, field_path(where, index))

    def check_person_exists(self, person_id: str, where: str) -> None:
        if person_id not in self.case.persons:
            raise UnknownReference(
                self.at(where),
                f"person {person_id!r} has not been added to case {self.case.case_id!r} "
                "(record person_added first)",
            )

    def check_event_exists(self, event_id: str, where: str) -> Entry:
        found = self.case.entries.get(event_id)
        if found is None:
            raise UnknownReference(
                self.at(where), f"no event {event_id} in case {self.case.case_id!r}"
            )
        return found

    def check_amendable_target(self) -> Entry:
        target = self.check_event_exists(
            str(self.data["target_event_id"]), field_path("data", "target_event_id")
        )
        where = self.at("data", "target_event_id")
        if target.type in AMENDING_TYPES:
            raise InvariantViolation(
                where, f"targets a {target.type} event; correct or mark the original entry instead"
            )
        if target.retracted:
            raise InvariantViolation(where, "targets a retracted entry")
        return target

    def check_case_opened(self) -> None:
        if self.case.version != 0:
            raise InvariantViolation(
                self.at("type"), "the case is already open (use case_reopened after case_closed)"
            )

    def check_person_added(self) -> None:
        if self.data["person_id"] in self.case.persons:
            raise InvariantViolation(
                self.at("data", "person_id"),
                f"person {self.data['person_id']!r} is already part of this case",
            )

    def check_assessment_started(self) -> None:
        if self.data["assessment_id"] in self.case.assessments:
            raise InvariantViolation(
                self.at("data", "assessment_id"),
                f"assessment {self.data['assessment_id']!r} has already been started",
            )

    def check_assessment_completed(self) -> None:
        assessment_id = self.data["assessment_id"]
        completed = self.case.assessments.get(assessment_id)
        if completed is None:
            raise InvariantViolation(
                self.at("data", "assessment_id"), f"assessment {assessment_id!r} was never started"
            )
        if completed:
            raise InvariantViolation(
                self.at("data", "assessment_id"),
                f"assessment {assessment_id!r} is already completed",
            )

    def check_plan_started(self) -> None:
        if self.data["plan_id"] in self.case.plans:
            raise InvariantViolation(
                self.at("data", "plan_id"),
                f"plan {self.data['plan_id']!r} has already been started",
            )

    def check_plan_reviewed(self) -> None:
        plan_id = self.data["plan_id"]
        plan = self.case.plans.get(plan_id)
        ended_at = plan.get("ended_at") if plan else None
        if ended_at and not is_before(parse_timepoint(ended_at), self.envelope.occurred_at):
            return  # a review held before the plan ended, recorded late
        self._check_plan_active()

    def check_plan_ended(self) -> None:
        self._check_plan_active()

    def _check_plan_active(self) -> None:
        plan_id = self.data["plan_id"]
        plan = self.case.plans.get(plan_id)
        if plan is None:
            raise InvariantViolation(
                self.at("data", "plan_id"), f"plan {plan_id!r} was never started"
            )
        if plan["ended"]:
            raise InvariantViolation(
                self.at("data", "plan_id"), f"plan {plan_id!r} has already ended"
            )

    def check_core_group_held(self) -> None:
        plan_id = self.data.get("plan_id")
        if plan_id is not None and plan_id not in self.case.plans:
            raise InvariantViolation(
                self.at("data", "plan_id"),
                f"plan {plan_id!r} was never started (record plan_started first)",
            )

    def check_placement_started(self) -> None:
        placement_id = self.data["placement_id"]
        if recorded_of(self.case.entries, "placement_started", placement_id):
            raise InvariantViolation(
                self.at("data", "placement_id"),
                f"placement {placement_id!r} has already been started",
            )

    def check_placement_ended(self) -> None:
        placement_id = self.data["placement_id"]
        where = self.at("data", "placement_id")
        if not recorded_of(self.case.entries, "placement_started", placement_id):
            raise InvariantViolation(
                where,
                f"placement {placement_id!r} was never started (record placement_started first)",
            )
        if recorded_of(self.case.entries, "placement_ended", placement_id):
            raise InvariantViolation(where, f"placement {placement_id!r} has already ended")
        self._check_placement_order(
            placement_id, self.envelope.occurred_at, "placement_ended", self.at("occurred_at")
        )

    def _check_placement_order(
        self, placement_id: str, occurred_at: Timepoint, event_type: str, where: str
    ) -> None:
        """A placement's end (`event_type` placement_ended at `occurred_at`) not before its
        start, or its start (placement_started) not after its end."""
        other_type = "placement_started" if event_type == "placement_ended" else "placement_ended"
        for event_id, dated in self.case.dated.items():
            if (
                dated["type"] != other_type
                or dated["data"].get("placement_id") != placement_id
                or self.case.entries[event_id].retracted
            ):
                continue
            other = parse_timepoint(dated["occurred_at"])
            if event_type == "placement_ended" and is_before(occurred_at, other):
                message = f"is before placement {placement_id!r} started ({dated['occurred_at']})"
                raise InvalidEventError([FieldError(where, message)])
            if event_type == "placement_started" and is_before(other, occurred_at):
                message = f"is after placement {placement_id!r} ended ({dated['occurred_at']})"
                raise InvalidEventError([FieldError(where, message)])

    def check_missing_episode_recorded(self) -> None:
        _check_missing_order(self.data, self.at("data", "ended"))

    def check_information_shared(self) -> None:
        if self.data["to_agency"] == self.envelope.agency:
            raise InvariantViolation(
                self.at("data", "to_agency"), "is the recording agency itself; name another agency"
            )

    def check_marked_significant(self) -> None:
        self.check_amendable_target()

    def check_entry_retracted(self) -> None:
        target = self.check_event_exists(
            str(self.data["target_event_id"]), field_path("data", "target_event_id")
        )
        where = self.at("data", "target_event_id")
        if target.type == "entry_retracted":
            raise InvariantViolation(
                where, "a retraction cannot be retracted; record the entry anew"
            )
        if target.retracted:
            raise InvariantViolation(where, "the entry is already retracted")

    def check_entry_corrected(self) -> None:
        target = self.check_amendable_target()
        changes = self.data["changes"]
        if not any(value is not None and value != {} for value in changes.values()):
            raise InvalidEventError([FieldError(self.at("data", "changes"), "changes nothing")])
        occurred_at = changes.get("occurred_at")
        if occurred_at is not None and _in_far_future(
            parse_timepoint(occurred_at), self.recorded_at
        ):
            raise InvalidEventError(
                [
                    FieldError(
                        self.at("data", "changes", "occurred_at"),
                        "is more than 24 hours in the future",
                    )
                ]
            )
        if changes.get("subjects") is not None:
            if len(set(changes["subjects"])) != len(changes["subjects"]):
                raise InvalidEventError(
                    [
                        FieldError(
                            self.at("data", "changes", "subjects"),
                            "names the same person more than once",
                        )
                    ]
                )
            self.check_subjects(changes["subjects"], field_path("data", "changes", "subjects"))
        if changes.get("data") is not None:
            self.normalised_changes = correction_data_changes(
                target.type, changes["data"], self.at("data", "changes", "data")
            )
            model = DATA_MODELS[target.type]
            for name in model.event_reference_fields:
                for index, event_id in enumerate(self.normalised_changes.get(name) or []):
                    self.check_event_exists(
                        str(event_id), field_path("data", "changes", "data", name, index)
                    )
            for name in model.person_reference_fields:
                if name in self.normalised_changes:
                    self.check_person_exists(
                        self.normalised_changes[name], field_path("data", "changes", "data", name)
                    )
        self._check_corrected_dates(str(self.data["target_event_id"]), changes)

    def _check_corrected_dates(self, target_id: str, changes: dict[str, Any]) -> None:
        """The entry as corrected keeps its type's order of dates: a missing episode's end
        not before its start, a placement's end not before its start."""
        dated = self.case.dated.get(target_id)
        if dated is None:
            return
        after = corrected(dated, {**changes, "data": self.normalised_changes})
        data_changes = self.normalised_changes or {}
        if after["type"] == "missing_episode_recorded":
            named = "ended" if "ended" in data_changes else "started"
            _check_missing_order(after["data"], self.at("data", "changes", "data", named))
        elif changes.get("occurred_at") is not None:
            self._check_placement_order(
                after["data"]["placement_id"],
                parse_timepoint(after["occurred_at"]),
                after["type"],
                self.at("data", "changes", "occurred_at"),
            )

    def check_relationship_recorded(self) -> None:
        if self.data["person_id"] == self.data["other_person_id"]:
            raise InvariantViolation(
                self.at("data", "other_person_id"), "names the same person as person_id"
            )

    def check_worker_allocated(self) -> None:
        worker, agency = self.data["worker"], self.envelope.agency
        if is_allocated(self.case.entries, allocation_key(agency, worker)):
            raise InvariantViolation(
                self.at("data", "worker"),
                f"{worker!r} is already allocated to case {self.case.case_id!r} for {agency}",
            )

    def check_worker_unallocated(self) -> None:
        worker, agency = self.data["worker"], self.envelope.agency
        if not is_allocated(self.case.entries, allocation_key(agency, worker)):
            raise InvariantViolation(
                self.at("data", "worker"),
                f"{worker!r} is not allocated to case {self.case.case_id!r} for {agency} "
                "(record worker_allocated first)",
            )

    def check_oversight_recorded(self) -> None:
        target_id = self.data.get("target_event_id")
        if target_id is None:
            return  # oversight of the case as a whole
        target = self.check_event_exists(str(target_id), field_path("data", "target_event_id"))
        where = self.at("data", "target_event_id")
        if target.type != "decision_made":
            raise InvariantViolation(
                where,
                f"targets a {target.type} entry; oversight is of a decision_made of this case, "
                "or of the case as a whole (no target_event_id)",
            )
        if target.retracted:
            raise InvariantViolation(where, "targets a retracted decision")

    def check_document_version_added(self) -> None:
        document_id = self.data["document_id"]
        recorded = self.case.documents.get(document_id, 0)
        wanted = self.data.get("version_number") or recorded + 1
        if recorded == 0 and wanted > 1:
            raise UnknownReference(
                self.at("data", "document_id"),
                f"case {self.case.case_id!r} holds no document {document_id!r}: a new version "
                "names a document of this case",
            )
        if wanted != recorded + 1:
            raise InvariantViolation(
                self.at("data", "version_number"),
                f"document {document_id!r} has {recorded} version(s): the next is {recorded + 1}",
            )
        self.document_version = wanted

    def check_case_closed(self) -> None:
        if self.case.closed:
            raise InvariantViolation(self.at("type"), "the case is already closed")

    def check_case_reopened(self) -> None:
        if not self.case.closed:
            raise InvariantViolation(self.at("type"), "the case is not closed")
