"""A real SMTP server on loopback (aiosmtpd), and a partnership planned for 2027/28."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.task_status import mark_overdue_tasks, open_started_tasks
from qaframework.reminders.delivery import DeliveryReport, deliver_pending
from qaframework.reminders.emails import EmailWriter
from qaframework.reminders.transport import SmtpTransport
from qaframework.yearly_plan import plan_financial_year

LONDON = ZoneInfo("Europe/London")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's name
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["To"]]


class SmtpServer:
    """An aiosmtpd server on loopback: ``handler`` takes the mail (a Mailbox unless given);
    ``options`` go to aiosmtpd's Controller (``ssl_context``, ``tls_context``...)."""

    def __init__(self, port: int, handler: Any = None, **options: Any) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.handler = handler if handler is not None else self.mailbox
        self.options = options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def planned_2027(database_url: str, framework: Framework) -> str:
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=framework)
        write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(2027)), actor="test", as_of=date(2027, 3, 1))
    return database_url


def morning(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=LONDON).astimezone(timezone.utc)


def run_day(url: str, framework: Framework, day: date, since: date | None, port: int, writer: EmailWriter | None = None) -> DeliveryReport:
    """One working-day morning, as the flows do it: open, mark overdue, queue, send
    (with ``writer``, or one with the default settings)."""
    with transaction(url) as session:
        open_started_tasks(session=session, on=day, actor="test")
        mark_overdue_tasks(session=session, on=day, actor="test")
        queue_reminders(session=session, framework=framework, since=since, today=day)
    with transaction(url) as session:
        assemble_digests(session=session, today=day, domain="sscp.qaframework")
    writer = writer or EmailWriter(framework, None, "http://127.0.0.1:4200")
    transport = SmtpTransport("127.0.0.1", port, security="none", timeout=5)
    return deliver_pending(url, writer, transport, clock=lambda: morning(day))


def working_days(framework: Framework, first: date, last: date) -> list[date]:
    wd = working_day_calendar(framework)
    days, day = [], first
    while day <= last:
        if wd.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days
