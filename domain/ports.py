"""What the write side needs from storage beyond the library's event store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple, Protocol, runtime_checkable


class Located(NamedTuple):
    """Where one event sits in the store."""

    event_id: str
    case_id: str
    version: int
    position: int


@runtime_checkable
class EventIndex(Protocol):
    """Where events sit in the store; kept by the recorder in the append transaction."""

    def locate(self, event_ids: Iterable[str]) -> Mapping[str, Located]: ...

    def case_positions(self, case_id: str) -> Mapping[int, int]: ...

    def case_ids(self) -> list[str]: ...
