"""An overdue action is reminded and escalated like a return: over a real SMTP server on
loopback, day by day, an action and a return task of the same activity, agency, opening
day and due date get their reminders on the same days, in the same digests, and are
escalated to the same chairs; once the action is done, nobody is reminded of it."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.persistence.actions import add_action, complete_action
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import recipient_of
from qaframework.persistence.tables import Occurrence, Reminder, Task
from qaframework.reminders.policy import ESCALATION, escalation_date, reminder_stages
from tests.actions.conftest import first_activity_occurrence, make_finding
from tests.reminders.conftest import SmtpServer, run_day, working_days

OPENED, DUE = date(2027, 6, 1), date(2027, 6, 30)


def _text(message) -> str:  # type: ignore[no-untyped-def]
    return next(p for p in message.walk() if p.get_content_type() == "text/plain" and not p.get_filename()).get_payload(decode=True).decode()


def test_an_overdue_action_is_reminded_and_escalated_like_a_return(planned: str, partnership: Framework, smtp: SmtpServer) -> None:
    subject, activity = first_activity_occurrence(partnership)
    owner = next(iter(partnership.agencies))
    finding = make_finding(planned, partnership, subject, on=date(2027, 5, 20))
    with transaction(planned) as session:
        action = add_action(session=session, framework=partnership, what="Invite health to every strategy discussion", owner=owner,
                            due=DUE, actor="test", on=OPENED, finding_reference=finding)
        occurrence_id = session.execute(select(Occurrence.id).where(Occurrence.key == subject)).scalar_one()
        now = datetime.now(timezone.utc)
        # The return the same agency owes for the finding's own activity, opened and due the same days.
        returned = Task(occurrence_id=occurrence_id, assignee_kind="agency", assignee_key=owner, due=DUE, status="open",
                        created_at=now, updated_at=now, opened_at=now, opened_on=OPENED)
        session.add(returned)
        session.flush()
        return_task, action_task = returned.id, session.execute(select(Task.id).join(Occurrence).where(Occurrence.key == f"action/{action}")).scalar_one()  # type: ignore[arg-type]

    contact = recipient_of(partnership, "agency", owner)
    policy = partnership.reminder_policy(activity)
    wd = working_day_calendar(partnership)
    days = working_days(partnership, OPENED, date(2027, 7, 23))
    expected_days = sorted({day for _, day in reminder_stages(policy, OPENED, DUE, wd) if day <= days[-1]})
    escalated_on = escalation_date(policy, DUE, wd)
    chairs = {recipient_of(partnership, "body", b) for b in policy.escalate_to or []} - {None}
    assert chairs, "the policy escalates to someone with an address"

    received: dict[date, list] = {}
    since = None
    for day in days:
        before = len(smtp.mailbox.messages)
        run_day(planned, partnership, day, since, smtp.port)
        received[day] = smtp.mailbox.messages[before:]
        since = day

    with transaction(planned) as session:
        rows = session.execute(select(Reminder.task_id, Reminder.stage, Reminder.recipient, Reminder.due_on)).all()
    as_action = {(s, r, d) for t, s, r, d in rows if t == action_task}
    as_return = {(s, r, d) for t, s, r, d in rows if t == return_task}
    assert as_action and as_action == as_return, "the same stages, recipients and days as the return"
    assert {(ESCALATION, chair, escalated_on) for chair in chairs} <= as_action

    title = f"Action {action} for {partnership.agencies[owner].name}"
    digest_days = [day for day, messages in received.items() if any(contact in m["To"] for m in messages)]
    assert digest_days == expected_days
    for day in expected_days:
        (digest,) = [m for m in received[day] if contact in m["To"]]
        assert title in _text(digest), day
        assert "Invite health" not in _text(digest) + digest["Subject"], "an action's own text is not in digests"
    first_overdue = next(day for day in expected_days if day > DUE)
    overdue_digest = next(m for m in received[first_overdue] if contact in m["To"])
    late = wd.working_days_between(DUE, first_overdue)
    assert f"Overdue by {late} working day" in _text(overdue_digest) and ", 2 overdue" in overdue_digest["Subject"]
    for chair in chairs:
        (escalation,) = [m for m in received[escalated_on] if chair in m["To"]]
        assert "escalation" in escalation["Subject"] and title in _text(escalation)
        assert partnership.agencies[owner].name in _text(escalation)

    # Done: the action's reminders stop; the return is still chased.
    with transaction(planned) as session:
        complete_action(session=session, reference=action, on=date(2027, 7, 26), evidence="Health attended every discussion in July", actor="test",
                        today=date(2027, 7, 26))
    later = working_days(partnership, date(2027, 7, 26), date(2027, 8, 13))
    for day in later:
        before = len(smtp.mailbox.messages)
        run_day(planned, partnership, day, since, smtp.port)
        since = day
        for message in smtp.mailbox.messages[before:]:
            assert f"Action {action}" not in _text(message), day
    assert any(contact in m["To"] for m in smtp.mailbox.messages[-10:]), "the return is still chased weekly"
