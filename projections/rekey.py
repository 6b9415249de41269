"""`foresight rekey`: move every encrypted record to the current key, in batches, resumably.

What is encrypted, and so rewritten: the stored events and snapshots (the library's `state`
column), documents' bytes (chunks in the database, or objects in a bucket) and the read
models' encrypted columns. A record already under the current key is
skipped, so a run stopped anywhere is finished by running it again, and a batch is one
transaction, so a stop never leaves half a batch.

The stored events and snapshots, and documents' chunks, are append-only by trigger.
Rekeying is the one sanctioned exception: inside each batch's transaction the UPDATE-refusing
trigger of the table is taken away, only the encrypted column of the batch's rows is
rewritten, each from exactly the bytes read (compare-and-swap) to a new ciphertext of the very
same plaintext, checked by decrypting it again, and the trigger is put back before the commit.
Another connection never sees the table without its trigger (SQLite's write lock;
PostgreSQL's lock on the table), and a crash rolls the whole batch back, trigger included.
The hash chain covers the plaintext, so `foresight verify` passes before and after.

Documents' bytes in a bucket are objects: each under an older key is uploaded again whole,
checked against its SHA-256 first, so a stop leaves it either as it was or rewritten.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import JSON, ColumnElement, Table, Text, cast, func, literal, select, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import type_coerce

from projections import tables
from projections.encrypted_columns import CIPHERTEXT_MARK
from projections.keyring import KeyRingCipher, StoreKeyError
from projections.rebuild_mark import rebuild_head
from projections.store.append_only import trigger_names
from projections.store.append_only import trigger_statements as append_only_statements
from projections.store.blobs import BLOB_CHUNKS_TABLE, BLOBS_TABLE, BlobStore, DatabaseBlobs
from projections.store.key_registry import forget_other_keys
from projections.store.recorders import EventIndexQueries

BATCH_SIZE = 500
# Documents' chunks (up to a mebibyte each) or objects rewritten to a batch.
CHUNKS_PER_BATCH = 16


class RekeyRefused(RuntimeError):
    """The store is not in a state to rekey (say why, change nothing)."""


class Cursor(Protocol):
    """The library's DB-API cursor (sqlite3, or psycopg with dict rows)."""

    rowcount: int

    def execute(self, statement: Any, params: Any = ...) -> Any: ...

    def fetchall(self) -> Any: ...


@dataclass(frozen=True)
class RekeyTarget:
    """One table's encrypted column, rewritten in batches."""

    label: str
    count: Callable[[], int]
    batches: Callable[[], Iterator[int]]  # each step rewrites one batch, yields how many


@dataclass(frozen=True)
class ReadModelColumn:
    """A read model's encrypted column, and whether it is stored as a JSON string."""

    table: Table
    column: str
    is_json: bool


READ_MODEL_COLUMNS = (
    ReadModelColumn(tables.events, "recorded_by", is_json=False),
    ReadModelColumn(tables.entry_states, "entry", is_json=False),
    ReadModelColumn(tables.plan_periods, "plan", is_json=True),
)


def rekey_targets(
    recorder: EventIndexQueries,
    engine: Engine,
    cipher: KeyRingCipher,
    application_name: str,
    batch_size: int = BATCH_SIZE,
    blobs: BlobStore | None = None,
) -> list[RekeyTarget]:
    """Everything encrypted, in the order rewritten: the log and documents' bytes kept in the
    database first, then the read models, then documents' bytes kept in a bucket.

    Refused (RekeyRefused) while an append-only trigger is missing (rekey would put it back
    and erase that evidence: run `foresight verify`) or a rebuild is under way.
    """
    missing = recorder.missing_append_only_triggers()
    if missing:
        raise RekeyRefused(
            f"append-only trigger(s) missing: {', '.join(missing)}; run `foresight verify`"
        )
    with engine.connect() as connection:
        if rebuild_head(connection, application_name) is not None:
            raise RekeyRefused("a rebuild of the read models is under way; rekey after it")
    tables_of_the_store = [
        AppendOnlyTable(name, f"{name} (log)")
        for name in (recorder.events_table_name, recorder.snapshots_table_name)
        if recorder._table_exists(name)
    ]
    if isinstance(blobs, DatabaseBlobs):
        tables_of_the_store.append(document_chunks(partial(qualified_name, recorder)))
    targets = [
        _StoreTable(
            recorder, table, cipher, min(batch_size, table.most_per_batch or batch_size)
        ).target()
        for table in tables_of_the_store
    ]
    targets += [
        _ReadModel(engine, column, cipher, batch_size).target() for column in READ_MODEL_COLUMNS
    ]
    if isinstance(blobs, RewritableObjects):
        targets.append(_Objects(blobs, cipher, min(batch_size, CHUNKS_PER_BATCH)).target())
    return targets


def qualified_name(recorder: EventIndexQueries, table: str) -> str:
    if recorder.dialect == "postgresql":
        schema = recorder.datastore.schema  # type: ignore[attr-defined]
        return f'"{schema}"."{table}"'
    return table


def rekey_store(
    recorder: EventIndexQueries,
    cipher: KeyRingCipher,
    targets: list[RekeyTarget],
    on_batch: Callable[[RekeyTarget, int], None] | None = None,
) -> int:
    """Rewrite every target's records not under the current key; how many were rewritten.

    When nothing is left under an older key, the store's key registry forgets the older ids,
    so that removing those keys from the settings is not taken for a lost key.
    """
    done = 0
    for target in targets:
        for rewritten in target.batches():
            done += rewritten
            if on_batch is not None:
                on_batch(target, rewritten)
    if not any(target.count() for target in targets):
        forget_other_keys(recorder, cipher)
    return done


def rekeyed(cipher: KeyRingCipher, ciphertext: bytes) -> bytes:
    """The same plaintext under the current key, checked by decrypting it back."""
    plaintext = cipher.decrypt(ciphertext)
    rewritten = cipher.encrypt(plaintext)
    if cipher.decrypt(rewritten) != plaintext:
        raise AssertionError("re-encryption did not round-trip")
    return rewritten


@dataclass(frozen=True)
class AppendOnlyTable:
    """An append-only table's encrypted column, the key its rows are found by, and which rows
    are encrypted at all (a condition on the row, or "" for every row)."""

    name: str
    label: str
    keys: tuple[str, str] = ("originator_id", "originator_version")
    column: str = "state"
    encrypted_rows: str = ""
    # At most this many rows to a batch, whatever --batch-size says (large rows).
    most_per_batch: int | None = None


def document_chunks(qualify: Callable[[str], str]) -> AppendOnlyTable:
    """Documents' bytes kept in the database: the chunks of blobs stored encrypted."""
    return AppendOnlyTable(
        BLOB_CHUNKS_TABLE,
        f"{BLOB_CHUNKS_TABLE} (documents)",
        keys=("sha256", "chunk_index"),
        column="data",
        encrypted_rows=f"sha256 IN (SELECT sha256 FROM {qualify(BLOBS_TABLE)} WHERE encrypted)",
        # A chunk is up to a mebibyte: a batch of them stays a few in memory.
        most_per_batch=CHUNKS_PER_BATCH,
    )


class _StoreTable:
    """An append-only table of the store (the library's events or snapshots, or documents'
    chunks): its encrypted column rewritten, nothing else."""

    def __init__(
        self,
        recorder: EventIndexQueries,
        table: AppendOnlyTable,
        cipher: KeyRingCipher,
        batch_size: int,
    ):
        self.recorder = recorder
        self.table = table.name
        self.cipher = cipher
        self.batch_size = batch_size
        self.label = table.label
        self.keys = table.keys
        self.column = table.column
        self.p = recorder.placeholder
        self.qualified = qualified_name(recorder, table.name)
        length = len(cipher.current_prefix)
        if recorder.dialect == "postgresql":
            prefix = f"substring({table.column} from 1 for {length})"
        else:
            prefix = f"substr({table.column}, 1, {length})"
        self.not_current = f"{prefix} <> {self.p}"
        if table.encrypted_rows:
            self.not_current += f" AND {table.encrypted_rows}"

    def target(self) -> RekeyTarget:
        return RekeyTarget(self.label, self.count, self.batches)

    def count(self) -> int:
        rows = self.recorder._select(
            f"SELECT count(*) FROM {self.qualified} WHERE {self.not_current}",
            [self.cipher.current_prefix],
        )
        return int(rows[0][0])

    def batches(self) -> Iterator[int]:
        after: tuple[Any, Any] | None = None
        while True:
            with self.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
                # Suspended first: on SQLite this takes the write lock before reading, so no
                # writer can commit between the read and the writes.
                self._suspend_update_trigger(cursor)
                rows = self._next_batch(cursor, after)
                first, second = self.keys
                for first_key, second_key, value in rows:
                    cursor.execute(
                        f"UPDATE {self.qualified} SET {self.column} = {self.p} WHERE {first} = "
                        f"{self.p} AND {second} = {self.p} AND {self.column} = {self.p}",
                        [rekeyed(self.cipher, bytes(value)), first_key, second_key, value],
                    )
                    # The library wraps sqlite3's cursor (and hides its rowcount).
                    if getattr(cursor, "sqlite_cursor", cursor).rowcount != 1:
                        raise AssertionError(f"{self.table} row changed while being rekeyed")
                self._restore_update_trigger(cursor)
            if not rows:
                return
            after = (rows[-1][0], rows[-1][1])
            yield len(rows)

    def _next_batch(self, cursor: Cursor, after: tuple[Any, Any] | None) -> list[tuple[Any, ...]]:
        p = self.p
        where = self.not_current
        params: list[Any] = [self.cipher.current_prefix]
        keys = ", ".join(self.keys)
        if after is not None:
            where += f" AND ({keys}) > ({p}, {p})"
            params.extend(after)
        cursor.execute(
            f"SELECT {keys}, {self.column} FROM {self.qualified} "
            f"WHERE {where} ORDER BY {keys} LIMIT {int(self.batch_size)}",
            params,
        )
        return [
            tuple(row.values()) if isinstance(row, dict) else tuple(row)
            for row in cursor.fetchall()
        ]

    def _update_trigger(self) -> str:
        return trigger_names(self.table, self.recorder.dialect)[0]

    def _suspend_update_trigger(self, cursor: Cursor) -> None:
        if self.recorder.dialect == "postgresql":
            cursor.execute(
                f'ALTER TABLE {self.qualified} DISABLE TRIGGER "{self._update_trigger()}"'
            )
        else:
            cursor.execute(f"DROP TRIGGER {self._update_trigger()}")

    def _restore_update_trigger(self, cursor: Cursor) -> None:
        if self.recorder.dialect == "postgresql":
            cursor.execute(
                f'ALTER TABLE {self.qualified} ENABLE TRIGGER "{self._update_trigger()}"'
            )
        else:
            cursor.execute(append_only_statements(self.table, "sqlite")[0])


@runtime_checkable
class RewritableObjects(Protocol):
    """A blob store whose objects can be rewritten under the current key (S3)."""

    def stored_under_older_keys(self, current_prefix: bytes) -> Iterator[str]: ...

    def rewrite_under_current_key(self, sha256: str) -> None: ...


class _Objects:
    """Documents' bytes kept as objects in a bucket: each object under an older key uploaded
    again under the current one (an object is replaced whole, so a stop leaves each object
    either as it was or rewritten)."""

    def __init__(self, objects: RewritableObjects, cipher: KeyRingCipher, batch_size: int):
        self.objects = objects
        self.cipher = cipher
        self.batch_size = batch_size
        self.label = "documents (bucket)"

    def target(self) -> RekeyTarget:
        return RekeyTarget(self.label, self.count, self.batches)

    def count(self) -> int:
        return sum(1 for _ in self.objects.stored_under_older_keys(self.cipher.current_prefix))

    def batches(self) -> Iterator[int]:
        batch: list[str] = []
        for sha256 in self.objects.stored_under_older_keys(self.cipher.current_prefix):
            self.objects.rewrite_under_current_key(sha256)
            batch.append(sha256)
            if len(batch) == self.batch_size:
                yield len(batch)
                batch = []
        if batch:
            yield len(batch)


class _ReadModel:
    """A read model's encrypted column, rewritten through SQLAlchemy, keyed by its primary key."""

    def __init__(
        self, engine: Engine, read_model: ReadModelColumn, cipher: KeyRingCipher, batch_size: int
    ):
        self.engine = engine
        self.read_model = read_model
        self.cipher = cipher
        self.batch_size = batch_size
        self.label = f"{read_model.table.name}.{read_model.column}"
        self.keys = list(read_model.table.primary_key.columns)
        column = read_model.table.c[read_model.column]
        # Read and written as stored (ciphertext), bypassing the column's own encryption.
        self.raw_type = JSON() if read_model.is_json else Text()
        self.raw = type_coerce(column, self.raw_type)
        stored_prefix = CIPHERTEXT_MARK + b64encode(cipher.current_prefix).decode()
        if read_model.is_json:
            stored_prefix = json.dumps(stored_prefix)[:-1]  # a JSON string's opening
        as_text: ColumnElement[Any] = (
            cast(column, Text) if read_model.is_json else type_coerce(column, Text)
        )
        self.not_current = func.substr(as_text, 1, len(stored_prefix)) != stored_prefix

    def target(self) -> RekeyTarget:
        return RekeyTarget(self.label, self.count, self.batches)

    def count(self) -> int:
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(self.read_model.table).where(self.not_current)
            return int(connection.execute(query).scalar_one())

    def batches(self) -> Iterator[int]:
        after: Sequence[Any] | None = None
        table = self.read_model.table
        while True:
            with self.engine.begin() as connection:
                query = select(*self.keys, self.raw).where(self.not_current)
                if after is not None:
                    query = query.where(tuple_(*self.keys) > tuple_(*after))
                rows = connection.execute(query.order_by(*self.keys).limit(self.batch_size)).all()
                if not rows:
                    return
                for row in rows:
                    *key, value = row
                    statement = (
                        sql_update(table)
                        .where(
                            *(column == part for column, part in zip(self.keys, key, strict=True))
                        )
                        .values(
                            {self.read_model.column: literal(self._rekeyed(value), self.raw_type)}
                        )
                    )
                    connection.execute(statement)
                after = tuple(rows[-1][: len(self.keys)])
            yield len(rows)

    def _rekeyed(self, value: str) -> str:
        if not value.startswith(CIPHERTEXT_MARK):
            raise StoreKeyError(
                f"{self.label} holds plain text: rebuild the read models (`foresight rebuild`)"
            )
        ciphertext = b64decode(value[len(CIPHERTEXT_MARK) :])
        return CIPHERTEXT_MARK + b64encode(rekeyed(self.cipher, ciphertext)).decode()
