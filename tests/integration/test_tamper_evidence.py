"""The store refuses plain SQL edits, and `foresight verify` names any edit made behind its back.

Every test runs on a SQLite file and on a PostgreSQL database; the edits are made through a
privileged connection (`tests/tampering.py`), as someone with the database owner's password.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import bootstrap_writer, build_engine
from api.settings import Settings
from api.users import add_user
from domain.reviewing import ReviewDesk
from domain.service import CaseService
from events.recorded import RecordedEvent
from events.reviews import FindingRecord, ReviewOpening
from projections.store.append_only import trigger_names, trigger_statements
from projections.store.integrity import Anchor, verify_store
from projections.store.recorders import USERS_HISTORY_TABLE
from tests.conftest import event
from tests.tampering import StoredRow, Tamperer, decode, encode, open_tamperer, run_verify

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_INTERVAL = 3


@pytest.fixture
def store(db_url: str) -> tuple[str, list[RecordedEvent]]:
    """A store holding two cases, FAM-1 with five events and FAM-2 with two (snapshots every 3)."""
    service = open_service(db_url)
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
    return db_url, events


@pytest.fixture
def tamperer(store: tuple[str, list[RecordedEvent]]) -> Iterator[Tamperer]:
    connection = open_tamperer(store[0])
    yield connection
    connection.close()


def open_service(db_url: str) -> CaseService:
    return bootstrap_writer(Settings(db_url=db_url, snapshot_interval=SNAPSHOT_INTERVAL))


def row_of(tamperer: Tamperer, stored: RecordedEvent) -> StoredRow:
    """The stored-events row holding this event (its position is the event's position)."""
    (row,) = [row for row in tamperer.rows() if row.position == stored.position]
    assert str(stored.event_id).encode() in row.state
    return row


def anchor_of(db_url: str, directory: Path) -> Path:
    """What an auditor keeps: `foresight verify --print-anchor`, written to a file."""
    code, said = run_verify(db_url, "--print-anchor")
    assert code == 0, said
    path = directory / "anchor.json"
    anchor, _ = json.JSONDecoder().raw_decode(said[said.index("{") :])
    path.write_text(json.dumps(anchor), encoding="utf-8")
    Anchor.from_json(path.read_text(encoding="utf-8"))
    return path


# -- (a) append-only through plain SQL ---------------------------------------------------------


REFUSED_STATEMENTS = (
    "UPDATE {events} SET state = state || state WHERE originator_version = 2",
    "UPDATE {events} SET originator_version = 99 WHERE originator_version = 2",
    "DELETE FROM {events} WHERE originator_version = 2",
    "DELETE FROM {events}",
    "UPDATE foresight_event_index SET case_id = 'FAM-9' WHERE position = 2",
    "DELETE FROM foresight_event_index WHERE position = 2",
    "DELETE FROM foresight_event_index",
    "UPDATE {snapshots} SET state = state || state",
    "DELETE FROM {snapshots}",
)


def test_plain_sql_cannot_update_or_delete_stored_events_their_index_or_snapshots(
    tamperer: Tamperer,
) -> None:
    """UPDATE and DELETE on the event tables are aborted by the append-only triggers, and nothing
    changes."""
    before = tamperer.rows(), tamperer.index_rows(), tamperer.snapshots_rows()
    assert before[2], "the store should hold a snapshot"

    for statement in REFUSED_STATEMENTS:
        with pytest.raises(Exception, match="append-only"):
            tamperer.execute(statement.format(events=tamperer.events, snapshots=tamperer.snapshots))

    assert (tamperer.rows(), tamperer.index_rows(), tamperer.snapshots_rows()) == before


def test_truncate_cannot_empty_an_append_only_table(backend: str, tamperer: Tamperer) -> None:
    """PostgreSQL's TRUNCATE skips row triggers, so a statement trigger refuses it on every
    append-only table; SQLite has no TRUNCATE (its DELETE without WHERE fires the row
    triggers, refused above)."""
    refusal = "append-only" if backend == "postgresql" else "syntax error"
    for table in tamperer.tables:
        with pytest.raises(Exception, match=refusal):
            tamperer.execute(f"TRUNCATE {table}")
    assert len(tamperer.rows()) == 7


def test_plain_sql_can_still_insert_but_verify_names_the_forged_row(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """A row inserted behind the service's back (a copy of an event as a new version) is reported
    by verify."""
    db_url, events = store
    last = row_of(tamperer, events[-1])
    tamperer.insert_event(last.originator_id, last.version + 1, last.topic, last.state)

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"case 'FAM-1' version {events[-1].version + 1}" in said


# -- (b) edits made with the triggers dropped or disabled -----------------------------------------


def test_verify_names_the_event_whose_stored_bytes_were_changed(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Changing the summary inside one event's stored JSON makes verify exit 1 naming that event."""
    db_url, events = store
    target = events[2]
    tamperer.disarm(drop=False)
    row = row_of(tamperer, target)
    assert b"shouting" in row.state
    tamperer.set_state(row.position, row.state.replace(b"shouting", b"laughing"))
    service = open_service(db_url)
    try:
        summary = service.case_events("FAM-1")[2].summary
        assert summary is not None
        assert summary.startswith("Neighbour reported laughing")
    finally:
        service.close()

    code, said = run_verify(db_url)

    assert code == 1, said
    assert str(target.event_id) in said
    assert f"case 'FAM-1' version {target.version}" in said
    assert "altered" in said


def test_verify_names_the_real_case_when_its_opening_events_case_id_was_changed(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """The opening event's own case id altered: the report names the case the event belongs
    to (the one its stored case id derives from), not the altered id."""
    db_url, events = store
    tamperer.disarm(drop=False)
    row = row_of(tamperer, events[0])
    state = decode(row.state)
    assert state["case_id"] == "FAM-1"
    state["case_id"] = "FAM-FORGED"
    tamperer.set_state(row.position, encode(state))

    code, said = run_verify(db_url)

    assert code == 1, said
    assert "case 'FAM-1' version 1" in said
    assert "FAM-FORGED" not in said


def test_verify_names_a_byte_change_that_decodes_to_the_same_time(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """`+00:00` changed to `-00:00` in a recorded time reads as the same instant, yet is
    reported."""
    db_url, events = store
    tamperer.disarm()
    row = row_of(tamperer, events[1])
    assert row.state.count(b'+00:00"}') == 1
    tamperer.set_state(row.position, row.state.replace(b'+00:00"}', b'-00:00"}'))

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"position {events[1].position}, case 'FAM-1' version 2" in said
    assert "canonical" in said


def test_verify_names_a_deleted_event_in_the_middle_of_the_log(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Deleting one event from the middle of a case (and its index row) makes verify exit 1 at that
    place."""
    db_url, events = store
    target = events[2]
    tamperer.disarm()
    tamperer.delete_event(row_of(tamperer, target).position, with_index_row=True)

    code, said = run_verify(db_url)

    assert code == 1, said
    # SQLite's positions have no gaps; on PostgreSQL a gap is normal, and the case's next
    # event is where the chain breaks.
    assert f"position {target.position}" in said or (
        f"position {events[3].position}, case 'FAM-1' version {events[3].version}" in said
    )
    assert "missing" in said or "deleted" in said


def test_verify_names_the_deleted_event_when_the_index_still_knows_it(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Deleting one stored event but not its index row makes verify name the event that is gone."""
    db_url, events = store
    target = events[3]
    tamperer.disarm(drop=False)
    tamperer.delete_event(row_of(tamperer, target).position, with_index_row=False)

    code, said = run_verify(db_url)

    assert code == 1, said
    assert str(target.event_id) in said
    assert f"case 'FAM-1' version {target.version}" in said


def test_verify_detects_the_last_event_of_a_case_deleted_from_the_end_of_the_log(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Deleting the newest stored event leaves its index row behind, which verify names."""
    db_url, events = store
    target = events[-1]
    tamperer.disarm()
    tamperer.delete_event(row_of(tamperer, target).position, with_index_row=False)

    code, said = run_verify(db_url)

    assert code == 1, said
    assert str(target.event_id) in said


def test_verify_detects_the_states_of_two_rows_swapped(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Swapping the stored states of two events of a case makes verify exit 1 at the first of
    them."""
    db_url, events = store
    first, second = events[2], events[3]
    tamperer.disarm()
    first_row, second_row = row_of(tamperer, first), row_of(tamperer, second)
    tamperer.set_state(first.position, second_row.state)
    tamperer.set_state(second.position, first_row.state)

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"position {first.position}, case 'FAM-1' version {first.version}" in said


def test_verify_detects_an_event_moved_to_another_case(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Re-pointing an event's row at another case (originator_id) is reported by verify."""
    db_url, events = store
    tamperer.disarm()
    other = next(row for row in tamperer.rows() if b'"FAM-2"' in row.state)
    last = row_of(tamperer, events[-1])
    tamperer.execute(
        f"UPDATE {tamperer.events} SET originator_id = ?, originator_version = 3 "
        f"WHERE {tamperer.position} = ?",
        [tamperer.stored_id(other.originator_id), last.position],
    )

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"position {events[-1].position}" in said


def test_verify_fails_naming_each_missing_trigger_of_an_otherwise_intact_store(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """A store whose append-only triggers were dropped, with every event intact, fails verify
    naming the triggers."""
    db_url, _ = store
    events_delete = f"{tamperer.events}_refuse_delete"
    index_update = "foresight_event_index_refuse_update"
    tamperer.execute(
        f"DROP TRIGGER {events_delete}"
        + (f" ON {tamperer.events}" if tamperer.placeholder == "%s" else "")
    )
    tamperer.execute(
        f"DROP TRIGGER {index_update}"
        + (" ON foresight_event_index" if tamperer.placeholder == "%s" else "")
    )

    code, said = run_verify(db_url)

    assert code == 1, said
    assert events_delete in said
    assert index_update in said
    assert f"{tamperer.events}_refuse_update" not in said
    assert "Broken link" not in said
    # Opening the store (as verify, the server or an append does) must not hide the evidence.
    service = open_service(db_url)
    try:
        report = verify_store(service)
    finally:
        service.close()
    assert set(report.missing_triggers) == {events_delete, index_update}
    assert report.broken is None
    assert not report.ok


def test_verify_reports_triggers_that_are_disabled_or_made_harmless(
    backend: str, store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """A trigger that is present but disabled, or re-created to do nothing, is reported as
    missing."""
    db_url, _ = store
    if backend == "postgresql":
        tamperer.execute(f"ALTER TABLE {tamperer.snapshots} DISABLE TRIGGER ALL")
        tamperer.execute(
            "CREATE OR REPLACE FUNCTION foresight_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
        )
    else:
        name = f"{tamperer.snapshots}_refuse_update"
        tamperer.execute(f"DROP TRIGGER {name}")
        tamperer.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {tamperer.snapshots} BEGIN SELECT 1; END"
        )

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"Append-only trigger missing: {tamperer.snapshots}_refuse_update" in said


# -- (c) snapshots, reviews and what only an anchor shows ------------------------------------------


@pytest.mark.parametrize("forgery", ["closed", "forget an entry", "future version"])
def test_verify_names_a_forged_snapshot(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer, forgery: str
) -> None:
    """A snapshot that is not what the case's events fold to (it would change what the case allows)
    is reported."""
    db_url, _ = store
    tamperer.disarm()
    originator_id, version, topic, state = tamperer.snapshots_rows()[0]
    forged = decode(state)
    if forgery == "future version":
        tamperer.insert_snapshot(originator_id, version + 10, topic, state)
    else:
        if forgery == "closed":
            forged["state"]["closed"] = True
        else:
            forged["state"]["entries"].popitem()
        tamperer.set_snapshot(originator_id, version, encode(forged))

    code, said = run_verify(db_url)

    assert code == 1, said
    assert "case 'FAM-1'" in said
    assert "snapshot" in said


def test_verify_names_a_review_event_deleted_from_the_middle_of_a_review(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """Reviews are not hash-chained, but a missing review event breaks the review's versions."""
    db_url, _ = store
    service = open_service(db_url)
    try:
        desk = ReviewDesk(service)
        review = desk.open(ReviewOpening(case_id="FAM-1", title="Review"), "reviewer-1")
        for text in ("First", "Second"):
            desk.record_finding(review.review_id, FindingRecord(text=text), "reviewer-1")
    finally:
        service.close()
    tamperer.disarm()
    finding = next(row for row in tamperer.rows() if b'"First"' in row.state)
    tamperer.delete_event(finding.position, with_index_row=False)

    code, said = run_verify(db_url)

    assert code == 1, said
    # SQLite's positions have no gaps, so the gap is the first broken link there.
    assert "review event: expected version 2" in said or (
        f"position {finding.position}: event at position {finding.position} is missing" in said
    )


def test_only_an_anchor_shows_the_newest_event_of_a_case_removed_with_its_index_row(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer, tmp_path: Path
) -> None:
    """Truncating a case leaves a valid shorter chain; the anchor kept by an auditor names the
    case."""
    db_url, events = store
    anchor = anchor_of(db_url, tmp_path)
    tamperer.disarm()
    tamperer.delete_event(row_of(tamperer, events[-1]).position, with_index_row=True)
    tamperer.rearm()

    assert run_verify(db_url)[0] == 0
    code, said = run_verify(db_url, "--anchor", str(anchor))

    assert code == 1, said
    assert f"case 'FAM-1' version {events[-1].version - 1}" in said
    assert "removed from its end" in said


def test_only_an_anchor_shows_a_case_whose_chain_was_recomputed(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer, tmp_path: Path
) -> None:
    """An attacker who changes an event and recomputes every later hash is caught by the anchor."""
    db_url, events = store
    anchor = anchor_of(db_url, tmp_path)
    tamperer.disarm()
    fam_1 = [
        row
        for row in tamperer.rows()
        if row.originator_id == row_of(tamperer, events[0]).originator_id
    ]
    tamperer.rewrite_chain(fam_1, from_version=2)

    code, said = run_verify(db_url, "--anchor", str(anchor))

    assert code == 1, said
    assert f"case 'FAM-1' version {events[-1].version}" in said
    assert "rewritten" in said


def test_only_an_anchor_shows_the_newest_rows_of_the_users_record_removed(
    store: tuple[str, list[RecordedEvent]], tmp_path: Path
) -> None:
    """The users' record is a hash chain too: removing its newest rows leaves a valid shorter
    chain, which the anchor's users' head shows; a user added after the anchor is not
    tampering."""
    db_url, _ = store
    engine = build_engine(Settings(db_url=db_url))
    add_user(engine, "sw-anchored", "practitioner", "social_care")
    add_user(engine, "sw-newest", "practitioner", "social_care")
    anchor = anchor_of(db_url, tmp_path)
    assert json.loads(anchor.read_text(encoding="utf-8"))["users"][0] > 0
    add_user(engine, "sw-later", "practitioner", "social_care")
    assert run_verify(db_url, "--anchor", str(anchor))[0] == 0

    dialect = engine.dialect.name
    refuse_delete = trigger_names(USERS_HISTORY_TABLE, dialect)[1]
    with engine.begin() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql(
                f'ALTER TABLE {USERS_HISTORY_TABLE} DISABLE TRIGGER "{refuse_delete}"'
            )
        else:
            connection.exec_driver_sql(f"DROP TRIGGER {refuse_delete}")
        connection.exec_driver_sql(
            f"DELETE FROM {USERS_HISTORY_TABLE} WHERE name IN ('sw-newest', 'sw-later')"
        )
        if dialect == "postgresql":
            connection.exec_driver_sql(
                f'ALTER TABLE {USERS_HISTORY_TABLE} ENABLE TRIGGER "{refuse_delete}"'
            )
        else:
            connection.exec_driver_sql(trigger_statements(USERS_HISTORY_TABLE, dialect)[1])
    engine.dispose()

    assert run_verify(db_url)[0] == 0
    code, said = run_verify(db_url, "--anchor", str(anchor))
    assert code == 1, said
    assert "users' record" in said
    assert "rows removed since the anchor was taken" in said


def test_an_anchor_stays_valid_as_the_store_grows_and_a_damaged_one_is_refused(
    store: tuple[str, list[RecordedEvent]], tmp_path: Path
) -> None:
    """Appends after the anchor are not tampering; an edited anchor file exits 2 without
    verifying."""
    db_url, _ = store
    anchor = anchor_of(db_url, tmp_path)
    service = open_service(db_url)
    try:
        service.append([event("note_added", summary="later"), event("note_added", case_id="FAM-3")])
    finally:
        service.close()

    code, said = run_verify(db_url, "--anchor", str(anchor))
    assert code == 0, said
    assert "matching the anchor" in said

    edited = json.loads(anchor.read_text(encoding="utf-8"))
    edited["events"] += 1
    anchor.write_text(json.dumps(edited), encoding="utf-8")
    code, said = run_verify(db_url, "--anchor", str(anchor))
    assert code == 2, said
    assert "digest" in said


def test_the_access_log_refuses_update_and_delete_and_verify_checks_its_triggers(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """The access log (made by the migrations) is append-only too, and verify reports its
    triggers."""
    db_url, _ = store
    build_engine(Settings(db_url=db_url)).dispose()
    tamperer.execute(
        'INSERT INTO foresight_access_log (at, "user", role, agency, endpoint) '
        "VALUES ('2024-01-01 00:00:00', 'u', 'auditor', 'police', '/cases')"
    )
    for statement in (
        "UPDATE foresight_access_log SET \"user\" = 'x'",
        "DELETE FROM foresight_access_log",
    ):
        with pytest.raises(Exception, match="append-only"):
            tamperer.execute(statement)
    tamperer.disarm()

    code, said = run_verify(db_url)

    assert code == 1, said
    assert "foresight_access_log_refuse_delete" in said


def test_the_migrations_guard_the_snapshots_of_a_store_made_before_they_were_guarded(
    store: tuple[str, list[RecordedEvent]], tamperer: Tamperer
) -> None:
    """A store whose snapshot table predates its triggers gets them from revision 0004."""
    db_url, _ = store
    build_engine(Settings(db_url=db_url)).dispose()
    names = [f"{tamperer.snapshots}_refuse_{operation}" for operation in ("update", "delete")]
    for name in names:
        tamperer.execute(
            f"DROP TRIGGER {name}"
            + (f" ON {tamperer.snapshots}" if tamperer.placeholder == "%s" else "")
        )
    tamperer.execute("UPDATE alembic_version SET version_num = '0002'")
    assert run_verify(db_url)[0] == 1

    build_engine(Settings(db_url=db_url)).dispose()

    code, said = run_verify(db_url)
    assert code == 0, said


# -- (d) a clean store ---------------------------------------------------------------------------


def test_verify_passes_on_a_clean_store(store: tuple[str, list[RecordedEvent]]) -> None:
    """An untouched store verifies in its own process: exit 0, every event, case and snapshot
    counted."""
    db_url, _ = store
    env = {**os.environ, "FORESIGHT_DB_URL": db_url, "COLUMNS": "240"}

    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, said
    assert "Verified 7 event(s) in 2 case(s) and 1 snapshot(s)" in said


def test_verify_passes_on_a_fresh_empty_store(db_url: str) -> None:
    """A store with no events yet verifies."""
    open_service(db_url).close()

    code, said = run_verify(db_url)

    assert code == 0, said
    assert "Verified 0 event(s) in 0 case(s)" in said
