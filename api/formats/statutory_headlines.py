"""Plain words for the statutory entries (core groups, care, missing episodes, protection)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.codes import LEGAL_STATUS_WORDS
from events.timepoints import format_local, parse_timepoint
from projections.fold import ChronologyEntry

EMERGENCY_PROTECTION_WORDS = {
    "police_protection": "Police protection",
    "epo": "Emergency protection order",
}


def _child(data: dict[str, Any]) -> str:
    return f" for {data['person_id']}" if data.get("person_id") else ""


def _when(value: object) -> str:
    return format_local(parse_timepoint(value))


def _core_group(data: dict[str, Any]) -> str:
    of = f" of plan {data['plan_id']}" if data.get("plan_id") else ""
    outcome = f": {data['outcome']}" if data.get("outcome") else ""
    return f"Core group{of} met{outcome}"


def _legal_status(data: dict[str, Any]) -> str:
    status = str(data["status"])
    return f"Legal status{_child(data)}: {LEGAL_STATUS_WORDS[status]} ({status})"


def _placement_started(data: dict[str, Any]) -> str:
    kind = f" (placement type {data['kind']})" if data.get("kind") else ""
    return f"Placement {data['placement_id']}{_child(data)} started{kind}"


def _placement_ended(data: dict[str, Any]) -> str:
    reason = f" (reason {data['reason']})" if data.get("reason") else ""
    return f"Placement {data['placement_id']}{_child(data)} ended{reason}"


def _missing_episode(data: dict[str, Any]) -> str:
    away = "Away without authorisation" if data.get("kind") == "away" else "Missing"
    until = f" to {_when(data['ended'])}" if data.get("ended") else ", not yet returned"
    return f"{away}: {data['person_id']} from {_when(data['started'])}{until}"


def _emergency_protection(data: dict[str, Any]) -> str:
    ends = f", until {_when(data['ends'])}" if data.get("ends") else ""
    return f"{EMERGENCY_PROTECTION_WORDS[str(data['kind'])]}{_child(data)}{ends}"


STATUTORY_HEADLINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "core_group_held": _core_group,
    "legal_status_changed": _legal_status,
    "placement_started": _placement_started,
    "placement_ended": _placement_ended,
    "missing_episode_recorded": _missing_episode,
    "emergency_protection": _emergency_protection,
}


def statutory_headline(entry: ChronologyEntry) -> str | None:
    """One line for an entry of these types, or None for any other type."""
    words = STATUTORY_HEADLINES.get(entry.type)
    return words(entry.data) if words is not None else None
