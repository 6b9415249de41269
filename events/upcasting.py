"""Reading old shapes of stored events: each type's data is upcast step by step to its version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.vocabulary import DATA_MODELS

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _contact_received_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 held one `concern_category`; version 2 holds the list `concern_categories`."""
    upgraded = dict(data)
    single = upgraded.pop("concern_category", None)
    if single is not None and "concern_categories" not in upgraded:
        upgraded["concern_categories"] = [single]
    return upgraded


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("contact_received", 1): _contact_received_v1_to_v2,
}


def upcast_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The stored entry with its `data` in the current shape of its type.

    The stored bytes are never changed (the hash chain covers them); this is a read-time view.
    """
    event_type = entry["type"]
    current = DATA_MODELS[event_type].version
    version = entry.get("schema_version", 1)
    if version == current:
        return entry
    if version > current:
        raise ValueError(
            f"stored {event_type} has schema version {version}, newer than this "
            f"software's {current}: upgrade Foresight before reading this store"
        )
    data = entry.get("data", {})
    while version < current:
        data = UPCASTERS[(event_type, version)](data)
        version += 1
    return {**entry, "data": data, "schema_version": version}
