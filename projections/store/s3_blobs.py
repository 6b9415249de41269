"""Blobs in an S3-compatible bucket (FORESIGHT_BLOBS_URL=s3://bucket/prefix), through boto3.

An object's key is the prefix and the content's SHA-256. Encrypted, an object is a run of
frames, each a 4-byte big-endian length and one chunk encrypted by the store's cipher; plain,
it is the content itself. An object is uploaded only once its content has matched its SHA-256,
and never over one that exists (a conditional PUT, `If-None-Match: *`).
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError
from eventsourcing.persistence import Cipher

from projections.store.blobs import (
    CHUNK_BYTES,
    SPOOL_IN_MEMORY,
    BlobMismatch,
    BlobMissing,
    StoredBlob,
    decrypt_chunk,
    encrypt_chunk,
    sha256_of,
)

ENCRYPTED_METADATA = "foresight-encrypted"
_FRAME_LENGTH = struct.Struct(">I")
# What AES-GCM adds to a chunk (nonce and tag), with room to spare.
FRAME_OVERHEAD = 64


MISSING_CODES = ("404", "NoSuchKey", "NotFound")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def parse_blobs_url(url: str) -> tuple[str, str]:
    """The bucket and key prefix of an s3://bucket/prefix URL (ValueError if it is not one)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"FORESIGHT_BLOBS_URL must be s3://bucket/prefix, not {url!r}")
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


class S3Blobs:
    """Blobs as objects of an S3-compatible bucket."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, cipher: Cipher | None = None):
        self.bucket, self.prefix = parse_blobs_url(url)
        self.cipher = cipher
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url)

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _code(error) in MISSING_CODES:
                return False
            raise
        return True

    def put(self, chunks: Iterable[bytes], sha256: str) -> StoredBlob:
        if self.exists(sha256):
            _, size = sha256_of(chunks)
            return StoredBlob(sha256, size, new=False)
        # The object as it will be stored, spooled to disk: uploaded only if it matched.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            size = self._spool(chunks, sha256, spool)
            try:
                # One PUT, streamed from the spool, that S3 refuses over an existing object.
                self._upload(sha256, spool, IfNoneMatch="*")
            except ClientError as error:
                if _code(error) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    return StoredBlob(sha256, size, new=False)  # stored by another writer
                raise
        return StoredBlob(sha256, size, new=True)

    def _spool(self, chunks: Iterable[bytes], sha256: str, spool: IO[bytes]) -> int:
        """Write the object for `chunks` to `spool` (rewound after), checking they hash to
        `sha256` (BlobMismatch if not); their size."""
        digest = hashlib.sha256()
        size = 0
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            if self.cipher is None:
                spool.write(chunk)
            else:
                frame = encrypt_chunk(chunk, self.cipher)
                spool.write(_FRAME_LENGTH.pack(len(frame)) + frame)
        if digest.hexdigest() != sha256:
            raise BlobMismatch(
                f"the content hashes to {digest.hexdigest()}, not {sha256}; not stored"
            )
        spool.seek(0)
        return size

    def _upload(self, sha256: str, spool: IO[bytes], **conditions: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(sha256),
            Body=spool,
            Metadata={ENCRYPTED_METADATA: "1" if self.cipher else "0"},
            ContentType="application/octet-stream",
            **conditions,
        )

    def stored_under_older_keys(self, current_prefix: bytes) -> Iterator[str]:
        """The SHA-256 of every encrypted object whose first frame is not under the key that
        `current_prefix` starts a ciphertext with (one ranged GET each: no object is read
        whole)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                found = self.client.get_object(
                    Bucket=self.bucket,
                    Key=item["Key"],
                    Range=f"bytes=0-{_FRAME_LENGTH.size + len(current_prefix) - 1}",
                )
                start = found["Body"].read()
                encrypted = found.get("Metadata", {}).get(ENCRYPTED_METADATA) == "1"
                if encrypted and not start[_FRAME_LENGTH.size :].startswith(current_prefix):
                    yield item["Key"][len(self.prefix) :]

    def rewrite_under_current_key(self, sha256: str) -> None:
        """The object again, each chunk decrypted and encrypted under the current key, checked
        against its SHA-256 before it replaces the object (the one sanctioned overwrite: the
        same content, for `foresight rekey`)."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            self._spool(self.chunks(sha256), sha256, spool)
            self._upload(sha256, spool)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _code(error) in MISSING_CODES:
                raise BlobMissing(f"no blob {sha256} is stored") from None
            raise
        body = found["Body"]
        try:
            if found.get("Metadata", {}).get(ENCRYPTED_METADATA) != "1":
                yield from body.iter_chunks(CHUNK_BYTES)
                return
            while header := body.read(_FRAME_LENGTH.size):
                if len(header) != _FRAME_LENGTH.size:
                    raise BlobMismatch(f"the blob {sha256} is cut short")
                (length,) = _FRAME_LENGTH.unpack(header)
                if length > CHUNK_BYTES + FRAME_OVERHEAD:
                    raise BlobMismatch(f"the blob {sha256} has a frame no chunk could make")
                frame = body.read(length)
                if len(frame) != length:
                    raise BlobMismatch(f"the blob {sha256} is cut short")
                yield decrypt_chunk(frame, sha256, self.cipher)
        finally:
            body.close()
