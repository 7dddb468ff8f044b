"""Finishing tasks and recording meetings, on each shipped framework file and on SQLite
and PostgreSQL. The fixtures are the partnerships package's (``partnership``,
``partnership_qaf``); the helpers here pick tasks and meetings by asking the framework
(which activities take a return, which bodies meet, who attends), never by key."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.model import WEEKDAYS
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.learning_tables import MeetingAttendance, MeetingRecord
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Reminder, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.returns.validation import task_reference
from qaframework.working_days import nth_weekday_of_month
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf  # noqa: F401 - fixtures

YEAR = 2027
#: "Today" for the commands: after every day the tests record.
TODAY = date(2028, 3, 31)
TABLES: tuple[type[SQLModel], ...] = (Task, AuditLogEntry, MeetingRecord, MeetingAttendance, Reminder)


def snapshot(url: str) -> tuple[dict[str, int], list[tuple[object, ...]]]:
    """Row counts, and every task's status and completion: equal before and after means
    nothing was written."""
    with transaction(url) as session:
        counts = {m.__name__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in TABLES}
        tasks = [tuple(r) for r in session.execute(select(Task.id, Task.status, Task.done_on, Task.done_by, Task.evidence).order_by(Task.id)).all()]
    return counts, tasks


def plan(url: str, framework: Framework, year: int = YEAR, opened_on: date | None = None) -> None:
    """The year planned as of its first day, and its tasks opened as of ``opened_on``."""
    prepare(url)
    fy = FinancialYear(year)
    with transaction(url) as session:
        sync_directory(session=session, framework=framework)
        write_plan(session=session, occurrences=plan_financial_year(framework, fy), actor="test", as_of=fy.start)
        if opened_on is not None:
            open_started_tasks(session=session, on=opened_on, actor="test")


def _owed(framework: Framework, year: int) -> list[tuple[PlannedOccurrence, str, str]]:
    return [(o, a.kind, a.key) for o in plan_financial_year(framework, FinancialYear(year)) if o.kind == "activity" and o.due is not None
            for a in o.assignees]


def body_task(framework: Framework, year: int = YEAR, index: int = 0) -> tuple[str, PlannedOccurrence, str]:
    """A body's task (no return answers it): its reference, occurrence and body key."""
    found = [(task_reference(o.key, key), o, key) for o, kind, key in _owed(framework, year) if kind == "body"]
    return found[index]


def return_task(framework: Framework, year: int = YEAR) -> tuple[str, PlannedOccurrence, str]:
    """An agency's task that its return answers."""
    return next((task_reference(o.key, key), o, key) for o, kind, key in _owed(framework, year)
                if kind == "agency" and framework.return_type_for(o.activity) is not None)


def agency_task_without_return(framework: Framework, year: int = YEAR) -> tuple[str, PlannedOccurrence, str] | None:
    """An agency's task for an activity that takes no return, if the framework has one."""
    return next(((task_reference(o.key, key), o, key) for o, kind, key in _owed(framework, year)
                 if kind == "agency" and framework.return_type_for(o.activity) is None), None)


def meetings(framework: Framework, year: int = YEAR) -> list[PlannedOccurrence]:
    return [o for o in plan_financial_year(framework, FinancialYear(year)) if o.kind == "meeting"]


def attended_body(framework: Framework) -> tuple[str, list[str]]:
    """A body with meetings that some agencies attend, and those agencies."""
    for key, body in framework.bodies.items():
        attendees = [a for a, agency in framework.agencies.items() if key in agency.attends]
        if body.meetings is not None and len(attendees) >= 2:
            return key, attendees
    raise AssertionError("no body with meetings that two agencies attend")


def moved_meeting(framework: Framework) -> tuple[PlannedOccurrence, date]:
    """The first planned meeting a bank holiday moved, and the day it would have been."""
    for year in range(2026, 2041):
        for o in meetings(framework, year):
            pattern = framework.bodies[o.activity].meetings
            assert pattern is not None
            nominal = nth_weekday_of_month(o.start.year, o.start.month, WEEKDAYS.index(pattern.day.weekday), pattern.day.week)
            if nominal != o.start:
                return o, nominal
    raise AssertionError("no meeting moved by a bank holiday in 15 years")


@pytest.fixture
def cli(partnership_qaf: Qaf, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Qaf:
    """``qaf`` on the partnership's file, in this process, with today fixed at TODAY; a
    usage error argparse raises as SystemExit is returned like any other."""
    monkeypatch.setattr("qaframework.cli_tasks.today_in", lambda zone: TODAY)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            return partnership_qaf(*args)
        except SystemExit as exc:
            out, err = capsys.readouterr()
            return int(exc.code or 0), out, err

    return run


@pytest.fixture
def planned(database_url: str, partnership: Framework) -> str:
    """The partnership's year planned, with the tasks of every window opened by 1 April opened."""
    plan(database_url, partnership, opened_on=FinancialYear(YEAR).start)
    return database_url


__all__ = ["TODAY", "YEAR", "Qaf", "agency_task_without_return", "attended_body", "body_task", "meetings", "moved_meeting", "plan",
           "return_task", "snapshot", "Occurrence"]
