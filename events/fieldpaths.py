"""How a refusal names a field: the one place that writes (and reads back) a field's path."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A path that starts at an event of a batch: `[3]`, then its field after a dot.
_LEADING_INDEX = re.compile(r"\[(\d+)\]\.?")


def field_path(*parts: str | int) -> str:
    """A field's path from its parts: names after dots, list and batch indices in brackets.

    Nothing stands before the first name, so an empty prefix (a lone event, not one of a
    batch) leaves no trace: `field_path("", "data")` is `data`; `field_path(3, "data",
    "event_ids", 0)` is `[3].data.event_ids[0]`; `field_path("line 4", "summary")` is
    `line 4.summary`.
    """
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = part
    return path


def location_path(location: Iterable[str | int], prefix: str = "") -> str:
    """Where pydantic locates an error (`("subjects", 0)`), as a path under a prefix.

    pydantic's list indices stay as it writes them, after a dot (`subjects.0`). An empty
    location is the prefix itself: the error is about the whole value there.
    """
    path = ".".join(str(part) for part in location)
    return field_path(prefix, path) if path else prefix


def split_first(path: str) -> tuple[str | int, str | None]:
    """A path's first part and the rest: `[3].data.plan_id` gives `(3, "data.plan_id")`,
    `line 4.summary` gives `("line 4", "summary")`; the rest is None if nothing follows."""
    leading = _LEADING_INDEX.match(path)
    if leading is not None:
        return int(leading.group(1)), path[leading.end() :]
    first, dot, rest = path.partition(".")
    return first, rest if dot else None
