"""The recording audit's table shows durations and missing values as a person reads them."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from api.cli.audit import cell_shown, duration_shown


@pytest.mark.parametrize(
    ("days", "shown"),
    [
        (28.0763888887315, "28.1 days"),
        (1056.2, "1056.2 days"),
        (2.96, "3 days"),
        (1.0, "1 day"),
        (0.99999, "1 day"),  # 23 h 59 min is a day, not "24 hours"
        (0.2, "5 hours"),
        (0.0415, "1 hour"),
        (0.01, "14 minutes"),
        (0.0001, "under a minute"),
        (-3.04, "-3 days"),  # recorded before it happened, as a planned meeting is
    ],
)
def test_a_duration_in_days_is_shown_in_days_hours_or_minutes(days: float, shown: str) -> None:
    assert duration_shown(days) == shown


@pytest.mark.parametrize("missing", [None, math.nan, float("nan")])
def test_a_missing_value_is_an_empty_cell(missing: object) -> None:
    assert cell_shown("to_agency", missing) == ""
    assert cell_shown("days_to_record", missing) == ""


def test_other_cells_are_shown_plainly() -> None:
    assert cell_shown("days_to_store", 28.0763888887315) == "28.1 days"
    assert cell_shown("late", True) == "yes"
    assert cell_shown("late", False) == ""
    assert cell_shown("recorded", 3) == "3"
    assert cell_shown("agency", "police") == "police"
    at = datetime(2024, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)
    assert cell_shown("recorded_at", at).startswith("2024-01-15 1")
    assert "." not in cell_shown("recorded_at", at)
