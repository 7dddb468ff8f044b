"""The assemble-yearly-report deployment runs when the shipped framework's yearly-report
activity opens: 08:00 London time on the first day of its month, every year (in BST in
September: 07:00 UTC), for the financial year just ended."""

from __future__ import annotations

from datetime import datetime, timezone

from qaframework.framework import load_framework
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.yearly_plan import plan_financial_year
from qaframework.financial_year import FinancialYear
from tests.conftest import FRAMEWORK_FILE
from tests.flows.test_schedules import next_runs

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def test_the_schedule_is_the_yearly_report_activity_opening() -> None:
    framework = load_framework(FRAMEWORK_FILE)
    activity = yearly_report_settings(framework).activity
    (month,) = framework.activities[activity].months
    opening = next(o.start for o in plan_financial_year(framework, FinancialYear(2028)) if o.activity == activity)
    assert opening.month == MONTHS.index(month) + 1
    runs = next_runs("assemble-yearly-report", datetime(2027, 12, 2, tzinfo=timezone.utc), 2)
    assert runs == [datetime(2028, opening.month, opening.day, 7, tzinfo=timezone.utc),
                    datetime(2029, opening.month, opening.day, 7, tzinfo=timezone.utc)]
