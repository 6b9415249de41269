"""Reading events from a JSON or JSON Lines file, with every bad line named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event
from events.fieldpaths import split_first


@dataclass(frozen=True)
class EventSource:
    """Where one event came from in a file: its label in messages."""

    label: str
    raw: Any


class _UnreadableJSON(ValueError):
    """Text that `json` cannot turn into values: not JSON, or too deep or too large to read."""

    def __init__(self, line: int, reason: str, *, malformed: bool = False):
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.malformed = malformed  # not JSON at all (as opposed to JSON refused)


def _load(text: str, first_line: int = 1) -> Any:
    """One JSON value; nesting beyond Python's recursion limit and integers longer than
    Python converts are refused like malformed JSON, not raised as crashes."""
    try:
        return json.loads(text, object_pairs_hook=_object_without_repeated_keys)
    except json.JSONDecodeError as error:
        raise _UnreadableJSON(
            first_line + error.lineno - 1, f"not valid JSON: {error.msg}", malformed=True
        ) from None
    except RecursionError:
        raise _UnreadableJSON(first_line, "not readable: JSON nested too deeply") from None
    except ValueError as error:
        reason = str(error)
        if "integer string conversion" in reason:  # more digits than Python converts
            reason = "a number has too many digits"
        raise _UnreadableJSON(first_line, f"not readable: {reason}") from None


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice would silently keep only the last value: refuse it instead."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key!r} is given more than once in one object")
        found[key] = value
    return found


def split_events(text: str) -> list[EventSource]:
    """A JSON object, a JSON array of objects, or JSON Lines (one object per line)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidEventError([FieldError("file", "is empty")])
    if stripped.startswith("["):
        try:
            items = _load(stripped)
        except _UnreadableJSON as error:
            raise InvalidEventError([FieldError(f"line {error.line}", error.reason)]) from None
        return [EventSource(f"item {index + 1}", item) for index, item in enumerate(items)]
    try:
        return [EventSource("line 1", _load(stripped))]
    except _UnreadableJSON as error:
        if not error.malformed:  # JSON, but too deep or with a repeated key: say so
            raise InvalidEventError([FieldError(f"line {error.line}", error.reason)]) from None
    sources, errors = [], []
    # JSON Lines end lines with \n only: U+2028, form feeds and the like may stand in a string.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            sources.append(EventSource(f"line {number}", _load(line, number)))
        except _UnreadableJSON as error:
            errors.append(FieldError(f"line {number}", error.reason))
    if errors:
        raise InvalidEventError(errors)
    return sources


def parse_events(sources: list[EventSource]) -> list[EventEnvelope]:
    """Validate every event; raise with all the bad fields of all the bad lines."""
    envelopes: list[EventEnvelope] = []
    errors: list[FieldError] = []
    for source in sources:
        try:
            envelopes.append(parse_event(source.raw, prefix=source.label))
        except InvalidEventError as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidEventError(errors)
    return envelopes


_FILE_LABEL = re.compile(r"(?:line|item) \d+")


def relabel(field: str, sources: list[EventSource]) -> str:
    """Name a field by where it is in the file: `line 4: data.plan_id`.

    The service names an event of a batch by its index (`3.data.plan_id`); parsing
    names it by its file label (`line 4.data.plan_id`).
    """
    first, rest = split_first(field)
    if isinstance(first, int):
        if first < len(sources):
            return f"{sources[first].label}: {rest or ''}"
    elif rest is not None and _FILE_LABEL.fullmatch(first):
        return f"{first}: {rest}"
    return field
