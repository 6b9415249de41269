"""The web page's signed-in sessions (single sign-on): kept in the database under the SHA-256
of an opaque random id, so that signing out ends one for good and a copy of the table
signs nobody in. Each carries its own CSRF token, which every state-changing request made
with the session's cookie must send back in a header."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, String, Table, delete, select, update
from sqlalchemy.engine import Engine

from api.settings import Settings
from api.users import User, metadata
from events.timepoints import utc_now
from projections.tables import UtcDateTime

SESSION_COOKIE = "foresight_session"
CSRF_COOKIE = "foresight_csrf"  # readable by the page's script, which echoes it back
CSRF_HEADER = "x-csrf-token"

sessions_table = Table(
    "foresight_users_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("csrf_token", String(64), nullable=False),
    Column("name", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)


# A session's idle deadline is moved on at most once a minute, not written on every request.
SLIDE_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLifetime:
    """How long a session lasts: at most `hours` from signing in, and it ends sooner after
    `idle_minutes` with no request (someone who walked away from a shared screen)."""

    hours: int
    idle_minutes: int

    @classmethod
    def of(cls, settings: Settings) -> SessionLifetime:
        return cls(settings.session_hours, settings.session_idle_minutes)

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        return min(
            created_at + timedelta(hours=self.hours), now + timedelta(minutes=self.idle_minutes)
        )


@dataclass(frozen=True)
class Session:
    """A signed-in session: who it is, and the CSRF token its changes must carry."""

    user: User
    csrf_token: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(engine: Engine, user: User, lifetime: SessionLifetime) -> tuple[str, Session]:
    """A new session for `user`: its id (for the cookie, never stored) and the session."""
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            sessions_table.insert().values(
                id_sha256=_digest(session_id),
                csrf_token=csrf_token,
                name=user.name,
                role=user.role,
                agency=user.agency,
                created_at=now,
                expires_at=lifetime.expiry(now, now),
            )
        )
    return session_id, Session(user=user, csrf_token=csrf_token)


def find_session(engine: Engine, lifetime: SessionLifetime, session_id: str) -> Session | None:
    """The live session a cookie names, or None (unknown, ended, idle too long or past its
    hours); finding it counts as activity, so its idle deadline moves on."""
    digest = _digest(session_id)
    with engine.connect() as connection:
        row = connection.execute(
            select(sessions_table).where(sessions_table.c.id_sha256 == digest)
        ).first()
    now = utc_now()
    if row is None or row.expires_at <= now:
        return None
    moved_on = lifetime.expiry(row.created_at, now)
    if moved_on - row.expires_at >= SLIDE_STEP:
        with engine.begin() as connection:
            connection.execute(
                update(sessions_table)
                .where(sessions_table.c.id_sha256 == digest)
                .values(expires_at=moved_on)
            )
    user = User(name=row.name, role=row.role, agency=row.agency, created_at=row.created_at)
    return Session(user=user, csrf_token=row.csrf_token)


def csrf_matches(session: Session, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf_token, presented)


def end_session(engine: Engine, session_id: str) -> None:
    """Sign out: the session is deleted (and expired ones with it), so its cookie is useless."""
    with engine.begin() as connection:
        connection.execute(
            delete(sessions_table).where(
                (sessions_table.c.id_sha256 == _digest(session_id))
                | (sessions_table.c.expires_at <= utc_now())
            )
        )
