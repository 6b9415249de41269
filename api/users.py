"""Users and their bearer tokens: tokens are shown once and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    exists,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from domain.case import GENESIS_HASH
from events.timepoints import utc_now
from events.vocabulary import AgencyName, Identifier
from projections.store.integrity import user_record_hash
from projections.store.recorders import USERS_HISTORY_TABLE
from projections.tables import UtcDateTime

Role = Literal["practitioner", "manager", "reviewer", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
TOKEN_PREFIX = "fst_"

metadata = MetaData()
# The users' record, append-only by trigger and hash-chained like a case's events (checked by
# `foresight verify`): a row per user added, token issued or subject mapped. The current state
# is the newest row: a user's token row, a subject's mapping row (the views `foresight_users`
# and `foresight_users_subjects`, migration 0010, show it).
history_table = Table(
    USERS_HISTORY_TABLE,
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("kind", String(20), nullable=False),
    Column("name", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    # A token is issued once: its digest names one row (NULL on a subject's rows).
    Column("token_sha256", String(64), nullable=True, unique=True),
    # The provider's `sub` (single sign-on, api/http/routes/auth.py) on a mapping's rows.
    Column("subject", String(255), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    # Unique: two writers appending after the same row cannot both succeed (no fork).
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    Index("foresight_users_history_name", "name", "seq"),
    Index("foresight_users_history_subject", "subject", "seq"),
)
ADDED, TOKEN_ISSUED, SUBJECT_MAPPED = "added", "token_issued", "subject_mapped"
APPEND_ATTEMPTS = 10
# Run before an append, in its transaction: raises UserError to refuse it.
Refusal = Callable[[Connection], None]


class UserError(ValueError):
    """A user could not be added; the message says why."""


@dataclass(frozen=True)
class User:
    """Who is acting: the name recorded as `recorded_by`, their role and agency."""

    name: str
    role: str
    agency: str
    created_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_identity(name: str, role: str, agency: str) -> tuple[str, str, str]:
    """A user's name, role and agency as stored, or a UserError saying which is wrong."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    try:
        name = TypeAdapter(Identifier).validate_python(name)
        agency = TypeAdapter(AgencyName).validate_python(agency)
    except ValidationError as error:
        raise UserError(f"name and agency must be simple identifiers: {error}") from None
    return name, role, agency


def _append(engine: Engine, record: dict[str, Any], refuse: Refusal | None = None) -> datetime:
    """Append one row to the users' record, chained to the newest; `refuse`, run in the same
    transaction, may raise UserError first. A writer that lost the race for the same
    predecessor (the unique `prev_hash`) reads the new newest row and tries again."""
    for attempt in range(APPEND_ATTEMPTS):
        at = utc_now()
        try:
            with engine.begin() as connection:
                if refuse is not None:
                    refuse(connection)
                prev_hash = connection.execute(
                    select(history_table.c.hash).order_by(history_table.c.seq.desc()).limit(1)
                ).scalar_one_or_none()
                prev_hash = prev_hash or GENESIS_HASH
                row = {**record, "at": at, "prev_hash": prev_hash}
                row["hash"] = user_record_hash(prev_hash, row)
                connection.execute(history_table.insert().values(**row))
            return at
        except IntegrityError:
            if attempt == APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _new_token(name: str, role: str, agency: str, kind: str) -> tuple[dict[str, Any], str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = {"kind": kind, "name": name, "role": role, "agency": agency, "subject": None}
    return {**record, "token_sha256": _digest(token)}, token


def _user_exists(connection: Connection, name: str) -> bool:
    token_rows = history_table.c.token_sha256.is_not(None)
    found = select(history_table.c.seq).where(history_table.c.name == name, token_rows).limit(1)
    return connection.execute(found).first() is not None


def add_user(engine: Engine, name: str, role: str, agency: str) -> tuple[User, str]:
    """Create a user and return it with its new token (the only time the token exists in clear)."""
    name, role, agency = checked_identity(name, role, agency)
    record, token = _new_token(name, role, agency, ADDED)

    def refuse_an_existing_name(connection: Connection) -> None:
        if _user_exists(connection, name):
            raise UserError(f"a user named {name!r} already exists")

    at = _append(engine, record, refuse_an_existing_name)
    return User(name=name, role=role, agency=agency, created_at=at), token


def issue_token(engine: Engine, name: str, role: str, agency: str) -> tuple[User, str]:
    """A user with a fresh token: added if new, otherwise a new row whose token supersedes
    the old one (which stops working; its row remains)."""
    name, role, agency = checked_identity(name, role, agency)
    with engine.connect() as connection:
        kind = TOKEN_ISSUED if _user_exists(connection, name) else ADDED
    record, token = _new_token(name, role, agency, kind)
    at = _append(engine, record)
    return User(name=name, role=role, agency=agency, created_at=at), token


def _current_token_row() -> Select[Any]:
    """The row of a token digest (bound as `digest`), if no later token was issued to that
    user: one query on two indexes."""
    issued = history_table
    later = history_table.alias("later")
    superseded = exists().where(
        and_(
            later.c.name == issued.c.name,
            later.c.seq > issued.c.seq,
            later.c.token_sha256.is_not(None),
        )
    )
    return select(issued).where(issued.c.token_sha256 == bindparam("digest"), ~superseded)


# Built once: building the statement (an alias and its columns) cost more than running it.
# Tokens are not cached: a token superseded by another process (`foresight users`) stops
# working at its next request.
CURRENT_TOKEN_ROW = _current_token_row()


def authenticate(engine: Engine, token: str) -> User | None:
    """The user a token belongs to, or None: the row with its digest, if no later token was
    issued to that user; the digest is compared in constant time."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    presented = _digest(token)
    with engine.connect() as connection:
        row = connection.execute(CURRENT_TOKEN_ROW, {"digest": presented}).first()
    if row is None or not hmac.compare_digest(row.token_sha256, presented):
        return None
    return User(name=row.name, role=row.role, agency=row.agency, created_at=row.at)


def map_subject(engine: Engine, subject: str, name: str, role: str, agency: str) -> User:
    """Who the provider's `subject` acts as when signed in by single sign-on (superseding any
    earlier mapping of it, whose row remains)."""
    if not subject.strip() or len(subject) > 255:
        raise UserError("the subject must be the provider's `sub`, 1 to 255 characters")
    name, role, agency = checked_identity(name, role, agency)
    record = {
        "kind": SUBJECT_MAPPED,
        "name": name,
        "role": role,
        "agency": agency,
        "token_sha256": None,
        "subject": subject,
    }
    at = _append(engine, record)
    return User(name=name, role=role, agency=agency, created_at=at)


def mapped_subject(engine: Engine, subject: str) -> User | None:
    """The user a provider's subject was last mapped to, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(history_table)
            .where(history_table.c.subject == subject)
            .order_by(history_table.c.seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return User(name=row.name, role=row.role, agency=row.agency, created_at=row.at)
