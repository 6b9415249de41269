"""Printable HTML pages: a chronology and a review, every value escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from api.formats.tables import (
    entry_flags,
    foresight_groups,
    headline,
    oversight_view_in_words,
    when_shown,
    would_join,
)
from events.timepoints import format_local
from projections.fold import ChronologyEntry
from replay.foresight import ForesightEntry, ForesightView
from replay.review_view import ReviewView

GROUP_TITLES = {
    "known_to_decider": "Known to the decider",
    "held_elsewhere": "Held elsewhere",
    "learned_later": "Learned later",
    "order_uncertain": "Order uncertain (a date-only side on the decision's day)",
}


def _if_first(item: ForesightEntry) -> str:
    group = would_join(item)
    return f" (if it came first: {_e(GROUP_TITLES[group].lower())})" if group else ""


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


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _oversight_html(decision: ForesightView, as_known_at: str | None) -> str:
    """The managers' oversight of a decision: the view in words, reasons, next steps, who and
    when, as known at the review's date `as_known_at` (None: now)."""
    title = f"<h4>Management oversight of this decision ({len(decision.oversight)})</h4>"
    if not decision.oversight:
        return title + (
            f"<p>No manager had recorded oversight of this decision by {_e(as_known_at)}.</p>"
            if as_known_at
            else "<p>No manager has recorded oversight of this decision.</p>"
        )
    items = []
    for item in decision.oversight:
        reasons = item.data.get("reasons")
        next_steps = item.data.get("next_steps")
        items.append(
            f"<li><strong>{_e(oversight_view_in_words(item))}</strong>"
            + (f". Reasons: {_e(reasons)}" if reasons else "")
            + (f". Next steps: {_e(next_steps)}" if next_steps else "")
            + f". Recorded by {_e(item.recorded_by)}, {_e(item.agency)}, {_e(when_shown(item))}"
            f" (known {_e(format_local(item.known_at))}).</li>"
        )
    return title + "<ul>" + "".join(items) + "</ul>"


def review_html(view: ReviewView) -> str:
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
            for group, items in foresight_groups(decision):
                title = GROUP_TITLES[group]
                parts.append(
                    f"<h4>{title} ({len(items)})</h4><ul>"
                    + "".join(
                        f"<li>{_e(when_shown(item.entry))} · {_e(item.entry.agency)} · "
                        f"{_e(headline(item.entry))}"
                        f"{' (changed later)' if item.changed_later else ''}"
                        f"{_if_first(item)}</li>"
                        for item in items
                    )
                    + "</ul>"
                )
            parts.append(_oversight_html(decision, view.case_as_known_at))
    parts.append(
        "<h2>Findings</h2><ol>"
        + "".join(
            f"<li>{_e(finding['text'])}<br>"
            f"<small>{_e(', '.join(finding['factors'] + finding['tags']))}</small></li>"
            for finding in view.findings
        )
        + "</ol>"
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(view.title)}</title><style>body{{font:11pt/1.4 Georgia,serif;"
        "margin:2em}}h4{{margin:.4em 0}}</style></head><body>" + "".join(parts) + "</body></html>"
    )
