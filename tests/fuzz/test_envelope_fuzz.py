"""Parsing an event and its times: every input is accepted exactly or refused naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.envelope import EventEnvelope, InvalidEventError, parse_event
from events.timepoints import format_timepoint, parse_timepoint
from tests.fuzz.strategies import (
    EDGE_TIMES,
    FUZZ,
    edge_time,
    hostile_envelopes,
    json_scalar,
    returned_or_raised,
)

ENVELOPE_FIELDS = set(EventEnvelope.model_fields) | {"(event)"}
TEXT_FIELDS = ("summary", "impact", "action")


def refused_fields(error: InvalidEventError) -> set[str]:
    return {problem.field.split(".")[0] for problem in error.errors}


@FUZZ
@given(st.one_of(edge_time, json_scalar))
def test_a_time_is_read_into_the_store_s_range_or_refused_with_a_value_error(value: Any) -> None:
    try:
        moment = parse_timepoint(value)
    except ValueError:
        return
    assert 1900 <= moment.year <= 2999
    if isinstance(moment, datetime):
        assert moment.utcoffset() == timedelta(0)
    assert parse_timepoint(format_timepoint(moment)) == moment


@FUZZ
@given(hostile_envelopes())
def test_an_event_is_accepted_as_given_or_refused_naming_its_fields(raw: dict[str, Any]) -> None:
    submitted = {**raw, "case_id": "FUZZ-1", "agency": "school"}
    envelope = returned_or_raised(lambda: parse_event(submitted), InvalidEventError)
    if isinstance(envelope, InvalidEventError):
        refusal = envelope
        assert refusal.errors
        assert refused_fields(refusal) <= ENVELOPE_FIELDS | set(raw), refusal
        return
    for name in TEXT_FIELDS:
        if isinstance(raw.get(name), str):
            # Only surrounding whitespace goes (Unicode's White_Space, which pydantic strips).
            stored = getattr(envelope, name)
            assert stored in raw[name]
            assert stored.strip() == raw[name].strip()


@pytest.mark.parametrize("text", EDGE_TIMES)
def test_every_edge_time_is_a_clear_decision(text: str) -> None:
    """Each is either stored or refused with a reason, in an event as on its own."""
    raw = {"type": "note_added", "case_id": "FUZZ-1", "agency": "school", "occurred_at": text}
    outcome = returned_or_raised(lambda: parse_event(raw), InvalidEventError)
    if isinstance(outcome, InvalidEventError):
        assert [problem.field for problem in outcome.errors] == ["occurred_at"]
        assert outcome.errors[0].reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-01-01T10:00\x00", "only ASCII"),  # CPython ignored the NUL and kept the rest
        (
            "\uff12\uff10\uff12\uff14-01-01",
            "only ASCII",
        ),  # full-width digits were "not a real date"
        ("2024-03-31T01:30", "does not exist in Europe/London"),
        ("2023-02-29", "not a real calendar date"),
        ("2024-02-30", "not a real calendar date"),
        ("1899-12-31", "between 1900 and 2999"),
        ("3000-01-01", "between 1900 and 2999"),
        ("0001-01-01T00:00+01:00", "out of range"),
        ("9999-12-31T23:59:59-01:00", "out of range"),
    ],
)
def test_a_time_that_is_not_one_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_timepoint(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2999-12-31", date(2999, 12, 31)),
        # The wall time that happened twice is its first occurrence, still summer time (BST)...
        ("2024-10-27T01:30", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        # ...and an offset says which one is meant.
        ("2024-10-27T01:30+00:00", datetime(2024, 10, 27, 1, 30, tzinfo=UTC)),
        ("2024-03-31T02:00", datetime(2024, 3, 31, 1, 0, tzinfo=UTC)),
    ],
)
def test_a_time_at_a_calendar_or_clock_edge_is_stored_as_decided(
    text: str,
    stored: date | datetime,
) -> None:
    assert parse_timepoint(text) == stored


@pytest.mark.parametrize("event_type", [[], {}, ["note_added"], None, 7])
def test_a_type_that_is_not_a_string_is_refused_naming_type(event_type: Any) -> None:
    """A list or an object as `type` used to raise TypeError (a 500 through the API)."""
    with pytest.raises(InvalidEventError) as refused:
        parse_event(
            {
                "type": event_type,
                "case_id": "FUZZ-1",
                "agency": "school",
                "occurred_at": "2024-03-01",
            }
        )
    assert "type" in refused_fields(refused.value)
