"""Working-day arithmetic against known England and Wales bank holidays."""

from __future__ import annotations

from datetime import date

from replay.workingdays import WorkingDays

ENGLAND = WorkingDays()


def test_the_spec_example_lands_on_13_january_2025() -> None:
    """15 working days after 18 December 2024 skip Christmas, Boxing Day and New Year's Day."""
    assert ENGLAND.add(date(2024, 12, 18), 15) == date(2025, 1, 13)


def test_easter_2024_bank_holidays_are_not_working_days() -> None:
    """Good Friday (29 March) and Easter Monday (1 April) 2024 are skipped."""
    assert not ENGLAND.is_working_day(date(2024, 3, 29))
    assert not ENGLAND.is_working_day(date(2024, 4, 1))
    assert ENGLAND.add(date(2024, 3, 28), 1) == date(2024, 4, 2)
    assert ENGLAND.between(date(2024, 3, 28), date(2024, 4, 2)) == 1


def test_weekends_do_not_count_and_the_start_day_is_not_counted() -> None:
    """Friday to the next Friday is five working days; the same day is zero."""
    assert ENGLAND.between(date(2024, 6, 7), date(2024, 6, 14)) == 5
    assert ENGLAND.between(date(2024, 6, 7), date(2024, 6, 7)) == 0
    assert ENGLAND.between(date(2024, 6, 14), date(2024, 6, 7)) == -5


def test_christmas_2024_leaves_three_working_days_in_its_week() -> None:
    """25 and 26 December 2024 are bank holidays (Wednesday, Thursday)."""
    assert ENGLAND.between(date(2024, 12, 22), date(2024, 12, 29)) == 3


def test_45_working_days_from_a_referral_across_easter() -> None:
    """A single assessment's 45 working days from 1 March 2024 end on 8 May 2024 (Easter and
    the early May bank holiday on 6 May skipped)."""
    assert ENGLAND.add(date(2024, 3, 1), 45) == date(2024, 5, 8)
