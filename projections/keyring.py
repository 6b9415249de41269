"""Encryption keys that can be changed: a current key for new records, older keys still readable.

Every record is encrypted by the `eventsourcing` library's AES-GCM cipher under one key, and
prefixed with that key's id, so a reader knows which key opens it:

    b"fsk" + key id (6 bytes) + nonce (12) + tag (16) + ciphertext

The key id is the start of a SHA-256 of the key, so it names a key without revealing it.
Records written before key ids existed have no prefix; they are opened by trying every
configured key (GCM's tag tells a right key from a wrong one, so a wrong try never yields
garbage). A record under an id that no configured key has is a lost key: `LostKeyError`
stops the process with one line naming the id.
"""

from __future__ import annotations

import binascii
import hashlib
from base64 import b64decode

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

# The library's own setting names, as `Application(env=…)` passes them to the cipher.
CURRENT_KEY = "CIPHER_KEY"
OLD_KEYS = "CIPHER_OLD_KEYS"
KEY_ID_MARK = b"fsk"
KEY_ID_BYTES = 6
# 9 bytes: a whole number of base64 groups, so a text column's prefix is fixed too.
PREFIX_BYTES = len(KEY_ID_MARK) + KEY_ID_BYTES


class StoreKeyError(SystemExit):
    """The cipher key does not fit the store: missing, wrong, malformed, or given for a plain
    store. A SystemExit, so a command or server stops with this message and no traceback."""


class LostKeyError(StoreKeyError):
    """A record is under a key id that no configured key has."""

    def __init__(self, key_id: str, where: str = "records in this store"):
        super().__init__(
            f"FORESIGHT_CIPHER_KEY does not decrypt {where}: they are under key id {key_id}, "
            "which neither FORESIGHT_CIPHER_KEY nor FORESIGHT_CIPHER_OLD_KEYS has "
            "(add that key to FORESIGHT_CIPHER_OLD_KEYS; without it they cannot be read)."
        )
        self.key_id = key_id


def key_id_of_key(key: bytes) -> bytes:
    """The id of a raw key: the first bytes of a SHA-256 of it (a name, not a secret)."""
    return hashlib.sha256(b"foresight cipher key id\x00" + key).digest()[:KEY_ID_BYTES]


def _aes(key: str, setting: str) -> AESCipher:
    try:
        return AESCipher(Environment(env={AESCipher.CIPHER_KEY: key}))
    except (ValueError, binascii.Error) as error:
        raise StoreKeyError(f"{setting} must be base64 of 16, 24 or 32 bytes ({error})") from None


def split_keys(keys: str) -> list[str]:
    """FORESIGHT_CIPHER_OLD_KEYS: keys separated by commas (spaces around them ignored)."""
    return [key.strip() for key in keys.split(",") if key.strip()]


class KeyRingCipher(Cipher):
    """The `eventsourcing` cipher (CIPHER_TOPIC) with a current key and older readable keys."""

    def __init__(self, environment: Environment):
        current = environment.get(CURRENT_KEY)
        if not current:
            raise StoreKeyError(
                "FORESIGHT_CIPHER_KEY is not set, but FORESIGHT_CIPHER_OLD_KEYS is: "
                "the current key is needed to write"
            )
        self._current = _aes(current, "FORESIGHT_CIPHER_KEY")
        self.current_id = key_id_of_key(self._current.key)
        self._by_id: dict[bytes, AESCipher] = {self.current_id: self._current}
        for position, key in enumerate(split_keys(environment.get(OLD_KEYS) or ""), start=1):
            old = _aes(key, f"FORESIGHT_CIPHER_OLD_KEYS (key {position})")
            self._by_id.setdefault(key_id_of_key(old.key), old)
        self.current_prefix = KEY_ID_MARK + self.current_id

    @property
    def key_ids(self) -> list[str]:
        """The configured keys' ids, the current key's first."""
        return [key_id.hex() for key_id in self._by_id]

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.current_prefix + self._current.encrypt(plaintext)

    def is_current(self, ciphertext: bytes) -> bool:
        """Whether a record is already under the current key (rekey skips it)."""
        return ciphertext.startswith(self.current_prefix)

    def decrypt(self, ciphertext: bytes) -> bytes:
        key_id = key_id_in(ciphertext)
        if key_id is not None:
            cipher = self._by_id.get(key_id)
            if cipher is not None:
                try:
                    return cipher.decrypt(ciphertext[PREFIX_BYTES:])
                except ValueError:
                    pass  # maybe an unmarked record whose random nonce begins like a mark
            legacy = self._decrypt_unmarked(ciphertext)
            if legacy is not None:
                return legacy
            if cipher is None:
                raise LostKeyError(key_id.hex())
            raise ValueError(f"Invalid cipher tag (key id {key_id.hex()})")
        legacy = self._decrypt_unmarked(ciphertext)
        if legacy is None:
            raise ValueError("Invalid cipher tag")
        return legacy

    def _decrypt_unmarked(self, ciphertext: bytes) -> bytes | None:
        """A record from before key ids: whichever configured key opens it."""
        for cipher in self._by_id.values():
            try:
                return cipher.decrypt(ciphertext)
            except ValueError:
                continue
        return None


def key_id_in(ciphertext: bytes) -> bytes | None:
    """The key id a record is marked with, or None for a record from before key ids."""
    if len(ciphertext) > PREFIX_BYTES and ciphertext.startswith(KEY_ID_MARK):
        return ciphertext[len(KEY_ID_MARK) : PREFIX_BYTES]
    return None


def key_ring(current: str | None, old: str | None) -> KeyRingCipher | None:
    """The cipher for these settings, or None to store plain text (no key at all)."""
    if not current and not (old and split_keys(old)):
        return None
    return KeyRingCipher(Environment(env={CURRENT_KEY: current or "", OLD_KEYS: old or ""}))


def key_id_of(key: str) -> str:
    """The id of a base64 key as configured (what `foresight rekey` and a lost key name)."""
    try:
        return key_id_of_key(b64decode(key.encode(), validate=True)).hex()
    except binascii.Error as error:
        raise StoreKeyError(f"not a base64 key ({error})") from None
