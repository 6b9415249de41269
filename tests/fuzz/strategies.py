"""Hostile input for the fuzz tests: odd Unicode, injection strings, edge dates, broken JSON.

FORESIGHT_FUZZ_EXAMPLES sets how many examples each property tries (default 25, so the
default suite stays fast); `FORESIGHT_FUZZ_EXAMPLES=2000 python -m pytest tests/fuzz` fuzzes
for longer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

Result = TypeVar("Result")
Refusal = TypeVar("Refusal", bound=Exception)


def returned_or_raised(call: Callable[[], Result], refusal: type[Refusal]) -> Result | Refusal:
    """What a call gives back, or the refusal it raised: for properties where either outcome is
    allowed and each is then checked (pytest.raises would demand the refusal)."""
    try:
        return call()
    except refusal as error:
        return error


EXAMPLES = int(os.environ.get("FORESIGHT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 25,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

INJECTIONS = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    '"><svg onload=window.__pwned=1>',
    "'; DROP TABLE stored_events; --",
    "1' OR '1'='1",
    '=HYPERLINK("http://x")',
    "{{7*7}}${7*7}",
    "../../etc/passwd",
]
ODD_CHARACTERS = [
    "\x00",
    "\ud800",
    "\udfff",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\u0301",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\x1c",
    "\r",
    "\n",
    "\t",
    "\U0001f600",
    "\U0001f469\u200d\U0001f467",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\uffff",
    "\x7f",
    '"',
    "\\",
    ",",
    ";",
]
# The clock and calendar edges: leap days, a day that does not exist, the Europe/London
# changes (01:30 did not happen on 31 March 2024 and happened twice on 27 October 2024), and
# years at and beyond the store's range 1900-2999.
EDGE_TIMES = [
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-03-31T01:30",
    "2024-03-31T00:59:59",
    "2024-03-31T02:00",
    "2024-10-27T01:30",
    "2024-10-27T01:30+00:00",
    "2024-10-27T01:30+01:00",
    "1900-01-01",
    "1900-01-01T00:00",
    "1899-12-31",
    "1899-12-31T23:59:59-01:00",
    "2100-01-01",
    "2999-12-31",
    "3000-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "0001-01-01T00:00+01:00",
    "2024-01-01T24:00",
    "2024-13-01",
    "2024-00-10",
    "20240101",
    "2024-W01-1",
    "2024-01-01T10:00\x00",
    "\uff12\uff10\uff12\uff14-01-01",
    "2024-1-1",
    "2024-01-01T10:00:00.123456789",
    "2024-01-01T10:00+14:00",
    "2024-01-01T10:00+24:00",
    "2024-01-01 10:00",
    " 2024-01-01 ",
    "",
    "now",
    "null",
]

odd_text = st.lists(
    st.one_of(st.characters(), st.sampled_from(ODD_CHARACTERS)),
    max_size=40,
).map("".join)
hostile_text = st.one_of(
    st.sampled_from(INJECTIONS),
    odd_text,
    st.builds(lambda a, b: a + b, st.sampled_from(INJECTIONS), odd_text),
    st.builds(lambda n: "x" * n, st.sampled_from([19_999, 20_000, 20_001])),
)
edge_time = st.one_of(
    st.sampled_from(EDGE_TIMES),
    st.dates().map(lambda day: day.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalar,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=8,
)


def nested(depth: int, inner: Any = 1) -> str:
    """JSON text `depth` objects deep, as a body too deep for `json` to read."""
    return '{"a":' * depth + str(inner) + "}" * depth


@st.composite
def hostile_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A note that is valid except where the fuzz puts something odd (often somewhere)."""
    raw: dict[str, Any] = {
        "type": "note_added",
        "occurred_at": "2024-03-01T10:00",
        "summary": "A note",
    }
    for name in draw(
        st.sets(
            st.sampled_from(
                [
                    "summary",
                    "impact",
                    "action",
                    "occurred_at",
                    "source_recorded_at",
                    "significance",
                    "subjects",
                    "date_uncertain",
                    "data",
                    "type",
                    "event_id",
                    "unknown",
                ]
            ),
            max_size=3,
        )
    ):
        if name in ("occurred_at", "source_recorded_at"):
            raw[name] = draw(st.one_of(edge_time, json_scalar))
        elif name == "data":
            raw[name] = draw(
                st.one_of(st.dictionaries(hostile_text, json_values, max_size=2), json_scalar)
            )
        elif name == "subjects":
            raw[name] = draw(st.lists(hostile_text, max_size=2))
        else:
            raw[name] = draw(st.one_of(hostile_text, json_values))
    return raw
