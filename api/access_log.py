"""The append-only access log: every read of case data, who made it, and as known when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, insert
from sqlalchemy.engine import Engine

from events.timepoints import utc_now
from projections.tables import WHOLE_RECORD, UtcDateTime

# The access log's `case_id` of an authority-wide read (a report or return across every case).
# Stored as "*", as is `viewed_as` = WHOLE_RECORD (a read of the whole record, not as one
# agency): the same character in two columns meaning two things, kept because both are in
# existing logs and audit exports and the log is append-only; in code each has its own name.
EVERY_CASE = "*"

metadata = MetaData()
access_log = Table(
    "foresight_access_log",
    metadata,
    Column(
        "access_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("at", UtcDateTime, nullable=False),
    Column("user", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("case_id", String(80)),
    Column("person_id", String(80)),
    Column("as_known_at", UtcDateTime),
    Column("viewed_as", String(64)),
    Index("foresight_access_log_case", "case_id"),
    Index("foresight_access_log_person", "person_id"),
)


@dataclass(frozen=True)
class Access:
    """One read of case data (`viewed_as`: the agency it was made as; None, the whole record)."""

    user: str
    role: str
    agency: str
    endpoint: str
    case_id: str | None = None
    person_id: str | None = None
    as_known_at: datetime | None = None
    viewed_as: str | None = None


class AccessLog:
    """Appends reads; there is no way to change or remove one through this class or the API."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def record(self, access: Access) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(access_log).values(
                    at=utc_now(),
                    user=access.user,
                    role=access.role,
                    agency=access.agency,
                    endpoint=access.endpoint,
                    case_id=access.case_id,
                    person_id=access.person_id,
                    as_known_at=access.as_known_at,
                    viewed_as=access.viewed_as or WHOLE_RECORD,
                )
            )
