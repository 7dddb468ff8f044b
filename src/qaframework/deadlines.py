"""Deadline rules: a named clock applied to the day it starts.

The rules themselves (5 working days to notify the National Panel, 15 working days for a
rapid review, 6 calendar months for a CSPR) live in the framework file; this module only
knows how to count them.
"""

from __future__ import annotations

from datetime import date

from qaframework.errors import UnknownDeadlineRuleError
from qaframework.framework import Framework
from qaframework.framework.model import DeadlineRule
from qaframework.working_days import WorkingDayCalendar, add_calendar_days, add_calendar_months


def apply_rule(rule: DeadlineRule, clock_start: date, working_days: WorkingDayCalendar) -> date:
    """The due date of ``rule`` when its clock starts on ``clock_start`` (day 0).

    >>> apply_rule(DeadlineRule(working_days=15), date(2026, 12, 18), WorkingDayCalendar())
    datetime.date(2027, 1, 13)
    >>> apply_rule(DeadlineRule(calendar_months=6), date(2027, 8, 31), WorkingDayCalendar())
    datetime.date(2028, 2, 29)
    """
    if rule.working_days is not None:
        return working_days.add_working_days(clock_start, rule.working_days)
    if rule.calendar_days is not None:
        return add_calendar_days(clock_start, rule.calendar_days)
    assert rule.calendar_months is not None  # the model guarantees exactly one measure
    return add_calendar_months(clock_start, rule.calendar_months)


def working_day_calendar(framework: Framework) -> WorkingDayCalendar:
    """The working-day calendar of the partnership's bank-holiday region."""
    region = framework.document.partnership.bank_holidays
    return WorkingDayCalendar(region.country, region.subdivision)


def deadline(framework: Framework, rule_name: str, clock_start: date) -> date:
    """Apply the framework's rule called ``rule_name``; unknown names are an error."""
    rules = framework.deadline_rules
    if rule_name not in rules:
        raise UnknownDeadlineRuleError(rule_name, list(rules))
    return apply_rule(rules[rule_name], clock_start, working_day_calendar(framework))


def papers_due(framework: Framework, body: str, meeting_day: date, calendar: WorkingDayCalendar | None = None) -> date:
    """The day papers are due for the body's meeting on ``meeting_day``.

    >>> from qaframework.framework import load_framework
    >>> sscp = load_framework()
    >>> papers_due(sscp, sscp.role("top_body"), date(2027, 7, 13))  # 5 working days before Tuesday 13 July
    datetime.date(2027, 7, 6)
    """
    days = framework.bodies[body].papers_due_working_days
    if days == 0:
        return meeting_day
    return (calendar or working_day_calendar(framework)).add_working_days(meeting_day, -days)
