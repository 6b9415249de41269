"""The users' record (users, their tokens, subject mappings) is append-only and hash-chained
like the events: UPDATE and DELETE refused by trigger, `foresight verify` walks its chain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.bootstrap import build_engine
from api.http.app import create_app
from api.migrations.runner import alembic_config, current_revision, head_revision, upgrade_schema
from api.settings import Settings, get_settings
from api.users import (
    UserError,
    add_user,
    authenticate,
    issue_token,
    map_subject,
    mapped_subject,
)
from projections.store.append_only import trigger_names, trigger_statements
from projections.store.recorders import USERS_HISTORY_TABLE
from tests.tampering import run_verify


@pytest.fixture
def engine(db_url: str) -> Iterator[sqlalchemy.Engine]:
    engine = build_engine(Settings(db_url=db_url))
    yield engine
    engine.dispose()


def _history(engine: sqlalchemy.Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT kind, name, role FROM {USERS_HISTORY_TABLE} ORDER BY seq")
        )
        return [tuple(row) for row in rows]


def _tamper(engine: sqlalchemy.Engine, statement: str) -> None:
    """What someone with the database's credentials could do: lift the triggers, change the
    rows, and put the triggers back so that only the chain can tell."""
    dialect = engine.dialect.name
    on_table = f" ON {USERS_HISTORY_TABLE}" if dialect == "postgresql" else ""
    with engine.begin() as connection:
        for name in trigger_names(USERS_HISTORY_TABLE, dialect):
            connection.execute(text(f"DROP TRIGGER {name}{on_table}"))
        connection.execute(text(statement))
        for created in trigger_statements(USERS_HISTORY_TABLE, dialect):
            connection.execute(text(created))


def test_the_users_record_refuses_update_delete_and_truncate(engine: sqlalchemy.Engine) -> None:
    add_user(engine, "sw-hale", "practitioner", "social_care")
    statements = [
        f"UPDATE {USERS_HISTORY_TABLE} SET role = 'admin'",
        f"DELETE FROM {USERS_HISTORY_TABLE}",
    ]
    if engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE
        statements.append(f"TRUNCATE {USERS_HISTORY_TABLE}")

    for statement in statements:
        refused = pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only")
        with refused, engine.begin() as connection:
            connection.execute(text(statement))

    assert _history(engine) == [("added", "sw-hale", "practitioner")]


def test_a_reissued_token_is_refused_with_401_and_both_rows_remain(
    db_url: str, engine: sqlalchemy.Engine
) -> None:
    web = create_app(Settings(db_url=db_url))
    client = TestClient(web)
    _, old = add_user(engine, "sw-ross", "practitioner", "social_care")
    assert client.get("/me/cases", headers={"Authorization": f"Bearer {old}"}).status_code == 200

    _, new = issue_token(engine, "sw-ross", "manager", "social_care")

    assert client.get("/me/cases", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/me/cases", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    user = authenticate(engine, new)
    assert user is not None
    assert user.role == "manager"
    assert _history(engine) == [
        ("added", "sw-ross", "practitioner"),
        ("token_issued", "sw-ross", "manager"),
    ]
    get_settings.cache_clear()


def test_a_remapped_subject_keeps_its_earlier_row(engine: sqlalchemy.Engine) -> None:
    map_subject(engine, "0f3c-9a52", "sw-rees", "practitioner", "social_care")
    map_subject(engine, "0f3c-9a52", "sw-rees", "manager", "social_care")

    mapped = mapped_subject(engine, "0f3c-9a52")
    assert mapped is not None
    assert mapped.role == "manager"
    assert _history(engine) == [
        ("subject_mapped", "sw-rees", "practitioner"),
        ("subject_mapped", "sw-rees", "manager"),
    ]


def _three_rows(engine: sqlalchemy.Engine) -> None:
    add_user(engine, "sw-ames", "practitioner", "social_care")
    issue_token(engine, "sw-ames", "practitioner", "social_care")
    add_user(engine, "pc-boyd", "practitioner", "police")


def test_verify_passes_on_an_intact_users_record(db_url: str, engine: sqlalchemy.Engine) -> None:
    _three_rows(engine)

    code, said = run_verify(db_url)

    assert code == 0, said
    assert "3 row(s) of the users' record" in said


@pytest.mark.parametrize(
    ("tampering", "row", "name", "reason"),
    [
        (
            f"UPDATE {USERS_HISTORY_TABLE} SET role = 'admin' WHERE seq = 3",
            3,
            "pc-boyd",
            "content does not match its hash",
        ),
        (
            f"UPDATE {USERS_HISTORY_TABLE} SET agency = 'police' WHERE seq = 1",
            1,
            "sw-ames",
            "content does not match its hash",
        ),
        (f"DELETE FROM {USERS_HISTORY_TABLE} WHERE seq = 2", 3, "pc-boyd", "link to the previous"),
    ],
    ids=["role raised", "agency changed", "token row removed"],
)
def test_verify_names_the_first_broken_link_of_the_users_record(
    db_url: str, engine: sqlalchemy.Engine, tampering: str, row: int, name: str, reason: str
) -> None:
    _three_rows(engine)
    _tamper(engine, tampering)

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"Broken link at users' record row {row} (user '{name}'): {reason}" in said
    assert "trigger missing" not in said


def test_verify_reports_the_users_record_triggers_missing(
    db_url: str, engine: sqlalchemy.Engine
) -> None:
    _three_rows(engine)
    on_table = f" ON {USERS_HISTORY_TABLE}" if engine.dialect.name == "postgresql" else ""
    dropped = f"{USERS_HISTORY_TABLE}_refuse_delete"
    with engine.begin() as connection:
        connection.execute(text(f"DROP TRIGGER {dropped}{on_table}"))

    code, said = run_verify(db_url)

    assert code == 1, said
    assert f"Append-only trigger missing: {dropped}" in said
    assert "Broken link" not in said


def test_users_and_mappings_of_a_store_at_0009_sign_in_after_the_migration(
    db_url: str, engine: sqlalchemy.Engine
) -> None:
    """Revision 0010 moves the users and subject mappings into the chained record: the tokens
    issued before still authenticate, the mappings still apply, and verify passes."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009")
    tokens = {"sw-old": "fst_" + "a" * 43, "tm-old": "fst_" + "b" * 43}
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    with engine.begin() as connection:
        for (name, token), role in zip(tokens.items(), ("practitioner", "manager"), strict=True):
            connection.execute(
                text(
                    "INSERT INTO foresight_users (name, role, agency, token_sha256, created_at) "
                    "VALUES (:name, :role, 'social_care', :digest, :at)"
                ),
                {
                    "name": name,
                    "role": role,
                    "digest": hashlib.sha256(token.encode()).hexdigest(),
                    "at": at,
                },
            )
        connection.execute(
            text(
                "INSERT INTO foresight_users_subjects (subject, name, role, agency, created_at) "
                "VALUES ('0f3c-9a52', 'sw-rees', 'practitioner', 'social_care', :at)"
            ),
            {"at": at.isoformat(" ") if engine.dialect.name == "sqlite" else at},
        )

    upgrade_schema(engine)

    assert current_revision(engine) == head_revision()
    for name, token in tokens.items():
        user = authenticate(engine, token)
        assert user is not None
        assert user.name == name
    mapped = mapped_subject(engine, "0f3c-9a52")
    assert mapped is not None
    assert (mapped.name, mapped.role) == ("sw-rees", "practitioner")
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT name FROM foresight_users")).scalars()) == [
            "sw-old",
            "tm-old",
        ]
    code, said = run_verify(db_url)
    assert code == 0, said
    assert "3 row(s) of the users' record" in said


def test_a_refused_user_adds_no_row_and_a_taken_name_is_refused(engine: sqlalchemy.Engine) -> None:
    """Refusals write nothing to the record: an unknown role, and a name already taken."""
    with pytest.raises(UserError, match="role must be one of"):
        add_user(engine, "sw-hale", "superuser", "social_care")
    assert _history(engine) == []
    add_user(engine, "sw-hale", "practitioner", "social_care")
    with pytest.raises(UserError, match="already exists"):
        add_user(engine, "sw-hale", "manager", "social_care")
    assert _history(engine) == [("added", "sw-hale", "practitioner")]
