"""The entry an event is stored as writes its time points as `format_timepoint` does (a date as
a date, an instant in UTC): the hash chain and the stored bytes depend on that text."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from events.envelope import entry_content
from events.timepoints import format_timepoint
from tests.conftest import event

instants = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(datetime(1950, 1, 1), datetime(2090, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
)
timepoints = st.one_of(st.dates(date(1950, 1, 1), date(2090, 1, 1)), instants)


@given(occurred=timepoints, source=st.one_of(st.none(), timepoints))
def test_time_points_are_stored_as_format_timepoint_writes_them(
    occurred: date | datetime, source: date | datetime | None
) -> None:
    fields = {"occurred_at": occurred.isoformat()}
    if source is not None:
        fields["source_recorded_at"] = source.isoformat()
    try:
        envelope = event("note_added", **fields)
    except ValueError:
        return  # a source time before the occurrence is refused: nothing is stored
    content = entry_content(envelope)
    assert content["occurred_at"] == format_timepoint(envelope.occurred_at)
    expected = envelope.source_recorded_at
    assert content["source_recorded_at"] == (
        format_timepoint(expected) if expected is not None else None
    )
