"""A deliberately plain reference for "as known at T": a fold over every event, no read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.recorded import RecordedEvent
from events.timepoints import parse_timepoint, start_of

AMENDING = {"entry_corrected", "entry_retracted", "marked_significant"}


def known_from(events: list[RecordedEvent], agency: str | None) -> dict[str, datetime]:
    """Event id -> when the record (agency None) or the agency first knew it."""
    by_id = {str(event.event_id): event for event in events}
    known: dict[str, datetime] = {}
    for event in events:
        candidates = []
        if agency is None or event.agency == agency:
            candidates.append(event.known_at)
        for share in events:
            if share.type != "information_shared" or share.data["to_agency"] != agency:
                continue
            if share is event:
                candidates.append(share.known_at)
            elif str(event.event_id) in {str(shared) for shared in share.data["event_ids"]}:
                candidates.append(max(share.known_at, by_id[str(event.event_id)].known_at))
        if candidates:
            known[str(event.event_id)] = min(candidates)
    if agency is None:
        return known
    # A correction or retraction by the entry's own agency reaches whoever knows the entry.
    for event in events:
        if event.type not in {"entry_corrected", "entry_retracted"}:
            continue
        entry = by_id[str(event.data["target_event_id"])]
        while entry.type in AMENDING:
            entry = by_id[str(entry.data["target_event_id"])]
        entry_id = str(entry.event_id)
        if entry.agency == event.agency and entry_id in known:
            follows = max(event.known_at, known[entry_id])
            own = known.get(str(event.event_id), follows)
            known[str(event.event_id)] = min(own, follows)
    return known


def chronology_as_known_at(
    events: list[RecordedEvent], as_known_at: datetime | None, agency: str | None = None
) -> list[dict[str, Any]]:
    """What a reader sees of each entry, in order, as known at T."""
    known = known_from(events, agency)
    visible = [
        event
        for event in events
        if str(event.event_id) in known
        and (as_known_at is None or known[str(event.event_id)] <= as_known_at)
    ]
    retracted = {str(e.data["target_event_id"]) for e in visible if e.type == "entry_retracted"}
    amendments = sorted(
        (
            e
            for e in visible
            if e.type in AMENDING - {"entry_retracted"} and str(e.event_id) not in retracted
        ),
        key=lambda e: (known[str(e.event_id)], e.position),
    )
    result = []
    for event in visible:
        event_id = str(event.event_id)
        if event.type in AMENDING or event_id in retracted:
            continue
        seen: dict[str, Any] = {
            "event_id": event_id,
            "occurred_at": event.occurred_at,
            "summary": event.summary,
            "significance": event.significance,
            "subjects": tuple(event.subjects),
            "data": dict(event.data),
            "position": event.position,
        }
        for amendment in amendments:
            if str(amendment.data["target_event_id"]) != event_id:
                continue
            if amendment.type == "marked_significant":
                seen["significance"] = amendment.data["significance"]
                continue
            changes = amendment.data["changes"]
            if changes.get("occurred_at"):
                seen["occurred_at"] = parse_timepoint(changes["occurred_at"])
            for name in ("summary", "significance"):
                if changes.get(name) is not None:
                    seen[name] = changes[name]
            if changes.get("subjects") is not None:
                seen["subjects"] = tuple(changes["subjects"])
            for name, value in (changes.get("data") or {}).items():
                if value is None:
                    seen["data"].pop(name, None)
                else:
                    seen["data"][name] = value
        result.append(seen)
    result.sort(key=lambda seen: (start_of(seen["occurred_at"]), seen["position"]))
    return result


def as_seen(entry: Any) -> dict[str, Any]:
    """A chronology entry (from the read models or the direct fold) in the reference's terms."""
    return {
        "event_id": str(entry.event_id),
        "occurred_at": entry.occurred_at,
        "summary": entry.summary,
        "significance": entry.significance,
        "subjects": tuple(entry.subjects),
        "data": dict(entry.data),
        "position": entry.position,
    }
