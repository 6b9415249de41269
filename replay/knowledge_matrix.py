"""The knowledge matrix of a case: what each agency knew at one moment, side by side.

For a chosen moment T (knowledge time), one column per agency: the entries it knew at T (as
they stood to it), and those it held that no other agency knew. For every entry the record
knew at T, when it reached each agency: by its own recording, by being the share addressed to
it, by a share naming it (which one, and from when), or never. How entries travelled is read
as known at a later time A (default now), so a share made after T shows as "reached later".
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import CaseNotFound
from events.recorded import RecordedEvent
from events.timepoints import InstantField
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries

# How an entry reached an agency: recorded by it, the share addressed to it, carried by a share
# that names it, or not at all (as known at the matrix's `as_known_at`).
Route = Literal["recorded", "addressed", "shared", "never"]


class Reach(BaseModel):
    """When and how one entry reached one agency."""

    model_config = ConfigDict(frozen=True)

    agency: str
    route: Route
    known_from: InstantField | None
    share_event_id: UUID | None
    known_at_moment: bool


class MatrixRow(BaseModel):
    """One entry the record knew at the moment, and how it reached each agency."""

    model_config = ConfigDict(frozen=True)

    entry: ChronologyEntry
    reached: list[Reach]


class AgencyColumn(BaseModel):
    """What one agency knew at the moment, and what of that no other agency knew."""

    model_config = ConfigDict(frozen=True)

    agency: str
    knew: list[ChronologyEntry]
    held_alone: list[UUID]


class KnowledgeMatrix(BaseModel):
    """The matrix for one moment."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    at: InstantField
    as_known_at: InstantField | None
    agencies: list[str]
    columns: list[AgencyColumn]
    rows: list[MatrixRow]


def knowledge_matrix(
    queries: CaseQueries, case_id: str, *, at: datetime, as_known_at: datetime | None = None
) -> KnowledgeMatrix:
    """Build the matrix of `case_id` for the moment `at`, with shares as known at
    `as_known_at` (now when None; not before `at`)."""
    if not queries.case_exists(case_id):
        raise CaseNotFound(case_id)
    log = queries.events(case_id, as_known_at=as_known_at)
    agencies = _agencies(log)
    record = queries.chronology(case_id, as_known_at=at)
    knew = {
        agency: queries.chronology(case_id, as_known_at=at, agency=agency) for agency in agencies
    }
    knew_ids = {agency: {entry.event_id for entry in entries} for agency, entries in knew.items()}

    def known_elsewhere(event_id: UUID, agency: str) -> bool:
        return any(event_id in knew_ids[other] for other in agencies if other != agency)

    columns = [
        AgencyColumn(
            agency=agency,
            knew=knew[agency],
            held_alone=[
                entry.event_id
                for entry in knew[agency]
                if not known_elsewhere(entry.event_id, agency)
            ],
        )
        for agency in agencies
    ]
    shares = [event for event in log if event.type == "information_shared"]
    rows = [
        MatrixRow(
            entry=entry,
            reached=[
                _reach(entry, agency, shares, entry.event_id in knew_ids[agency])
                for agency in agencies
            ],
        )
        for entry in record
    ]
    return KnowledgeMatrix(
        case_id=case_id,
        at=at,
        as_known_at=as_known_at,
        agencies=agencies,
        columns=columns,
        rows=rows,
    )


def _agencies(log: list[RecordedEvent]) -> list[str]:
    """Every agency the case's log names: those that recorded, and those shared with."""
    found = {event.agency for event in log}
    found.update(
        str(event.data["to_agency"]) for event in log if event.type == "information_shared"
    )
    return sorted(found)


def _reach(
    entry: ChronologyEntry, agency: str, shares: list[RecordedEvent], known_at_moment: bool
) -> Reach:
    """How `entry` first reached `agency`: a share never makes an entry known before the
    entry itself was recorded (knowledge_times in projections/fold.py says the same)."""
    if entry.agency == agency:
        return Reach(
            agency=agency,
            route="recorded",
            known_from=entry.known_at,
            share_event_id=None,
            known_at_moment=known_at_moment,
        )
    if entry.type == "information_shared" and entry.data.get("to_agency") == agency:
        return Reach(
            agency=agency,
            route="addressed",
            known_from=entry.known_at,
            share_event_id=entry.event_id,
            known_at_moment=known_at_moment,
        )
    carrying = [
        share
        for share in shares
        if share.data["to_agency"] == agency
        and str(entry.event_id) in {str(shared) for shared in share.data["event_ids"]}
    ]
    if not carrying:
        return Reach(
            agency=agency,
            route="never",
            known_from=None,
            share_event_id=None,
            known_at_moment=known_at_moment,
        )
    first = min(carrying, key=lambda share: (share.known_at, share.position))
    return Reach(
        agency=agency,
        route="shared",
        known_from=max(first.known_at, entry.known_at),
        share_event_id=first.event_id,
        known_at_moment=known_at_moment,
    )
