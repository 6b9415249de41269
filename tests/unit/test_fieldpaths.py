"""Field paths: one dotted notation for every refusal, in a batch, a list or an import line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from events.fieldpaths import field_path, location_path, split_first

names = st.from_regex(r"[a-z_]{1,12}", fullmatch=True)
parts_after = st.lists(st.one_of(names, st.integers(0, 99)), max_size=4)


def test_indices_and_names_are_joined_by_dots() -> None:
    """An event of a batch, a list item and a lone event's field, as the SPEC writes them."""
    assert field_path(1, "subjects", 1) == "1.subjects.1"
    assert field_path("", "data", "event_ids", 1) == "data.event_ids.1"
    assert location_path(("subjects", 0)) == "subjects.0"
    assert location_path(("data", "goals", 2), prefix="3") == "3.data.goals.2"
    assert field_path("line 4", "summary") == "line 4.summary"


@given(index=st.integers(0, 10_000), parts=parts_after)
def test_a_path_reads_back_its_first_part(index: int, parts: list[str | int]) -> None:
    """No brackets anywhere, and the batch index comes back from the path as an int."""
    path = field_path(index, *parts)
    assert "[" not in path
    assert "]" not in path
    first, rest = split_first(path)
    assert first == index
    assert rest == (field_path(*parts) if parts else None)
