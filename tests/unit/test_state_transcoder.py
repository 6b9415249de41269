"""The store's fast reading of event states gives what the library's own reading gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given
from hypothesis import strategies as st

from domain.service import StateTranscoder


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = registered(JSONTranscoder())
FAST = registered(StateTranscoder())

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["_type_", "_data_", "a", "b"]) | st.text(), inner, max_size=4
        )
    ),
    max_leaves=12,
)
typed = (
    st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.just(UTC))
)
values = st.recursive(
    plain | typed,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    timestamp=st.datetimes(timezones=st.just(UTC)),
    entry=st.dictionaries(st.text(max_size=8), values, max_size=6),
    hash_=st.text(max_size=8),
)
def test_any_state_reads_as_the_library_reads_it(
    timestamp: datetime, entry: dict[str, object], hash_: str
) -> None:
    data = LIBRARY.encode({"timestamp": timestamp, "entry": entry, "hash": hash_})
    assert reading(FAST, data) == reading(LIBRARY, data)


def reading(transcoder: JSONTranscoder, data: bytes) -> object:
    """What reading gives, or the kind of error it raises (a plain object shaped like a typed
    value, {"_type_": ..., "_data_": ...}, is refused)."""
    try:
        return transcoder.decode(data)
    except Exception as error:  # noqa: BLE001
        return type(error)


def test_a_stored_event_reads_with_its_timestamp_typed_and_its_entry_plain() -> None:
    moment = datetime(2024, 3, 1, 10, 15, tzinfo=UTC)
    data = LIBRARY.encode({"timestamp": moment, "entry": {"summary": "_type_", "n": 1}})
    state = FAST.decode(data)
    assert state == {"timestamp": moment, "entry": {"summary": "_type_", "n": 1}}
    assert isinstance(state["timestamp"], datetime)


def test_typed_values_beside_the_timestamp_are_read_the_library_way() -> None:
    moment = datetime(2024, 3, 1, 10, 15, tzinfo=UTC)
    entry = {"id": UUID(int=7), "amount": Decimal("1.50")}
    data = LIBRARY.encode({"timestamp": moment, "entry": entry})
    assert FAST.decode(data) == {"timestamp": moment, "entry": entry}


def test_text_the_fast_parser_refuses_is_read_the_library_way() -> None:
    data = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-03-01T10:15:00+00:00"},'
        b'"entry":{"summary":"\\ud800"}}'
    )
    assert FAST.decode(data) == LIBRARY.decode(data)
    assert FAST.decode(data)["entry"]["summary"] == "\ud800"
