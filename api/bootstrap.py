"""The composition root: builds the application and its persistence from settings, for the
HTTP app, every CLI command and the tests alike."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from eventsourcing.persistence import OperationalError
from eventsourcing.utils import get_topic
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from api.access_log import AccessLog
from api.migrations.runner import upgrade_schema
from api.settings import Settings
from domain.service import CaseService
from projections.caseviews import CaseViews
from projections.encrypted_columns import StoreKeyError, use_cipher
from projections.keyring import CURRENT_KEY, OLD_KEYS, KeyRingCipher, LostKeyError, key_ring
from projections.rebuild_mark import RebuildUnderWay
from projections.runner import CaseViewsRunner
from projections.store.blobs import BlobStore, DatabaseBlobs
from projections.store.key_registry import register_and_check
from projections.store.recorders import (
    EventIndexQueries,
    ForesightPostgresRecorder,
    ForesightSQLiteRecorder,
)
from projections.stored_log import StoredLog
from replay.queries import CaseQueries

OPEN_ATTEMPTS = 5
POOL_SIZE = 10  # connections kept open by each engine


class UnsupportedStore(RuntimeError):
    """The database URL names a backend this version cannot store events in."""


def library_environment(db_url: str, lock_timeout: int = 30) -> dict[str, str]:
    """The `eventsourcing` library's settings for a SQLAlchemy-style database URL."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            # The events and the read models must be one database, reachable by two drivers.
            raise UnsupportedStore("an in-memory SQLite store is not supported; name a file")
        db_name = str(Path(database).expanduser())
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": db_name,
            "SQLITE_LOCK_TIMEOUT": str(lock_timeout),
            "APPLICATION_RECORDER_TOPIC": get_topic(ForesightSQLiteRecorder),
        }
    if url.get_backend_name() == "postgresql":
        if url.drivername not in ("postgresql", "postgresql+psycopg"):
            raise UnsupportedStore(
                f"{url.drivername!r}: PostgreSQL stores need the psycopg driver "
                "(postgresql+psycopg://user:password@host:port/database)"
            )
        if not url.database:
            raise UnsupportedStore("name the PostgreSQL database in FORESIGHT_DB_URL")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database,
            "POSTGRES_HOST": url.host or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_PASSWORD": url.password or "",
            # Writers queue for the table lock that keeps positions in commit order; a
            # bounded wait turns a stuck writer into an error instead of a hang.
            "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_PRE_PING": "y",
            "APPLICATION_RECORDER_TOPIC": get_topic(ForesightPostgresRecorder),
        }
    raise UnsupportedStore(
        f"{url.get_backend_name()!r} stores are not supported; "
        "use sqlite:///FILE or postgresql+psycopg://…"
    )


def cipher_key(settings: Settings) -> str | None:
    return settings.cipher_key.get_secret_value() if settings.cipher_key else None


def old_cipher_keys(settings: Settings) -> str | None:
    return settings.cipher_old_keys.get_secret_value() if settings.cipher_old_keys else None


def store_cipher(settings: Settings) -> KeyRingCipher | None:
    """The cipher for encryption at rest (FORESIGHT_CIPHER_KEY for new records, and
    FORESIGHT_CIPHER_OLD_KEYS still read), or None to store plain text."""
    return key_ring(cipher_key(settings), old_cipher_keys(settings))


def check_store_key(service: CaseService, settings: Settings) -> None:
    """Read the first and the newest stored event, and check that every key id registered for
    the store is configured (registering the current one), so a missing, wrong or lost key
    stops the process at once with a reason, rather than failing on some later read."""
    recorder = service.recorder
    where = f"the events in {make_url(settings.db_url)!r}"
    for start in dict.fromkeys((None, recorder.max_notification_id())):
        stored = recorder.select_notifications(start=start, limit=1)
        if not stored:
            break
        try:
            service.mapper.to_domain_event(stored[0])
        except LostKeyError as lost:
            raise LostKeyError(lost.key_id, where) from None
        except Exception as error:  # noqa: BLE001 - any failure to decode the event
            state = "does not decrypt" if cipher_key(settings) else "is not set, but is needed for"
            raise StoreKeyError(
                f"FORESIGHT_CIPHER_KEY {state} {where} ({error.__cause__ or error})"
            ) from None
    cipher = service.mapper.cipher
    if isinstance(cipher, KeyRingCipher) and isinstance(recorder, EventIndexQueries):
        register_and_check(recorder, cipher, where)


def build_case_service(settings: Settings, check_key: bool = True) -> CaseService:
    """The write side over the store the settings name.

    `verify` opens the store with `check_key=False`: an altered first event is tampering to
    report there, not a key problem.
    """
    os.environ["FORESIGHT_TIMEZONE"] = settings.timezone
    env = library_environment(settings.db_url, settings.lock_timeout)
    if store_cipher(settings) is not None:
        env["CIPHER_TOPIC"] = get_topic(KeyRingCipher)
        env[CURRENT_KEY] = cipher_key(settings) or ""
        env[OLD_KEYS] = old_cipher_keys(settings) or ""
    for attempt in range(OPEN_ATTEMPTS):
        try:
            service = CaseService(env=env, snapshot_interval=settings.snapshot_interval)
            if check_key:
                check_store_key(service, settings)
            return service
        except OperationalError:
            # Several processes opening a brand-new SQLite file at once race to switch it to
            # WAL and create its tables; the loser's connection keeps the library's lock, so
            # start again with a new one.
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def build_engine(settings: Settings) -> Engine:
    """A SQLAlchemy engine on the same database, for read models, users and the access log.

    Foresight's tables are brought to the newest migration first.
    """
    engine = open_engine(settings)
    upgrade_schema(engine)
    return engine


def open_engine(settings: Settings) -> Engine:
    """The same engine, its tables as they are (`verify` reports a store, it does not change
    it)."""
    url = make_url(settings.db_url)
    # An API worker's requests each hold one connection at a time, and the access log's
    # writer one more; with 8 clients a pool of 5 opened (and closed again: overflow is not
    # kept) a connection for about one read in sixteen (profiled).
    pool = {"pool_size": POOL_SIZE, "max_overflow": 10}
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            settings.db_url, connect_args={"timeout": settings.lock_timeout}, **pool
        )
    else:
        engine = create_engine(settings.db_url, pool_pre_ping=True, **pool)
    use_cipher(engine, store_cipher(settings))
    return engine


def build_case_views_runner(settings: Settings, service: CaseService) -> CaseViewsRunner:
    """The read models on the same database as the events, with their runner."""
    views = CaseViews(build_engine(settings), StoredLog(service))
    views.ensure_indexes()
    return CaseViewsRunner(service, views, open_store=partial(open_store, settings))


def open_store(settings: Settings) -> tuple[CaseService, CaseViews]:
    """The store and its read models, opened anew (in a rebuild's worker process)."""
    service = build_case_service(settings)
    return service, CaseViews(build_engine(settings), StoredLog(service))


def build_blob_store(settings: Settings, engine: Engine) -> BlobStore:
    """Where documents' bytes are kept: the store's own database, or an S3-compatible bucket
    (FORESIGHT_BLOBS_URL); encrypted with the store's key when it has one."""
    cipher = store_cipher(settings)
    if settings.blobs_url:
        from projections.store.s3_blobs import S3Blobs

        return S3Blobs(settings.blobs_url, endpoint_url=settings.s3_endpoint_url, cipher=cipher)
    return DatabaseBlobs(engine, cipher)


@dataclass
class Foresight:
    """The application: the write side, the read models with their runner, the queries and the
    access log, over one store (the users' table is on the same engine as the queries)."""

    service: CaseService
    runner: CaseViewsRunner
    queries: CaseQueries
    access: AccessLog
    store_kind: str
    returns_agency: str  # FORESIGHT_RETURNS_AGENCY (api/settings.py)
    blobs: BlobStore  # documents' bytes (FORESIGHT_BLOBS_URL)

    def caught_up(self) -> CaseQueries:
        """Queries after applying anything the read models have not seen (read your writes)."""
        self.runner.catch_up_shared()
        return self.queries


def bootstrap(settings: Settings, *, check_key: bool = True) -> Foresight:
    """The whole application over the store the settings name, for the HTTP app, every command
    that reads, and the tests.

    The read models are opened, not caught up: the caller decides how (the HTTP app at start,
    a command with a progress bar). `check_key=False` for a command that never decodes an
    event (`users add`), so it works as before on a store whose key it was not given.
    """
    service = build_case_service(settings, check_key=check_key)
    runner = build_case_views_runner(settings, service)
    engine = runner.views.engine
    return Foresight(
        service=service,
        runner=runner,
        queries=CaseQueries(engine, runner.views.log),
        access=AccessLog(engine, wait_for_disk=not settings.access_log_fast_commit),
        store_kind=make_url(settings.db_url).get_backend_name(),
        returns_agency=settings.returns_agency.lower(),
        blobs=build_blob_store(settings, engine),
    )


def bootstrap_writer(settings: Settings, *, check_key: bool = True) -> CaseService:
    """The write side alone, for commands that append (`append`, `import-chronology`,
    `generate`) or check the log (`verify`, with `check_key=False`): they neither open nor
    catch up the read models, so they run while a rebuild holds them."""
    return build_case_service(settings, check_key=check_key)


def build_foresight(settings: Settings) -> Foresight:
    """The application as the HTTP app serves it: bootstrapped, then caught up with the log."""
    foresight = bootstrap(settings)
    with suppress(RebuildUnderWay):  # serve anyway: reads answer 503 until it is done
        foresight.runner.catch_up()
    return foresight
