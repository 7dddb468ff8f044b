"""Working days and months at the edges: Christmas, Easter, leap years, month ends.

Every expected date here was worked out by hand from the published England & Wales bank
holidays, not computed by the code under test.
"""

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.working_days import (
    WorkingDayCalendar,
    add_calendar_days,
    add_calendar_months,
    nth_weekday_of_month,
)

wd = WorkingDayCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # DOMAIN.md's worked example: Friday 18 Dec 2026; 25 Dec, 28 Dec (Boxing Day
        # substitute) and 1 Jan are bank holidays.
        (date(2026, 12, 18), 15, date(2027, 1, 13)),
        # Christmas 2027 falls on a Saturday: substitutes Mon 27 and Tue 28 Dec.
        (date(2027, 12, 23), 1, date(2027, 12, 24)),
        (date(2027, 12, 24), 1, date(2027, 12, 29)),
        (date(2027, 12, 17), 15, date(2028, 1, 12)),
        # New Year 2028 is a Saturday: Monday 3 January is the substitute.
        (date(2027, 12, 31), 1, date(2028, 1, 4)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (date(2027, 3, 24), 5, date(2027, 4, 2)),
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        # Easter 2028: Good Friday 14 April, Easter Monday 17 April.
        (date(2028, 4, 10), 15, date(2028, 5, 4)),  # and the early May bank holiday, 1 May
        # Clock starting on a Saturday: the first working day is Monday.
        (date(2027, 1, 16), 1, date(2027, 1, 18)),
        (date(2027, 1, 16), 5, date(2027, 1, 22)),
        # Clock starting on a bank holiday (Easter Monday 2027).
        (date(2027, 3, 29), 1, date(2027, 3, 30)),
        # Clock starting on Christmas Day 2026 (a Friday).
        (date(2026, 12, 25), 5, date(2027, 1, 5)),
        # Leap day 2028 is a Tuesday, an ordinary working day.
        (date(2028, 2, 28), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 1, date(2028, 3, 1)),
        # Early May (3 May 2027) and spring (31 May 2027) bank holidays.
        (date(2027, 4, 30), 1, date(2027, 5, 4)),
        (date(2027, 5, 28), 1, date(2027, 6, 1)),
        # Day 0 is the start day itself.
        (date(2027, 1, 13), 0, date(2027, 1, 13)),
        # Counting back.
        (date(2027, 1, 13), -15, date(2026, 12, 18)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert wd.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 25), False), (date(2026, 12, 26), False), (date(2026, 12, 28), False),
        (date(2026, 12, 29), True), (date(2027, 1, 1), False), (date(2027, 3, 26), False),
        (date(2027, 3, 29), False), (date(2027, 8, 30), False), (date(2028, 2, 29), True),
        (date(2023, 5, 8), False),  # the coronation, a one-off bank holiday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert wd.is_working_day(day) is working


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2027, 5, date(2027, 5, 28)),   # 31 May 2027 is the spring bank holiday
        (2026, 8, date(2026, 8, 28)),   # 31 Aug 2026 is the summer bank holiday
        (2027, 1, date(2027, 1, 29)),   # 31 Jan 2027 is a Sunday
        (2026, 12, date(2026, 12, 31)),
        (2028, 2, date(2028, 2, 29)),   # leap year
        (2027, 2, date(2027, 2, 26)),   # 28 Feb 2027 is a Sunday
        (2029, 3, date(2029, 3, 29)),   # 30 March 2029 is Good Friday, 31st a Saturday
        (2027, 10, date(2027, 10, 29)), # 31 Oct 2027 is a Sunday (and the clocks change)
    ],
)
def test_last_working_day_of_month(year: int, month: int, expected: date) -> None:
    assert wd.last_working_day_of_month(year, month) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 8, 31), 6, date(2028, 2, 29)),   # DOMAIN.md: clamps to leap day
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 3, 31), 6, date(2027, 9, 30)),
        (date(2027, 7, 15), 6, date(2028, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2027, 10, 31), 4, date(2028, 2, 29)),
    ],
)
def test_add_calendar_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected


def test_add_calendar_days_crosses_leap_day() -> None:
    assert add_calendar_days(date(2028, 2, 28), 2) == date(2028, 3, 1)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert wd.working_days_between(date(2026, 12, 18), date(2027, 1, 13)) == 15
    assert wd.working_days_between(date(2027, 1, 13), date(2027, 1, 13)) == 0


@pytest.mark.parametrize(
    ("year", "month", "weekday", "nth", "expected"),
    [(2027, 5, 1, 2, date(2027, 5, 11)), (2027, 9, 2, 1, date(2027, 9, 1)), (2028, 2, 1, -1, date(2028, 2, 29)),
     (2027, 11, 3, 1, date(2027, 11, 4))],
)
def test_nth_weekday_of_month(year: int, month: int, weekday: int, nth: int, expected: date) -> None:
    assert nth_weekday_of_month(year, month, weekday, nth) == expected


@pytest.mark.parametrize("subdivision", ["ENG", "SCT", "NIR"])
@settings(max_examples=400, deadline=None)
@given(start=st.dates(date(1990, 1, 1), date(2060, 12, 31)), length=st.integers(-30, 9000))
def test_working_days_between_is_the_holidays_library_s_count_day_by_day(subdivision: str, start: date, length: int) -> None:
    """The count done with arithmetic (weekdays less the weekday bank holidays in the
    range) is holidays' own count of every day after ``start`` up to ``end``, over
    ranges of up to about 25 years in any order of first use, on every UK calendar."""
    calendar = WorkingDayCalendar(subdivision=subdivision)
    end = start + timedelta(days=length)
    expected = holidays.country_holidays("GB", subdiv=subdivision).get_working_days_count(start + timedelta(days=1), end) if end > start else 0
    assert calendar.working_days_between(start, end) == expected


def test_working_days_between_a_range_reaching_into_years_not_yet_looked_up() -> None:
    """Christmas 2095 and New Year 2096 (years no other test reaches): a year first
    looked up by a later count has its holidays counted. Christmas Day 2095 is a Sunday:
    Boxing Day is Monday 26th and Christmas's substitute Tuesday 27th; New Year's Day
    2096 is a Sunday, its substitute Monday 2 January."""
    calendar = WorkingDayCalendar()
    # 2 to 31 December: 21 weekdays, less the 26th and 27th.
    assert calendar.working_days_between(date(2095, 12, 1), date(2095, 12, 31)) == 19
    # 23 December to 3 January: 8 weekdays, less the 26th, the 27th and 2 January.
    assert calendar.working_days_between(date(2095, 12, 22), date(2096, 1, 3)) == 5
