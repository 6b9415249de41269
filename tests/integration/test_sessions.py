"""Single sign-on's store, on both backends: sessions found by their cookie's id only while
live, ended for good by signing out, and subjects mapped to a name, role and agency."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.bootstrap import build_engine
from api.migrations.runner import upgrade_schema
from api.sessions import csrf_matches, end_session, find_session, sessions_table, start_session
from api.settings import Settings
from api.users import User, UserError, map_subject, mapped_subject
from events.timepoints import utc_now

ALEX = User(name="alex", role="practitioner", agency="police", created_at=utc_now())


@pytest.fixture
def engine(db_url: str):
    engine = build_engine(Settings(db_url=db_url))
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def test_a_session_is_found_by_its_id_until_it_is_ended(engine) -> None:
    session_id, started = start_session(engine, ALEX, hours=8)
    found = find_session(engine, session_id)
    assert found is not None
    assert (found.user.name, found.user.role, found.user.agency) == (
        "alex",
        "practitioner",
        "police",
    )
    assert csrf_matches(found, started.csrf_token)
    assert not csrf_matches(found, started.csrf_token[:-1])
    assert not csrf_matches(found, None)
    assert find_session(engine, session_id[:-1]) is None
    with engine.connect() as connection:
        stored = connection.execute(select(sessions_table.c.id_sha256)).scalars().all()
    assert session_id not in stored  # only its digest is kept

    end_session(engine, session_id)
    assert find_session(engine, session_id) is None


def test_an_expired_session_is_refused_and_swept_at_the_next_sign_out(engine) -> None:
    expired, _ = start_session(engine, ALEX, hours=0)
    other, _ = start_session(engine, ALEX, hours=8)
    assert find_session(engine, expired) is None
    end_session(engine, other)
    with engine.connect() as connection:
        assert connection.execute(select(sessions_table)).all() == []


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
