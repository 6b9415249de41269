"""The store refuses edits through plain SQL, and `foresight verify` names any edit made behind its back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import build_case_service
from api.settings import Settings
from domain.service import CaseService
from events.recorded import RecordedEvent
from projections.append_only import trigger_names
from projections.eventstore import INDEX_TABLE
from projections.integrity import verify_store
from tests.conftest import event

ROOT = Path(__file__).resolve().parents[2]
ALL_TRIGGERS = [
    name for table in ("stored_events", INDEX_TABLE) for name in trigger_names(table, "sqlite")
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Path, list[RecordedEvent]]]:
    """A SQLite store holding two cases, FAM-1 with five events and FAM-2 with two."""
    path = tmp_path / "foresight.db"
    service = build_case_service(Settings(db_url=f"sqlite:///{path}"))
    try:
        child = {"person_id": "child-ava", "role": "child"}
        service.append([event("person_added", data=child, subjects=["child-ava"])])
        service.append([event("note_added", case_id="FAM-2", summary="other family")])
        for number, agency in enumerate(("police", "school", "health"), start=1):
            service.append(
                [
                    event(
                        "contact_received",
                        agency=agency,
                        occurred_at=f"2024-03-0{number}",
                        summary=f"Neighbour reported shouting, report {number}",
                        subjects=["child-ava"],
                    )
                ]
            )
        service.append([event("note_added", case_id="FAM-2", summary="second note")])
        service.append([event("child_seen", summary="Ava seen alone at school")])
        events = service.case_events("FAM-1")
    finally:
        service.close()
    yield path, events


def run_verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`foresight verify` in its own process against the store at `path`."""
    env = {**os.environ, "FORESIGHT_DB_URL": f"sqlite:///{path}", "COLUMNS": "240"}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything the command wrote, with rich's line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


def drop_triggers(connection: sqlite3.Connection) -> None:
    for name in ALL_TRIGGERS:
        connection.execute(f"DROP TRIGGER {name}")
    connection.commit()


def rowid_of(connection: sqlite3.Connection, stored: RecordedEvent) -> int:
    """The row of stored_events holding this event (its rowid is the event's position)."""
    (rowid,) = connection.execute(
        "SELECT rowid FROM stored_events WHERE originator_version = ? AND instr(state, ?) > 0",
        (stored.version, str(stored.event_id).encode()),
    ).fetchone()
    assert rowid == stored.position
    return int(rowid)


def open_service(path: Path) -> CaseService:
    return build_case_service(Settings(db_url=f"sqlite:///{path}"))


# -- (a) append-only through plain SQL ---------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE stored_events SET state = CAST('{}' AS BLOB) WHERE originator_version = 2",
        "UPDATE stored_events SET originator_version = 99 WHERE originator_version = 2",
        "DELETE FROM stored_events WHERE originator_version = 2",
        "DELETE FROM stored_events",
        "UPDATE foresight_event_index SET case_id = 'FAM-9' WHERE position = 2",
        "DELETE FROM foresight_event_index WHERE position = 2",
        "DELETE FROM foresight_event_index",
    ],
)
def test_plain_sql_cannot_update_or_delete_stored_events_or_their_index(
    store: tuple[Path, list[RecordedEvent]], statement: str
) -> None:
    """UPDATE and DELETE on the event tables are aborted by the append-only triggers, and nothing changes."""
    path, _ = store
    connection = sqlite3.connect(path)
    try:
        before = connection.execute(
            "SELECT rowid, * FROM stored_events ORDER BY rowid"
        ).fetchall(), connection.execute("SELECT * FROM foresight_event_index").fetchall()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute(statement)
        connection.rollback()
        after = connection.execute(
            "SELECT rowid, * FROM stored_events ORDER BY rowid"
        ).fetchall(), connection.execute("SELECT * FROM foresight_event_index").fetchall()
    finally:
        connection.close()
    assert after == before


def test_plain_sql_can_still_insert_but_verify_names_the_forged_row(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """A row inserted behind the service's back (a copy of an event as a new version) is reported by verify."""
    path, events = store
    connection = sqlite3.connect(path)
    try:
        originator_id, topic, state = connection.execute(
            "SELECT originator_id, topic, state FROM stored_events WHERE rowid = ?",
            (events[-1].position,),
        ).fetchone()
        connection.execute(
            "INSERT INTO stored_events VALUES (?,?,?,?)",
            (originator_id, events[-1].version + 1, topic, state),
        )
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert f"version {events[-1].version + 1}" in said(result)


# -- (b) edits made with the triggers dropped ----------------------------------------------------


def test_verify_names_the_event_whose_stored_bytes_were_changed(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Changing the summary inside one event's stored JSON makes verify exit 1 naming that event."""
    path, events = store
    target = events[2]
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        rowid = rowid_of(connection, target)
        (state,) = connection.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (rowid,)
        ).fetchone()
        assert b"shouting" in state
        forged = state.replace(b"shouting", b"laughing")  # same length, still valid JSON
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))
        connection.commit()
    finally:
        connection.close()
    service = open_service(path)
    try:
        assert service.case_events("FAM-1")[2].summary.startswith("Neighbour reported laughing")
    finally:
        service.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert str(target.event_id) in said(result)
    assert f"case 'FAM-1' version {target.version}" in said(result)
    assert "altered" in said(result)


def test_verify_names_a_deleted_event_in_the_middle_of_the_log(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Deleting one event from the middle of a case (and its index row) makes verify exit 1 at that place."""
    path, events = store
    target = events[2]
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        rowid = rowid_of(connection, target)
        connection.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))
        connection.execute("DELETE FROM foresight_event_index WHERE position = ?", (rowid,))
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert f"position {target.position}" in said(result)
    assert "missing" in said(result) or "deleted" in said(result)


def test_verify_names_the_deleted_event_when_the_index_still_knows_it(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Deleting one stored event but not its index row makes verify name the event that is gone."""
    path, events = store
    target = events[3]
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        rowid = rowid_of(connection, target)
        connection.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert str(target.event_id) in said(result)
    assert f"case 'FAM-1' version {target.version}" in said(result)


def test_verify_detects_the_last_event_of_a_case_deleted_from_the_end_of_the_log(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Deleting the newest stored event leaves its index row behind, which verify names."""
    path, events = store
    target = events[-1]
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        rowid = rowid_of(connection, target)
        connection.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert str(target.event_id) in said(result)


def test_verify_detects_the_states_of_two_rows_swapped(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Swapping the stored states of two events of a case makes verify exit 1 at the first of them."""
    path, events = store
    first, second = events[2], events[3]
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        rows = {
            stored.position: connection.execute(
                "SELECT state FROM stored_events WHERE rowid = ?", (rowid_of(connection, stored),)
            ).fetchone()[0]
            for stored in (first, second)
        }
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (rows[second.position], first.position),
        )
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (rows[first.position], second.position),
        )
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert f"position {first.position}, case 'FAM-1' version {first.version}" in said(result)


def test_verify_detects_an_event_moved_to_another_case(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """Re-pointing an event's row at another case (originator_id) is reported by verify."""
    path, events = store
    connection = sqlite3.connect(path)
    try:
        drop_triggers(connection)
        (other_case,) = connection.execute(
            "SELECT case_version FROM foresight_event_index WHERE case_id = 'FAM-2'"
        ).fetchone()
        (other_originator,) = connection.execute(
            "SELECT originator_id FROM stored_events WHERE rowid = ("
            "SELECT position FROM foresight_event_index WHERE case_id = 'FAM-2' LIMIT 1)"
        ).fetchone()
        connection.execute(
            "UPDATE stored_events SET originator_id = ?, originator_version = 3 WHERE rowid = ?",
            (other_originator, events[-1].position),
        )
        connection.commit()
    finally:
        connection.close()
    assert other_case == 1

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert f"position {events[-1].position}" in said(result)


def test_verify_fails_naming_each_missing_trigger_of_an_otherwise_intact_store(
    store: tuple[Path, list[RecordedEvent]],
) -> None:
    """A store whose append-only triggers were dropped, with every event intact, fails verify naming the triggers."""
    path, _ = store
    connection = sqlite3.connect(path)
    try:
        connection.execute("DROP TRIGGER stored_events_refuse_delete")
        connection.execute("DROP TRIGGER foresight_event_index_refuse_update")
        connection.commit()
    finally:
        connection.close()

    result = run_verify(path)

    assert result.returncode == 1, said(result)
    assert "stored_events_refuse_delete" in said(result)
    assert "foresight_event_index_refuse_update" in said(result)
    assert "stored_events_refuse_update" not in said(result)
    assert "Broken link" not in said(result)
    # Opening the store (as verify, the server or an append does) must not hide the evidence.
    service = open_service(path)
    try:
        report = verify_store(service)
    finally:
        service.close()
    assert set(report.missing_triggers) == {
        "stored_events_refuse_delete",
        "foresight_event_index_refuse_update",
    }
    assert report.broken is None
    assert not report.ok


# -- (c) a clean store ---------------------------------------------------------------------------


def test_verify_passes_on_a_clean_store(store: tuple[Path, list[RecordedEvent]]) -> None:
    """An untouched store verifies: exit 0 and a count of every event in every case."""
    path, _ = store

    result = run_verify(path)

    assert result.returncode == 0, said(result)
    assert "Verified 7 event(s) in 2 case(s)" in said(result)


def test_verify_passes_on_a_fresh_empty_store(tmp_path: Path) -> None:
    """A store with no events yet verifies."""
    path = tmp_path / "foresight.db"
    open_service(path).close()

    result = run_verify(path)

    assert result.returncode == 0, said(result)
    assert "Verified 0 event(s) in 0 case(s)" in said(result)
