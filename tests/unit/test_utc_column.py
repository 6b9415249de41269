"""The read models' UTC instant column on SQLite: fixed-width text that sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from projections.tables import UtcDateTime

DIALECT = sqlite.dialect()
COLUMN = UtcDateTime()

instants = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(2999, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    ),
)


@given(instants)
def test_an_instant_is_stored_as_utc_text_and_read_back_unchanged(moment: datetime) -> None:
    text = COLUMN.process_bind_param(moment, DIALECT)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert COLUMN.process_result_value(text, DIALECT) == moment


@given(st.lists(instants, min_size=2, max_size=20))
def test_the_bulk_conversion_gives_the_same_texts_and_they_sort_as_time(
    moments: list[datetime],
) -> None:
    texts = COLUMN.bind_values([*moments, None], DIALECT)
    assert texts == [COLUMN.process_bind_param(moment, DIALECT) for moment in moments] + [None]
    assert all(len(text) == 26 for text in texts[:-1])
    assert sorted(texts[:-1]) == [COLUMN.process_bind_param(m, DIALECT) for m in sorted(moments)]


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        COLUMN.process_bind_param(datetime(2024, 1, 1), DIALECT)
