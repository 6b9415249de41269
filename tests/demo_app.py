"""The HTTP app in process over a fresh store holding the demo case, with a token per user."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.samples.demo import demo_case_events
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event


@contextmanager
def demo_app(
    db_url: str, users: Mapping[str, tuple[str, str]], **settings: Any
) -> Iterator[tuple[FastAPI, TestClient, dict[str, str]]]:
    """The app, a client on it and each user's token (users: name -> (role, agency)); other
    settings as given."""
    app = create_app(Settings(db_url=db_url, **settings))
    foresight = app.state.foresight
    foresight.service.append([parse_event(raw) for raw in demo_case_events()])
    tokens = {
        name: add_user(foresight.queries.engine, name, role, agency)[1]
        for name, (role, agency) in users.items()
    }
    try:
        with TestClient(app) as client:
            yield app, client, tokens
    finally:
        foresight.service.close()
