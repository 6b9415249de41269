"""The blob store: documents' bytes by SHA-256, append-only, checked on every read.

One small port (`BlobStore`) with two backends: chunks in the store's own database
(`DatabaseBlobs`, the default, so a backup stays one thing) and an S3-compatible bucket
(`projections/store/s3_blobs.py`). Both encrypt at rest with the store's cipher when one is
configured, and both are read through `verified_copy`, which refuses bytes that do not match
their SHA-256 before any of them is served.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from eventsourcing.persistence import Cipher
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from events.envelope import EventEnvelope, FieldError, InvalidEventError
from events.fieldpaths import field_path
from events.timepoints import utc_now
from projections.tables import UtcDateTime

CHUNK_BYTES = 1024 * 1024
# Spooled reads stay in memory up to this size, then go to a temporary file.
SPOOL_IN_MEMORY = CHUNK_BYTES

BLOBS_TABLE = "foresight_blobs"
BLOB_CHUNKS_TABLE = "foresight_blob_chunks"

metadata = MetaData()
blobs = Table(
    BLOBS_TABLE,
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("encrypted", Boolean, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
)
blob_chunks = Table(
    BLOB_CHUNKS_TABLE,
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("chunk_index", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)


class BlobError(Exception):
    """A blob cannot be stored or served; the message says which and why."""


class BlobMismatch(BlobError):
    """The bytes do not match the SHA-256 they are stored under (changed since, or sent wrong)."""


class BlobMissing(BlobError):
    """No blob is stored under this SHA-256."""


@dataclass(frozen=True)
class StoredBlob:
    """What was stored: its SHA-256 and size, and whether it was new."""

    sha256: str
    size: int
    new: bool


class BlobStore(Protocol):
    """Where documents' bytes are kept, by the SHA-256 of the whole content."""

    def put(self, chunks: Iterable[bytes], sha256: str) -> StoredBlob:
        """Store the content under its SHA-256, which it must have (BlobMismatch otherwise,
        and nothing stored); the same content again is a no-op."""
        ...

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The content as stored, decrypted, in order; unchecked (read it through
        `verified_copy` or `blob_problem`). BlobMissing if there is none."""
        ...

    def exists(self, sha256: str) -> bool: ...


def sha256_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    """The SHA-256 (hex) and size of content given in chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def read_chunks(source: IO[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """A file's content in chunks, from where it is now."""
    while chunk := source.read(size):
        yield chunk


def verified_copy(store: BlobStore, sha256: str, size: int | None = None) -> IO[bytes]:
    """The blob in a temporary file (in memory while small), rewound, once its bytes are
    checked against their SHA-256 (and size): BlobMismatch, and nothing to serve, if not."""
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned
    try:
        digest = hashlib.sha256()
        copied = 0
        for chunk in store.chunks(sha256):
            digest.update(chunk)
            copied += len(chunk)
            copy.write(chunk)
        _check(sha256, digest.hexdigest(), size, copied)
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy


def blob_problem(store: BlobStore, sha256: str, size: int | None) -> str | None:
    """Why a blob is not what its SHA-256 says (missing, changed, unreadable), or None."""
    try:
        found, found_size = sha256_of(store.chunks(sha256))
        _check(sha256, found, size, found_size)
    except BlobError as error:
        return str(error)
    except ValueError as error:
        return f"the blob {sha256} cannot be read: {error}"
    return None


def _check(sha256: str, found: str, size: int | None, found_size: int) -> None:
    if found != sha256:
        raise BlobMismatch(
            f"the blob stored as {sha256} has changed: its bytes hash to {found}; it is not served"
        )
    if size is not None and found_size != size:
        raise BlobMismatch(f"the blob {sha256} holds {found_size} bytes, not {size}")


def encrypt_chunk(chunk: bytes, cipher: Cipher | None) -> bytes:
    return chunk if cipher is None else cipher.encrypt(chunk)


def decrypt_chunk(chunk: bytes, sha256: str, cipher: Cipher | None) -> bytes:
    if cipher is None:
        raise BlobError(
            f"the blob {sha256} is encrypted: set FORESIGHT_CIPHER_KEY to the store's key"
        )
    try:
        return cipher.decrypt(chunk)
    except ValueError as error:
        raise BlobMismatch(f"the blob {sha256} does not decrypt ({error})") from None


class DatabaseBlobs:
    """Blobs as chunks in the store's own database (SQLite or PostgreSQL), append-only by
    trigger (api/migrations/versions/0008_document_blobs.py)."""

    def __init__(self, engine: Engine, cipher: Cipher | None = None):
        self.engine = engine
        self.cipher = cipher

    def exists(self, sha256: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha256))
            return found.first() is not None

    def put(self, chunks: Iterable[bytes], sha256: str) -> StoredBlob:
        if self.exists(sha256):
            _, size = sha256_of(chunks)
            return StoredBlob(sha256, size, new=False)
        digest = hashlib.sha256()
        size = count = 0
        try:
            with self.engine.begin() as connection:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    connection.execute(
                        insert(blob_chunks).values(
                            sha256=sha256, chunk_index=count, data=encrypt_chunk(chunk, self.cipher)
                        )
                    )
                    count += 1
                if digest.hexdigest() != sha256:
                    # Leaving the block by an exception rolls the chunks back: nothing stored.
                    raise BlobMismatch(
                        f"the content hashes to {digest.hexdigest()}, not {sha256}; not stored"
                    )
                connection.execute(
                    insert(blobs).values(
                        sha256=sha256,
                        size=size,
                        chunks=count,
                        encrypted=self.cipher is not None,
                        stored_at=utc_now(),
                    )
                )
        except IntegrityError:
            if self.exists(sha256):  # stored by another writer meanwhile: the same content
                return StoredBlob(sha256, size, new=False)
            raise
        return StoredBlob(sha256, size, new=True)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        with self.engine.connect() as connection:
            row = connection.execute(select(blobs).where(blobs.c.sha256 == sha256)).first()
        if row is None:
            raise BlobMissing(f"no blob {sha256} is stored")
        # One chunk per query: a large blob is never all in memory at once.
        for index in range(row.chunks):
            with self.engine.connect() as connection:
                data = connection.execute(
                    select(blob_chunks.c.data).where(
                        blob_chunks.c.sha256 == sha256, blob_chunks.c.chunk_index == index
                    )
                ).scalar()
            if data is None:
                raise BlobMismatch(f"the blob {sha256} has lost its chunk {index}")
            data = bytes(data)
            yield decrypt_chunk(data, sha256, self.cipher) if row.encrypted else data


def check_blobs_stored(
    envelopes: Sequence[EventEnvelope], blobs: BlobStore, numbered: bool
) -> None:
    """A `document_version_added` sent as a plain event (over HTTP or by `foresight append`)
    must name content the store holds (uploaded before, to this case or another): its bytes
    are never missing."""
    errors = [
        FieldError(
            field_path(index, "data", "sha256") if numbered else "data.sha256",
            "no content with this SHA-256 is stored: upload the file with "
            "POST /cases/{case_id}/documents",
        )
        for index, envelope in enumerate(envelopes)
        if envelope.type == "document_version_added" and not blobs.exists(envelope.data["sha256"])
    ]
    if errors:
        raise InvalidEventError(errors)
