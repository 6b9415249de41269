"""Chronologies, reviews and audit tables as files: CSV, XLSX, Parquet and JSON."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd

from api.formats.statutory_headlines import statutory_headline
from events.timepoints import format_local
from projections.fold import ChronologyEntry
from replay.foresight import ForesightEntry, ForesightView, OrderUncertainEntry
from replay.review_view import ReviewView

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "html": "text/html; charset=utf-8",
}

CHRONOLOGY_COLUMNS = (
    "occurred_at",
    "date_uncertain",
    "type",
    "agency",
    "recorded_by",
    "subjects",
    "significance",
    "summary",
    "impact",
    "action",
    "corrected",
    "retracted",
    "known_at",
    "recorded_at",
    "event_id",
    "position",
)


def headline(entry: ChronologyEntry) -> str:
    """One line saying what an entry is, for tables and pages."""
    if entry.summary:
        return entry.summary
    data = entry.data
    if entry.type == "person_added":
        return f"{data.get('name') or data['person_id']} ({data['role']}) added to the case"
    if entry.type in ("worker_allocated", "worker_unallocated"):
        held_as = ", ".join(str(data[name]) for name in ("role", "team") if data.get(name))
        verb = "allocated to" if entry.type == "worker_allocated" else "no longer allocated to"
        return f"{data['worker']}{f' ({held_as})' if held_as else ''} {verb} the case"
    if entry.type == "oversight_recorded":
        of = "a decision" if data.get("target_event_id") else "the case"
        view = str(data["view"]).replace("_", " ")
        reasons = f": {data['reasons']}" if data.get("reasons") else ""
        return f"Management oversight of {of}: {view}{reasons}"
    statutory = statutory_headline(entry)
    if statutory is not None:
        return statutory
    return str(data.get("words") or data.get("decision") or data.get("description") or "")


def entry_flags(entry: ChronologyEntry) -> list[str]:
    """What a reader must notice about an entry besides its content."""
    flags = []
    if entry.corrected:
        flags.append("corrected")
    if entry.retracted:
        flags.append("retracted")
    if entry.recorded_while_closed:
        flags.append("recorded after closure")
    return flags


def when_shown(entry: ChronologyEntry) -> str:
    """When it happened, for people; an approximate date carries a question mark."""
    return format_local(entry.occurred_at) + ("?" if entry.date_uncertain else "")


def chronology_frame(entries: Sequence[ChronologyEntry]) -> pd.DataFrame:
    """A chronology as a table, one row per entry, in order."""
    rows = []
    for entry in entries:
        row = entry.model_dump(mode="json")
        row["subjects"] = " ".join(row["subjects"])
        rows.append({column: row[column] for column in CHRONOLOGY_COLUMNS})
    return pd.DataFrame(rows, columns=list(CHRONOLOGY_COLUMNS))


def frame_bytes(frame: pd.DataFrame, output_format: str, sheet: str = "data") -> bytes:
    """A table as CSV, XLSX, Parquet or JSON (records)."""
    if output_format == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if output_format == "json":
        return frame.to_json(orient="records", date_format="iso").encode("utf-8")
    buffer = io.BytesIO()
    if output_format == "xlsx":
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            _excel_safe(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    elif output_format == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        raise ValueError(f"unknown format {output_format!r}")
    return buffer.getvalue()


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones, and a cell starting '=' would run as a formula."""
    safe = frame.copy()
    for column in safe.columns:
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_convert("UTC").dt.tz_localize(None)
        elif safe[column].dtype == object:
            safe[column] = safe[column].map(
                lambda value: (
                    "'" + value if isinstance(value, str) and value[:1] in "=+-@" else value
                )
            )
    return safe


def foresight_groups(decision: ForesightView) -> tuple[tuple[str, list[ForesightEntry]], ...]:
    """A decision's four foresight groups, each with its name, in the order a panel reads them."""
    uncertain: list[ForesightEntry] = list(decision.order_uncertain)
    return (
        ("known_to_decider", decision.known_to_decider),
        ("held_elsewhere", decision.held_elsewhere),
        ("learned_later", decision.learned_later),
        ("order_uncertain", uncertain),
    )


# A manager's view of a decision, in words (as the web page says it, describe.js).
OVERSIGHT_VIEW_WORDS = {
    "agree": "Agree",
    "disagree": "Disagree",
    "agree_with_changes": "Agree with changes",
}


def oversight_view_in_words(entry: ChronologyEntry) -> str:
    """An oversight's view: "Agree with changes"."""
    view = str(entry.data.get("view") or "")
    return OVERSIGHT_VIEW_WORDS.get(view, view.replace("_", " "))


def would_join(item: ForesightEntry) -> str | None:
    """For an entry of uncertain order, the group it would join if it came first."""
    return item.would_join if isinstance(item, OrderUncertainEntry) else None


OVERSIGHT_COLUMNS = (
    "episode",
    "decision",
    "view",
    "reasons",
    "next_steps",
    "recorded_by",
    "agency",
    "when",
    "known_at",
)


def review_frames(view: ReviewView) -> dict[str, pd.DataFrame]:
    """A review as tables for the panel: episodes, findings, every foresight group entry, and
    the managers' oversight of each decision (as known at the review's date)."""
    episodes = pd.DataFrame(
        [
            {
                "episode": e.episode_id,
                "title": e.title,
                "starts": e.starts,
                "ends": e.ends,
                "summary": e.summary,
                "entries": len(e.entries),
                "decisions": len(e.decisions),
                "selected_by": e.selected_by,
            }
            for e in view.episodes
        ],
        columns=[
            "episode",
            "title",
            "starts",
            "ends",
            "summary",
            "entries",
            "decisions",
            "selected_by",
        ],
    )
    findings = pd.DataFrame(
        [
            {
                "finding": f["finding_id"],
                "episode": f.get("episode_id"),
                "text": f["text"],
                "factors": ", ".join(f["factors"]),
                "tags": ", ".join(f["tags"]),
                "event_ids": " ".join(f["event_ids"]),
                "recorded_by": f["recorded_by"],
            }
            for f in view.findings
        ],
        columns=["finding", "episode", "text", "factors", "tags", "event_ids", "recorded_by"],
    )
    groups = []
    for episode in view.episodes:
        for decision in episode.decisions:
            for group, items in foresight_groups(decision):
                for item in items:
                    groups.append(
                        {
                            "episode": episode.episode_id,
                            "decision": headline(decision.decision),
                            "group": group.replace("_", " "),
                            "when": when_shown(item.entry),
                            "agency": item.entry.agency,
                            "entry": headline(item.entry),
                            "changed_later": item.changed_later,
                            "retracted_later": item.retracted_later,
                            "would_join_if_first": (would_join(item) or "").replace("_", " "),
                        }
                    )
    foresight = pd.DataFrame(
        groups,
        columns=[
            "episode",
            "decision",
            "group",
            "when",
            "agency",
            "entry",
            "changed_later",
            "retracted_later",
            "would_join_if_first",
        ],
    )
    oversight = pd.DataFrame(
        [
            {
                "episode": episode.episode_id,
                "decision": headline(decision.decision),
                "view": oversight_view_in_words(item),
                "reasons": item.data.get("reasons"),
                "next_steps": item.data.get("next_steps"),
                "recorded_by": item.recorded_by,
                "agency": item.agency,
                "when": when_shown(item),
                "known_at": format_local(item.known_at),
            }
            for episode in view.episodes
            for decision in episode.decisions
            for item in decision.oversight
        ],
        columns=list(OVERSIGHT_COLUMNS),
    )
    return {
        "episodes": episodes,
        "findings": findings,
        "foresight": foresight,
        "oversight": oversight,
    }


def workbook_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """Several tables as the sheets of one XLSX workbook."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            _excel_safe(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
