"""Working days, calendar months and the rules that count them.

A working day is a weekday that is not an England & Wales bank holiday. Bank holidays
come from the maintained ``holidays`` package (UK, subdivision ENG), which includes
substitute days (Boxing Day 2026 falls on a Saturday, so Monday 2026-12-28 is off) and
one-off holidays such as state funerals.

Day 0 is the day the clock starts: "within 15 working days" of Friday 2026-12-18 is the
15th working day after it, Wednesday 2027-01-13. A clock that starts on a weekend or a
bank holiday still starts that day; its first working day is the next one.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

import holidays
from dateutil.relativedelta import relativedelta


@lru_cache(maxsize=8)
def _bank_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    # The object fills in years lazily as dates are looked up, so one per region is enough.
    return holidays.country_holidays(country, subdiv=subdivision)


class WorkingDayCalendar:
    """Counts working days for one region (England & Wales by default).

    >>> wd = WorkingDayCalendar()
    >>> wd.add_working_days(date(2026, 12, 18), 15)
    datetime.date(2027, 1, 13)
    >>> wd.is_working_day(date(2026, 12, 28))
    False
    """

    def __init__(self, country: str = "GB", subdivision: str = "ENG") -> None:
        self._holidays = _bank_holidays(country, subdivision)
        # The holidays in order and how many of the first n fall on a weekday, with how
        # many years and dates they were sorted from (one value, so that a thread reads
        # the lists and their key together).
        self._sorted: tuple[tuple[int, int], list[date], list[int]] = ((0, 0), [], [0])

    def _weekday_holidays(self, first: date, last: date) -> int:
        """How many bank holidays from ``first`` to ``last`` (both included) fall on a weekday."""
        holidays_ = self._holidays
        years = range(first.year, last.year + 1)
        if not holidays_.years.issuperset(years):
            for year in years:
                date(year, 1, 1) in holidays_  # noqa: B015 - looking a year up fills it in
        filled = (len(holidays_.years), len(holidays_))
        sorted_for, ordered, on_weekdays = self._sorted
        if sorted_for != filled:  # a year was filled in since the lists were made
            ordered = sorted(holidays_)
            on_weekdays = [0, *accumulate(d.weekday() not in holidays_.weekend for d in ordered)]
            self._sorted = (filled, ordered, on_weekdays)
        return on_weekdays[bisect_right(ordered, last)] - on_weekdays[bisect_left(ordered, first)]

    def is_working_day(self, day: date) -> bool:
        return self._holidays.is_working_day(day)

    def bank_holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (day 0); negative counts go back.

        >>> WorkingDayCalendar().add_working_days(date(2027, 3, 24), 5)  # over Easter 2027
        datetime.date(2027, 4, 2)
        >>> WorkingDayCalendar().add_working_days(date(2027, 1, 13), -15)
        datetime.date(2026, 12, 18)
        """
        if days == 0:
            return start
        return self._holidays.get_nth_working_day(start, days)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start).

        >>> WorkingDayCalendar().working_days_between(date(2026, 12, 18), date(2027, 1, 13))
        15
        """
        if end <= start:
            return 0
        first = start + timedelta(days=1)
        holidays_ = self._holidays
        if type(holidays_)._get_weekend is not holidays.HolidayBase._get_weekend:  # a weekend that moves: count day by day
            return holidays_.get_working_days_count(first, end)
        # The same count as holidays' get_working_days_count, without visiting every day
        # (a task overdue for years is thousands of days): the weekdays in the range, less
        # the bank holidays on weekdays, plus any weekend days worked.
        weekend = holidays_.weekend
        days = (end - first).days + 1
        weeks, rest = divmod(days, 7)
        weekdays = weeks * (7 - len(weekend)) + sum((first.weekday() + i) % 7 not in weekend for i in range(rest))
        # (Counting them fills in the range's years, and with them their weekend workdays.)
        off = self._weekday_holidays(first, end)
        worked = sum(first <= d <= end and d.weekday() in weekend for d in holidays_.weekend_workdays)
        return weekdays - off + worked

    def on_or_before(self, day: date) -> date:
        """The working day itself, or the last working day before it.

        >>> WorkingDayCalendar().on_or_before(date(2027, 3, 28))  # Easter Sunday; Good Friday is off
        datetime.date(2027, 3, 25)
        """
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        """The working day itself, or the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def last_working_day_of_month(self, year: int, month: int) -> date:
        """The last working day of a calendar month.

        >>> WorkingDayCalendar().last_working_day_of_month(2027, 12)
        datetime.date(2027, 12, 31)
        >>> WorkingDayCalendar().last_working_day_of_month(2027, 5)  # Monday 31 May 2027 is a bank holiday
        datetime.date(2027, 5, 28)
        """
        return self.on_or_before(date(year, month, calendar.monthrange(year, month)[1]))


def add_calendar_months(start: date, months: int) -> date:
    """Calendar-month arithmetic, clamping to the end of a shorter month.

    >>> add_calendar_months(date(2027, 8, 31), 6)
    datetime.date(2028, 2, 29)
    >>> add_calendar_months(date(2026, 8, 31), 6)
    datetime.date(2027, 2, 28)
    """
    return start + relativedelta(months=months)


def add_calendar_days(start: date, days: int) -> date:
    """Plain calendar days; day 0 is ``start``.

    >>> add_calendar_days(date(2028, 2, 28), 1)
    datetime.date(2028, 2, 29)
    """
    return start + timedelta(days=days)


def nth_weekday_of_month(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-5, or -1 for last) given weekday (Monday=0) of a month.

    >>> nth_weekday_of_month(2027, 5, 1, 2)  # second Tuesday of May 2027
    datetime.date(2027, 5, 11)
    >>> nth_weekday_of_month(2027, 3, 1, -1)
    datetime.date(2027, 3, 30)
    """
    from dateutil.relativedelta import weekday as rd_weekday

    first = date(year, month, 1)
    found = first + relativedelta(day=1 if nth > 0 else 31, weekday=rd_weekday(weekday)(nth))
    if found.month != month:
        raise ValueError(f"{calendar.month_name[month]} {year} has no weekday #{nth} of that kind")
    return found
