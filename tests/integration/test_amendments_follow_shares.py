"""A correction or retraction by an entry's own agency follows it to every agency it was shared
with; a mark of significance stays with its maker (SPEC section 2), over HTTP on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.integration.test_api import Api, new_case


@pytest.fixture(scope="module")
def api(store_url: Callable[[], str]) -> Iterator[Api]:
    app = create_app(Settings(db_url=store_url()))
    with TestClient(app) as client:
        yield Api(app, client, {})
    app.state.foresight.service.close()


def recorded(api: Api, user: str, case_id: str, event: dict[str, Any]) -> str:
    response = api.post(user, case_id, event)
    assert response.status_code == 201, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def seen(api: Api, user: str, case_id: str, **params: Any) -> dict[str, dict[str, Any]]:
    """The reader's chronology (as known to their agency), by event id."""
    response = api.get(user, f"/cases/{case_id}/chronology", **params)
    assert response.status_code == 200, response.text
    return {entry["event_id"]: entry for entry in response.json()}


def test_a_recall_and_a_correction_reach_everyone_told_and_a_mark_stays_with_its_maker(
    api: Api,
) -> None:
    police = api.add_user("practitioner", "police")
    social_worker = api.add_user("practitioner", "social_care")
    teacher = api.add_user("practitioner", "school")
    nurse = api.add_user("practitioner", "health")
    case_id = new_case()

    def event(kind: str, on: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "occurred_at": on, "source_recorded_at": on, **fields}

    incident = recorded(
        api, police, case_id, event("note_added", "2024-03-05T10:00", summary="Domestic incident")
    )
    wrong_family = recorded(
        api, police, case_id, event("note_added", "2024-03-05T11:00", summary="Arrest at home")
    )
    for agency in ("social_care", "school"):
        shared = {"to_agency": agency, "event_ids": [incident, wrong_family]}
        recorded(api, police, case_id, event("information_shared", "2024-03-06T09:00", data=shared))
    mark = {"target_event_id": incident, "significance": "key"}
    recorded(api, teacher, case_id, event("marked_significant", "2024-03-07T09:00", data=mark))
    correction = {
        "target_event_id": incident,
        "changes": {"summary": "Domestic incident at a neighbour's address"},
        "reason": "wrong address",
    }
    recorded(api, police, case_id, event("entry_corrected", "2024-03-10T09:00", data=correction))
    recall = {"target_event_id": wrong_family, "reason": "recorded on the wrong family"}
    recorded(api, police, case_id, event("entry_retracted", "2024-03-12T09:00", data=recall))

    for reader in (social_worker, teacher):
        before = seen(api, reader, case_id, as_known_at="2024-03-09T12:00:00Z")
        assert before[incident]["summary"] == "Domestic incident"
        assert wrong_family in before
        corrected = seen(api, reader, case_id, as_known_at="2024-03-11T12:00:00Z")
        assert corrected[incident]["summary"] == "Domestic incident at a neighbour's address"
        assert wrong_family in corrected
        now = seen(api, reader, case_id)
        assert now[incident]["corrected"] is True
        assert wrong_family not in now
        assert seen(api, reader, case_id, include_retracted="true")[wrong_family]["retracted"]
        log = api.get(reader, f"/cases/{case_id}/events").json()
        assert {"entry_corrected", "entry_retracted"} <= {stored["type"] for stored in log}

    # The school's mark is the school's: neither the police nor social care see it.
    assert seen(api, teacher, case_id)[incident]["significance"] == "key"
    assert seen(api, police, case_id)[incident]["significance"] == "routine"
    assert seen(api, social_worker, case_id)[incident]["significance"] == "routine"
    # Health was never told: neither the entries nor their amendments reach it, and a case an
    # agency was never told of is, to it, no case at all.
    for path in ("chronology", "events"):
        assert api.get(nurse, f"/cases/{case_id}/{path}").status_code == 404
