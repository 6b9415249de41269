"""Path and query parameters shared by the endpoints, validated into the types the queries take."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BeforeValidator

from events.timepoints import local_date, parse_instant, parse_timepoint, start_of, utc_now
from events.vocabulary import IDENTIFIER_PATTERN


def _instant(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_instant(value)


def calendar_day(value: object) -> date | None:
    """A query parameter's date: a date time point, not a time (None when absent)."""
    if value in (None, ""):
        return None
    parsed = parse_timepoint(value)
    if isinstance(parsed, datetime):
        raise ValueError("give a date (YYYY-MM-DD)")
    return parsed


def _start(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    return start_of(parse_timepoint(value))


CaseId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, examples=["FAM-0042"])]
PersonId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, examples=["ava"])]

AsKnownAt = Annotated[
    datetime | None,
    BeforeValidator(_instant),
    Query(
        description="Show what was known at this date or datetime (a date means the end "
        "of that day; default now)",
        examples=["2024-01-16T12:00"],
    ),
]
OnDate = Annotated[
    date | None,
    BeforeValidator(calendar_day),
    Query(description="The date the question is about (default today)", examples=["2024-03-01"]),
]


def day_asked(on: date | None, as_known_at: datetime | None) -> date:
    """The date a report is about: `on`, else the as-known-at day, else today."""
    return on or local_date(as_known_at or utc_now())


AgencyParam = Annotated[
    str | None,
    Query(description="Only what this agency knew", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
]
Since = Annotated[datetime, BeforeValidator(_instant), Query(description="From (exclusive)")]
After = Annotated[
    datetime | None, BeforeValidator(_instant), Query(description="After this time (exclusive)")
]
Until = Annotated[
    datetime | None, BeforeValidator(_instant), Query(description="Until (inclusive; default now)")
]
OccurredFrom = Annotated[
    datetime | None,
    BeforeValidator(_start),
    Query(alias="from", description="Entries that happened at or after this date or datetime"),
]
OccurredTo = Annotated[
    datetime | None,
    BeforeValidator(_instant),
    Query(alias="to", description="Entries that happened at or before this date or datetime"),
]
ChronologyFormat = Annotated[
    Literal["json", "csv", "xlsx", "html"], Query(alias="format", description="Output format")
]
AuditFormat = Annotated[
    Literal["json", "csv", "xlsx", "parquet"], Query(alias="format", description="Output format")
]
