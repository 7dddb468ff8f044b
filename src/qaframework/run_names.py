"""What each Prefect run is called: after what it is about (the day, the year, the task,
the meeting, the action, the case and its stage), never after anything that identifies a
child, family or practitioner (cases go by their reference).

Pure functions of the run's parameters, so a name can be checked without Prefect; the
flows use them through ``tasks.run_names``. A parameter may be missing or None (the
default), a date or the text of one (a deployment passes JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear


def _day(value: object, today: date) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else today.isoformat()


def day_run(prefix: str, parameters: Mapping[str, object], today: date) -> str:
    """A daily job's run, after the day it works for (``as_of``, or today).

    >>> day_run("deadlines", {"as_of": None}, date(2027, 5, 4)), day_run("open", {"as_of": "2027-12-29"}, date(2027, 5, 4))
    ('deadlines-2027-05-04', 'open-2027-12-29')
    """
    return f"{prefix}-{_day(parameters.get('as_of'), today)}"


def inbox_run(parameters: Mapping[str, object], now: datetime) -> str:
    """The inbox sweep runs every quarter hour: after the day and the local time it started.

    >>> inbox_run({}, datetime(2027, 3, 29, 7, 45))
    'inbox-2027-03-29-0745'
    """
    return f"inbox-{_day(parameters.get('as_of'), now.date())}-{now:%H%M}"


def plan_run(parameters: Mapping[str, object], today: date) -> str:
    """plan-year's run, after the financial year it plans (the next one by default).

    >>> plan_run({"financial_year": 2027}, date(2027, 3, 1)), plan_run({}, date(2027, 3, 1)), plan_run({"financial_year": "next"}, date(2027, 3, 1))
    ('plan-2027/28', 'plan-2027/28', 'plan-2027/28')
    """
    value = parameters.get("financial_year")
    as_of = parameters.get("as_of")
    day = date.fromisoformat(_day(as_of, today)) if as_of else today
    try:
        fy = FinancialYear.containing(day).next() if value in (None, "", "next") else FinancialYear.parse(value)  # type: ignore[arg-type]
    except (QAFrameworkError, ValueError):
        return "plan-year-not-a-financial-year"  # the run itself refuses it, with the reason
    return f"plan-{fy}"


def subject_run(prefix: str, value: object) -> str:
    """A run about one thing (a task, an action, a finding's subject, a return's task), by its reference.

    >>> subject_run("task", "focus-group/2027-07/bu"), subject_run("evaluate", "A-2027-0001")
    ('task-focus-group/2027-07/bu', 'evaluate-A-2027-0001')
    """
    return f"{prefix}-{str(value or '').strip()[:120]}"


def meeting_run(parameters: Mapping[str, object]) -> str:
    """record-meeting's run, after the body and the meeting's planned day.

    >>> meeting_run({"body": "audit", "meeting": date(2027, 6, 8)})
    'meeting-audit-2027-06-08'
    """
    return f"meeting-{str(parameters.get('body') or '')[:64]}-{_day(parameters.get('meeting'), date.min)}"


def case_run(reference: str | None, stage: str | None = None) -> str:
    """A case's run, after its reference and the stage it waits for (or where it stands).

    >>> case_run(None), case_run("RR-2027-004"), case_run("RR-2027-004", "panel-notification")
    ('case-new', 'case-RR-2027-004', 'case-RR-2027-004-panel-notification')
    """
    if not reference:
        return "case-new"
    return f"case-{reference}" + (f"-{stage}" if stage else "")
