"""Where a finding goes: along its activity's ``routes`` (section 6, "Findings reported
to/in"), as a pure function of the framework, the day it was recorded and the meetings.

For each route of the activity, in the order the framework file lists them:

- a **body that meets**: its next meeting whose papers deadline is on or after the day
  the finding was recorded. Papers are due ``papers_due_working_days`` working days
  before the meeting day (the meeting day is day 0; with 0, papers are due on the day),
  counted on the partnership's working-day calendar. A meeting moved by a bank holiday
  keeps its papers deadline relative to the day it moved to. A body whose meeting is not
  planned yet (the next financial year is not planned) is *pending*: placing is retried;
- a **body that never meets** in the calendar (no ``meetings:``): the body itself,
  outside the calendar;
- an **activity** (the yearly report): that activity's report on the financial year the
  finding was recorded in, which is its first occurrence opening after that year ends
  (the yearly report of September 2028 reports on 2027/28), when it is planned;
- an **output** (the learning bulletin, the website): the output, for that financial year.

The placements are stored when the finding is recorded; once stored they never move,
whatever the framework file later says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from qaframework.deadlines import papers_due, working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.working_days import WorkingDayCalendar

PLACEMENT_KINDS = ("meeting", "body", "activity", "output")


@dataclass(frozen=True)
class Meeting:
    """A planned meeting: its occurrence key, the body meeting, and its day (in the
    partnership's time zone)."""

    key: str
    body: str
    day: date


@dataclass(frozen=True)
class PlannedActivity:
    """A planned occurrence of an activity (for routes to an activity, such as the yearly report)."""

    key: str
    activity: str
    starts: date


@dataclass(frozen=True)
class Placement:
    route: str
    kind: str  # meeting | body | activity | output
    financial_year: int | None = None
    #: The occurrence placed on: the meeting, or the activity's report (when planned).
    occurrence: str | None = None
    meeting_day: date | None = None
    papers_due: date | None = None


@dataclass(frozen=True)
class Routing:
    placed: tuple[Placement, ...]
    #: Bodies on the route with no meeting planned yet whose papers are still open.
    pending: tuple[str, ...]


def routes_of(framework: Framework, activity: str) -> list[str]:
    """The routes of an activity (none for a key that is not an activity, such as a body's meetings)."""
    found = framework.activities.get(activity)
    return list(found.routes) if found is not None else []


def route_finding(
    framework: Framework,
    *,
    activity: str,
    recorded_on: date,
    meetings: Iterable[Meeting],
    planned: Iterable[PlannedActivity] = (),
    routes: Iterable[str] | None = None,
    papers_open_on: date | None = None,
) -> Routing:
    """Where a finding of ``activity`` recorded on ``recorded_on`` goes (see the module's
    docstring). ``meetings`` are the planned meetings that are not cancelled; ``routes``
    limits the routes considered (those not placed yet); ``papers_open_on``, when placing
    later, is the day whose papers must still be open (a meeting whose papers closed
    meanwhile is missed, and the next taken)."""
    papers_from = max(recorded_on, papers_open_on or recorded_on)
    calendar = working_day_calendar(framework)
    year = FinancialYear.containing(recorded_on)
    by_body: dict[str, list[Meeting]] = {}
    for meeting in meetings:
        by_body.setdefault(meeting.body, []).append(meeting)
    planned = list(planned)
    wanted = routes_of(framework, activity) if routes is None else [r for r in routes_of(framework, activity) if r in set(routes)]
    placed: list[Placement] = []
    pending: list[str] = []
    for route in wanted:
        if route in framework.bodies:
            if framework.bodies[route].meetings is None:
                placed.append(Placement(route, "body", year.start_year))
                continue
            upcoming = sorted((m.day, m.key, papers_due(framework, route, m.day, calendar)) for m in by_body.get(route, []))
            chosen = next(((day, key, due) for day, key, due in upcoming if due >= papers_from), None)
            if chosen is None:
                pending.append(route)
            else:
                day, key, due = chosen
                placed.append(Placement(route, "meeting", FinancialYear.containing(day).start_year, key, day, due))
        elif route in framework.activities:
            placed.append(Placement(route, "activity", year.start_year, report_occurrence(planned, route, year.start_year)))
        else:
            placed.append(Placement(route, "output", year.start_year))
    return Routing(tuple(placed), tuple(pending))


def report_occurrence(planned: Iterable[PlannedActivity], activity: str, financial_year: int) -> str | None:
    """The key of an activity's report on ``financial_year``: its first occurrence opening
    after the year ends, if planned."""
    end = FinancialYear(financial_year).end
    after = sorted((o.starts, o.key) for o in planned if o.activity == activity and o.starts > end)
    return after[0][1] if after else None
