"""Points in time as Foresight records them: a calendar date or a UTC instant, precision kept."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer

DEFAULT_ZONE = "Europe/London"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR, LAST_YEAR = 1900, 2999

# A date-only value is a day, not an instant. It stays a `date`; a datetime is
# always timezone-aware UTC. `datetime` subclasses `date`, so test it first.
Timepoint = date | datetime


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """The zone in which dates and offset-less datetimes are read (FORESIGHT_TIMEZONE)."""
    name = os.environ.get("FORESIGHT_TIMEZONE", DEFAULT_ZONE)
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"FORESIGHT_TIMEZONE {name!r} is not a known time zone") from error


def parse_timepoint(value: object) -> Timepoint:
    """Read an ISO 8601 date or datetime; offset-less datetimes are local time."""
    # Fast paths for what the store gives back (every stored event is read this way, many
    # times over in a rebuild): an instant in UTC, or its canonical text.
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return _in_range(value)
    if isinstance(value, str) and len(value) == 25 and value.endswith("+00:00") and value.isascii():
        try:
            return _in_range(datetime.fromisoformat(value))
        except ValueError:
            pass  # the full reading below says what is wrong with it
    if isinstance(value, str):
        value = _read_text(value.strip())
    if not isinstance(value, datetime):
        if isinstance(value, date):
            return _in_range(value)
        raise ValueError("expected an ISO 8601 date or datetime string")
    moment = value
    if moment.tzinfo is None:
        moment = _localize(moment)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is out of range") from None
    return _in_range(moment)


def _read_text(text: str) -> Timepoint:
    """An ISO 8601 date or datetime as written, its time not yet in UTC."""
    # Python reads some non-ASCII digits and ignores a trailing NUL; ISO 8601 is ASCII.
    if not text.isascii() or not text.isprintable():
        raise ValueError(
            f"{text!r} is not an ISO 8601 date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM): "
            "only ASCII digits, letters and punctuation"
        )
    if _DATE_ONLY.match(text):
        try:
            return _in_range(date.fromisoformat(text))
        except ValueError as error:
            if "year must be" in str(error):
                raise
            raise ValueError(f"{text!r} is not a real calendar date") from error
    if "T" not in text and " " not in text:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM)"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM)"
        ) from error


def _in_range(value: Timepoint) -> Timepoint:
    """Only years 1900-2999: a case record has nothing earlier, and nothing later is sane."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _localize(naive: datetime) -> datetime:
    """Attach the local zone; a wall time that does not exist (spring forward) is refused.

    A wall time that happens twice (01:30 on the night the clocks go back) is read as its
    first occurrence, still summer time (`fold=0`): refusing it would make the importer
    refuse a whole hour of a practitioner's notes, whose CSV has no column for an offset.
    Give an offset to mean the second one.
    """
    zone = local_zone()
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise ValueError(
            f"{naive.isoformat()} does not exist in {zone.key} (clocks went forward); "
            "give a UTC offset"
        )
    return aware


def format_timepoint(value: Timepoint) -> str:
    """ISO 8601 text: a date stays a date, an instant is written in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def start_of(value: Timepoint) -> datetime:
    """The instant a timepoint is ordered at: a date sorts at the start of its local day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=local_zone()).astimezone(UTC)


def end_of(value: Timepoint) -> datetime:
    """The last instant a timepoint covers: a date covers its whole local day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    next_day = datetime.combine(value + timedelta(days=1), time.min, tzinfo=local_zone())
    return next_day.astimezone(UTC) - timedelta(microseconds=1)


def local_date(value: Timepoint) -> date:
    """The calendar date of a timepoint in the local zone."""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).date()
    return value


def is_before(earlier: Timepoint, later: Timepoint) -> bool:
    """Strictly before; when either side is a date the comparison is made at date precision."""
    if isinstance(earlier, datetime) and isinstance(later, datetime):
        return earlier < later
    return local_date(earlier) < local_date(later)


def utc_now() -> datetime:
    """The server clock, in UTC."""
    return datetime.now(UTC)


def parse_instant(value: object) -> datetime:
    """An instant for queries such as "as known at": a date means the end of that local day."""
    return end_of(parse_timepoint(value))


def format_instant(value: datetime) -> str:
    """An instant as ISO 8601 text in UTC."""
    return value.astimezone(UTC).isoformat()


InstantField = Annotated[
    datetime, PlainSerializer(format_instant, return_type=str, when_used="json")
]

WhenField = Annotated[
    Timepoint,
    BeforeValidator(parse_timepoint),
    PlainSerializer(format_timepoint, return_type=str, when_used="json"),
]


def known_at(source_recorded_at: Timepoint | None, recorded_at: datetime) -> datetime:
    """When the record proves the fact was known: the source's record time, else the store's.

    A date-only source time counts from the end of that day, but never later than the store's
    own record of it.
    """
    if source_recorded_at is None:
        return recorded_at
    return min(end_of(source_recorded_at), recorded_at)


def format_local(value: Timepoint) -> str:
    """For people: a date as a date, an instant as local wall time without seconds."""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
