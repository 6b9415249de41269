"""Audit queries with pandas: who recorded, corrected, retracted, shared or viewed what, when."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine

from api.access_log import access_log
from projections import tables

ACTIONS = {
    "entry_corrected": "corrected",
    "entry_retracted": "retracted",
    "information_shared": "shared",
    "marked_significant": "marked",
}
RECORDING_COLUMNS = [
    "position",
    "recorded_at",
    "known_at",
    "occurred_at",
    "days_to_record",
    "days_to_store",
    "late",
    "case_id",
    "event_id",
    "type",
    "action",
    "agency",
    "recorded_by",
    "target_event_id",
    "to_agency",
]


def recording_audit(
    engine: Engine,
    *,
    case_id: str | None = None,
    person_id: str | None = None,
    agency: str | None = None,
    recorded_by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    late_after_days: float = 7.0,
    late_only: bool = False,
) -> pd.DataFrame:
    """One row per stored event: who recorded it, what it did, and how late it was recorded.

    `days_to_record` is from when it happened to when the agency recorded it (`known_at`);
    `days_to_store` is to when this store recorded it (`recorded_at`). `late` uses the first.
    `person_id` keeps the events naming that person as a subject (or adding them).
    """
    stored = tables.events
    query = select(
        stored.c.position,
        stored.c.recorded_at,
        stored.c.known_at,
        stored.c.occurred_sort,
        stored.c.case_id,
        stored.c.event_id,
        stored.c.type,
        stored.c.agency,
        stored.c.target_event_id,
        stored.c.occurred_at,
        stored.c.recorded_by,
        stored.c.to_agency,
    )
    if case_id:
        query = query.where(stored.c.case_id == case_id)
    if person_id:
        # `people` holds each id between spaces (projections.caseviews.named_people).
        query = query.where(stored.c.people.contains(f" {person_id} ", autoescape=True))
    if agency:
        query = query.where(stored.c.agency == agency.lower())
    if since:
        query = query.where(stored.c.recorded_at > since)
    if until:
        query = query.where(stored.c.recorded_at <= until)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(stored.c.position)).all()
    records = []
    for row in rows:
        records.append(
            {
                "position": row.position,
                "recorded_at": row.recorded_at,
                "known_at": row.known_at,
                "occurred_at": row.occurred_at,
                "days_to_record": (row.known_at - row.occurred_sort) / timedelta(days=1),
                "days_to_store": (row.recorded_at - row.occurred_sort) / timedelta(days=1),
                "case_id": row.case_id,
                "event_id": row.event_id,
                "type": row.type,
                "action": ACTIONS.get(row.type, "recorded"),
                "agency": row.agency,
                "recorded_by": row.recorded_by,
                "target_event_id": row.target_event_id,
                "to_agency": row.to_agency,
            }
        )
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in RECORDING_COLUMNS if c != "late"]
    )
    frame.insert(
        RECORDING_COLUMNS.index("late"),
        "late",
        frame["days_to_record"] > late_after_days if len(frame) else pd.Series(dtype=bool),
    )
    if recorded_by:
        frame = frame[frame["recorded_by"] == recorded_by]
    if late_only:
        frame = frame[frame["late"]]
    return frame.reset_index(drop=True)


def a_page(frame: pd.DataFrame, limit: int | None, offset: int) -> pd.DataFrame:
    """Rows `offset` to `offset + limit` of an audit table (all from `offset` without limit)."""
    end = None if limit is None else offset + limit
    return frame.iloc[offset:end].reset_index(drop=True)


def access_audit(
    engine: Engine,
    *,
    case_id: str | None = None,
    person_id: str | None = None,
    user: str | None = None,
    agency: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Every read of case data: who, in what role and agency, which case or person, as known
    when; `limit` and `offset` page through it in the order the reads were made."""
    query = select(access_log).where(
        *_access_filters(case_id, person_id, user, agency, since, until)
    )
    query = query.order_by(access_log.c.access_id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        [dict(row._mapping) for row in rows],
        columns=[column.name for column in access_log.columns],
    )


def access_count(
    engine: Engine,
    *,
    case_id: str | None = None,
    person_id: str | None = None,
    user: str | None = None,
    agency: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """How many reads the same filters select (the total a page is part of)."""
    query = select(func.count()).select_from(access_log)
    query = query.where(*_access_filters(case_id, person_id, user, agency, since, until))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _access_filters(
    case_id: str | None,
    person_id: str | None,
    user: str | None,
    agency: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    log = access_log
    conditions: list[ColumnElement[bool]] = []
    if case_id:
        conditions.append(log.c.case_id == case_id)
    if person_id:
        conditions.append(log.c.person_id == person_id)
    if user:
        conditions.append(log.c.user == user)
    if agency:
        conditions.append(log.c.agency == agency.lower())
    if since:
        conditions.append(log.c.at > since)
    if until:
        conditions.append(log.c.at <= until)
    return conditions


def actions_per_agency(recording: pd.DataFrame) -> pd.DataFrame:
    """How many entries each agency recorded, corrected, retracted, shared and marked, and how
    many were late: a table to read beside the rows, not a score."""
    actions = ["recorded", "corrected", "retracted", "shared", "marked"]
    if recording.empty:
        return pd.DataFrame(columns=["agency", *actions, "late"])
    counts = pd.crosstab(recording["agency"], recording["action"]).reindex(
        columns=actions, fill_value=0
    )
    counts["late"] = recording.groupby("agency")["late"].sum().astype(int)
    return counts.reset_index().rename_axis(None, axis=1)
