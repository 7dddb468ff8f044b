"""Routing as a pure function: the exact next meeting whose papers are still open, across
bank holidays and the financial year end, on both shipped framework files.

Each case names the file's own keys (they differ between the files) and the dates
counted by hand from its meeting patterns and the England & Wales bank holidays.
"""

from __future__ import annotations

from datetime import date

import pytest

from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.learning.routing import Meeting, PlannedActivity, Placement, papers_due, route_finding
from qaframework.yearly_plan import plan_financial_year


def _planned(framework: Framework, years: list[int]) -> tuple[list[Meeting], list[PlannedActivity]]:
    occurrences = [o for y in years for o in plan_financial_year(framework, FinancialYear(y))]
    meetings = [Meeting(o.key, o.activity, o.start) for o in occurrences if o.kind == "meeting"]
    planned = [PlannedActivity(o.key, o.activity, o.start) for o in occurrences if o.kind == "activity"]
    return meetings, planned


def meeting(route: str, key: str, day: str, papers: str) -> Placement:
    d = date.fromisoformat(day)
    return Placement(route, "meeting", FinancialYear.containing(d).start_year, key, d, date.fromisoformat(papers))


# (activity, recorded on, years planned, expected placements, expected pending)
CASES = {
    "sscp": [
        # Recorded 20 March 2028, past the March meetings' papers: into 2028/29's first
        # meetings. The QA group's 18 April 2028 papers are due 7 April, counted back over
        # Easter (Good Friday 14, Easter Monday 17 April); Q&P's 3 May papers on 25 April,
        # over the early May bank holiday (1 May). The yearly report is 2027/28's, the
        # September 2028 one.
        ("multi-agency-audit", "2028-03-20", [2027, 2028], [
            meeting("executive", "executive/2028-05", "2028-05-09", "2028-05-02"),
            meeting("quality-assurance-group", "quality-assurance-group/2028-04", "2028-04-18", "2028-04-07"),
            meeting("quality-performance", "quality-performance/2028-05", "2028-05-03", "2028-04-25"),
            Placement("yearly-report", "activity", 2027, "yearly-report/2028-09"),
        ], []),
        # The same day with 2028/29 not planned yet: the meetings wait; the report's year is known.
        ("multi-agency-audit", "2028-03-20", [2027], [
            Placement("yearly-report", "activity", 2027, None),
        ], ["executive", "quality-assurance-group", "quality-performance"]),
        # Over Christmas and New Year 2027/28 (27 and 28 December and 3 January are bank
        # holidays): Q&P's 5 January papers are due on Christmas Eve, L&I's 6 January on
        # 29 December, the Executive's 11 January on 4 January.
        ("safeguarding-conversation", "2027-12-20", [2027], [
            meeting("executive", "executive/2028-01", "2028-01-11", "2028-01-04"),
            meeting("quality-performance", "quality-performance/2028-01", "2028-01-05", "2027-12-24"),
            meeting("learning-improvement", "learning-improvement/2028-01", "2028-01-06", "2027-12-29"),
            Placement("yearly-report", "activity", 2027, None),
            Placement("learning-bulletin", "output", 2027),
            Placement("multi-agency-training", "output", 2027),
            Placement("partnership-events", "output", 2027),
        ], []),
        # On the papers day itself it is still in time; the day after, the next meeting.
        ("safeguarding-conversation", "2027-12-24", [2027], [
            meeting("executive", "executive/2028-01", "2028-01-11", "2028-01-04"),
            meeting("quality-performance", "quality-performance/2028-01", "2028-01-05", "2027-12-24"),
            meeting("learning-improvement", "learning-improvement/2028-01", "2028-01-06", "2027-12-29"),
            Placement("yearly-report", "activity", 2027, None),
            Placement("learning-bulletin", "output", 2027),
            Placement("multi-agency-training", "output", 2027),
            Placement("partnership-events", "output", 2027),
        ], []),
        ("safeguarding-conversation", "2027-12-29", [2027], [
            meeting("executive", "executive/2028-01", "2028-01-11", "2028-01-04"),
            meeting("quality-performance", "quality-performance/2028-03", "2028-03-01", "2028-02-23"),
            meeting("learning-improvement", "learning-improvement/2028-01", "2028-01-06", "2027-12-29"),
            Placement("yearly-report", "activity", 2027, None),
            Placement("learning-bulletin", "output", 2027),
            Placement("multi-agency-training", "output", 2027),
            Placement("partnership-events", "output", 2027),
        ], []),
        # L&I's January 2026 meeting falls on New Year's Day and moves to Friday 2 January;
        # its papers are due 5 working days before the day it moved to: 23 December 2025.
        ("rapid-review", "2025-12-23", [2025, 2026], [
            meeting("executive", "executive/2026-01", "2026-01-13", "2026-01-06"),
            meeting("learning-improvement", "learning-improvement/2026-01", "2026-01-02", "2025-12-23"),
            Placement("yearly-report", "activity", 2025, "yearly-report/2026-09"),
            Placement("learning-bulletin", "output", 2025),
            Placement("multi-agency-training", "output", 2025),
            Placement("partnership-events", "output", 2025),
        ], []),
        # A body that never meets in the calendar gets the finding outside it.
        ("s175-audit", "2028-01-10", [2027], [
            meeting("executive", "executive/2028-03", "2028-03-14", "2028-03-07"),
            Placement("education-safeguarding-partnership", "body", 2027),
            meeting("quality-performance", "quality-performance/2028-03", "2028-03-01", "2028-02-23"),
            Placement("yearly-report", "activity", 2027, None),
        ], []),
    ],
    "example": [
        # The Practice Review Panel's April 2026 meeting falls on Good Friday (3 April) and
        # moves past Easter Monday to Tuesday 7 April; its papers are due 27 March, 5
        # working days before that day.
        ("voice-of-child-survey", "2026-03-27", [2025, 2026], [
            meeting("practice-review-panel", "practice-review-panel/2026-04", "2026-04-07", "2026-03-27"),
            Placement("annual-report", "activity", 2025, "annual-report/2026-07"),
        ], []),
        ("voice-of-child-survey", "2026-03-30", [2025, 2026], [
            meeting("practice-review-panel", "practice-review-panel/2026-07", "2026-07-03", "2026-06-26"),
            Placement("annual-report", "activity", 2025, "annual-report/2026-07"),
        ], []),
        # Across the year end and the early May bank holiday: the Performance Group's 8 May
        # 2028 papers are due 28 April (1 May is a bank holiday).
        ("case-file-audit", "2028-03-10", [2027, 2028], [
            meeting("performance-group", "performance-group/2028-05", "2028-05-08", "2028-04-28"),
            Placement("practice-briefing", "output", 2027),
            Placement("annual-report", "activity", 2027, "annual-report/2028-07"),
        ], []),
        # The Leadership Board's papers are due 7 working days before it: on the day, in
        # time. The Panel's 7 January 2028 papers are due 30 December (3 January is a bank holiday).
        ("serious-incident", "2027-12-06", [2027], [
            meeting("practice-review-panel", "practice-review-panel/2028-01", "2028-01-07", "2027-12-30"),
            meeting("leadership-board", "leadership-board/2027-12", "2027-12-15", "2027-12-06"),
            Placement("annual-report", "activity", 2027, None),
        ], []),
        ("serious-incident", "2028-03-10", [2027, 2028], [
            meeting("practice-review-panel", "practice-review-panel/2028-04", "2028-04-07", "2028-03-31"),
            meeting("leadership-board", "leadership-board/2028-06", "2028-06-21", "2028-06-12"),
            Placement("annual-report", "activity", 2027, "annual-report/2028-07"),
        ], []),
    ],
}


def _cases() -> list[object]:
    return [pytest.param(name, *case, id=f"{name}-{case[0]}-{case[1]}-{len(case[2])}y") for name, cases in CASES.items() for case in cases]


@pytest.mark.parametrize(("name", "activity", "recorded", "years", "expected", "pending"), _cases())
def test_a_finding_goes_to_the_exact_next_meetings(name: str, activity: str, recorded: str, years: list[int], expected: list[Placement],
                                                   pending: list[str]) -> None:
    from tests.partnerships.conftest import SHIPPED
    from qaframework.framework import load_framework

    framework = load_framework(SHIPPED[name])
    meetings, planned = _planned(framework, years)
    routing = route_finding(framework, activity=activity, recorded_on=date.fromisoformat(recorded), meetings=meetings, planned=planned)
    assert list(routing.placed) == expected
    assert list(routing.pending) == pending


def test_every_route_of_every_activity_is_placed_or_pending(partnership: Framework) -> None:
    meetings, planned = _planned(partnership, [2027, 2028])
    for key, activity in partnership.activities.items():
        routing = route_finding(partnership, activity=key, recorded_on=date(2027, 6, 1), meetings=meetings, planned=planned)
        assert [p.route for p in routing.placed] + list(routing.pending) == activity.routes
        for p in routing.placed:
            if p.kind == "meeting":
                assert p.papers_due is not None and p.meeting_day is not None and p.papers_due >= date(2027, 6, 1)
                calendar = working_day_calendar(partnership)
                assert calendar.working_days_between(p.papers_due, p.meeting_day) == partnership.bodies[p.route].papers_due_working_days


def test_a_cancelled_meeting_is_passed_over_and_later_papers_are_kept_open(partnership: Framework) -> None:
    meetings, planned = _planned(partnership, [2027, 2028])
    body = next(k for k, b in partnership.bodies.items() if b.meetings is not None)
    activity = next(k for k, a in partnership.activities.items() if body in a.routes)
    ours = sorted((m for m in meetings if m.body == body), key=lambda m: m.day)
    first = ours[0]
    recorded = papers_due(partnership, body, first.day)
    placed = {p.route: p for p in route_finding(partnership, activity=activity, recorded_on=recorded, meetings=meetings, planned=planned).placed}
    assert placed[body].occurrence == first.key
    without = [m for m in meetings if m.key != first.key]
    placed = {p.route: p for p in route_finding(partnership, activity=activity, recorded_on=recorded, meetings=without, planned=planned).placed}
    assert placed[body].occurrence == ours[1].key
    # Placing later: the papers must still be open on the later day.
    later = {p.route: p for p in route_finding(partnership, activity=activity, recorded_on=recorded, meetings=meetings, planned=planned,
                                               papers_open_on=papers_due(partnership, body, ours[1].day)).placed}
    assert later[body].occurrence == ours[1].key
