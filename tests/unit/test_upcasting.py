"""Old shapes of stored entries are read in today's shape; newer ones are refused."""

from __future__ import annotations

from typing import Any

import pytest

from events.upcasting import upcast_entry

# What Foresight 0.x stored for a contact before `concern_categories` became a list.
CONTACT_V1: dict[str, Any] = {
    "event_id": "6a1c8f0e-51d4-4c55-9b7e-1f7d1d0e9a01",
    "type": "contact_received",
    "case_id": "FAM-1",
    "occurred_at": "2023-11-02",
    "agency": "health",
    "recorded_by": "hv-7",
    "subjects": [],
    "summary": "Health visitor concerned about home conditions",
    "significance": "significant",
    "source_recorded_at": None,
    "impact": None,
    "action": None,
    "date_uncertain": False,
    "data": {"contact_kind": "concern", "concern_category": "neglect"},
    "schema_version": 1,
    "digest": "0" * 64,
}


def test_an_entry_already_in_the_current_shape_is_returned_unchanged() -> None:
    """Upcasting is a no-op for the current schema version."""
    current = {**CONTACT_V1, "data": {"concern_categories": ["physical"]}, "schema_version": 2}

    assert upcast_entry(current) is current


def test_an_entry_from_newer_software_is_refused_with_a_clear_message() -> None:
    """Reading a schema version this software does not know says to upgrade, not guess."""
    future = {**CONTACT_V1, "schema_version": 3}

    with pytest.raises(ValueError, match="upgrade Foresight"):
        upcast_entry(future)
