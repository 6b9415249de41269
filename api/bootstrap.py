"""The composition root: builds the case service and its persistence from settings."""

from __future__ import annotations

import os
from pathlib import Path

from eventsourcing.utils import get_topic
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from api.settings import Settings
from domain.service import CaseService
from projections.caseviews import CaseViews
from projections.eventstore import ForesightSQLiteRecorder
from projections.runner import CaseViewsRunner


class UnsupportedStore(RuntimeError):
    """The database URL names a backend this version cannot store events in."""


def library_environment(db_url: str) -> dict[str, str]:
    """The `eventsourcing` library's settings for a SQLAlchemy-style database URL."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            # One shared in-memory database per process, for tests and trials.
            db_name = "file:foresight?mode=memory&cache=shared"
        else:
            db_name = str(Path(database).expanduser())
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": db_name,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": get_topic(ForesightSQLiteRecorder),
        }
    raise UnsupportedStore(
        f"{url.get_backend_name()!r} stores are not supported yet; use a sqlite:/// URL"
    )


def build_case_service(settings: Settings) -> CaseService:
    """The write side over the store the settings name."""
    os.environ["FORESIGHT_TIMEZONE"] = settings.timezone
    env = library_environment(settings.db_url)
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cipher:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return CaseService(env=env, snapshot_interval=settings.snapshot_interval)


def build_engine(settings: Settings) -> Engine:
    """A SQLAlchemy engine on the same database, for users and (later) read models."""
    url = make_url(settings.db_url)
    if url.get_backend_name() == "sqlite":
        return create_engine(settings.db_url, connect_args={"timeout": 30})
    return create_engine(settings.db_url)


def build_case_views_runner(settings: Settings, service: CaseService) -> CaseViewsRunner:
    """The read models on the same database as the events, with their runner."""
    return CaseViewsRunner(service, CaseViews(build_engine(settings)))
