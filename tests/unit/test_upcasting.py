"""Old shapes of stored events are read in today's shape, and the stored bytes stay as written."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import Case, case_uuid, chain_hash
from domain.service import CaseService
from events.upcasting import upcast_entry
from projections.store.integrity import verify_store
from tests.conftest import event

# What Foresight 0.x stored for a contact before `concern_categories` became a list.
CONTACT_V1 = {
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


def store_as_old_software_did(service: CaseService, entry: dict) -> None:
    """Append a stored event exactly as a version-1 writer would have written it."""
    case = service.repository.get(case_uuid("FAM-1"))
    recorded_at = datetime(2023, 11, 3, 9, 0, tzinfo=UTC)
    version = case.version + 1
    case.trigger_event(
        Case.EntryRecorded,
        entry=entry,
        prev_hash=case.last_hash,
        hash=chain_hash(
            case.last_hash, case_id="FAM-1", version=version, recorded_at=recorded_at, entry=entry
        ),
        timestamp=recorded_at,
    )
    service.save(case, event_index={(case_uuid("FAM-1"), version): (entry["event_id"], "FAM-1")})


def test_a_version_1_contact_is_read_with_a_list_of_concern_categories(service):
    """A stored v1 contact_received comes back with `concern_categories` and schema version 2."""
    service.append([event("case_opened", occurred_at="2023-11-01")])
    store_as_old_software_did(service, CONTACT_V1)

    contact = service.case_events("FAM-1")[-1]

    assert contact.data == {"contact_kind": "concern", "concern_categories": ["neglect"]}
    assert contact.schema_version == 2
    assert contact.summary == "Health visitor concerned about home conditions"


def test_upcasting_leaves_the_stored_bytes_and_their_hash_chain_intact(service):
    """Verify hashes what was stored, not the upcast view, so an old event still verifies."""
    service.append([event("case_opened", occurred_at="2023-11-01")])
    store_as_old_software_did(service, CONTACT_V1)

    report = verify_store(service)

    assert report.ok, report


def test_an_entry_already_in_the_current_shape_is_returned_unchanged():
    """Upcasting is a no-op for the current schema version."""
    current = {**CONTACT_V1, "data": {"concern_categories": ["physical"]}, "schema_version": 2}

    assert upcast_entry(current) is current


def test_an_entry_from_newer_software_is_refused_with_a_clear_message():
    """Reading a schema version this software does not know says to upgrade, not guess."""
    future = {**CONTACT_V1, "schema_version": 3}

    try:
        upcast_entry(future)
    except ValueError as error:
        assert "upgrade Foresight" in str(error)
    else:
        raise AssertionError("a newer schema version was read silently")
