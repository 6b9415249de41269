"""Users and their bearer tokens: tokens are shown once and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from events.timepoints import utc_now
from events.vocabulary import AgencyName, Identifier
from projections.tables import UtcDateTime

Role = Literal["practitioner", "manager", "reviewer", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
TOKEN_PREFIX = "fst_"

metadata = MetaData()
users_table = Table(
    "foresight_users",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Single sign-on (api/http/routes/auth.py): a provider's subject (`sub`) mapped by an admin to
# the name, role and agency it acts as here, for providers that send no agency or role claims.
subjects_table = Table(
    "foresight_users_subjects",
    metadata,
    Column("subject", String(255), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


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


def add_user(engine: Engine, name: str, role: str, agency: str) -> tuple[User, str]:
    """Create a user and return it with its new token (the only time the token exists in clear)."""
    name, role, agency = checked_identity(name, role, agency)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User(name=name, role=role, agency=agency, created_at=utc_now())
    try:
        with engine.begin() as connection:
            connection.execute(
                users_table.insert().values(
                    name=name,
                    role=role,
                    agency=agency,
                    token_sha256=_digest(token),
                    created_at=user.created_at,
                )
            )
    except IntegrityError:
        raise UserError(f"a user named {name!r} already exists") from None
    return user, token


def issue_token(engine: Engine, name: str, role: str, agency: str) -> tuple[User, str]:
    """A user with a fresh token: added if new, otherwise their old token stops working."""
    try:
        return add_user(engine, name, role, agency)
    except UserError:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with engine.begin() as connection:
            connection.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(role=role, agency=agency, token_sha256=_digest(token))
            )
        return User(name=name, role=role, agency=agency, created_at=utc_now()), token


def authenticate(engine: Engine, token: str) -> User | None:
    """The user a token belongs to, or None; the stored digest is compared in constant time."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    presented = _digest(token)
    with engine.connect() as connection:
        row = connection.execute(
            select(users_table).where(users_table.c.token_sha256 == presented)
        ).first()
    if row is None or not hmac.compare_digest(row.token_sha256, presented):
        return None
    return User(name=row.name, role=row.role, agency=row.agency, created_at=row.created_at)


def map_subject(engine: Engine, subject: str, name: str, role: str, agency: str) -> User:
    """Who the provider's `subject` acts as when signed in by single sign-on (replacing any
    earlier mapping of it)."""
    if not subject.strip() or len(subject) > 255:
        raise UserError("the subject must be the provider's `sub`, 1 to 255 characters")
    name, role, agency = checked_identity(name, role, agency)
    user = User(name=name, role=role, agency=agency, created_at=utc_now())
    with engine.begin() as connection:
        connection.execute(subjects_table.delete().where(subjects_table.c.subject == subject))
        connection.execute(
            subjects_table.insert().values(
                subject=subject, name=name, role=role, agency=agency, created_at=user.created_at
            )
        )
    return user


def mapped_subject(engine: Engine, subject: str) -> User | None:
    """The user a provider's subject was mapped to, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(subjects_table).where(subjects_table.c.subject == subject)
        ).first()
    if row is None:
        return None
    return User(name=row.name, role=row.role, agency=row.agency, created_at=row.created_at)
