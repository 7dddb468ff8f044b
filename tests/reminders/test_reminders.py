"""Reminders over a simulated spring, delivered to a real SMTP server on loopback."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select, update

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.tables import EmailMessage, Occurrence, ReviewCase, Task
from qaframework.reminders.delivery import deliver_pending
from qaframework.reminders.emails import EmailWriter
from qaframework.reminders.transport import SmtpTransport
from qaframework.yearly_plan import start_on_demand
from qaframework.persistence.repository import write_plan
from tests.concurrency import at_once
from tests.reminders.conftest import SmtpServer, free_port, morning, run_day, working_days

POLICE = "safeguarding-returns@police.example.org"
CSC = "csc-qa@council.example.org"
QP_CHAIR = "sscp-qp-chair@example.org"
BUSINESS_UNIT = "sscp-business-unit@example.org"


def _part(message, kind: str) -> str:  # type: ignore[no-untyped-def]
    """The text or HTML body (a digest carrying templates is multipart/mixed)."""
    return next(p for p in message.walk() if p.get_content_type() == kind and not p.get_filename()).get_payload(decode=True).decode()


def _text(message) -> str:  # type: ignore[no-untyped-def]
    return _part(message, "text/plain")


def _html(message) -> str:  # type: ignore[no-untyped-def]
    return _part(message, "text/html")


def _simulate(url: str, framework: Framework, smtp: SmtpServer, first: date, last: date) -> dict[date, list]:
    received: dict[date, list] = {}
    since = None
    for day in working_days(framework, first, last):
        before = len(smtp.mailbox.messages)
        run_day(url, framework, day, since, smtp.port)
        received[day] = smtp.mailbox.messages[before:]
        since = day
    return received


def test_the_right_people_get_the_right_digest_on_the_right_days(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    # Children's Social Care sends its Q1 audit return on 20 April; the police send nothing.
    received: dict[date, list] = {}
    since = None
    for day in working_days(framework, date(2027, 4, 1), date(2027, 5, 21)):
        if day == date(2027, 4, 20):
            with transaction(planned_2027) as session:
                audit_q1 = session.execute(select(Occurrence.id).where(Occurrence.key == "multi-agency-audit/2027-04")).scalar_one()
                session.execute(update(Task).where(Task.occurrence_id == audit_q1, Task.assignee_key == "somerset-csc").values(status="submitted"))
        before = len(smtp.mailbox.messages)
        run_day(planned_2027, framework, day, since, smtp.port)
        received[day] = smtp.mailbox.messages[before:]
        since = day

    police_days = [day for day, messages in received.items() if any(POLICE in m["To"] for m in messages)]
    assert police_days == [
        date(2027, 4, 1),   # audit Q1, practitioner survey and dataset return open
        date(2027, 4, 16),  # 10 working days before Friday 30 April
        date(2027, 4, 23),  # 5
        date(2027, 4, 29),  # 1
        date(2027, 4, 30),  # due today
        date(2027, 5, 4),   # overdue by 1 working day (Monday 3 May is a bank holiday); insight visit opens
        date(2027, 5, 11),  # weekly while overdue
        date(2027, 5, 14),  # insight visit due in 10 working days (Friday 28 May, before the 31 May bank holiday)
        date(2027, 5, 18),  # weekly while overdue
        date(2027, 5, 21),  # insight visit due in 5
    ]
    assert date(2027, 5, 3) not in received, "no run, and so no email, on a bank holiday"
    for day, messages in received.items():
        per_person = Counter(m["To"] for m in messages)
        assert max(per_person.values(), default=0) <= 1, f"more than one email to someone on {day}"

    due_today = next(m for m in received[date(2027, 4, 30)] if POLICE in m["To"])
    assert due_today["Subject"] == "SSCP QA: 3 items for Avon and Somerset Constabulary"
    assert "Multi-Agency Audit (Q1): due Friday 30 April 2027. Due today." in _text(due_today)
    assert "Practitioner survey: due Friday 30 April 2027. Due today." in _text(due_today)
    assert "SSCP Dataset return (Q1): due Friday 30 April 2027. Due today." in _text(due_today)
    assert "<strong>Multi-Agency Audit (Q1)</strong>: due Friday 30 April 2027. Due today." in _html(due_today)
    assert due_today["Message-ID"] and due_today["Date"]
    assert due_today.get_content_type() == "multipart/mixed", "the text and HTML parts, and the templates attached"
    assert due_today.get_payload()[0].get_content_type() == "multipart/alternative"
    overdue = next(m for m in received[date(2027, 5, 4)] if POLICE in m["To"])
    assert overdue["Subject"] == "SSCP QA: 4 items for Avon and Somerset Constabulary, 3 overdue"
    assert "Multi-Agency Audit (Q1): due Friday 30 April 2027. Overdue by 1 working day." in _text(overdue)
    assert "SSCP Insight Visit: due Friday 28 May 2027. Due in 18 working days." in _text(overdue)

    csc_after = [m for day, ms in received.items() if day >= date(2027, 4, 20) for m in ms if CSC in m["To"]]
    assert csc_after, "CSC still hears about its other work"
    assert not [m for m in csc_after if "Multi-Agency Audit (Q1)" in _text(m)], "nothing about a return already submitted"

    # Escalation: 5 working days after 30 April is Monday 10 May; once, to the Q&P chair
    # and the business unit, in a separate escalation digest.
    escalations = [(day, m) for day, ms in received.items() for m in ms if m["Subject"].startswith("SSCP QA escalation")]
    assert sorted({day for day, _ in escalations}) == [date(2027, 5, 10)]
    assert sorted(m["To"] for _, m in escalations) == sorted([f"Quality & Performance subgroup <{QP_CHAIR}>", f"SSCP Business Unit <{BUSINESS_UNIT}>"])
    chair = next(m for _, m in escalations if QP_CHAIR in m["To"])
    assert chair["Subject"] == "SSCP QA escalation: 3 overdue items"
    body = _text(chair).replace("\r\n", "\n")
    assert "* Multi-Agency Audit (Q1)\n  Due Friday 30 April 2027. Overdue by 5 working days.\n" in body
    flowing = " ".join(body.split())  # the names as read, whatever line they were wrapped onto
    assert "Avon and Somerset Constabulary" in flowing and "Somerset Council Children's Social Care" not in flowing.split("Practitioner survey")[0]


def test_smtp_down_for_three_runs_then_back_delivers_everything_once(planned_2027: str, framework: Framework) -> None:
    port = free_port()
    server = SmtpServer(port)
    days = working_days(framework, date(2027, 4, 1), date(2027, 4, 6))  # 1, 2, 5 (Good Friday 26 Mar is earlier) ...
    since = None
    for day in days[:3]:  # nothing listening on the port
        report = run_day(planned_2027, framework, day, since, port)
        assert report.sent == 0 and report.failed == 1 and report.errors == ["ConnectionRefusedError"]
        since = day
    with transaction(planned_2027) as session:
        waiting = session.execute(select(EmailMessage).where(EmailMessage.status == "pending")).scalars().all()
        assert waiting and all(e.last_error and "ConnectionRefusedError" in e.last_error for e in waiting if e.attempts)
    server.start()
    try:
        report = run_day(planned_2027, framework, days[3], since, port)
        assert report.failed == 0
        again = run_day(planned_2027, framework, days[3], days[3], port)
        assert again.sent == 0
    finally:
        server.stop()
    ids = [m["Message-ID"] for m in server.mailbox.messages]
    assert len(ids) == len(set(ids)) == report.sent
    per_person = Counter(m["To"] for m in server.mailbox.messages)
    assert per_person and set(per_person.values()) == {1}, "the days missed are folded into one email each"
    with transaction(planned_2027) as session:
        statuses = Counter(e.status for e in session.execute(select(EmailMessage)).scalars())
    assert statuses["sent"] == report.sent and set(statuses) <= {"sent", "superseded"}
    police = server.mailbox.to(POLICE)
    # 1 April's "new" digest, delayed by the outage, arrives once; the days in between
    # carried nothing new for the police.
    assert len(police) == 1 and "Multi-Agency Audit (Q1)" in _text(police[0])


def test_concurrent_and_repeated_runs_send_no_duplicate(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    day = date(2027, 4, 1)
    at_once(lambda: run_day(planned_2027, framework, day, None, smtp.port))
    run_day(planned_2027, framework, day, None, smtp.port)
    recipients = Counter(m["To"] for m in smtp.mailbox.messages)
    assert recipients and max(recipients.values()) == 1
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == len(smtp.mailbox.messages)


def test_a_crash_between_sending_and_recording_resends_once_with_the_same_message_id(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    day = date(2027, 4, 1)
    with transaction(planned_2027) as session:
        from qaframework.persistence.task_status import open_started_tasks

        open_started_tasks(session=session, on=day, actor="test")
        queue_reminders(session=session, framework=framework, since=None, today=day)
    with transaction(planned_2027) as session:
        assemble_digests(session=session, today=day, domain="sscp.qaframework")
    writer = EmailWriter(framework, None, "http://127.0.0.1:4200")
    real = SmtpTransport("127.0.0.1", smtp.port, security="none")

    class CrashAfterSending:
        def send(self, message):  # type: ignore[no-untyped-def]
            real.send(message)
            raise SystemExit("the worker died before recording the send")

    try:
        deliver_pending(planned_2027, writer, CrashAfterSending(), clock=lambda: morning(day), limit=1)
    except SystemExit:
        pass
    (first,) = smtp.mailbox.messages
    # Within the lease, another run does not touch the claimed email.
    deliver_pending(planned_2027, writer, real, clock=lambda: morning(day) + timedelta(minutes=5))
    assert [m["Message-ID"] for m in smtp.mailbox.messages].count(first["Message-ID"]) == 1
    # After the lease, it is sent again: the one duplicate the design allows, with the
    # same Message-ID, so mail systems can recognise it.
    deliver_pending(planned_2027, writer, real, clock=lambda: morning(day) + timedelta(minutes=11))
    assert [m["Message-ID"] for m in smtp.mailbox.messages].count(first["Message-ID"]) == 2


def test_no_email_carries_a_cases_private_notes(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    canary = "CANARY-Private-Notes-Family-Name-Ottoline"
    with transaction(planned_2027) as session:
        review = start_on_demand(framework, "rapid-review", date(2027, 4, 1), reference="RR-2027-002")
        write_plan(session=session, occurrences=[review], actor="test")
        session.add(ReviewCase(reference="RR-2027-002", kind="rapid-review", aware_date=date(2027, 3, 30), notified_date=date(2027, 4, 1), private_notes=canary))
    _simulate(planned_2027, framework, smtp, date(2027, 4, 1), date(2027, 4, 30))
    assert smtp.mailbox.messages
    unit = smtp.mailbox.to(BUSINESS_UNIT)
    assert any("RR-2027-002: Serious Incident / Rapid Review" in _text(m) for m in unit), "the business unit hears of the case by reference"
    for message in smtp.mailbox.messages:
        decoded = message["Subject"] + _text(message) + _html(message)
        assert canary not in decoded and "Ottoline" not in decoded and "Ottoline" not in message.as_string()
        assert "RR-2027-002" not in message["Subject"]


def test_a_refused_recipient_does_not_block_the_others_and_is_given_up_in_the_end(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    import smtplib

    from qaframework.persistence.outbox import MAX_ATTEMPTS
    from qaframework.persistence.task_status import open_started_tasks

    day = date(2027, 4, 1)
    with transaction(planned_2027) as session:
        open_started_tasks(session=session, on=day, actor="test")
        queue_reminders(session=session, framework=framework, since=None, today=day)
    with transaction(planned_2027) as session:
        assemble_digests(session=session, today=day, domain="sscp.qaframework")
    real = SmtpTransport("127.0.0.1", smtp.port, security="none")

    class RefusesThePolice:
        def send(self, message):  # type: ignore[no-untyped-def]
            if POLICE in message["To"]:
                raise smtplib.SMTPRecipientsRefused({POLICE: (550, b"no such mailbox")})
            real.send(message)

    writer = EmailWriter(framework, None, "http://127.0.0.1:4200")
    report = deliver_pending(planned_2027, writer, RefusesThePolice(), clock=lambda: morning(day))
    assert report.failed == 1 and report.sent == len(smtp.mailbox.messages) > 1
    for attempt in range(MAX_ATTEMPTS):
        deliver_pending(planned_2027, writer, RefusesThePolice(), clock=lambda: morning(day))
    with transaction(planned_2027) as session:
        police = session.execute(select(EmailMessage).where(EmailMessage.recipient == POLICE)).scalar_one()
    assert police.status == "failed" and police.attempts == MAX_ATTEMPTS and "SMTPRecipientsRefused" in (police.last_error or "")


def test_work_finished_after_queueing_is_left_out_and_opened_reminders_are_not_lost(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    from qaframework.persistence.task_status import open_started_tasks

    # check-deadlines ran before open-activities on 1 April: nothing was open yet.
    with transaction(planned_2027) as session:
        queue_reminders(session=session, framework=framework, since=None, today=date(2027, 4, 1))
        open_started_tasks(session=session, on=date(2027, 4, 1), actor="test")
    # The next morning: the "opened" reminders are still queued, and CSC has sent its
    # audit return between queueing and sending.
    with transaction(planned_2027) as session:
        queue_reminders(session=session, framework=framework, since=date(2027, 4, 1), today=date(2027, 4, 2))
        audit_q1 = session.execute(select(Occurrence.id).where(Occurrence.key == "multi-agency-audit/2027-04")).scalar_one()
        session.execute(update(Task).where(Task.occurrence_id == audit_q1, Task.assignee_key == "somerset-csc").values(status="submitted"))
    with transaction(planned_2027) as session:
        assemble_digests(session=session, today=date(2027, 4, 2), domain="sscp.qaframework")
    deliver_pending(planned_2027, EmailWriter(framework, None, "http://x"), SmtpTransport("127.0.0.1", smtp.port, security="none"), clock=lambda: morning(date(2027, 4, 2)))
    police = smtp.mailbox.to(POLICE)
    assert len(police) == 1 and "Multi-Agency Audit (Q1)" in _text(police[0])
    (csc,) = smtp.mailbox.to(CSC)
    assert "Multi-Agency Audit" not in _text(csc) and "Practitioner survey" in _text(csc)
    assert police[0]["Reply-To"] == f"SSCP Business Unit <{BUSINESS_UNIT}>"


def test_an_activity_overrides_only_what_it_sets(framework: Framework) -> None:
    from dataclasses import replace as dc_replace

    rapid = framework.reminder_policy("rapid-review")
    assert (rapid.escalate_after, rapid.escalate_to) == (1, ["executive", "business-unit"])
    assert rapid.before_due == framework.document.reminders.before_due
    changed_doc = framework.document.model_copy(update={"reminders": framework.document.reminders.model_copy(update={"before_due": [15, 5], "max_messages": 4})})
    changed = dc_replace(framework, document=changed_doc)
    assert changed.reminder_policy("rapid-review").before_due == [15, 5]
    assert changed.reminder_policy("rapid-review").max_messages == 4
