"""Reading a stored event without validating it again gives what validating gives.

Projections and reads build `RecordedEvent`s from the store's entries without validation
(`RecordedEvent.from_stored(..., trusted=True)`): for every event type of the vocabulary,
with its envelope fields drawn at random, the trusted reading equals the validating one in
value, in the types of its values, in the fields it counts as set, and in its JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from events.envelope import InvalidEventError, entry_content, parse_event
from events.recorded import RecordedEvent
from events.upcasting import upcast_entry
from tests.unit.test_append_properties import AGENCIES, SIGNIFICANCES, WORDS, occurred_ats
from tests.unit.test_vocabulary import BASE, EXAMPLES

# Each type's example (tests/unit/test_vocabulary.py names every type exactly once).
TYPED_EXAMPLES = [example.values[1] for example in EXAMPLES]

identifiers = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,12}\Z")
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


@st.composite
def stored_entries(draw: st.DrawFn) -> dict[str, Any]:
    """An entry as the store holds it: a valid event of any type, as JSON, with its digest."""
    raw = {**BASE, **draw(st.sampled_from(TYPED_EXAMPLES))}
    raw["occurred_at"] = draw(occurred_ats())
    raw["agency"] = draw(st.sampled_from(AGENCIES)).upper()  # read lower-cased
    raw["significance"] = draw(st.sampled_from(SIGNIFICANCES))
    raw["subjects"] = draw(st.lists(identifiers, max_size=3, unique=True))
    raw["date_uncertain"] = draw(st.booleans())
    for name in ("summary", "impact", "action"):
        if draw(st.booleans()):
            raw[name] = draw(texts)
    if draw(st.booleans()):
        raw["recorded_by"] = draw(identifiers)
    else:
        raw.pop("recorded_by", None)
    if draw(st.booleans()):
        raw["event_id"] = str(draw(st.uuids()))
    if draw(st.booleans()):
        raw["source_recorded_at"] = draw(occurred_ats())
    try:
        envelope = parse_event(raw)
    except InvalidEventError:
        assume(False)  # e.g. a source time before the event's own
    content = entry_content(envelope)
    if content["event_id"] is None:  # the case gives one when none was sent
        content["event_id"] = str(draw(st.uuids()))
    if draw(st.booleans()):
        content["recorded_while_closed"] = True
    content["digest"] = "d" * 64
    return json.loads(json.dumps(content))


def both_readings(entry: dict[str, Any], recorded_at: datetime) -> tuple[Any, Any]:
    facts: dict[str, Any] = {
        "recorded_at": recorded_at,
        "position": 7,
        "version": 3,
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
    }
    entry = upcast_entry(entry)
    return (
        RecordedEvent.from_stored(entry, **facts),
        RecordedEvent.from_stored(entry, **facts, trusted=True),
    )


def assert_same(validated: RecordedEvent, trusted: RecordedEvent) -> None:
    assert trusted == validated
    assert {name: type(value) for name, value in trusted} == {
        name: type(value) for name, value in validated
    }
    assert trusted.model_fields_set == validated.model_fields_set
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_dump() == validated.model_dump()


@given(
    entry=stored_entries(),
    recorded_at=st.datetimes(datetime(2024, 1, 1), datetime(2026, 1, 1), timezones=st.just(UTC)),
)
def test_a_trusted_reading_equals_the_validating_one(
    entry: dict[str, Any], recorded_at: datetime
) -> None:
    validated, trusted = both_readings(entry, recorded_at + timedelta(days=800))
    assert_same(validated, trusted)


def test_every_type_of_the_vocabulary_is_drawn() -> None:
    """The strategy reaches every event type (its examples cover the vocabulary)."""
    from events.vocabulary import DATA_MODELS

    assert sorted(example["type"] for example in TYPED_EXAMPLES) == sorted(DATA_MODELS)


def test_an_old_shape_is_upcast_before_either_reading() -> None:
    """A contact stored in its version-1 shape reads the same both ways."""
    entry = {
        **BASE,
        "type": "contact_received",
        "event_id": "3f1c2a9e-6b1d-4c39-9a51-0c2f6f0b7e11",
        "subjects": [],
        "significance": "routine",
        "date_uncertain": False,
        "schema_version": 1,
        "data": {"contact_kind": "concern", "concern_category": "neglect"},
    }
    validated, trusted = both_readings(entry, datetime(2024, 3, 2, tzinfo=UTC))
    assert_same(validated, trusted)
    assert trusted.data["concern_categories"] == ["neglect"]
