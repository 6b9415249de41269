"""Single sign-on's store, on both backends: sessions found by their cookie's id only while
live, ended for good by signing out, and subjects mapped to a name, role and agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api import sessions
from api.bootstrap import build_engine
from api.migrations.runner import upgrade_schema
from api.sessions import (
    SessionLifetime,
    csrf_matches,
    end_session,
    find_session,
    sessions_table,
    start_session,
)
from api.settings import Settings
from api.users import User, UserError, map_subject, mapped_subject
from events.timepoints import utc_now

EIGHT_HOURS = SessionLifetime(hours=8, idle_minutes=30)
ALEX = User(name="alex", role="practitioner", agency="police", created_at=utc_now())


@pytest.fixture
def engine(db_url: str):
    engine = build_engine(Settings(db_url=db_url))
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def test_a_session_is_found_by_its_id_until_it_is_ended(engine) -> None:
    session_id, started = start_session(engine, ALEX, EIGHT_HOURS)
    found = find_session(engine, EIGHT_HOURS, session_id)
    assert found is not None
    assert (found.user.name, found.user.role, found.user.agency) == (
        "alex",
        "practitioner",
        "police",
    )
    assert csrf_matches(found, started.csrf_token)
    assert not csrf_matches(found, started.csrf_token[:-1])
    assert not csrf_matches(found, None)
    assert find_session(engine, EIGHT_HOURS, session_id[:-1]) is None
    with engine.connect() as connection:
        stored = connection.execute(select(sessions_table.c.id_sha256)).scalars().all()
    assert session_id not in stored  # only its digest is kept

    end_session(engine, session_id)
    assert find_session(engine, EIGHT_HOURS, session_id) is None


def test_an_expired_session_is_refused_and_swept_at_the_next_sign_out(engine) -> None:
    expired, _ = start_session(engine, ALEX, SessionLifetime(hours=0, idle_minutes=30))
    other, _ = start_session(engine, ALEX, EIGHT_HOURS)
    assert find_session(engine, EIGHT_HOURS, expired) is None
    end_session(engine, other)
    with engine.connect() as connection:
        assert connection.execute(select(sessions_table)).all() == []


def test_a_session_ends_after_its_idle_minutes_and_at_most_its_hours_after_sign_in(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request moves the idle deadline on; 31 idle minutes end the session; and however
    busy, it ends its hours after signing in."""
    start = utc_now()
    clock = [start]
    monkeypatch.setattr(sessions, "utc_now", lambda: clock[0])
    lifetime = SessionLifetime(hours=1, idle_minutes=30)
    session_id, _ = start_session(engine, ALEX, lifetime)

    def at(minutes: int) -> bool:
        clock[0] = start + timedelta(minutes=minutes)
        return find_session(engine, lifetime, session_id) is not None

    assert at(29)
    assert at(58)  # 29 minutes after the last request, though 58 after signing in
    assert at(59)
    assert not at(61)  # busy, but an hour after signing in

    clock[0] = start
    idle_id, _ = start_session(engine, ALEX, lifetime)
    clock[0] = start + timedelta(minutes=31)
    assert find_session(engine, lifetime, idle_id) is None


def test_a_subject_is_mapped_and_mapped_again(engine) -> None:
    assert mapped_subject(engine, "0f3c-9a52") is None
    map_subject(engine, "0f3c-9a52", "sw-rees", "practitioner", "social_care")
    map_subject(engine, "0f3c-9a52", "sw-rees", "manager", "social_care")
    user = mapped_subject(engine, "0f3c-9a52")
    assert user is not None
    assert (user.name, user.role, user.agency) == ("sw-rees", "manager", "social_care")


@pytest.mark.parametrize(
    ("subject", "name", "role", "agency"),
    [
        ("", "sw-rees", "practitioner", "social_care"),
        ("x" * 256, "sw-rees", "practitioner", "social_care"),
        ("s", "sw rees!", "practitioner", "social_care"),
        ("s", "sw-rees", "chief", "social_care"),
        ("s", "sw-rees", "practitioner", "Social Care!"),
    ],
)
def test_a_bad_mapping_is_refused_and_stores_nothing(engine, subject, name, role, agency) -> None:
    with pytest.raises(UserError):
        map_subject(engine, subject, name, role, agency)
    assert mapped_subject(engine, subject) is None
