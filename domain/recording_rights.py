"""Who may record what on a case: by role, for their own agency, and amending only their
agency's own entries (docs/api.md, "Roles and agency scoping"). The HTTP API, the web page and
the CLI all ask here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from domain.errors import NotPermitted
from events.envelope import EventEnvelope
from events.fieldpaths import field_path

# The command line is run by whoever holds the store itself, with no token: it records for the
# agency and the person each event names, in any recording role's stead, and like everyone
# else amends only the entries of the agency it records for.
COMMAND_LINE_ROLE = "command line"
RECORDING_ROLES = frozenset({"practitioner", "manager", COMMAND_LINE_ROLE})
MANAGING_ROLES = frozenset({"manager", COMMAND_LINE_ROLE})
# Management oversight and the allocation of workers are a manager's. Practitioners record
# decisions, shares and significance marks themselves: no approval step stands between a
# practitioner and the record.
MANAGER_ONLY_TYPES = frozenset({"oversight_recorded", "worker_allocated", "worker_unallocated"})
# An entry is corrected or retracted only by the agency that recorded it.
AMENDING_OWN_TYPES = frozenset({"entry_corrected", "entry_retracted"})


class EntryOwner(NamedTuple):
    """Whose an entry of a case is: the agency that recorded it, and its type."""

    agency: str
    type: str


# Whose an entry of a case is, or None if the case has no such entry:
# (case_id, event_id) -> EntryOwner.
EntryAgency = Callable[[str, str], EntryOwner | None]


@dataclass(frozen=True)
class Recorder:
    """Who is recording: their name, role and the agency they record for."""

    name: str
    role: str
    agency: str


def command_line_recorder(envelope: EventEnvelope) -> Recorder:
    """Who records an event appended at the command line: the agency and person it names."""
    return Recorder(name=envelope.recorded_by or "", role=COMMAND_LINE_ROLE, agency=envelope.agency)


def check_may_append(recorder: Recorder) -> None:
    """Practitioners and managers append to cases; reviewers, auditors and admins never do.

    Raises NotPermitted (a 403) otherwise, before anything about the events is read.
    """
    if recorder.role not in RECORDING_ROLES:
        raise NotPermitted(
            f"A {recorder.role} may not append to a case; it needs one of: "
            + ", ".join(sorted(RECORDING_ROLES - {COMMAND_LINE_ROLE}))
        )


def check_may_record(
    recorder: Recorder, envelope: EventEnvelope, entry_agency: EntryAgency
) -> None:
    """Whether this recorder may record this event; raises NotPermitted (a 403) if not.

    `entry_agency` is asked only for a correction or retraction, about its target: whose it
    is, and whether it is a manager's type. A target the case does not hold is left to the
    case's own invariants (an unknown reference).
    """
    check_may_append(recorder)
    if envelope.agency != recorder.agency:
        raise NotPermitted(
            f"You record for {recorder.agency}, not {envelope.agency}",
            field_path("agency"),
            f"must be your agency, {recorder.agency}",
        )
    if envelope.recorded_by not in (None, recorder.name):
        raise NotPermitted(
            f"You are {recorder.name}, not {envelope.recorded_by}",
            field_path("recorded_by"),
            f"must be you, {recorder.name}",
        )
    if envelope.type in MANAGER_ONLY_TYPES and recorder.role not in MANAGING_ROLES:
        raise NotPermitted(
            f"Only a manager may record {envelope.type}",
            field_path("type"),
            f"{envelope.type} needs the manager role",
        )
    if envelope.type in AMENDING_OWN_TYPES:
        target = entry_agency(envelope.case_id, str(envelope.data["target_event_id"]))
        if target is None:
            return
        if target.agency != recorder.agency:
            raise NotPermitted(
                f"Only {target.agency} may correct or retract its own entries",
                field_path("data", "target_event_id"),
                f"is an entry of {target.agency}",
            )
        # Else a practitioner could undo an allocation, or reword a manager's oversight, by
        # amending it.
        if target.type in MANAGER_ONLY_TYPES and recorder.role not in MANAGING_ROLES:
            raise NotPermitted(
                f"Only a manager may correct or retract a {target.type} entry",
                field_path("data", "target_event_id"),
                f"is a {target.type} entry, a manager's",
            )


def check_batch_may_be_recorded(
    envelopes: Sequence[EventEnvelope],
    recorder_of: Callable[[EventEnvelope], Recorder],
    stored_entry_agency: EntryAgency,
    *,
    numbered: bool,
) -> None:
    """`check_may_record` for each event of a batch, before any is written. An amendment may
    target an entry of the same batch, whose agency the batch itself says. A refusal names
    the event by its index when the batch is `numbered` (a list, not one lone event)."""
    in_this_batch = {
        str(envelope.event_id): EntryOwner(envelope.agency, envelope.type) for envelope in envelopes
    }

    def entry_agency(case_id: str, event_id: str) -> EntryOwner | None:
        return in_this_batch.get(event_id) or stored_entry_agency(case_id, event_id)

    for index, envelope in enumerate(envelopes):
        try:
            check_may_record(recorder_of(envelope), envelope, entry_agency)
        except NotPermitted as refused:
            if not numbered:
                raise
            field = field_path(index, refused.field) if refused.field_at_fault else None
            raise NotPermitted(refused.detail, field, refused.reason) from None
