"""Old shapes of events stored in a real database are read in today's shape, and the stored
bytes (and their hash chain) stay as written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.case import Case, case_uuid, chain_hash
from domain.service import CaseService
from projections.store.integrity import verify_store
from tests.conftest import event
from tests.unit.test_upcasting import CONTACT_V1


def store_as_old_software_did(service: CaseService, entry: dict[str, Any]) -> None:
    """Append a stored event exactly as a version-1 writer would have written it."""
    case: Case = service.repository.get(case_uuid("FAM-1"))
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


def test_a_version_1_contact_is_read_with_a_list_of_concern_categories(
    service: CaseService,
) -> None:
    """A stored v1 contact_received comes back with `concern_categories` and schema version 2."""
    service.append([event("case_opened", occurred_at="2023-11-01")])
    store_as_old_software_did(service, CONTACT_V1)

    contact = service.case_events("FAM-1")[-1]

    assert contact.data == {"contact_kind": "concern", "concern_categories": ["neglect"]}
    assert contact.schema_version == 2
    assert contact.summary == "Health visitor concerned about home conditions"


def test_upcasting_leaves_the_stored_bytes_and_their_hash_chain_intact(
    service: CaseService,
) -> None:
    """Verify hashes what was stored, not the upcast view, so an old event still verifies."""
    service.append([event("case_opened", occurred_at="2023-11-01")])
    store_as_old_software_did(service, CONTACT_V1)

    report = verify_store(service)

    assert report.ok, report
