"""The demonstration's clock: a "today" that walks the year in order, on working days.

Everything the demonstration records is an event on a day. Events run in day order (and
in the order they were scheduled within a day); an event may schedule later ones (a
finding recorded in May schedules its action's completion in July). Before the first
event of each day, the day's scheduled work runs as ``check-deadlines`` and
``open-activities`` would: tasks whose windows have started open, tasks past their due
date become overdue. Events after the last day are never run: what was still to happen
stays open.

Also here: which financial year the demonstration takes by default.

>>> from qaframework.framework import load_framework
>>> from qaframework.working_days import WorkingDayCalendar
>>> sscp = load_framework()
>>> default_year(sscp, date(2026, 12, 2)).start_year  # the latest year ended in its Section 11 year one
2023
>>> default_year(sscp, date(2027, 4, 1)).start_year
2026
>>> ran = []
>>> walk = Walk(WorkingDayCalendar(), date(2027, 4, 1), date(2027, 4, 30), on_new_day=lambda day: ran.append(("day", day.isoformat())))
>>> walk.at(date(2027, 4, 3), lambda today: ran.append(("event", today.isoformat())))  # a Saturday: moved to Monday
datetime.date(2027, 4, 5)
>>> walk.at(date(2027, 5, 6), lambda today: ran.append(("never", today.isoformat())))
datetime.date(2027, 5, 6)
>>> walk.run()
>>> ran
[('day', '2027-04-05'), ('event', '2027-04-05'), ('day', '2027-04-30')]
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import date

from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.working_days import WorkingDayCalendar
from qaframework.yearly_plan import s11_year

Event = Callable[[date], None]


class DemoYearError(QAFrameworkError):
    """The financial year asked for cannot be the demonstration year."""


def default_year(framework: Framework, today: date) -> FinancialYear:
    """The latest financial year that has ended by ``today`` and is year one of the
    framework's Section 11 cycle (the agencies' self-assessment): its yearly report is
    final, not a draft, and every return type the cycle asks for in year one is in it."""
    fy = FinancialYear.containing(today)
    for _ in range(framework.document.section11.years + 1):
        fy = FinancialYear(fy.start_year - 1)
        if s11_year(framework, fy) == 1:
            return fy
    raise AssertionError("a Section 11 cycle has a year one")  # pragma: no cover


def check_year(fy: FinancialYear, today: date) -> None:
    """Refuse a year that has not ended: the demonstration records nothing in the future."""
    if fy.end >= today:
        raise DemoYearError(f"--fy: {fy} has not ended yet (it ends on {fy.end.isoformat()}): the demonstration year is one that "
                            f"has ended, such as {FinancialYear(FinancialYear.containing(today).start_year - 1).start_year}, "
                            "so nothing in it is in the future")


class Walk:
    """Events on working days from ``first`` to ``last`` (both working days after moving)."""

    def __init__(self, calendar: WorkingDayCalendar, first: date, last: date, on_new_day: Event) -> None:
        self.calendar = calendar
        self.first = calendar.on_or_after(first)
        self.last = calendar.on_or_before(last)
        self.today = self.first
        self._on_new_day = on_new_day
        self._queue: list[tuple[date, int, Event]] = []
        self._order = itertools.count()

    def working(self, day: date) -> date:
        """The working day itself or the next one, never before today's."""
        return max(self.calendar.on_or_after(day), self.today)

    def back(self, day: date, working_days: int) -> date:
        return self.calendar.add_working_days(self.calendar.on_or_after(day), -working_days)

    def ahead(self, day: date, working_days: int) -> date:
        return self.calendar.add_working_days(self.calendar.on_or_after(day), working_days)

    def at(self, day: date, event: Event) -> date:
        """Schedule ``event`` on ``day`` (or the next working day, and never before today)."""
        when = self.working(day)
        heapq.heappush(self._queue, (when, next(self._order), event))
        return when

    def run(self) -> None:
        """Run every event up to the last day in order, then the last day's own work."""
        seen: date | None = None
        while self._queue and self._queue[0][0] <= self.last:
            when, _, event = heapq.heappop(self._queue)
            if when != seen:
                self.today = seen = when
                self._on_new_day(when)
            event(when)
        if seen != self.last:
            self.today = self.last
            self._on_new_day(self.last)
        self._queue.clear()
