"""Prefect tasks for the reminder outbox: queue what is due, then send the digests and
the notices of rejected returns.

Queuing is a database write (retried on transient errors). Sending claims and sends
one email at a time, all over the run's one connection to the mail server; a server
that cannot be reached ends the attempt, and the Prefect retries (with backoff) and the
next scheduled run pick up whatever is still unsent.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NONE

from qaframework.config import Settings
from qaframework.feeds.items import agency_scope, body_scope
from qaframework.feeds.keys import feed_key
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.return_notices import assemble_rejection_notices
from qaframework.persistence.papers import assemble_paper_notices
from qaframework.persistence.subscriptions import current_feed_paths
from qaframework.reminders.delivery import DeliveryReport, deliver_pending
from qaframework.reminders.emails import EmailWriter
from qaframework.reminders.transport import OutboxFolder, SmtpTransport, Transport
from tasks.retrying import retry_transient


@task(name="queue-reminders", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)
def queue_due_reminders(database_url: str, framework: Framework, since: date | None, today: date) -> int:
    with transaction(database_url) as session:
        return queue_reminders(session=session, framework=framework, since=since, today=today)


def _smtp_password(settings: Settings) -> str | None:
    if settings.smtp_password_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(settings.smtp_password_block).get())
    return settings.smtp_password.get_secret_value() if settings.smtp_password else None


def transport_for(settings: Settings) -> Transport:
    """SMTP when QAF_SMTP_HOST is set; otherwise .eml files in the outbox folder."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host, settings.effective_smtp_port, settings.smtp_security,
            settings.smtp_username, _smtp_password(settings), settings.smtp_timeout_seconds,
        )
    return OutboxFolder(settings.effective_outbox_dir)


def feed_scopes(framework: Framework) -> list[str]:
    return [agency_scope(k) for k in framework.agencies] + [body_scope(k) for k in framework.bodies]


class UnsentEmails(RuntimeError):
    """Some emails could not be sent this attempt; they stay in the outbox."""


@task(name="send-reminders", retries=2, retry_delay_seconds=[30, 120], cache_policy=NONE)
def send_reminders(settings: Settings, framework: Framework, today: date) -> dict[str, int]:
    url = settings.effective_database_url
    domain = f"{framework.document.partnership.key}.qaframework"
    with transaction(url) as session:
        assemble_digests(session=session, today=today, domain=domain)
        assemble_rejection_notices(session=session, framework=framework, today=today, domain=domain)
        assemble_paper_notices(session=session, today=today, domain=domain)
    key = feed_key(settings)
    with transaction(url) as session:  # one read for every agency's feed, not one per email
        paths = current_feed_paths(session=session, scopes=feed_scopes(framework), key=key)

    def feed_url(scope: str) -> str | None:
        path = paths.get(scope)
        return settings.feeds_base_url + path if path else None

    writer = EmailWriter.for_settings(framework, settings)
    transport = transport_for(settings)
    try:
        report: DeliveryReport = deliver_pending(url, writer, transport, feed_url, data_dir=settings.data_dir)
    finally:
        transport.close()  # the run's one connection to the mail server
    if report.failed:
        # Raising lets Prefect retry with backoff; what was sent stays sent.
        raise UnsentEmails(f"{report.sent} emails sent, {report.failed} not sent ({', '.join(sorted(set(report.errors)))}); they stay in the outbox")
    return {"sent": report.sent, "failed": report.failed}
