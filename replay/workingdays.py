"""Working days in England and Wales (or another jurisdiction the `holidays` package knows)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _bank_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


class WorkingDays:
    """Weekdays that are not bank holidays; "N working days after D" does not count D."""

    def __init__(self, country: str = "GB", subdivision: str | None = "ENG"):
        self.bank_holidays = _bank_holidays(country, subdivision)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays

    def add(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (SPEC: 2024-12-18 + 15 = 2025-01-13)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
        if end < start:
            return -self.between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )
