"""Sending the outbox writes once per email: an email's record (sent, failed) and the
claim of the next share one commit, and a claim that fails never undoes the record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from qaframework.framework import Framework
from qaframework.persistence.database import make_engine, transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.tables import EmailMessage, Reminder
from qaframework.persistence.task_status import open_started_tasks
from qaframework.reminders.delivery import deliver_pending
from qaframework.reminders.emails import EmailWriter
from qaframework.reminders.transport import SmtpTransport
from tests.reminders.conftest import SmtpServer, morning

DAY = date(2027, 4, 1)


def _queue_the_morning(url: str, framework: Framework) -> int:
    with transaction(url) as session:
        open_started_tasks(session=session, on=DAY, actor="test")
        queue_reminders(session=session, framework=framework, since=None, today=DAY)
    with transaction(url) as session:
        return assemble_digests(session=session, today=DAY, domain="sscp.qaframework")


@contextmanager
def _writing_commits() -> Iterator[list[int]]:
    """How many committed transactions wrote something, on any engine meanwhile."""
    written: list[int] = []

    def _statement(connection, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            connection.info["wrote"] = True

    def _commit(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.info.pop("wrote", False):
            written.append(1)

    def _rollback(connection) -> None:  # type: ignore[no-untyped-def]
        connection.info.pop("wrote", None)

    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "commit", _commit)
    event.listen(Engine, "rollback", _rollback)
    try:
        yield written
    finally:
        event.remove(Engine, "before_cursor_execute", _statement)
        event.remove(Engine, "commit", _commit)
        event.remove(Engine, "rollback", _rollback)


def test_each_email_is_recorded_in_the_commit_that_claims_the_next(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    emails = _queue_the_morning(planned_2027, framework)
    assert emails > 3
    writer = EmailWriter(framework, None, "http://127.0.0.1:4200")
    with _writing_commits() as written:
        report = deliver_pending(planned_2027, writer, SmtpTransport("127.0.0.1", smtp.port, security="none"), clock=lambda: morning(DAY))
    assert report.sent == emails == len(smtp.mailbox.messages) and report.failed == 0
    # The first claim, then one write per email: its record and the next claim.
    assert len(written) == emails + 1
    with transaction(planned_2027) as session:
        statuses = session.execute(select(EmailMessage.status, EmailMessage.claimed_until)).all()
        waiting = session.execute(select(Reminder.id).where(Reminder.status == "pending")).all()
    assert statuses and all(status == "sent" and until is None for status, until in statuses)
    assert waiting == []


def _refuse_claims_once_one_is_sent(url: str) -> None:
    """A real trigger in the database: claiming an email fails once any email is sent."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text(
                    "CREATE TRIGGER refuse_claims BEFORE UPDATE OF attempts ON email_message "
                    "WHEN NEW.attempts > OLD.attempts AND EXISTS (SELECT 1 FROM email_message WHERE status = 'sent') "
                    "BEGIN SELECT RAISE(ABORT, 'claims refused'); END"))
            else:
                connection.execute(text(
                    "CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.attempts > OLD.attempts AND EXISTS (SELECT 1 FROM email_message WHERE status = 'sent') "
                    "THEN RAISE EXCEPTION 'claims refused'; END IF; RETURN NEW; END $$"))
                connection.execute(text(
                    "CREATE TRIGGER refuse_claims BEFORE UPDATE ON email_message FOR EACH ROW EXECUTE FUNCTION refuse_claims()"))
    finally:
        engine.dispose()


def test_a_claim_that_fails_leaves_the_email_before_it_recorded_sent(planned_2027: str, framework: Framework, smtp: SmtpServer) -> None:
    emails = _queue_the_morning(planned_2027, framework)
    assert emails > 1
    _refuse_claims_once_one_is_sent(planned_2027)
    writer = EmailWriter(framework, None, "http://127.0.0.1:4200")
    with pytest.raises(DBAPIError, match="claims refused"):
        deliver_pending(planned_2027, writer, SmtpTransport("127.0.0.1", smtp.port, security="none"), clock=lambda: morning(DAY))
    (sent,) = smtp.mailbox.messages
    with transaction(planned_2027) as session:
        rows = session.execute(select(EmailMessage.message_id, EmailMessage.status, EmailMessage.claimed_until)).all()
        first = next(row for row in rows if row.message_id == sent["Message-ID"])
        reminded = session.execute(select(Reminder.status).join(EmailMessage, Reminder.email_id == EmailMessage.id)  # type: ignore[arg-type]
                                   .where(EmailMessage.message_id == first.message_id)).scalars().all()
    # The email that went is recorded sent, with its reminders; nothing else was claimed.
    assert first.status == "sent" and first.claimed_until is None
    assert reminded and set(reminded) == {"sent"}
    assert [row for row in rows if row.status == "pending" and row.claimed_until is not None] == []
    assert sum(1 for row in rows if row.status == "pending") == emails - 1
