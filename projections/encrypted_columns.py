"""Encryption at rest for the read models' text: the event store's cipher, applied per column.

The read models sit in the same database as the events and hold the same summaries, names and
data, so with a cipher key configured their text and JSON columns are encrypted with the very
cipher the `eventsourcing` library uses for the stored events (AES-GCM, a fresh nonce per
value, marked with the key's id: projections/keyring.py). Only columns that no query filters
or sorts on are encrypted: identifiers, agencies, types and times stay in clear for the
indexes.

The cipher belongs to an engine (its dialect object), not to the process, so two stores open
in one process can have different keys, or none.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any
from weakref import WeakKeyDictionary

from eventsourcing.persistence import Cipher
from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from projections.keyring import StoreKeyError

# Marks a value as ciphertext, so a store read with no key (or a plain one read with a key)
# is refused with a reason instead of being shown as base64 or parsed as garbage.
CIPHERTEXT_MARK = "fse1:"

PLAIN_UNDER_KEY = (
    "The read models hold plain text but FORESIGHT_CIPHER_KEY is set: rebuild them with "
    "`foresight rebuild` under the key, or unset it."
)

__all__ = ["CIPHERTEXT_MARK", "EncryptedJSON", "EncryptedText", "StoreKeyError", "use_cipher"]

_ciphers: WeakKeyDictionary[Dialect, Cipher] = WeakKeyDictionary()


def use_cipher(engine: Engine, cipher: Cipher | None) -> None:
    """Encrypt and decrypt this engine's encrypted columns with `cipher` (None: plain text)."""
    if cipher is None:
        _ciphers.pop(engine.dialect, None)
    else:
        _ciphers[engine.dialect] = cipher


def encrypt_text(value: str, dialect: Dialect) -> str:
    cipher = _ciphers.get(dialect)
    if cipher is None:
        return value
    return CIPHERTEXT_MARK + b64encode(cipher.encrypt(value.encode())).decode()


def decrypt_text(value: str, dialect: Dialect) -> str:
    cipher = _ciphers.get(dialect)
    encrypted = value.startswith(CIPHERTEXT_MARK)
    if cipher is None:
        if encrypted:
            raise StoreKeyError(
                "The read models are encrypted: set FORESIGHT_CIPHER_KEY to the store's key."
            )
        return value
    if not encrypted:
        raise StoreKeyError(PLAIN_UNDER_KEY)
    try:
        return cipher.decrypt(b64decode(value[len(CIPHERTEXT_MARK) :])).decode()
    except ValueError as error:
        raise StoreKeyError(
            f"FORESIGHT_CIPHER_KEY does not decrypt the read models ({error})."
        ) from None


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest when the engine has a cipher; a plain TEXT column in the schema."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_text(value, dialect)

    def bind_values(self, values: list[str | None], dialect: Dialect) -> list[str | None]:
        """Many values at once (bulk writes): as they are, when the engine has no cipher."""
        if dialect not in _ciphers:
            return values
        return [self.process_bind_param(value, dialect) for value in values]

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt_text(value, dialect)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value encrypted at rest: stored as one JSON string of ciphertext when the engine
    has a cipher, so the column keeps its JSON type and needs no migration."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect not in _ciphers:
            return value
        return encrypt_text(json.dumps(value, separators=(",", ":")), dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            return json.loads(decrypt_text(value, dialect))
        if value is not None and dialect in _ciphers:
            raise StoreKeyError(PLAIN_UNDER_KEY)
        return value
