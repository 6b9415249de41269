"""Keys that can be changed: records under two keys read correctly, `foresight rekey` moves
every record (events, snapshots, read models) to the current key resumably without changing
what the log says, and a lost key stops the service with one line naming its id."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from base64 import b64decode
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment
from pydantic import SecretStr
from typer.testing import CliRunner

import api.bootstrap
import projections.rekey
from api.bootstrap import bootstrap, build_blob_store, build_engine, build_foresight, store_cipher
from api.cli import app as cli
from api.http.app import create_app
from api.samples.demo import DEMO_CASE, demo_case_events
from api.samples.generator import generate_cases
from api.settings import Settings, get_settings
from events.envelope import parse_event
from projections.encrypted_columns import CIPHERTEXT_MARK
from projections.keyring import KeyRingCipher, LostKeyError, StoreKeyError, key_id_in, key_id_of
from projections.rekey import RekeyRefused, RekeyTarget, rekey_store, rekey_targets
from projections.store.blobs import CHUNK_BYTES, BlobStore, blob_problem
from projections.store.integrity import Anchor, verify_store
from projections.store.key_registry import registered_key_ids
from projections.store.recorders import EventIndexQueries
from tests.backends import new_sqlite_url
from tests.s3_server import S3Server

ROOT = Path(__file__).resolve().parents[2]
SURNAME = "Quibblesworth"
KEY_A = AESCipher.create_key(num_bytes=32)
KEY_B = AESCipher.create_key(num_bytes=32)
SNAPSHOT_INTERVAL = 4  # so that snapshots, too, are written under the old key


def keyed(db_url: str, current: str | None, old: str | None = None) -> Settings:
    return Settings(
        db_url=db_url,
        cipher_key=SecretStr(current) if current else None,
        cipher_old_keys=SecretStr(old) if old else None,
        snapshot_interval=SNAPSHOT_INTERVAL,
    )


def case_events() -> list[dict[str, Any]]:
    events = demo_case_events()
    for raw in events:
        if raw["type"] == "person_added":
            raw["data"]["name"] = f"{raw['data']['name']} {SURNAME}"
    return events


def append_and_read(settings: Settings, events: list[dict[str, Any]]) -> str:
    """Append these events, bring the read models up to date, and return the chronology."""
    foresight = build_foresight(settings)
    try:
        foresight.service.append([parse_event(raw) for raw in events])
        return foresight.caught_up().chronology_json(DEMO_CASE)
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()


def read_everything(settings: Settings) -> tuple[str, list[Any]]:
    """The chronology and the plans, through the read models (rebuilt from the log too), and
    every event of the case decoded from the store."""
    foresight = build_foresight(settings)
    try:
        queries = foresight.caught_up()
        chronology = queries.chronology_json(DEMO_CASE)
        plans = queries.plans(DEMO_CASE, on=date(2024, 3, 1))
        assert len(foresight.service.case_events(DEMO_CASE)) == len(case_events())
        return chronology, plans
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()


def stored_states(db_url: str) -> dict[str, list[bytes]]:
    """Every encrypted value as stored, by table (read-model text decoded from base64)."""
    engine = sqlalchemy.create_engine(db_url)
    found: dict[str, list[bytes]] = {}
    try:
        with engine.connect() as connection:
            for table in (
                "foresight_events",
                "foresight_snapshots",
                "stored_events",
                "stored_snapshots",
            ):
                if sqlalchemy.inspect(connection).has_table(table):
                    rows = connection.execute(sqlalchemy.text(f"SELECT state FROM {table}"))
                    found[table] = [bytes(row[0]) for row in rows]
            for table, column in (
                ("rm_events", "recorded_by"),
                ("rm_entry_states", "entry"),
                ("rm_plan_periods", "plan"),
            ):
                rows = connection.execute(
                    sqlalchemy.text(
                        f"SELECT CAST({column} AS TEXT) FROM {table} WHERE {column} IS NOT NULL"
                    )
                )
                found[table] = [_ciphertext_of(row[0]) for row in rows]
    finally:
        engine.dispose()
    return found


def _ciphertext_of(stored: str) -> bytes:
    value = stored.strip('"')
    assert value.startswith(CIPHERTEXT_MARK), value[:20]
    return b64decode(value[len(CIPHERTEXT_MARK) :])


def key_ids_in(db_url: str) -> dict[str, set[str | None]]:
    return {
        table: {None if (found := key_id_in(state)) is None else found.hex() for state in states}
        for table, states in stored_states(db_url).items()
    }


def run_rekey(settings: Settings, batch_size: int = 7, stop_after: int | None = None) -> int:
    """Rekey in process; `stop_after` batches, raise as a crash would."""
    foresight = bootstrap(settings)
    cipher = store_cipher(settings)
    assert cipher is not None
    batches = 0

    def stop_when_told(target: RekeyTarget, rewritten: int) -> None:
        nonlocal batches
        batches += 1
        if stop_after is not None and batches >= stop_after:
            raise KeyboardInterrupt("stopped after a batch")

    try:
        recorder = foresight.service.recorder
        assert isinstance(recorder, EventIndexQueries)
        targets = rekey_targets(
            recorder,
            foresight.queries.engine,
            cipher,
            foresight.service.name,
            batch_size,
            foresight.blobs,
        )
        done = rekey_store(recorder, cipher, targets, stop_when_told)
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()
    return done


def verified(settings: Settings) -> Any:
    foresight = bootstrap(settings, check_key=False)
    try:
        return verify_store(foresight.service)
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()


@pytest.fixture
def two_key_store(db_url: str) -> str:
    """The first half of the case written under key A, then A rotated out for key B (A kept as
    an old key) and the rest written under B."""
    events = case_events()
    half = len(events) // 2
    append_and_read(keyed(db_url, KEY_A), events[:half])
    append_and_read(keyed(db_url, KEY_B, KEY_A), events[half:])
    return db_url


def test_records_under_two_keys_read_correctly(two_key_store: str) -> None:
    """Each record names its key's id; with both keys configured everything reads."""
    ids = key_ids_in(two_key_store)
    events_table = next(
        table for table in ids if table.endswith("events") and not table.startswith("rm_")
    )
    assert ids[events_table] == {key_id_of(KEY_A), key_id_of(KEY_B)}
    chronology, plans = read_everything(keyed(two_key_store, KEY_B, KEY_A))
    assert chronology.count(SURNAME) >= 3
    assert plans


def test_rekey_moves_every_record_to_the_current_key_and_the_old_key_can_go(
    two_key_store: str,
) -> None:
    """After a rekey every table holds only the current key's id, verify passes before and
    after (with an anchor taken before), and the store reads with the old key removed."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    before = verified(both)
    assert before.ok, before.broken
    assert run_rekey(both) > 0
    ids = key_ids_in(two_key_store)
    assert ids
    assert all(found == {key_id_of(KEY_B)} for found in ids.values() if found), ids
    assert any(table.endswith("snapshots") and found for table, found in ids.items())
    after_settings = keyed(two_key_store, KEY_B)
    foresight = bootstrap(after_settings, check_key=False)
    try:
        after = verify_store(foresight.service, anchor=before.anchor)
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()
    assert after.ok, after.broken
    assert after.anchor == before.anchor
    chronology, plans = read_everything(after_settings)
    assert chronology.count(SURNAME) >= 3
    assert plans
    assert run_rekey(after_settings) == 0  # nothing left to do


def test_rekey_interrupted_after_a_batch_is_finished_by_a_second_run(two_key_store: str) -> None:
    """A rekey stopped after its first batch leaves whole batches rewritten; a second run
    rewrites only the rest and leaves the first batch's records as they were."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    current = key_id_of(KEY_B)
    old_records = {
        table: {state for state in states if key_id_in(state) != bytes.fromhex(current)}
        for table, states in stored_states(two_key_store).items()
    }
    with pytest.raises(KeyboardInterrupt):
        run_rekey(both, batch_size=5, stop_after=1)
    midway = stored_states(two_key_store)
    moved = {
        table: {
            state
            for state in states
            if state not in old_records[table] and key_id_in(state) == bytes.fromhex(current)
        }
        for table, states in midway.items()
    }
    still_old = sum(len(old_records[table] & set(states)) for table, states in midway.items())
    assert still_old > 0
    assert sum(len(states) for states in old_records.values()) - still_old == 5
    assert verified(both).ok
    second_run = run_rekey(both, batch_size=5)
    assert second_run == still_old
    finished = stored_states(two_key_store)
    for table, states in moved.items():
        assert states <= set(finished[table])  # the first run's work was not redone
    assert verified(keyed(two_key_store, KEY_B)).ok
    chronology, _ = read_everything(keyed(two_key_store, KEY_B))
    assert SURNAME in chronology


def test_a_store_made_before_key_ids_is_read_rotated_and_rekeyed(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records from the code before key ids (the library's plain AESCipher, no prefix) are read
    under the key they were written with, as the current key or as an old one, and rekeyed."""
    with monkeypatch.context() as old_code:
        old_code.setattr(api.bootstrap, "KeyRingCipher", AESCipher)
        old_code.setattr(api.bootstrap, "register_and_check", lambda *_: None)
        old_code.setattr(
            api.bootstrap,
            "key_ring",
            lambda current, old: (
                AESCipher(Environment(env={"CIPHER_KEY": current})) if current else None
            ),
        )
        append_and_read(keyed(db_url, KEY_A), case_events())
    assert all(None in found for found in key_ids_in(db_url).values() if found)
    chronology, _ = read_everything(keyed(db_url, KEY_A))  # the same key, now a key ring
    assert SURNAME in chronology
    with pytest.raises(StoreKeyError, match="does not decrypt"):
        create_app(keyed(db_url, KEY_B))
    rotated = keyed(db_url, KEY_B, KEY_A)
    assert SURNAME in read_everything(rotated)[0]
    assert verified(rotated).ok
    assert run_rekey(rotated) > 0
    assert all(found == {key_id_of(KEY_B)} for found in key_ids_in(db_url).values() if found)
    assert verified(keyed(db_url, KEY_B)).ok
    assert SURNAME in read_everything(keyed(db_url, KEY_B))[0]


def test_a_lost_key_stops_the_server_start_with_one_line_naming_its_id(two_key_store: str) -> None:
    """Key A removed before a rekey: the app refuses to start and names A's id, not the key."""
    with pytest.raises(LostKeyError) as stopped:
        create_app(keyed(two_key_store, KEY_B))
    message = str(stopped.value)
    assert key_id_of(KEY_A) in message
    assert "FORESIGHT_CIPHER_OLD_KEYS" in message
    assert "\n" not in message
    assert KEY_A not in message
    assert KEY_B not in message


def test_rekey_leaves_the_log_append_only_and_refuses_a_store_missing_a_trigger(
    two_key_store: str,
) -> None:
    """The trigger is back after every batch: an UPDATE or DELETE is still refused; and with a
    trigger gone, rekey refuses rather than put it back and hide the evidence."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    run_rekey(both)
    foresight = bootstrap(both)
    recorder = foresight.service.recorder
    assert isinstance(recorder, EventIndexQueries)
    table = recorder.events_table_name
    engine = foresight.queries.engine
    try:
        assert recorder.missing_append_only_triggers() == []
        for statement in (f"UPDATE {table} SET state = state", f"DELETE FROM {table}"):
            with (
                pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"),
                engine.begin() as connection,
            ):
                connection.execute(sqlalchemy.text(statement))
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text(
                    f"DROP TRIGGER {table}_refuse_delete"
                    + (f" ON {table}" if engine.dialect.name == "postgresql" else "")
                )
            )
        cipher = store_cipher(both)
        assert isinstance(cipher, KeyRingCipher)
        with pytest.raises(RekeyRefused, match="refuse_delete"):
            rekey_targets(recorder, engine, cipher, foresight.service.name)
    finally:
        foresight.service.close()
        engine.dispose()


@pytest.mark.sqlite
def test_the_command_line_rekeys_and_a_lost_key_is_one_line(
    tmp_path: Path, point_cli_at: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`foresight rekey --check` counts what is left, `rekey` finishes it; a command run without
    the key its records name exits 1 with one line naming the key id, no traceback."""
    db_url = new_sqlite_url(tmp_path)
    events = case_events()
    append_and_read(keyed(db_url, KEY_A), events[:10])
    append_and_read(keyed(db_url, KEY_B, KEY_A), events[10:])
    env = {**os.environ, "FORESIGHT_DB_URL": db_url, "FORESIGHT_CIPHER_KEY": KEY_B}
    env.pop("FORESIGHT_CIPHER_OLD_KEYS", None)
    lost = subprocess.run(
        [sys.executable, "-m", "api.cli", "chronology", DEMO_CASE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lost.returncode == 1
    assert key_id_of(KEY_A) in lost.stderr
    assert len(lost.stderr.strip().splitlines()) == 1, lost.stderr
    assert "Traceback" not in lost.stderr + lost.stdout

    point_cli_at(db_url)
    monkeypatch.setenv("FORESIGHT_CIPHER_KEY", KEY_B)
    monkeypatch.setenv("FORESIGHT_SNAPSHOT_INTERVAL", str(SNAPSHOT_INTERVAL))
    get_settings.cache_clear()
    runner = CliRunner()
    unverified = runner.invoke(cli, ["verify"])  # verify reports it as a broken link
    assert unverified.exit_code == 1
    assert key_id_of(KEY_A) in " ".join(unverified.output.split())
    monkeypatch.setenv("FORESIGHT_CIPHER_OLD_KEYS", KEY_A)
    get_settings.cache_clear()
    left = runner.invoke(cli, ["rekey", "--check"])
    assert left.exit_code == 1, left.output
    assert "not under the current key" in left.output
    done = runner.invoke(cli, ["rekey", "--batch-size", "3"])
    assert done.exit_code == 0, done.output
    assert f"every record is under key id {key_id_of(KEY_B)}" in done.output
    assert runner.invoke(cli, ["rekey", "--check"]).exit_code == 0
    monkeypatch.delenv("FORESIGHT_CIPHER_OLD_KEYS")
    get_settings.cache_clear()
    assert runner.invoke(cli, ["verify"]).exit_code == 0
    chronology = runner.invoke(cli, ["chronology", DEMO_CASE])
    assert chronology.exit_code == 0
    assert SURNAME in chronology.output


def test_a_crash_inside_a_batch_rolls_the_batch_back_trigger_included(
    two_key_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in the middle of a batch's transaction (as a kill would) leaves nothing of it:
    no record rewritten, the append-only trigger in force; the next run does the whole job."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    before = stored_states(two_key_store)
    calls = 0
    original = projections.rekey.rekeyed

    def failing_on_the_third(cipher: KeyRingCipher, ciphertext: bytes) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt("killed inside a batch")
        return original(cipher, ciphertext)

    monkeypatch.setattr(projections.rekey, "rekeyed", failing_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        run_rekey(both, batch_size=5)
    assert stored_states(two_key_store) == before
    report = verified(both)
    assert report.ok, (report.missing_triggers, report.broken)
    monkeypatch.setattr(projections.rekey, "rekeyed", original)
    assert run_rekey(both, batch_size=5) == sum(
        1 for states in before.values() for state in states if key_id_in(state) != _id(KEY_B)
    )
    assert all(found == {key_id_of(KEY_B)} for found in key_ids_in(two_key_store).values() if found)


def _id(key: str) -> bytes:
    return bytes.fromhex(key_id_of(key))


def test_a_key_lost_in_the_middle_of_the_log_is_caught_at_start_up(db_url: str) -> None:
    """Records under key A only between records under key B, read models caught up: the start
    reads no record under A, yet refuses, naming A's id (the store's key registry)."""
    events = case_events()
    append_and_read(keyed(db_url, KEY_B), events[:10])
    append_and_read(keyed(db_url, KEY_A, KEY_B), events[10:20])
    append_and_read(keyed(db_url, KEY_B, KEY_A), events[20:])
    with pytest.raises(LostKeyError, match=key_id_of(KEY_A)):
        create_app(keyed(db_url, KEY_B))


def test_a_store_from_before_key_ids_registers_every_configured_key_at_its_first_start(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its records are under one of the keys it is first opened with, so each is registered:
    removing the old one before a complete rekey is then refused at start-up."""
    with monkeypatch.context() as old_code:
        old_code.setattr(api.bootstrap, "KeyRingCipher", AESCipher)
        old_code.setattr(api.bootstrap, "register_and_check", lambda *_: None)
        old_code.setattr(
            api.bootstrap,
            "key_ring",
            lambda current, old: AESCipher(Environment(env={"CIPHER_KEY": current})),
        )
        append_and_read(keyed(db_url, KEY_A), case_events()[:6])
    foresight = bootstrap(keyed(db_url, KEY_B, KEY_A))
    try:
        recorder = foresight.service.recorder
        assert isinstance(recorder, EventIndexQueries)
        assert set(registered_key_ids(recorder)) == {key_id_of(KEY_A), key_id_of(KEY_B)}
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()


def test_rekey_runs_while_cases_are_appended_and_read(two_key_store: str) -> None:
    """Appends and reads go on while a rekey rewrites in small batches: all succeed, and the
    log ends whole, verified, and under the current key."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    families = list(generate_cases(4, None, 11))
    failures: list[BaseException] = []
    appended = threading.Event()

    def append_meanwhile() -> None:
        foresight = build_foresight(both)
        try:
            for family in families:
                foresight.service.append([parse_event(raw) for raw in family])
                assert SURNAME in foresight.caught_up().chronology_json(DEMO_CASE)
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)
        finally:
            foresight.service.close()
            foresight.queries.engine.dispose()
            appended.set()

    writer = threading.Thread(target=append_meanwhile)
    writer.start()
    run_rekey(both, batch_size=2)
    writer.join(timeout=120)
    assert appended.is_set()
    assert failures == []
    assert run_rekey(both) == 0  # nothing was written under the old key meanwhile
    assert all(found == {key_id_of(KEY_B)} for found in key_ids_in(two_key_store).values() if found)
    report = verified(keyed(two_key_store, KEY_B))
    assert report.ok, report.broken
    assert report.cases_checked == 1 + len(families)


def test_an_anchor_of_the_stored_bytes_from_before_rotation_still_verifies(
    two_key_store: str,
) -> None:
    """An auditor's anchor of format 1 (a digest of the stored bytes, as before key rotation)
    still matches the store it was taken of; after a rekey it no longer can (so format 2)."""
    both = keyed(two_key_store, KEY_B, KEY_A)
    report = verified(both)
    assert report.anchor is not None
    foresight = bootstrap(both)
    try:
        digest = "0" * 64
        for notification in foresight.service.recorder.select_notifications(
            start=None, limit=10_000
        ):
            row = (
                f"|{notification.id}|{notification.originator_id}|"
                f"{notification.originator_version}|{notification.topic}|"
            ).encode() + hashlib.sha256(notification.state).hexdigest().encode()
            digest = hashlib.sha256(digest.encode() + row).hexdigest()
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()
    assert digest != report.anchor.log_digest  # the store is encrypted: the two differ
    stored_bytes_anchor = Anchor(
        report.anchor.position,
        report.anchor.events,
        digest,
        report.anchor.heads,
        format="foresight-anchor/1",
    )
    assert Anchor.from_json(stored_bytes_anchor.to_json()) == stored_bytes_anchor

    def verify_against(anchor: Anchor) -> bool:
        foresight = bootstrap(both, check_key=False)
        try:
            return verify_store(foresight.service, anchor=anchor).ok
        finally:
            foresight.service.close()
            foresight.queries.engine.dispose()

    assert verify_against(stored_bytes_anchor)
    run_rekey(both)
    assert not verify_against(stored_bytes_anchor)
    assert verify_against(report.anchor)


@pytest.mark.sqlite
def test_foresight_serve_with_a_key_lost_in_the_middle_of_the_log_exits_with_one_line(
    tmp_path: Path,
) -> None:
    """The server process itself (not only the app factory) stops before serving."""
    db_url = new_sqlite_url(tmp_path)
    events = case_events()
    append_and_read(keyed(db_url, KEY_B), events[:10])
    append_and_read(keyed(db_url, KEY_A, KEY_B), events[10:20])
    append_and_read(keyed(db_url, KEY_B, KEY_A), events[20:])
    env = {**os.environ, "FORESIGHT_DB_URL": db_url, "FORESIGHT_CIPHER_KEY": KEY_B}
    env.pop("FORESIGHT_CIPHER_OLD_KEYS", None)
    served = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # it must fail: the exit status is what is tested
    )
    assert served.returncode == 1
    assert served.stderr.strip().splitlines() == [served.stderr.strip()]
    assert key_id_of(KEY_A) in served.stderr
    assert "Uvicorn running" not in served.stderr + served.stdout


def test_rekey_killed_outright_is_finished_by_a_second_run(db_url: str) -> None:
    """kill -9 in the middle of `foresight rekey`: the store is whole (triggers in force,
    verified), some records already moved, and a second run moves exactly the rest."""
    old_settings = keyed(db_url, KEY_A)
    foresight = build_foresight(old_settings)
    try:
        families = list(generate_cases(6, None, 5))
        for family in families:
            foresight.service.append([parse_event(raw) for raw in family])
        foresight.caught_up()
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()
    both = keyed(db_url, KEY_B, KEY_A)
    total = sum(len(states) for states in stored_states(db_url).values())
    env = {
        **os.environ,
        "FORESIGHT_DB_URL": db_url,
        "FORESIGHT_CIPHER_KEY": KEY_B,
        "FORESIGHT_CIPHER_OLD_KEYS": KEY_A,
    }
    rekeying = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "rekey", "--batch-size", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        moved = 0
        deadline = time.monotonic() + 60
        while moved < 20 and time.monotonic() < deadline and rekeying.poll() is None:
            time.sleep(0.05)
            moved = sum(
                1
                for states in stored_states(db_url).values()
                for state in states
                if key_id_in(state) == _id(KEY_B)
            )
    finally:
        rekeying.send_signal(signal.SIGKILL)
        rekeying.wait(timeout=30)
    assert rekeying.returncode == -signal.SIGKILL, "rekey ended before it could be killed"
    left = sum(
        1
        for states in stored_states(db_url).values()
        for state in states
        if key_id_in(state) != _id(KEY_B)
    )
    assert 0 < left < total
    report = verified(both)
    assert report.ok, (report.missing_triggers, report.broken)
    assert run_rekey(both, batch_size=50) == left
    assert verified(keyed(db_url, KEY_B)).ok
    foresight = build_foresight(keyed(db_url, KEY_B))
    try:
        for family in families:
            assert len(foresight.service.case_events(family[0]["case_id"])) == len(family)
            assert foresight.caught_up().chronology_json(family[0]["case_id"]).startswith("[{")
    finally:
        foresight.service.close()
        foresight.queries.engine.dispose()


def test_key_settings_that_cannot_work_are_refused_naming_the_setting() -> None:
    """A malformed old key names its place in FORESIGHT_CIPHER_OLD_KEYS; old keys without a
    current key are refused (nothing could be written); neither message shows a key."""
    for current, old, reason in (
        (KEY_B, f"{KEY_A}, c2hvcnQ=", r"FORESIGHT_CIPHER_OLD_KEYS \(key 2\) must be base64"),
        (None, KEY_A, "FORESIGHT_CIPHER_KEY is not set, but FORESIGHT_CIPHER_OLD_KEYS is"),
    ):
        with pytest.raises(StoreKeyError, match=reason) as refused:
            store_cipher(keyed("sqlite:///unused.db", current, old))
        assert KEY_A not in str(refused.value)
        assert KEY_B not in str(refused.value)
    ring = store_cipher(keyed("sqlite:///unused.db", KEY_B, f" {KEY_A} ,{KEY_B},"))
    assert ring is not None
    assert ring.key_ids == [key_id_of(KEY_B), key_id_of(KEY_A)]


@pytest.mark.parametrize("kept_in", ["database", "bucket"])
def test_rekey_moves_documents_bytes_to_the_current_key_and_the_old_key_can_go(
    db_url: str, kept_in: str, request: pytest.FixtureRequest
) -> None:
    """Documents stored under key A, A rotated out for B: the rekey rewrites their chunks (or
    objects) under B, after which they read, checked against their SHA-256, with A removed;
    a plain blob stored before any key is left as it is."""
    where: dict[str, Any] = {}
    if kept_in == "bucket":
        server: S3Server = request.getfixturevalue("s3_server")
        where = {
            "blobs_url": f"s3://{server.new_bucket()}/documents",
            "s3_endpoint_url": server.endpoint_url,
        }

    def blob_store(settings: Settings) -> BlobStore:
        return build_blob_store(settings, build_engine(settings))

    big = os.urandom(CHUNK_BYTES * 2 + 5)  # three chunks
    letters = [b"A letter from the school", big]
    plain = b"Stored before the store had a key"
    blob_store(keyed(db_url, None).model_copy(update=where)).put([plain], sha(plain))
    under_a = keyed(db_url, KEY_A).model_copy(update=where)
    append_and_read(under_a, case_events()[:2])
    for letter in letters:
        chunks = [letter[at : at + CHUNK_BYTES] for at in range(0, len(letter), CHUNK_BYTES)]
        assert blob_store(under_a).put(chunks, sha(letter)).new

    both = keyed(db_url, KEY_B, KEY_A).model_copy(update=where)
    assert run_rekey(both) >= 4  # at least the four chunks or the two objects, and the log
    assert run_rekey(both) == 0

    only_b = keyed(db_url, KEY_B).model_copy(update=where)
    for letter in letters:
        assert b"".join(blob_store(only_b).chunks(sha(letter))) == letter
        assert blob_problem(blob_store(only_b), sha(letter), len(letter)) is None
    unkeyed = blob_store(keyed(db_url, None).model_copy(update=where))
    assert b"".join(unkeyed.chunks(sha(plain))) == plain
    with pytest.raises(LostKeyError, match=key_id_of(KEY_B)):  # no longer under A
        b"".join(blob_store(keyed(db_url, KEY_A).model_copy(update=where)).chunks(sha(big)))


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
