"""Encryption at rest: with FORESIGHT_CIPHER_KEY set, no record text reaches the database in
clear, neither in the event store (the `eventsourcing` library's cipher) nor in the read
models (the same cipher on their text columns); a missing or wrong key stops with a reason.

On SQLite the database file and its -wal/-journal/-shm files are read as raw bytes; on
PostgreSQL every row of every table is read back as text through SQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.bootstrap import store_cipher
from api.http.app import create_app
from api.samples.demo import DEMO_CASE, demo_case_events
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from projections.encrypted_columns import EncryptedJSON, EncryptedText, StoreKeyError, use_cipher
from tests.backends import new_sqlite_url

ROOT = Path(__file__).resolve().parents[2]
SURNAME = "Quibblesworth"  # long enough not to turn up by chance in ciphertext
FINDING = "The health visitor's concern about weight was not weighed at the first decision"


def recorded_events() -> list[dict[str, Any]]:
    """The demo case, with every person given a distinctive surname."""
    events = demo_case_events()
    for raw in events:
        if raw["type"] == "person_added":
            raw["data"]["name"] = f"{raw['data']['name']} {SURNAME}"
    return events


def free_text(value: Any) -> Iterator[str]:
    """Every piece of prose (or address, or pupil number) in a summary or an event's data."""
    if isinstance(value, str):
        if (" " in value and len(value) >= 10) or value.startswith("P8732"):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from free_text(item)
    elif isinstance(value, list):
        for item in value:
            yield from free_text(item)


def secrets_of_the_record() -> list[str]:
    texts = {FINDING}
    for raw in recorded_events():
        texts.update(free_text(raw.get("summary")))
        texts.update(free_text(raw.get("data", {})))
    assert len(texts) > 40
    assert any(SURNAME in text for text in texts)
    return sorted(texts)


def keyed(db_url: str, key: str | None) -> Settings:
    return Settings(db_url=db_url, cipher_key=SecretStr(key) if key is not None else None)


def fill_store(db_url: str, key: str | None) -> None:
    """Append the case, read it through every read model, open a review, rebuild the read
    models, and close everything (so SQLite checkpoints what it can)."""
    app = create_app(keyed(db_url, key))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in recorded_events()])
    token = add_user(foresight.queries.engine, "enc-rev", "reviewer", "review")[1]
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        chronology = client.get(f"/cases/{DEMO_CASE}/chronology", headers=auth)
        assert chronology.status_code == 200
        assert SURNAME in chronology.text  # decrypted for the reader
        plans = client.get(f"/cases/{DEMO_CASE}/plans", params={"on": "2024-03-01"}, headers=auth)
        assert plans.json()[0]["goals"]
        review = client.post(
            "/reviews", headers=auth, json={"case_id": DEMO_CASE, "title": "Rapid review"}
        ).json()
        finding = client.post(
            f"/reviews/{review['review_id']}/findings",
            headers=auth,
            json={"text": FINDING, "factors": ["human_reasoning"]},
        )
        assert finding.status_code == 201, finding.text
    foresight.runner.rebuild()
    assert SURNAME in foresight.caught_up().chronology_json(DEMO_CASE)
    foresight.service.close()
    foresight.queries.engine.dispose()


def stored_bytes(db_url: str) -> bytes:
    """What the database holds: the SQLite files' raw bytes, or every PostgreSQL row as text
    (bytea shown in hex, so plain text in a bytea column is searched as hex too)."""
    url = sqlalchemy.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database or "")
        files = sorted(database.parent.glob(database.name + "*"))
        assert {path.name for path in files} >= {database.name}
        return b"".join(path.read_bytes() for path in files)
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as connection:
            tables = (
                connection.execute(
                    sqlalchemy.text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                )
                .scalars()
                .all()
            )
            rows = [
                str(row)
                for table in tables
                for row in connection.execute(
                    sqlalchemy.text(f'SELECT CAST(t AS text) FROM "{table}" t')
                ).scalars()
            ]
    finally:
        engine.dispose()
    assert any(table.startswith("rm_") for table in tables)
    return "\n".join(rows).encode()


def found_in(stored: bytes, texts: list[str]) -> list[str]:
    lowered = stored.lower()
    return [
        text for text in texts if text.encode() in stored or text.encode().hex().encode() in lowered
    ]


@pytest.fixture
def key() -> str:
    return AESCipher.create_key(num_bytes=32)


def test_with_a_key_no_record_text_is_stored_in_clear(db_url: str, key: str) -> None:
    """Summaries, names, addresses, words, rationales, goals and review findings: none of them
    is in the database, in the event store or the read models, even after a rebuild."""
    fill_store(db_url, key)
    texts = secrets_of_the_record()
    assert found_in(stored_bytes(db_url), texts) == []


def test_without_a_key_the_same_texts_are_found(db_url: str) -> None:
    """The control: the search finds every text when nothing is encrypted."""
    fill_store(db_url, None)
    texts = secrets_of_the_record()
    stored = stored_bytes(db_url)
    assert found_in(stored, texts) == texts


def test_a_wrong_missing_or_malformed_key_stops_with_a_reason(db_url: str, key: str) -> None:
    fill_store(db_url, key)
    wrong = AESCipher.create_key(num_bytes=32)
    for given, reason in (
        (wrong, "does not decrypt"),
        (None, "is not set"),
        ("not base64 at all!", "base64 of 16, 24 or 32 bytes"),
        ("c2hvcnQ=", "base64 of 16, 24 or 32 bytes"),
    ):
        with pytest.raises(StoreKeyError, match=reason) as refused:
            create_app(keyed(db_url, given))
        assert "FORESIGHT_CIPHER_KEY" in str(refused.value)
        assert not [secret for secret in (key, given) if secret and secret in str(refused.value)]
    app = create_app(keyed(db_url, key))  # the right key still opens it
    assert SURNAME in app.state.foresight.caught_up().chronology_json(DEMO_CASE)
    app.state.foresight.service.close()


def test_a_key_given_for_a_store_made_without_one_is_refused(db_url: str, key: str) -> None:
    fill_store(db_url, None)
    with pytest.raises(StoreKeyError, match="does not decrypt"):
        create_app(keyed(db_url, key))


def test_the_command_line_says_why_in_one_line_without_a_traceback(
    tmp_path: Path,
    key: str,
) -> None:
    """(On SQLite only: the key check does not depend on the backend.)"""
    db_url = new_sqlite_url(tmp_path)
    fill_store(db_url, key)
    env = {
        **os.environ,
        "FORESIGHT_DB_URL": db_url,
        "FORESIGHT_CIPHER_KEY": AESCipher.create_key(num_bytes=32),
    }
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "chronology", DEMO_CASE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # it must fail: the exit status is what is tested
    )
    assert result.returncode == 1
    assert "FORESIGHT_CIPHER_KEY does not decrypt" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert SURNAME not in result.stdout


def test_read_model_text_written_under_one_configuration_is_refused_under_another(
    tmp_path: Path,
    key: str,
) -> None:
    """Ciphertext read without a key, plain text read with one, or another key: a reason,
    never base64 shown as a summary or plain text taken as decrypted."""
    metadata = sqlalchemy.MetaData()
    table = sqlalchemy.Table(
        "t",
        metadata,
        sqlalchemy.Column("text", EncryptedText),
        sqlalchemy.Column("json", EncryptedJSON),
    )
    ciphers = {
        name: store_cipher(keyed("sqlite:///unused", given))
        for name, given in (("key", key), ("other", AESCipher.create_key(32)), ("none", None))
    }

    def engine_with(name: str) -> sqlalchemy.Engine:
        engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'views.db'}")
        use_cipher(engine, ciphers[name])
        return engine

    for written in ciphers:
        with engine_with(written).begin() as connection:
            metadata.drop_all(connection)
            metadata.create_all(connection)
            connection.execute(table.insert().values(text=SURNAME, json={"goal": SURNAME}))
        for read in ciphers:
            with engine_with(read).connect() as connection:
                if read == written:
                    assert connection.execute(sqlalchemy.select(table)).one() == (
                        SURNAME,
                        {"goal": SURNAME},
                    )
                    continue
                for column in table.c:
                    with pytest.raises(StoreKeyError, match="FORESIGHT_CIPHER_KEY"):
                        connection.execute(sqlalchemy.select(column)).one()
