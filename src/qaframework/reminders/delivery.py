"""Sending the outbox: each email claimed, sent, and marked in the commit that claims the next.

Digests and escalations are written from their reminders (a digest with the pre-filled
template of each return it reminds of attached); a rejection notice from the
rejected returns it carries (``qaframework.persistence.return_notices``); a papers notice
from the papers it tells of, their PDFs attached from the data folder
(``qaframework.persistence.papers``).

See ``qaframework.persistence.outbox`` for why a claim (a lease) is committed before
sending and the email marked sent straight after: that leaves only the moment between
the server's acceptance and the mark for a crash to cause a resend, and a resend carries
the same Message-ID.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from email.message import EmailMessage as Message

from sqlmodel import Session

from qaframework.persistence.database import make_engine, session_scope
from qaframework.persistence.outbox import Claim, claim_next, digest_data, mark_failed, mark_sent
from qaframework.persistence.papers import PAPERS_NOTICE, mark_papers_notice_sent, papers_notice_data
from qaframework.persistence.return_notices import REJECTION_NOTICE, mark_notice_sent, rejection_notice_data
from qaframework.persistence.tables import utc_now
from qaframework.reminders.attachments import return_tasks
from qaframework.reminders.emails import EmailWriter, who_is
from qaframework.reminders.transport import Transport, server_closing

def server_unusable(exc: BaseException) -> bool:
    """Failures that would fail for every email (no connection, refused login, TLS, a
    server closing its service: 421): stop this run and let the next retry. Others (a
    refused recipient) only skip that email."""
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, smtplib.SMTPAuthenticationError, ssl.SSLError, socket.gaierror)):
        return True
    if isinstance(exc, smtplib.SMTPException) and server_closing(exc):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_pending(
    database_url: str,
    writer: EmailWriter,
    transport: Transport,
    feed_url_for: Callable[[str], str | None] = lambda scope: None,
    clock: Callable[[], datetime] = utc_now,
    lease: timedelta = timedelta(minutes=10),
    limit: int = 1000,
    data_dir: Path = Path(".qaf"),
) -> DeliveryReport:
    """Send every unsent email (up to ``limit``); stop at the first unreachable server.

    Each claim, read and record is a short transaction (so a crash loses as little as
    possible), on one engine for the whole run; an email's record and the next claim
    share one.
    """
    engine = make_engine(database_url)
    try:
        return _deliver(engine, writer, transport, feed_url_for, clock, lease, limit, data_dir)
    finally:
        engine.dispose()


def _deliver(engine, writer, transport, feed_url_for, clock, lease, limit, data_dir) -> DeliveryReport:  # type: ignore[no-untyped-def]
    report = DeliveryReport()
    tried: list[int] = []
    with session_scope(engine) as session:
        claim = claim_next(session=session, now=clock(), lease=lease, exclude=tried) if limit > 0 else None
    while claim is not None:
        email_id, token = claim.email_id, claim.lease
        tried.append(email_id)
        message, record = _outgoing(engine, claim, writer, feed_url_for, clock, data_dir)
        stop = False
        if message is not None:  # None: everything in it was finished or dealt with since
            try:
                transport.send(message)
            except Exception as exc:  # noqa: BLE001 - recorded on the email, retried next run
                error = f"{type(exc).__name__}: {exc}"
                record = lambda session: mark_failed(session=session, email_id=email_id, lease=token, error=error)  # noqa: E731
                report.failed += 1
                report.errors.append(type(exc).__name__)
                stop = server_unusable(exc)
            else:
                report.sent += 1
        more = not stop and len(tried) < limit
        claim = _record_and_claim_next(engine, record, (lambda session: claim_next(session=session, now=clock(), lease=lease, exclude=tried)) if more else None)
    return report


def _record_and_claim_next(engine, record: Callable[[Session], None], claim: Callable[[Session], Claim | None] | None) -> Claim | None:  # type: ignore[no-untyped-def]
    """Record what became of an email and claim the next in one commit: one synced write
    per email, not two, and the record as prompt as before. The claim is a savepoint of
    its own, so a claim that fails can never undo the record: that is committed, then the
    failure raised."""
    failure: Exception | None = None
    claimed = None
    with session_scope(engine) as session:
        record(session)
        if claim is not None:
            try:
                with session.begin_nested():
                    claimed = claim(session)
            except Exception as exc:  # noqa: BLE001 - raised once the record is committed
                failure = exc
    if failure is not None:
        raise failure
    return claimed


def _outgoing(engine, claim: Claim, writer, feed_url_for, clock, data_dir) -> tuple[Message | None, Callable[[Session], None]]:  # type: ignore[no-untyped-def]
    """The message for a claimed email (None when nothing in it is left to say), and how
    to record that it went: a digest marks its reminders sent, a rejection notice the
    rejected returns it told of, a papers notice its papers. What it says is read in one
    transaction."""
    email_id, token, kind = claim.email_id, claim.lease, claim.kind
    with session_scope(engine) as session:
        if kind == PAPERS_NOTICE:
            papers = papers_notice_data(session=session, email_id=email_id)
        elif kind == REJECTION_NOTICE:
            notice = rejection_notice_data(session=session, email_id=email_id, zone=writer.zone)
        else:
            data = digest_data(session=session, email_id=email_id)
            # A digest attaches the template of each return it reminds of.
            returns = return_tasks(session=session, framework=writer.framework, lines=data.lines) if data.lines and data.kind != "escalation" else None
    if kind == PAPERS_NOTICE:
        message = writer.compose_papers(papers, data_dir, clock()) if papers.papers else None
        return message, lambda session: mark_papers_notice_sent(session=session, email_id=email_id, lease=token, now=clock())
    if kind == REJECTION_NOTICE:
        told = notice.submission_ids
        message = writer.compose_rejection(notice, clock()) if notice.files else None
        return message, lambda session: mark_notice_sent(session=session, email_id=email_id, lease=token, submission_ids=told, now=clock())
    reminded = data.reminder_ids
    record: Callable[[Session], None] = lambda session: mark_sent(session=session, email_id=email_id, lease=token, reminder_ids=reminded, now=clock())  # noqa: E731
    if not data.lines:
        return None, record
    recipient = who_is(writer.framework, data.recipient)
    return writer.compose(data, feed_url_for(recipient.feed_scope) if recipient.feed_scope else None, clock(), returns), record
