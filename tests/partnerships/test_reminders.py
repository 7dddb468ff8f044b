"""Reminders and escalations of each partnership, delivered to a real SMTP server: to the
addresses its files give, from its business unit, escalated to its policy's bodies."""

from __future__ import annotations

from collections import Counter
from datetime import date
from email.message import Message
from email.utils import parseaddr

from sqlalchemy import select

from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import recipient_of
from qaframework.persistence.tables import EmailMessage, Reminder
from qaframework.reminders.policy import ESCALATION, escalation_date, reminder_stages
from qaframework.reviews.chain import CaseDates
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import emails_of, stored_tasks
from tests.reminders.conftest import SmtpServer, run_day


def _address(header: str | None) -> str:
    return parseaddr(header or "")[1]


def _text(message: Message) -> str:
    return message.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]


def _addresses(partnership: Framework, bodies: list[str]) -> set[str]:
    return {partnership.bodies[b].email for b in bodies if partnership.bodies[b].email}  # type: ignore[misc]


def _escalations_owed(url: str, partnership: Framework, day: date) -> dict[int, set[str]]:
    """Whom each unfinished task's escalation is owed to by ``day``, by task id."""
    wd = working_day_calendar(partnership)
    owed: dict[int, set[str]] = {}
    for task, occurrence in stored_tasks(url):
        policy = partnership.reminder_policy(occurrence.activity)
        if task.status in ("open", "overdue") and task.due and task.due < day and escalation_date(policy, task.due, wd) <= day:
            owed[task.id] = _addresses(partnership, policy.escalate_to)  # type: ignore[arg-type]
    return owed


def _reminded_on(url: str, partnership: Framework, day: date) -> set[str | None]:
    """Who has a reminder stage on or before ``day`` for a task open since ``day``."""
    wd = working_day_calendar(partnership)
    return {
        recipient_of(partnership, t.assignee_kind, t.assignee_key)
        for t, o in stored_tasks(url)
        if t.status == "open" and t.due and t.opened_on == day
        and any(when <= day for _, when in reminder_stages(partnership.reminder_policy(o.activity), day, t.due, wd))
    }


def test_reminders_go_to_the_files_people_and_overdue_work_is_escalated(planned_2027: str, partnership: Framework, smtp: SmtpServer) -> None:
    url, wd, chain = planned_2027, working_day_calendar(partnership), partnership.review_chain
    unit = partnership.bodies[partnership.role("business_unit")]
    owed_by_agencies = [o for o in plan_financial_year(partnership, FinancialYear(2027)) if o.due and any(a.kind == "agency" for a in o.assignees)]
    target = min(owed_by_agencies, key=lambda o: (o.due, o.key))
    opening = wd.on_or_after(target.start)
    with transaction(url) as session:
        reference = open_case(session=session, framework=partnership, dates=CaseDates(None, opening, None), opened_by_run=None, actor="test")

    # The first morning: everyone with a task opening that day hears of it.
    run_day(url, partnership, opening, None, smtp.port)
    first_day = list(smtp.mailbox.messages)
    assert {_address(m["To"]) for m in first_day} == _reminded_on(url, partnership, opening)
    agencies = {a.key for a in target.assignees if a.kind == "agency"}
    assert {partnership.agencies[k].contact.email for k in agencies} <= {_address(m["To"]) for m in first_day}

    # The case's first stage and the first agency work are left undone until both are
    # escalated: each to the bodies of its activity's reminder policy.
    (stage, stage_activity), = [(t, o.activity) for t, o in stored_tasks(url) if f"/{reference}/" in o.key]
    assert (stage_activity, stage.assignee_key) == (chain.activity, partnership.role(chain.stages[chain.notification_stage].holder))
    target_policy, stage_policy = partnership.reminder_policy(target.activity), partnership.reminder_policy(stage_activity)
    escalated_on = max(escalation_date(target_policy, target.due, wd), escalation_date(stage_policy, stage.due, wd))  # type: ignore[arg-type]
    run_day(url, partnership, escalated_on, opening, smtp.port)
    later = smtp.mailbox.messages[len(first_day):]

    for day_messages in (first_day, later):
        assert day_messages and {_address(m["To"]) for m in day_messages} <= emails_of(partnership)
        assert {(_address(m["From"]), _address(m["Reply-To"])) for m in day_messages} == {(unit.email, unit.email)}
        assert max(Counter(m["To"] for m in day_messages).values()) <= 2, "a digest and an escalation at most, each a day"

    owed = _escalations_owed(url, partnership, escalated_on)
    with transaction(url) as session:
        queued = session.execute(select(Reminder.task_id, Reminder.recipient).where(Reminder.stage == ESCALATION)).all()
        escalation_ids = set(session.execute(select(EmailMessage.message_id).where(EmailMessage.kind == "escalation")).scalars())
    by_task: dict[int, set[str]] = {}
    for task_id, recipient in queued:
        by_task.setdefault(task_id, set()).add(recipient)
    assert by_task == owed
    assert by_task[stage.id] == _addresses(partnership, stage_policy.escalate_to)  # type: ignore[arg-type]
    target_tasks = [t.id for t, o in stored_tasks(url) if o.key == target.key and t.assignee_key in agencies]
    assert target_tasks and all(by_task[t] == _addresses(partnership, target_policy.escalate_to) for t in target_tasks)  # type: ignore[arg-type]
    sent = [m for m in later if m["Message-ID"] in escalation_ids]
    assert {_address(m["To"]) for m in sent} == set().union(*owed.values())
    for m in sent:
        if _address(m["To"]) in _addresses(partnership, target_policy.escalate_to):  # type: ignore[arg-type]
            assert target.title in _text(m)
        if _address(m["To"]) in _addresses(partnership, stage_policy.escalate_to):  # type: ignore[arg-type]
            assert reference in _text(m)
