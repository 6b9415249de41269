"""Chronologies and audit tables as files: CSV, XLSX, Parquet, JSON, and a printable HTML page."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from events.timepoints import format_local
from projections.fold import ChronologyEntry

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


def chronology_html(
    title: str,
    entries: Sequence[ChronologyEntry],
    *,
    as_known_at: datetime | None,
    viewed_as: str | None,
    generated_at: datetime,
) -> str:
    """A printable chronology for a conference or court bundle; every value is escaped."""
    known = format_local(as_known_at) if as_known_at else "now"
    rows = []
    for entry in entries:
        summary = _e(headline(entry))
        if entry.type == "child_voice_recorded" and entry.data.get("words"):
            summary += f"<blockquote>&ldquo;{_e(entry.data['words'])}&rdquo;</blockquote>"
        if entry.impact:
            summary += f"<div class=impact>Impact: {_e(entry.impact)}</div>"
        if entry.action:
            summary += f"<div class=action>Action: {_e(entry.action)}</div>"
        cells = [
            _e(when_shown(entry)),
            _e(entry.agency),
            _e(entry.type.replace("_", " ")),
            _e(entry.significance),
            summary,
            _e(", ".join(entry_flags(entry))),
        ]
        rows.append(
            f"<tr class='{_e(entry.significance)}'>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(title)}</title>
<style>
body {{ font: 11pt/1.4 Georgia, serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }}
th {{ background: #eee; }}
tr.key td {{ font-weight: bold; }}
blockquote {{ margin: 4px 0; font-style: italic; }}
@media print {{ thead {{ display: table-header-group; }} tr {{ page-break-inside: avoid; }} }}
</style></head><body>
<h1>{_e(title)}</h1>
<p>As known at {_e(known)}{" to " + _e(viewed_as) if viewed_as else " (whole record)"}.
Generated {_e(format_local(generated_at))}. {len(entries)} entries.</p>
<table><thead><tr><th>When</th><th>Agency</th><th>What</th><th>Significance</th>
<th>Summary</th><th>Notes</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def review_frames(view: Any) -> dict[str, pd.DataFrame]:
    """A review as tables for the panel: episodes, findings, and every foresight group entry."""
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
            for group in ("known_to_decider", "held_elsewhere", "learned_later"):
                for item in getattr(decision, group):
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
        ],
    )
    return {"episodes": episodes, "findings": findings, "foresight": foresight}


def workbook_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """Several tables as the sheets of one XLSX workbook."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            _excel_safe(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def review_html(view: Any) -> str:
    """A printable review for the panel; every value escaped."""
    parts = [
        f"<h1>{_e(view.title)}</h1>",
        f"<p>Review {_e(view.review_id)} of case {_e(view.case_id)}, opened by "
        f"{_e(view.opened_by)}; the case as known at "
        f"{_e(view.case_as_known_at or 'the time of reading')}.</p>",
    ]
    for episode in view.episodes:
        parts.append(
            f"<h2>{_e(episode.episode_id)}. {_e(episode.title)}</h2>"
            f"<p>{_e(episode.starts)} to {_e(episode.ends)}. {_e(episode.summary or '')}</p>"
        )
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{_e(when_shown(entry))} · {_e(entry.agency)} · {_e(headline(entry))}</li>"
                for entry in episode.entries
            )
            + "</ul>"
        )
        for decision in episode.decisions:
            parts.append(f"<h3>Decision: {_e(headline(decision.decision))}</h3>")
            for group, title in (
                ("known_to_decider", "Known to the decider"),
                ("held_elsewhere", "Held elsewhere"),
                ("learned_later", "Learned later"),
            ):
                items = getattr(decision, group)
                parts.append(
                    f"<h4>{title} ({len(items)})</h4><ul>"
                    + "".join(
                        f"<li>{_e(when_shown(item.entry))} · {_e(item.entry.agency)} · "
                        f"{_e(headline(item.entry))}"
                        f"{' (changed later)' if item.changed_later else ''}</li>"
                        for item in items
                    )
                    + "</ul>"
                )
    parts.append(
        "<h2>Findings</h2><ol>"
        + "".join(
            f"<li>{_e(finding['text'])}<br><small>{_e(', '.join(finding['factors'] + finding['tags']))}"
            f"</small></li>"
            for finding in view.findings
        )
        + "</ol>"
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(view.title)}</title><style>body{{font:11pt/1.4 Georgia,serif;"
        "margin:2em}}h4{{margin:.4em 0}}</style></head><body>" + "".join(parts) + "</body></html>"
    )
