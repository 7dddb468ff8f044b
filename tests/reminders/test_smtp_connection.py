"""A delivery run's emails go over one SMTP connection to a real server on loopback; a
connection the server has closed (idle, or at its limit of emails per connection, 421)
is opened again for the email that found it closed, and nothing is sent twice; a server
closing its service on a new connection ends the run's sending."""

from __future__ import annotations

import smtplib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import EmailMessage as OutboxEmail
from qaframework.reminders.transport import SmtpTransport
from tests.reminders.conftest import SmtpServer, free_port, run_day

REFUSED = "gone@agency.example"


class Relay:
    """What the server received, by connection (the client's address and port), and its
    rules: at most ``per_connection`` emails a connection (then 421), or 421 to all; the
    email with subject ``drop_after`` is taken and the connection dropped unanswered."""

    def __init__(self, per_connection: int | None = None, closing: bool = False, drop_after: str | None = None) -> None:
        self.per_connection = per_connection
        self.closing = closing
        self.drop_after = drop_after
        self.received: list[tuple[tuple[str, int], str]] = []
        self.mail_commands = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        self.mail_commands += 1
        taken = sum(1 for peer, _ in self.received if peer == session.peer)
        if self.closing or (self.per_connection is not None and taken >= self.per_connection):
            return "421 Too many messages on this connection, closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address == REFUSED:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        subject = next(line for line in envelope.content.decode().splitlines() if line.startswith("Subject: "))
        with self.lock:
            self.received.append((session.peer, subject.removeprefix("Subject: ")))
        if subject.removeprefix("Subject: ") == self.drop_after:
            server.transport.close()  # taken, but the connection drops before the answer
        return "250 OK"

    def connections(self) -> int:
        return len({peer for peer, _ in self.received})

    def subjects(self) -> list[str]:
        return [subject for _, subject in self.received]


class Servers:
    """Loopback SMTP servers, each stopped at the end of the test (or before, by port)."""

    def __init__(self) -> None:
        self.running: dict[int, SmtpServer] = {}

    def start(self, relay: Relay, port: int | None = None) -> int:
        server = SmtpServer(port or free_port(), relay)
        server.start()
        self.running[server.port] = server
        return server.port

    def stop(self, port: int) -> None:
        self.running.pop(port).stop()


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = Servers()
    yield started
    for port in list(started.running):
        started.stop(port)


def email(n: int, to: str = "contact@agency.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "qaf@partnership.example"
    message["To"] = to
    message["Subject"] = f"Reminder {n}"
    message["Message-ID"] = f"<connection-{n}@partnership.example>"
    message.set_content(f"body {n}")
    return message


def test_a_run_s_emails_go_over_one_connection_and_close_ends_it(servers: Servers) -> None:
    relay = Relay()
    transport = SmtpTransport("127.0.0.1", servers.start(relay), security="none", timeout=10)
    for n in range(1, 6):
        transport.send(email(n))
    assert relay.subjects() == [f"Reminder {n}" for n in range(1, 6)]
    assert relay.connections() == 1
    # Nagle's algorithm is off on the connection: with it on, every email after the first
    # waits for the server's delayed ACK (40 ms; benchmarks/smtp.py measures it).
    assert transport._client is not None and transport._client.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    transport.close()
    transport.send(email(6))  # after close, a new connection
    assert relay.connections() == 2


def test_a_server_s_limit_of_emails_per_connection_loses_and_repeats_nothing(servers: Servers) -> None:
    relay = Relay(per_connection=2)
    transport = SmtpTransport("127.0.0.1", servers.start(relay), security="none", timeout=10)
    for n in range(1, 8):
        transport.send(email(n))
    transport.close()
    assert relay.subjects() == [f"Reminder {n}" for n in range(1, 8)], "each email once, in order"
    assert Counter(peer for peer, _ in relay.received).most_common(1)[0][1] == 2
    assert relay.connections() == 4


def test_a_connection_the_server_dropped_while_idle_is_opened_again(servers: Servers) -> None:
    before, after = Relay(), Relay()
    port = servers.start(before)
    transport = SmtpTransport("127.0.0.1", port, security="none", timeout=10)
    transport.send(email(1))
    servers.stop(port)  # the server restarts between two emails: the run's connection is gone
    servers.start(after, port)
    transport.send(email(2))
    transport.close()
    assert before.subjects() == ["Reminder 1"] and after.subjects() == ["Reminder 2"]


def test_an_email_that_may_have_reached_the_server_is_not_sent_again(servers: Servers) -> None:
    relay = Relay(drop_after="Reminder 2")
    transport = SmtpTransport("127.0.0.1", servers.start(relay), security="none", timeout=10)
    transport.send(email(1))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        transport.send(email(2))  # the server took it, then the connection dropped
    transport.send(email(3))  # on a new connection
    transport.close()
    assert relay.subjects() == ["Reminder 1", "Reminder 2", "Reminder 3"], "the dropped one once: the outbox decides later"
    assert relay.connections() == 2


def test_a_refused_email_keeps_the_connection_for_the_next(servers: Servers) -> None:
    relay = Relay()
    transport = SmtpTransport("127.0.0.1", servers.start(relay), security="none", timeout=10)
    transport.send(email(1))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        transport.send(email(2, to=REFUSED))
    transport.send(email(3))
    transport.close()
    assert relay.subjects() == ["Reminder 1", "Reminder 3"]
    assert relay.connections() == 1


def test_a_server_that_closes_at_once_is_not_asked_again(servers: Servers) -> None:
    relay = Relay(closing=True)
    transport = SmtpTransport("127.0.0.1", servers.start(relay), security="none", timeout=10)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        transport.send(email(1))
    assert refused.value.smtp_code == 421
    assert relay.received == [] and relay.mail_commands == 1, "a new connection's 421 is the server's answer for now"


def test_a_server_closing_its_service_ends_the_run_and_the_other_emails_wait(planned_2027: str, framework: Framework, servers: Servers) -> None:
    relay = Relay(closing=True)
    report = run_day(planned_2027, framework, date(2027, 4, 1), None, servers.start(relay))
    assert report.sent == 0 and report.failed == 1 and report.errors == ["SMTPSenderRefused"]
    assert relay.mail_commands == 1, "one email tried; the rest wait for the next run"
    with transaction(planned_2027) as session:
        emails = session.execute(select(OutboxEmail.attempts)).scalars().all()
    assert len(emails) > 1 and sorted(emails)[-2:] == [0, 1]
