"""Timeliness across every case (one row per interval, a summary per milestone) and rule packs."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ValidationError

from events.timepoints import local_date, utc_now
from replay.queries import CaseQueries
from replay.timeliness import (
    MILESTONE_TYPES,
    RULE_PACKS,
    Interval,
    MilestoneSummary,
    RulePack,
    case_timeliness,
    summarise,
)

INTERVAL_COLUMNS = [
    "case_id",
    "milestone",
    "label",
    "reference",
    "agency",
    "subjects",
    "from_type",
    "from_date",
    "to_type",
    "to_date",
    "status",
    "until",
    "calendar_days",
    "working_days",
    "timescale",
    "timescale_date",
    "note",
    "from_event_id",
    "to_event_id",
]


class TimescalesSettingError(ValueError):
    """FORESIGHT_TIMESCALES names no rule pack, or its file is not a valid one."""


@lru_cache(maxsize=8)
def rule_packs(setting: str) -> tuple[RulePack, dict[str, RulePack]]:
    """The default rule pack and every pack a request may name.

    `setting` (FORESIGHT_TIMESCALES) is `england`, `wales`, or the path of a JSON file holding a
    local pack: `{"name": "leeds", "base": "england", "assessment_working_days": 40}`; the
    local pack is then the default and can be named alongside the national ones.
    """
    if setting in RULE_PACKS:
        return RULE_PACKS[setting], dict(RULE_PACKS)
    path = Path(setting)
    if not path.is_file():
        raise TimescalesSettingError(
            f"FORESIGHT_TIMESCALES={setting!r}: expected {', '.join(RULE_PACKS)} "
            "or the path of a JSON rule pack file"
        )
    try:
        overrides = json.loads(path.read_text(encoding="utf-8"))
        base = RULE_PACKS[overrides.pop("base", "england")]
        local = RulePack.model_validate({**base.model_dump(), "description": "", **overrides})
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        detail = error.errors() if isinstance(error, ValidationError) else error
        raise TimescalesSettingError(f"FORESIGHT_TIMESCALES file {path}: {detail}") from None
    return local, {**RULE_PACKS, local.name: local}


class TimelinessReport(BaseModel):
    """Every interval of every case whose first milestone falls in the period, summarised."""

    as_known_at: datetime | None
    viewed_as: str | None
    on: date
    occurred_from: date | None
    occurred_to: date | None
    rules: RulePack
    cases: int
    summary: list[MilestoneSummary]
    intervals: list[Interval]


def timeliness_report(
    queries: CaseQueries,
    rules: RulePack,
    *,
    as_known_at: datetime | None = None,
    agency: str | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    on: date | None = None,
) -> TimelinessReport:
    """Intervals whose first milestone happened in [`occurred_from`, `occurred_to`], as known at
    `as_known_at` to the record or to `agency`, measured on `on` (default: the as-known-at
    date, or today)."""
    on = on or local_date(as_known_at or utc_now())
    working_days = rules.working_days()
    found: list[Interval] = []
    cases = 0
    for _case_id, entries in queries.chronologies_of_cases_with(
        MILESTONE_TYPES, as_known_at=as_known_at, agency=agency
    ):
        selected = [
            interval
            for interval in case_timeliness(entries, rules, working_days, on).intervals
            if (occurred_from is None or interval.from_date >= occurred_from)
            and (occurred_to is None or interval.from_date <= occurred_to)
        ]
        cases += bool(selected)
        found.extend(selected)
    return TimelinessReport(
        as_known_at=as_known_at,
        viewed_as=agency,
        on=on,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        rules=rules,
        cases=cases,
        summary=summarise(found),
        intervals=found,
    )


def intervals_frame(intervals: list[Interval]) -> pd.DataFrame:
    """One row per interval, in the report's column order."""
    rows = []
    for interval in intervals:
        row = interval.model_dump()
        row["subjects"] = " ".join(row["subjects"])
        for name in ("from_event_id", "to_event_id"):
            row[name] = str(row[name]) if row[name] is not None else None
        rows.append({column: row[column] for column in INTERVAL_COLUMNS})
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)


def summary_frame(summary: list[MilestoneSummary]) -> pd.DataFrame:
    """One row per milestone."""
    columns = list(MilestoneSummary.model_fields)
    return pd.DataFrame([item.model_dump() for item in summary], columns=columns)


def rules_frame(rules: RulePack) -> pd.DataFrame:
    """The rule pack as setting and value rows, to travel with a report."""
    return pd.DataFrame(
        [{"setting": name, "value": value} for name, value in rules.model_dump().items()]
    )
