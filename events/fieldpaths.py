"""How a refusal names a field: the one place that writes (and reads back) a field's path."""

from __future__ import annotations

from collections.abc import Iterable


def field_path(*parts: str | int) -> str:
    """A field's path from its parts, in the one notation used everywhere: dotted, names and
    indices alike (an event's index in a batch, a list item's index in a field).

    An empty part leaves no trace, so an empty prefix (a lone event, not one of a batch) adds
    nothing: `field_path("", "data")` is `data`; `field_path(3, "data", "event_ids", 0)` is
    `3.data.event_ids.0`; `field_path("line 4", "summary")` is `line 4.summary`.
    """
    return ".".join(str(part) for part in parts if part != "")


def location_path(location: Iterable[str | int], prefix: str = "") -> str:
    """Where pydantic locates an error (`("subjects", 0)`), as a path under a prefix
    (`subjects.0`). An empty location is the prefix itself: the error is about the whole value
    there."""
    return field_path(prefix, *location)


def split_first(path: str) -> tuple[str | int, str | None]:
    """A path's first part and the rest: `3.data.plan_id` gives `(3, "data.plan_id")` (an
    event of a batch, by index), `line 4.summary` gives `("line 4", "summary")`; the rest is
    None if nothing follows."""
    first, dot, rest = path.partition(".")
    index = first.isascii() and first.isdigit()
    return int(first) if index else first, rest if dot else None
