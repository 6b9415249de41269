"""Reading events from a JSON or JSON Lines file, with every bad line named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event


@dataclass(frozen=True)
class EventSource:
    """Where one event came from in a file: its label in messages."""

    label: str
    raw: Any


def split_events(text: str) -> list[EventSource]:
    """A JSON object, a JSON array of objects, or JSON Lines (one object per line)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidEventError([FieldError("file", "is empty")])
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InvalidEventError(
                [FieldError(f"line {error.lineno}", f"not valid JSON: {error.msg}")]
            ) from None
        return [EventSource(f"item {index + 1}", item) for index, item in enumerate(items)]
    try:
        return [EventSource("line 1", json.loads(stripped))]
    except json.JSONDecodeError:
        pass
    sources, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            sources.append(EventSource(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as error:
            errors.append(FieldError(f"line {number}", f"not valid JSON: {error.msg}"))
    if errors:
        raise InvalidEventError(errors)
    return sources


def parse_events(sources: list[EventSource]) -> list[EventEnvelope]:
    """Validate every event; raise with all the bad fields of all the bad lines."""
    envelopes, errors = [], []
    for source in sources:
        try:
            envelopes.append(parse_event(source.raw, prefix=source.label))
        except InvalidEventError as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidEventError(errors)
    return envelopes


_BATCH_INDEX = re.compile(r"^\[(\d+)\]\.?")
_FILE_LABEL = re.compile(r"^((?:line|item) \d+)\.")


def relabel(field: str, sources: list[EventSource]) -> str:
    """Name a field by where it is in the file: `line 4: data.plan_id`.

    The service names an event of a batch by its index (`[3].data.plan_id`); parsing
    names it by its file label (`line 4.data.plan_id`).
    """
    match = _BATCH_INDEX.match(field)
    if match and int(match.group(1)) < len(sources):
        return f"{sources[int(match.group(1))].label}: {field[match.end():]}"
    return _FILE_LABEL.sub(r"\1: ", field)
