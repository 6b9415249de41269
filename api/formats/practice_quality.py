"""Practice quality across every case as tables: one row per case, and the totals."""

from __future__ import annotations

import pandas as pd

from replay.practice_quality import CasePracticeRow, PracticeQualityReport

CASE_COLUMNS = list(CasePracticeRow.model_fields)
TOTAL_COLUMNS = [
    "on",
    "as_known_at",
    "viewed_as",
    "cases",
    "children",
    "children_seen",
    "children_seen_alone",
    "children_with_words_recorded",
    "visits",
    "visits_alone",
    "words_recorded",
    "median_gap_days",
    "longest_gap_days",
    "decisions",
    "decisions_with_oversight",
    "median_days_to_first_oversight",
]


def cases_frame(report: PracticeQualityReport) -> pd.DataFrame:
    """One row per case with a child."""
    return pd.DataFrame([row.model_dump() for row in report.rows], columns=CASE_COLUMNS)


def totals_frame(report: PracticeQualityReport) -> pd.DataFrame:
    """The report's totals in one row, with the date, the knowledge time and the view."""
    values = report.model_dump(mode="json")
    return pd.DataFrame([{column: values[column] for column in TOTAL_COLUMNS}])


def report_sheets(report: PracticeQualityReport) -> dict[str, pd.DataFrame]:
    """The workbook's sheets: the totals, then the cases."""
    return {"totals": totals_frame(report), "cases": cases_frame(report)}
