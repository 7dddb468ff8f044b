"""The calendar engine: every planned occurrence of a financial year.

For a framework and a financial year this lists each activity's windows (section 7 of
the framework), the Section 11 cycle year's activity, and each body's meetings on their
real dates and times in the partnership's time zone. As-required activities (rapid
reviews, CSPRs, inspections) are never planned; :func:`start_on_demand` opens one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from qaframework.deadlines import apply_rule, working_day_calendar
from qaframework.errors import QAFrameworkError, UnknownActivityError, excerpt
from qaframework.financial_year import FinancialYear, quarter_of
from qaframework.framework import Framework
from qaframework.framework.model import WEEKDAYS, Activity, month_number
from qaframework.working_days import WorkingDayCalendar, nth_weekday_of_month


#: A case reference: letters, the year and a number, e.g. RR-2027-004 or CSPR-2027-001.
CASE_REFERENCE = re.compile(r"^[A-Z]{2,6}-[0-9]{4}-[0-9]{3,4}$")


@dataclass(frozen=True)
class Assignee:
    """Who holds a task: an agency or a body, by key."""

    kind: str  # "agency" or "body"
    key: str


@dataclass(frozen=True)
class PlannedOccurrence:
    """One occurrence of an activity or meeting: its window, due date and assignees.

    ``key`` is stable across runs and machines (activity and opening month), so writing
    the same plan twice finds the same rows.
    """

    key: str
    activity: str
    kind: str  # "activity" or "meeting"
    title: str
    financial_year: int
    start: date
    end: date  # inclusive
    due: date | None
    period: str | None
    assignees: tuple[Assignee, ...] = field(default=())
    starts_at: datetime | None = None  # meetings only, aware, partnership time zone
    ends_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        """The CLI's JSON contract for one occurrence."""
        return {
            "key": self.key,
            "activity": self.activity,
            "kind": self.kind,
            "title": self.title,
            "financial_year": str(FinancialYear(self.financial_year)),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "period": self.period,
            "assignees": [a.key for a in self.assignees],
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


def s11_year(framework: Framework, fy: FinancialYear) -> int:
    """Which year of the Section 11 cycle (1 to its length, two or three) a financial
    year is.

    Years before the configured year one count backwards, so the cycle is the same
    whichever year one is chosen.
    """
    cycle = framework.document.section11
    return (fy.start_year - cycle.year_one) % cycle.years + 1


def _assignees(framework: Framework, activity: Activity) -> tuple[Assignee, ...]:
    agencies = [Assignee("agency", k) for k in framework.agencies_selected(activity.assignees.agencies)]
    bodies = [Assignee("body", k) for k in activity.assignees.bodies]
    return tuple(agencies + bodies)


def _window_end(start: date, months: int) -> date:
    last_month_index = start.month - 1 + months - 1
    year = start.year + last_month_index // 12
    month = last_month_index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _due(framework: Framework, activity: Activity, start: date, end: date, wd: WorkingDayCalendar) -> date | None:
    rule = activity.due
    if rule.rule == "none":
        return None
    if rule.rule == "last-working-day-of-window":
        return wd.on_or_before(end)
    if rule.rule == "working-days-after-start":
        assert rule.days is not None
        return wd.add_working_days(start, rule.days)
    assert rule.name is not None
    return apply_rule(framework.deadline_rules[rule.name], start, wd)


def _occurs_in(framework: Framework, activity: Activity, fy: FinancialYear) -> bool:
    if activity.cadence == "as-required":
        return False
    if activity.cadence == "s11-cycle":
        return activity.s11_year == s11_year(framework, fy)
    return True


def _activity_occurrences(framework: Framework, fy: FinancialYear, wd: WorkingDayCalendar) -> list[PlannedOccurrence]:
    found: list[PlannedOccurrence] = []
    for key, activity in framework.activities.items():
        if not _occurs_in(framework, activity, fy):
            continue
        assignees = _assignees(framework, activity)
        for month in activity.months:
            start = fy.month_start(month_number(month))
            end = _window_end(start, activity.window.months)
            found.append(
                PlannedOccurrence(
                    key=f"{key}/{start:%Y-%m}",
                    activity=key,
                    kind="activity",
                    title=activity.title,
                    financial_year=fy.start_year,
                    start=start,
                    end=end,
                    due=_due(framework, activity, start, end, wd),
                    period=quarter_of(start) if activity.cadence == "quarterly" else None,
                    assignees=assignees,
                )
            )
    return found


def _meeting_occurrences(framework: Framework, fy: FinancialYear, wd: WorkingDayCalendar) -> list[PlannedOccurrence]:
    zone = ZoneInfo(framework.document.partnership.timezone)
    found: list[PlannedOccurrence] = []
    for key, body in framework.bodies.items():
        pattern = body.meetings
        if pattern is None:
            continue
        quarterly = len(pattern.months) == 4
        for month in pattern.months:
            first = fy.month_start(month_number(month))
            day = nth_weekday_of_month(first.year, first.month, WEEKDAYS.index(pattern.day.weekday), pattern.day.week)
            # A meeting day that is a bank holiday moves to the next working day, or to
            # the working day before when the next one is in another month.
            moved = wd.on_or_after(day)
            day = moved if moved.month == day.month else wd.on_or_before(day)
            # Wall-clock time in the partnership's zone: a 10:00 meeting stays at 10:00
            # whether the day is in GMT or BST.
            starts_at = datetime.combine(day, pattern.time, tzinfo=zone)
            found.append(
                PlannedOccurrence(
                    key=f"{key}/{first:%Y-%m}",
                    activity=key,
                    kind="meeting",
                    title=body.name,
                    financial_year=fy.start_year,
                    start=day,
                    end=day,
                    due=None,
                    period=quarter_of(day) if quarterly else None,
                    assignees=(Assignee("body", key),),
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=pattern.duration_minutes),
                )
            )
    return found


def plan_financial_year(framework: Framework, fy: FinancialYear) -> list[PlannedOccurrence]:
    """Every planned occurrence of ``fy``, ordered by start date, then kind, then key."""
    wd = working_day_calendar(framework)
    occurrences = _activity_occurrences(framework, fy, wd) + _meeting_occurrences(framework, fy, wd)
    return sorted(occurrences, key=lambda o: (o.start, o.kind, o.activity))


def start_on_demand(framework: Framework, activity_key: str, start: date, reference: str | None = None) -> PlannedOccurrence:
    """Open one occurrence of any activity now (a rapid review on notification).

    The window opens on ``start``; its due date follows the activity's due rule counted
    from ``start`` (for as-required activities, their deadline rule), and the window
    closes on the due date (or on ``start`` when there is none).
    """
    if activity_key not in framework.activities:
        raise UnknownActivityError(activity_key, list(framework.activities))
    if reference is not None and not CASE_REFERENCE.match(reference):
        raise QAFrameworkError(
            f"case reference {excerpt(reference)} is not of the form RR-2027-004: references identify a case "
            "without naming anyone, so only capitals, digits and hyphens are allowed"
        )
    activity = framework.activities[activity_key]
    wd = working_day_calendar(framework)
    if activity.due.rule == "last-working-day-of-window":
        end = _window_end(start.replace(day=1), activity.window.months)
        due = wd.on_or_before(end)
    else:
        due = _due(framework, activity, start, start, wd)
        end = due or start
    return PlannedOccurrence(
        key=f"{activity_key}/{reference or start.isoformat()}",
        activity=activity_key,
        kind="activity",
        title=activity.title,
        financial_year=FinancialYear.containing(start).start_year,
        start=start,
        end=end,
        due=due,
        period=None,
        assignees=_assignees(framework, activity),
    )
