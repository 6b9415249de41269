"""The event index answers alike in memory, on SQLite and on PostgreSQL, so that unit tests on
the in-memory store (tests/fakes.py) say something about the real ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from api.bootstrap import bootstrap_writer
from api.settings import Settings
from domain.case import Case, case_uuid
from domain.ports import EventIndex, Located
from domain.service import CaseService
from projections.store.integrity import verify_store
from projections.store.recorders import EventIndexQueries
from projections.stored_log import StoredLog
from tests.backends import (
    drop_postgres_database,
    new_postgres_database,
    new_sqlite_url,
    postgres_server_url,
)
from tests.conftest import event, new_id
from tests.fakes import in_memory_case_service

SNAPSHOT_INTERVAL = 3
RECORDED_AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def any_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseService]:
    """The write side over a new store of each kind, taking snapshots often."""
    if request.param == "memory":
        service = in_memory_case_service(snapshot_interval=SNAPSHOT_INTERVAL)
        yield service
        service.close()
        return
    server = postgres_server_url() if request.param == "postgresql" else None
    url = new_postgres_database(server) if server else new_sqlite_url(tmp_path)
    service = bootstrap_writer(Settings(db_url=url, snapshot_interval=SNAPSHOT_INTERVAL))
    try:
        yield service
    finally:
        service.close()
        if server:
            drop_postgres_database(server, url)


def test_every_stored_event_is_located_where_the_append_said(any_service: CaseService) -> None:
    """locate, case_positions and case_ids agree with the events an append returns."""
    index = any_service.index
    assert isinstance(index, EventIndex)
    stored = any_service.append(
        [event("note_added", case_id=case_id, event_id=new_id()) for case_id in ("B-2", "A-1")]
        + [event("note_added", case_id="A-1", event_id=new_id())]
    ).events
    unknown = new_id()
    located = index.locate([*(str(e.event_id) for e in stored), unknown, str(stored[0].event_id)])

    assert located == {
        str(e.event_id): Located(str(e.event_id), e.case_id, e.version, e.position) for e in stored
    }
    assert index.case_positions("A-1") == {1: stored[1].position, 2: stored[2].position}
    assert index.case_positions("C-3") == {}
    assert index.case_ids() == ["A-1", "B-2"]
    assert [e.position for e in stored] == sorted({e.position for e in stored})


def test_stored_events_are_read_back_by_position(any_service: CaseService) -> None:
    """The raw log's reading: the events at any positions, in position order, decoded as the
    store returns them (one position given twice is read once)."""
    stored = any_service.append(
        [event("note_added", case_id=case_id, event_id=new_id()) for case_id in ("B-2", "A-1")]
        + [event("note_added", case_id="A-1", event_id=new_id())]
    ).events
    recorder = any_service.recorder
    assert isinstance(recorder, EventIndexQueries)
    wanted = [stored[2].position, stored[0].position, stored[2].position]

    found = recorder.notifications_at(wanted)

    assert [n.id for n in found] == sorted({stored[0].position, stored[2].position})
    assert [n.originator_id for n in found] == [case_uuid("B-2"), case_uuid("A-1")]
    assert recorder.notifications_at([]) == []
    assert StoredLog(any_service).events_at(wanted) == [stored[2], stored[0], stored[2]]


def test_an_event_id_already_indexed_refuses_the_whole_save(any_service: CaseService) -> None:
    """The index is kept in the append itself: a clash writes neither the event nor its row."""
    first = any_service.append([event("note_added", event_id=new_id())]).events[0]
    before = (any_service.recorder.max_notification_id(), any_service.case_events("FAM-1"))
    case: Case = any_service.repository.get(case_uuid("FAM-1"))
    case.record(event("note_added", event_id=new_id()), recorded_at=RECORDED_AT)

    with pytest.raises(IntegrityError):
        any_service.save(
            case, event_index={(case_uuid("FAM-1"), 2): (str(first.event_id), "FAM-1")}
        )

    assert (any_service.recorder.max_notification_id(), any_service.case_events("FAM-1")) == before
    assert any_service.index.case_positions("FAM-1") == {1: first.position}


def test_verify_reads_the_index_rows_and_snapshots_alike(any_service: CaseService) -> None:
    """What verify reads besides the log (index rows by position, snapshot versions) agrees."""
    for _ in range(2 * SNAPSHOT_INTERVAL + 1):
        any_service.append([event("note_added", event_id=new_id())])
    stored = any_service.case_events("FAM-1")
    recorder = any_service.recorder
    assert isinstance(recorder, EventIndexQueries)

    report = verify_store(any_service)

    assert report.ok, report
    assert report.snapshots_checked == 2
    assert recorder.snapshot_versions() == {case_uuid("FAM-1"): [3, 6]}
    rows = recorder.index_rows_between(stored[2].position, stored[4].position)
    assert [row.version for row in rows] == [3, 4, 5]
