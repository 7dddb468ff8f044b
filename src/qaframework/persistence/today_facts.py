"""Queries behind the business unit's day (``qaframework.today``): references, framework
titles, names, dates and counts; never what people typed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session

from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.persistence.cases import case_view, open_case_references
from qaframework.persistence.reporting import assignee_names
from qaframework.persistence.tables import Occurrence, Reminder, ReturnSubmission, Task
from qaframework.reminders.policy import ESCALATION, escalation_date
from qaframework.returns.validation import task_reference
from qaframework.today import CaseStage, OpenedOccurrence, OwedTask, RejectedReturn, TodayFacts, end_of_week

#: Statuses of a task still owed.
OWED = ("open", "overdue")


def _escalations(session: Session, owed: ColumnElement[bool]) -> dict[int, str]:
    """Task id -> ``sent`` if an escalation of it was sent, ``queued`` if one waits in the
    outbox, for the tasks ``owed`` selects (joined, not a list of ids: a backlog of years
    would pass PostgreSQL's limit on bound values)."""
    found: dict[int, str] = {}
    rows = session.execute(
        select(Reminder.task_id, Reminder.status).join(Task, Reminder.task_id == Task.id)  # type: ignore[arg-type]
        .where(Reminder.stage == ESCALATION, owed)
    )
    for task_id, status in rows.all():
        if status == "sent" or found.get(task_id) != "sent":
            found[task_id] = "sent" if status == "sent" else "queued"
    return found


def _owed(session: Session, framework: Framework, on: date, names: dict[str, str]) -> tuple[OwedTask, ...]:
    wd = working_day_calendar(framework)
    owed = and_(Task.status.in_(OWED), Task.due.is_not(None), Task.due <= end_of_week(on))  # type: ignore[attr-defined,union-attr,operator]
    rows = session.execute(
        select(Task.id, Task.assignee_key, Task.due, Occurrence.key, Occurrence.title, Occurrence.activity)
        .join(Occurrence, Task.occurrence_id == Occurrence.id).where(owed)  # type: ignore[arg-type]
    ).all()
    escalated = _escalations(session, owed)
    # An occurrence's tasks share their due date, so their escalation day: worked out once.
    escalates_on: dict[tuple[str, date], date | None] = {}
    result = []
    for task_id, assignee_key, due, key, title, activity in rows:
        if (activity, due) not in escalates_on:
            policy = framework.reminder_policy(activity)
            escalates_on[(activity, due)] = escalation_date(policy, due, wd) if policy.escalate_to else None
        result.append(OwedTask(task_reference(key, assignee_key), title, names.get(assignee_key, assignee_key),
                               due, escalated.get(task_id, "no"), escalates_on[(activity, due)]))  # type: ignore[arg-type]
    return tuple(result)


def _local_day_bounds(on: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants the partnership's local day ``on`` starts and ends (23 or 25 hours
    on the days the clocks change).

    >>> start, end = _local_day_bounds(date(2027, 3, 28), ZoneInfo("Europe/London"))
    >>> start.isoformat(), end.isoformat()
    ('2027-03-28T00:00:00+00:00', '2027-03-28T23:00:00+00:00')
    """
    start, end = (datetime.combine(day, time(0), zone).astimezone(timezone.utc) for day in (on, on + timedelta(days=1)))
    return start, end


def _opened(session: Session, on: date, zone: ZoneInfo, names: dict[str, str]) -> tuple[OpenedOccurrence, ...]:
    """Occurrences with tasks opened on ``on``: the day recorded, or (for a task opened
    before that column existed) the local day of the moment it opened. The query selects
    the day's tasks only, not every task ever opened."""
    start, end = _local_day_bounds(on, zone)
    opened_that_day = or_(Task.opened_on == on, and_(Task.opened_on.is_(None), Task.opened_at >= start, Task.opened_at < end))  # type: ignore[union-attr,operator]
    rows = session.execute(
        select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.status != "cancelled", Task.status != "planned", Task.opened_at.is_not(None), opened_that_day)  # type: ignore[union-attr]
    ).all()
    groups: dict[str, tuple[Occurrence, list[str]]] = {}
    for task, occurrence in rows:
        opened_on = task.opened_on or task.opened_at.astimezone(zone).date()  # type: ignore[union-attr]
        if opened_on == on:
            groups.setdefault(occurrence.key, (occurrence, []))[1].append(names.get(task.assignee_key, task.assignee_key))
    return tuple(OpenedOccurrence(o.key, o.title, tuple(who), o.window_end, o.due) for o, who in groups.values())


def _cases(session: Session, framework: Framework, on: date) -> tuple[CaseStage, ...]:
    stages = []
    for reference in open_case_references(session=session):
        view = case_view(session=session, framework=framework, reference=reference, today=on)
        stage = next((s for s in view.stages if s.key == view.next_stage), None)
        if stage is not None:
            stages.append(CaseStage(reference, stage.title, stage.due))
    return tuple(stages)


def _rejected(session: Session, zone: ZoneInfo, names: dict[str, str]) -> tuple[RejectedReturn, ...]:
    """Live agency tasks with rejected submissions and none accepted yet (as the returns
    dashboard's "rejected, awaiting a new version" counts them)."""
    rows = session.execute(
        select(Task, Occurrence, ReturnSubmission.status, ReturnSubmission.received_at)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .join(ReturnSubmission, ReturnSubmission.task_id == Task.id)  # type: ignore[arg-type]
        .where(Task.status.in_(OWED))  # type: ignore[attr-defined]
    ).all()
    seen: dict[int, tuple[Task, Occurrence, list[date], bool]] = {}
    for task, occurrence, status, received_at in rows:
        entry = seen.setdefault(task.id, (task, occurrence, [], False))  # type: ignore[arg-type]
        if status == "accepted":
            seen[task.id] = (task, occurrence, entry[2], True)  # type: ignore[index]
        elif status == "rejected":
            entry[2].append(received_at.astimezone(zone).date())
    return tuple(
        RejectedReturn(task_reference(o.key, t.assignee_key), o.title, names.get(t.assignee_key, t.assignee_key), t.due, len(days), max(days))
        for t, o, days, accepted in seen.values() if days and not accepted
    )


def today_facts(*, session: Session, framework: Framework, on: date) -> TodayFacts:
    """Everything the day's view needs, as of ``on`` (the partnership's local day)."""
    zone = ZoneInfo(framework.document.partnership.timezone)
    names = assignee_names(session=session)
    for key, agency in framework.agencies.items():
        names.setdefault(key, agency.name)
    for key, body in framework.bodies.items():
        names.setdefault(key, body.name)
    return TodayFacts(_owed(session, framework, on, names), _opened(session, on, zone, names), _cases(session, framework, on),
                      _rejected(session, zone, names))
