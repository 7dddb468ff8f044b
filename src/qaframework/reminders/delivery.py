"""Sending the outbox: each email claimed, sent and marked in its own transactions.

See ``qaframework.persistence.outbox`` for why a claim (a lease) is committed before
sending and the email marked sent straight after: that leaves only the moment between
the server's acceptance and the mark for a crash to cause a resend, and a resend carries
the same Message-ID.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import claim_next, digest_data, mark_failed, mark_sent
from qaframework.persistence.tables import utc_now
from qaframework.reminders.emails import EmailWriter, who_is
from qaframework.reminders.transport import Transport

#: Failures that mean the server is unreachable: stop this run and let the next retry.
#: (Other failures, such as a refused recipient, are recorded and the run goes on.)
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


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
) -> DeliveryReport:
    """Send every unsent email (up to ``limit``); stop at the first unreachable server."""
    report = DeliveryReport()
    for _ in range(limit):
        with transaction(database_url) as session:
            email_id = claim_next(session=session, now=clock(), lease=lease)
        if email_id is None:
            break
        with transaction(database_url) as session:
            data = digest_data(session=session, email_id=email_id)
        recipient = who_is(writer.framework, data.recipient)
        message = writer.compose(data, feed_url_for(recipient.feed_scope) if recipient.feed_scope else None, clock())
        try:
            transport.send(message)
        except Exception as exc:  # noqa: BLE001 - recorded on the email, retried next run
            with transaction(database_url) as session:
                mark_failed(session=session, email_id=email_id, error=f"{type(exc).__name__}: {exc}")
            report.failed += 1
            report.errors.append(type(exc).__name__)
            if isinstance(exc, UNREACHABLE):
                break
            continue
        with transaction(database_url) as session:
            mark_sent(session=session, email_id=email_id, now=clock())
        report.sent += 1
    return report
