"""Shared fixtures: a case service on a real SQLite file, and event builders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import build_case_service
from api.settings import Settings
from domain.service import CaseService
from events.envelope import EventEnvelope, parse_event


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'foresight.db'}"


@pytest.fixture
def service(db_url: str) -> Iterator[CaseService]:
    """The write side over a fresh SQLite file."""
    app = build_case_service(Settings(db_url=db_url))
    yield app
    app.close()


def event(type: str, case_id: str = "FAM-1", **fields: Any) -> EventEnvelope:  # noqa: A002
    """A valid envelope of `type`, with sensible defaults that `fields` override."""
    raw: dict[str, Any] = {
        "type": type,
        "case_id": case_id,
        "occurred_at": "2024-03-01T10:00:00+00:00",
        "agency": "social_care",
        "recorded_by": "sw-1",
    }
    raw.update(fields)
    return parse_event(raw)


def new_id() -> str:
    return str(uuid.uuid4())
