"""Which keys records in a store may be under, so that a lost key is caught at start-up.

Every process that opens an encrypted store registers its current key's id before it can
write anything under it, and checks that every registered id is among its configured keys:
a record under a key that is not configured is then found without reading the whole log.
`foresight rekey`, once nothing is left under an older key, forgets the older ids.
"""

from __future__ import annotations

from typing import Any

from projections.keyring import KeyRingCipher, LostKeyError
from projections.store.recorders import SCHEMA_LOCK_ID, EventIndexQueries

KEY_REGISTRY_TABLE = "foresight_cipher_keys"


def _qualified(recorder: EventIndexQueries) -> str:
    if recorder.dialect == "postgresql":
        return f'"{recorder.datastore.schema}".{KEY_REGISTRY_TABLE}'  # type: ignore[attr-defined]
    return KEY_REGISTRY_TABLE


def _transaction(recorder: EventIndexQueries) -> Any:
    return recorder.datastore.transaction(commit=True)  # type: ignore[attr-defined]


def registered_key_ids(recorder: EventIndexQueries) -> list[str]:
    if not recorder._table_exists(KEY_REGISTRY_TABLE):
        return []
    rows = recorder._select(f"SELECT key_id FROM {_qualified(recorder)} ORDER BY key_id")
    return [str(row[0]) for row in rows]


def register_and_check(recorder: EventIndexQueries, cipher: KeyRingCipher, where: str) -> None:
    """Register the current key's id; LostKeyError for a registered id no key here has.

    A store that has records but no registry yet was written before key ids: its records are
    under one of the configured keys, so all of them are registered.
    """
    registered = registered_key_ids(recorder)
    new_ids = [cipher.current_id.hex()]
    has_records = recorder.max_notification_id()  # type: ignore[attr-defined]
    if has_records and not recorder._table_exists(KEY_REGISTRY_TABLE):
        new_ids = cipher.key_ids
    new_ids = [key_id for key_id in new_ids if key_id not in registered]
    if new_ids:
        p = recorder.placeholder
        with _transaction(recorder) as cursor:
            if recorder.dialect == "postgresql":
                # Processes starting at once would race on CREATE TABLE IF NOT EXISTS.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK_ID])
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {_qualified(recorder)} (key_id TEXT PRIMARY KEY)"
            )
            cursor.executemany(
                f"INSERT INTO {_qualified(recorder)} (key_id) VALUES ({p}) "
                "ON CONFLICT (key_id) DO NOTHING",
                [[key_id] for key_id in new_ids],
            )
    for key_id in registered:
        if key_id not in cipher.key_ids:
            raise LostKeyError(key_id, where)


def forget_other_keys(recorder: EventIndexQueries, cipher: KeyRingCipher) -> None:
    """After a complete rekey: no record is under any key but the current one."""
    with _transaction(recorder) as cursor:
        cursor.execute(
            f"DELETE FROM {_qualified(recorder)} WHERE key_id <> {recorder.placeholder}",
            [cipher.current_id.hex()],
        )
