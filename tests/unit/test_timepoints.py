"""The time model: dates keep their precision, local times are London's, and known_at is proven."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.service import CaseService
from events.timepoints import (
    end_of,
    format_timepoint,
    is_before,
    known_at,
    local_date,
    local_zone,
    parse_instant,
    parse_timepoint,
    start_of,
    utc_now,
)
from tests.conftest import event


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def test_a_date_stays_a_date() -> None:
    """A date without a time is a day, kept as a date and written back as a date."""
    parsed = parse_timepoint("2024-03-01")
    assert parsed == date(2024, 3, 1)
    assert not isinstance(parsed, datetime)
    assert format_timepoint(parsed) == "2024-03-01"


def test_an_instant_is_written_in_utc() -> None:
    """A datetime with an offset is converted to UTC and written with +00:00."""
    parsed = parse_timepoint("2024-03-01T10:15:00+02:00")
    assert parsed == utc(2024, 3, 1, 8, 15)
    assert isinstance(parsed, datetime)
    assert parsed.utcoffset() == timedelta(0)
    assert format_timepoint(parsed) == "2024-03-01T08:15:00+00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:00", utc(2024, 1, 15, 10, 0)),  # GMT
        ("2024-07-15T10:00", utc(2024, 7, 15, 9, 0)),  # BST
        ("2024-07-15 10:00:30", utc(2024, 7, 15, 9, 0, 30)),
        ("2024-03-31T00:59", utc(2024, 3, 31, 0, 59)),  # last minute of GMT
        ("2024-03-31T02:00", utc(2024, 3, 31, 1, 0)),  # first minute of BST
    ],
)
def test_a_naive_datetime_is_read_as_london_time(text: str, expected: datetime) -> None:
    """Without an offset a datetime is Europe/London wall time: GMT in winter, BST in summer."""
    assert parse_timepoint(text) == expected


@pytest.mark.parametrize("text", ["2024-03-31T01:00", "2024-03-31T01:30", "2024-03-31T01:59"])
def test_a_wall_time_in_the_spring_gap_is_refused(text: str) -> None:
    """Local times skipped when clocks go forward did not happen and are refused."""
    with pytest.raises(ValueError, match="does not exist in Europe/London"):
        parse_timepoint(text)


def test_an_ambiguous_autumn_wall_time_is_read_as_the_first_occurrence() -> None:
    """01:30 on the night clocks go back happens twice; the first (BST) reading is taken."""
    assert parse_timepoint("2024-10-27T01:30") == utc(2024, 10, 27, 0, 30)


def test_the_local_zone_comes_from_foresight_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    """FORESIGHT_TIMEZONE changes the zone offset-less datetimes are read in."""
    monkeypatch.setenv("FORESIGHT_TIMEZONE", "America/New_York")
    assert local_zone().key == "America/New_York"
    assert parse_timepoint("2024-01-15T10:00") == utc(2024, 1, 15, 15, 0)


def test_an_unknown_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt FORESIGHT_TIMEZONE is an error, not a silent fall-back to UTC."""
    monkeypatch.setenv("FORESIGHT_TIMEZONE", "Europe/Londn")
    with pytest.raises(ValueError, match="not a known time zone"):
        local_zone()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "not a real calendar date"),
        ("2023-02-29", "not a real calendar date"),
        ("yesterday", "not an ISO 8601"),
        ("2024-03-01T25:00", "not an ISO 8601"),
        ("", "not an ISO 8601"),
    ],
)
def test_text_that_is_not_a_real_date_is_refused(text: str, message: str) -> None:
    """Only real ISO 8601 dates and datetimes are read."""
    with pytest.raises(ValueError, match=message):
        parse_timepoint(text)


def test_a_leap_day_is_a_real_date() -> None:
    """29 February exists in leap years."""
    assert parse_timepoint("2024-02-29") == date(2024, 2, 29)


def test_a_date_is_ordered_at_the_start_of_its_local_day() -> None:
    """start_of a summer date is 23:00 UTC the evening before; of a winter date, midnight UTC."""
    assert start_of(date(2024, 7, 1)) == utc(2024, 6, 30, 23, 0)
    assert start_of(date(2024, 1, 15)) == utc(2024, 1, 15, 0, 0)
    assert start_of(utc(2024, 7, 1, 12, 0)) == utc(2024, 7, 1, 12, 0)


def test_a_date_covers_its_whole_local_day() -> None:
    """end_of a date is the last microsecond of that London day, in UTC."""
    assert end_of(date(2024, 7, 1)) == utc(2024, 7, 1, 22, 59, 59, 999999)
    assert end_of(date(2024, 1, 15)) == utc(2024, 1, 15, 23, 59, 59, 999999)
    # The day clocks go forward is 23 hours long.
    assert end_of(date(2024, 3, 31)) - start_of(date(2024, 3, 31)) == timedelta(
        hours=23, microseconds=-1
    )


def test_parse_instant_reads_a_date_as_the_end_of_that_day() -> None:
    """ "As known at 1 March" includes everything known during 1 March."""
    assert parse_instant("2024-03-01") == utc(2024, 3, 1, 23, 59, 59, 999999)
    assert parse_instant("2024-03-01T12:00:00+00:00") == utc(2024, 3, 1, 12, 0)


def test_known_at_without_a_source_time_is_recorded_at() -> None:
    """With no source record, the fact is known from when this store recorded it."""
    recorded = utc(2024, 3, 5, 9, 0)
    assert known_at(None, recorded) == recorded


def test_known_at_of_a_date_only_source_time_is_the_end_of_that_local_day() -> None:
    """A source record on a day proves knowledge only from the end of that day."""
    recorded = utc(2024, 8, 1, 9, 0)
    assert known_at(date(2024, 7, 1), recorded) == utc(2024, 7, 1, 22, 59, 59, 999999)
    assert known_at(date(2024, 1, 15), recorded) == utc(2024, 1, 15, 23, 59, 59, 999999)


def test_known_at_is_never_after_recorded_at() -> None:
    """A source record dated today counts from our own recording if that is earlier."""
    recorded = utc(2024, 7, 1, 9, 0)
    assert known_at(date(2024, 7, 1), recorded) == recorded


def test_known_at_of_a_timed_source_record_is_that_instant() -> None:
    """A source record with a time proves knowledge from that instant."""
    recorded = utc(2024, 7, 1, 9, 0)
    assert known_at(utc(2024, 6, 30, 14, 0), recorded) == utc(2024, 6, 30, 14, 0)


def test_the_store_reports_known_at_from_a_date_only_source_record(service: CaseService) -> None:
    """A stored import dated by its source day is known from the end of that day."""
    outcome = service.append(
        [event("note_added", occurred_at="2024-07-01", source_recorded_at="2024-07-02")]
    )
    stored = outcome.events[0]
    assert stored.source_recorded_at == date(2024, 7, 2)
    assert stored.known_at == utc(2024, 7, 2, 22, 59, 59, 999999)
    assert stored.known_at < stored.recorded_at


def test_the_store_caps_known_at_at_recorded_at_for_a_source_record_of_today(
    service: CaseService,
) -> None:
    """A source record dated today is known from the moment the store recorded it."""
    today = local_date(utc_now())
    outcome = service.append(
        [event("note_added", occurred_at=today.isoformat(), source_recorded_at=today.isoformat())]
    )
    stored = outcome.events[0]
    assert stored.known_at == stored.recorded_at
    assert service.case_events("FAM-1")[0].known_at == stored.recorded_at


def test_the_store_reports_known_at_as_recorded_at_without_a_source_record(
    service: CaseService,
) -> None:
    """Without source_recorded_at an event is known from when it was recorded."""
    stored = service.append([event("note_added")]).events[0]
    assert stored.known_at == stored.recorded_at
    assert stored.recorded_at.utcoffset() == timedelta(0)


def test_is_before_compares_instants_strictly() -> None:
    """Two instants compare as instants; an instant is not before itself."""
    assert is_before(utc(2024, 3, 1, 10, 0), utc(2024, 3, 1, 10, 1))
    assert not is_before(utc(2024, 3, 1, 10, 1), utc(2024, 3, 1, 10, 0))
    assert not is_before(utc(2024, 3, 1, 10, 0), utc(2024, 3, 1, 10, 0))


def test_is_before_compares_at_date_precision_when_either_side_is_a_date() -> None:
    """A date and a time on the same day are not before each other, either way round."""
    day = date(2024, 3, 1)
    assert not is_before(day, utc(2024, 3, 1, 0, 0))
    assert not is_before(utc(2024, 3, 1, 23, 0), day)
    assert is_before(day, utc(2024, 3, 2, 0, 0))
    assert is_before(utc(2024, 2, 29, 23, 59), day)
    assert is_before(date(2024, 2, 29), day)
    assert not is_before(day, day)


def test_is_before_uses_the_local_date_of_an_instant() -> None:
    """23:30 UTC on 1 July is already 2 July in London, so it is after the date 1 July."""
    late_evening = utc(2024, 7, 1, 23, 30)
    assert local_date(late_evening) == date(2024, 7, 2)
    assert is_before(date(2024, 7, 1), late_evening)
    assert not is_before(date(2024, 7, 2), late_evening)
