"""The business unit's day on each shipped framework file, on SQLite and PostgreSQL: a
planned year whose first return task is two working days past its escalation (sent),
another's queued, the windows that opened that day, two review cases and a rejected
return. Tasks, bodies and stages are picked by asking the framework, never by key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select, update

from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import queue_reminders
from qaframework.persistence.returns import find_return_task
from qaframework.persistence.tables import Reminder, ReturnSubmission
from qaframework.persistence.task_status import open_started_tasks
from qaframework.reminders.policy import ESCALATION
from qaframework.reviews.chain import CaseDates
from qaframework.yearly_plan import PlannedOccurrence
from tests.completion.conftest import YEAR, plan, return_task
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf  # noqa: F401 - fixtures


@dataclass
class Day:
    on: date  # two working days after the return task's escalation
    overdue_by: int  # working days
    task: str  # the return task: overdue, escalated (sent), one rejected submission
    occurrence: PlannedOccurrence
    agency: str
    rejected_at: datetime  # 23:30 UTC, which is the next day in London (BST)
    new_case: str  # aware on the day: its first stage is open
    old_case: str  # aware 30 days before: its first stage is overdue


def set_up_day(url: str, framework: Framework) -> Day:
    reference, occurrence, agency = return_task(framework, YEAR)
    assert occurrence.due is not None
    wd = working_day_calendar(framework)
    overdue_by = framework.reminder_policy(occurrence.activity).escalate_after + 2
    on = wd.add_working_days(occurrence.due, overdue_by)
    plan(url, framework, YEAR, opened_on=occurrence.start)
    rejected_at = datetime.combine(on - timedelta(days=1), time(23, 30), tzinfo=timezone.utc)
    assert 4 <= rejected_at.month <= 9, "the test's premise: the rejection falls in British Summer Time"
    with transaction(url) as session:
        open_started_tasks(session=session, on=on, actor="test")
        queue_reminders(session=session, framework=framework, since=None, today=on)
        task_id = find_return_task(session=session, framework=framework, reference=reference).task_id
        session.execute(update(Reminder).where(Reminder.task_id == task_id, Reminder.stage == ESCALATION).values(status="sent"))
        rt_key, _ = framework.return_type_for(occurrence.activity)  # type: ignore[misc]
        session.add(ReturnSubmission(task_id=task_id, agency_key=agency, return_type=rt_key, version=1, status="rejected", source="ui",
                                     file_format="json", payload="{}", reasons="[]", received_at=rejected_at))
        new_case = open_case(session=session, framework=framework, dates=CaseDates(None, on, None), opened_by_run=None, actor="test")
        old_case = open_case(session=session, framework=framework, dates=CaseDates(None, on - timedelta(days=30), None),
                             opened_by_run=None, actor="test")
    return Day(on, overdue_by, reference, occurrence, agency, rejected_at, new_case, old_case)


def escalated_tasks(url: str) -> dict[int, str]:
    with transaction(url) as session:
        return dict(session.execute(select(Reminder.task_id, Reminder.status).where(Reminder.stage == ESCALATION)).all())  # type: ignore[arg-type]


__all__ = ["Day", "Qaf", "YEAR", "escalated_tasks", "set_up_day"]
