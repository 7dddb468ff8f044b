"""A rejected return: its agency's named contact is told what to fix, by a real SMTP
server on loopback, once, and never shown what was typed in the file."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import io
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from qaframework.cli import main as qaf
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.return_notices import REJECTION_NOTICE, assemble_rejection_notices
from qaframework.persistence.returns import StoredSubmission, receive_return
from qaframework.persistence.tables import EmailMessage, ReturnSubmission
from qaframework.reminders.delivery import DeliveryReport, deliver_pending
from qaframework.reminders.emails import EmailWriter
from qaframework.reminders.transport import SmtpTransport
from tests.conftest import FRAMEWORK_FILE
from tests.reminders.conftest import LONDON, SmtpServer, free_port

CSC = "csc-qa@council.example.org"
TASK = "dataset-return/2027-07/somerset-csc"
CANARY = "CANARY-Jemima-Puddleduck-04-03-2019"
MONDAY = date(2027, 7, 5)
TUESDAY = date(2027, 7, 6)


def _subject(message) -> str:  # type: ignore[no-untyped-def]
    """The subject as a mail client shows it: a long one arrives folded, starting on the
    line after "Subject:"."""
    return str(email.message_from_bytes(message.as_bytes(), policy=email.policy.default)["Subject"]).strip()


def _text(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_payload()[0].get_payload(decode=True).decode()


def _html(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_payload()[1].get_payload(decode=True).decode()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(timezone.utc)


@pytest.fixture
def planned(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """FY 2027 planned through the CLI, as the business unit does it."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    assert qaf(["plan", "--fy", "2027", "--as-of", "2027-04-01", "--framework", str(FRAMEWORK_FILE)]) == 0
    return database_url


def _template(tmp_path: Path, name: str) -> bytes:
    output = tmp_path / name
    assert qaf(["returns", "template", TASK, "--format", "csv", "--output", str(output), "--framework", str(FRAMEWORK_FILE)]) == 0
    return output.read_bytes()


def _filled(template: bytes, bad_row: int | None, bad_value: str) -> bytes:
    """The template with every value given, except ``bad_value`` typed in row ``bad_row``
    of the Values section."""
    rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    value_column, index = None, 0
    for row in rows:
        if row and row[0] == "Measure":
            value_column = row.index("Value")
        elif value_column is not None and row and row[0]:
            row[value_column] = bad_value if index == bad_row else "12"
            index += 1
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _receive(url: str, framework: Framework, data: bytes, filename: str, at: datetime) -> StoredSubmission:
    with transaction(url) as session:
        return receive_return(session=session, framework=framework, data=data, filename=filename, source="cli", actor="test", received_at=at)


def _notify(url: str, framework: Framework, day: date, port: int, at: datetime | None = None) -> DeliveryReport:
    """What send-reminders does for rejected returns: assemble today's notices, send them."""
    at = at or _at(day, 10)
    with transaction(url) as session:
        assemble_rejection_notices(session=session, framework=framework, today=day, domain="sscp.qaframework", now=at)
    writer = EmailWriter(framework, None, "http://127.0.0.1:4200")
    return deliver_pending(url, writer, SmtpTransport("127.0.0.1", port, security="none", timeout=5), clock=lambda: at)


def _submission(url: str, submission_id: int) -> ReturnSubmission:
    with transaction(url) as session:
        return session.execute(select(ReturnSubmission).where(ReturnSubmission.id == submission_id)).scalar_one()


def test_the_named_contact_is_told_what_to_fix_once(planned: str, framework: Framework, smtp: SmtpServer, tmp_path: Path) -> None:
    bad = _filled(_template(tmp_path, "template.csv"), bad_row=1, bad_value=CANARY)
    stored = _receive(planned, framework, bad, "csc-dataset-q2.csv", _at(MONDAY, 9, 30))
    assert stored.status == "rejected" and stored.task_reference == TASK
    assert _submission(planned, stored.id).notice_status == "pending"

    report = _notify(planned, framework, MONDAY, smtp.port)

    assert report.sent == 1 and report.failed == 0
    (message,) = smtp.mailbox.messages
    assert message["To"] == f"Somerset Council Children's Social Care <{CSC}>"
    assert _subject(message) == "SSCP: 1 return needs correcting (Somerset Council Children's Social Care)"
    assert message["Reply-To"] == "SSCP Business Unit <sscp-business-unit@example.org>"
    assert message["Message-ID"].strip().startswith(f"<{REJECTION_NOTICE}.20270705.")
    text = _text(message)
    assert "Dear Example Head of Quality Assurance," in text
    assert "File: csc-dataset-q2.csv" in text
    assert f"Task: SSCP Dataset return 2027/28 Q2 ({TASK}), due Friday 30 July 2027" in text
    assert "Received: Monday 5 July 2027 (version 1)" in text
    assert '  - section [Values], line 15, column "Value": expected a number, such as 12.5' in text
    for problem in stored.problems:
        assert f"- {problem['where']}: {problem['expected']}" in text
        assert f"<strong>{problem['where']}</strong>: {problem['expected']}" in html.unescape(_html(message))
    assert "send the whole corrected file" in text
    # The subject names no file and no problem; nothing typed in the file is anywhere.
    assert "csv" not in _subject(message) and "Value" not in _subject(message)
    for part in (message.as_string(), text, _html(message)):
        assert CANARY not in part and "Jemima" not in part

    row = _submission(planned, stored.id)
    assert row.notice_status == "sent" and row.notice_email_id is not None
    with transaction(planned) as session:
        email = session.execute(select(EmailMessage).where(EmailMessage.id == row.notice_email_id)).scalar_one()
    assert (email.kind, email.recipient, email.status, email.digest_date) == (REJECTION_NOTICE, CSC, "sent", MONDAY)

    # Later runs, that day or the next, have nothing more to say.
    assert _notify(planned, framework, MONDAY, smtp.port, _at(MONDAY, 10, 15)).sent == 0
    assert _notify(planned, framework, TUESDAY, smtp.port).sent == 0
    assert len(smtp.mailbox.messages) == 1


def test_two_files_rejected_the_same_day_make_one_email_and_a_later_one_waits_for_the_next(
    planned: str, framework: Framework, smtp: SmtpServer, tmp_path: Path,
) -> None:
    template = _template(tmp_path, "template.csv")
    first = _receive(planned, framework, _filled(template, 0, "lots"), "first try.csv", _at(MONDAY, 9))
    second = _receive(planned, framework, _filled(template, 3, "-5"), "second try.csv", _at(MONDAY, 9, 45))
    assert (first.version, second.version) == (1, 2)

    assert _notify(planned, framework, MONDAY, smtp.port).sent == 1
    (message,) = smtp.mailbox.to(CSC)
    assert _subject(message) == "SSCP: 2 returns need correcting (Somerset Council Children's Social Care)"
    text = _text(message)
    assert "File 1 of 2: first try.csv" in text and "File 2 of 2: second try.csv" in text
    assert text.index("first try.csv") < text.index("second try.csv")
    assert "(version 1)" in text and "(version 2)" in text
    for problem in first.problems + second.problems:
        assert f"{problem['where']}: {problem['expected']}" in text

    # A third file rejected after Monday's notice went is told of on Tuesday, alone.
    third = _receive(planned, framework, _filled(template, 5, "n/a"), "third try.csv", _at(MONDAY, 14))
    assert _notify(planned, framework, MONDAY, smtp.port, _at(MONDAY, 15)).sent == 0
    assert _notify(planned, framework, TUESDAY, smtp.port).sent == 1
    assert len(smtp.mailbox.to(CSC)) == 2
    tuesday = smtp.mailbox.to(CSC)[1]
    assert _subject(tuesday) == "SSCP: 1 return needs correcting (Somerset Council Children's Social Care)"
    assert "File: third try.csv" in _text(tuesday) and "first try.csv" not in _text(tuesday)
    assert tuesday["Message-ID"] != message["Message-ID"]
    assert {_submission(planned, s.id).notice_status for s in (first, second, third)} == {"sent"}


def test_a_notice_that_could_not_be_sent_goes_the_next_day_once(planned: str, framework: Framework, tmp_path: Path) -> None:
    stored = _receive(planned, framework, _filled(_template(tmp_path, "template.csv"), 2, "twelve"), "q2.csv", _at(MONDAY, 9))
    port = free_port()
    down = _notify(planned, framework, MONDAY, port)  # nothing listening
    assert down.sent == 0 and down.failed == 1
    assert _submission(planned, stored.id).notice_status == "pending"
    server = SmtpServer(port)
    server.start()
    try:
        assert _notify(planned, framework, TUESDAY, port).sent == 1
        assert _notify(planned, framework, TUESDAY, port, _at(TUESDAY, 11)).sent == 0
    finally:
        server.stop()
    (message,) = server.mailbox.messages
    assert message["Message-ID"].strip().startswith(f"<{REJECTION_NOTICE}.20270706.")
    assert "Received: Monday 5 July 2027 (version 1)" in _text(message)
    assert _submission(planned, stored.id).notice_status == "sent"
    with transaction(planned) as session:
        statuses = sorted(e.status for e in session.execute(select(EmailMessage)).scalars())
    assert statuses == ["sent", "superseded"]


def test_a_rejected_file_from_no_known_agency_tells_nobody(planned: str, framework: Framework, smtp: SmtpServer) -> None:
    stored = _receive(planned, framework, b"%PDF-1.4 " + CANARY.encode(), "scan.pdf", _at(MONDAY, 9))
    assert stored.status == "rejected" and stored.agency_key is None
    assert _submission(planned, stored.id).notice_status == "no-recipient"

    report = _notify(planned, framework, MONDAY, smtp.port)

    assert report.sent == 0 and report.failed == 0 and smtp.mailbox.messages == []
    row = _submission(planned, stored.id)
    assert row.notice_status == "no-recipient" and row.notice_email_id is None
    with transaction(planned) as session:
        assert session.execute(select(EmailMessage)).first() is None


def test_a_rejection_put_right_before_the_notice_went_is_not_sent(planned: str, framework: Framework, smtp: SmtpServer, tmp_path: Path) -> None:
    template = _template(tmp_path, "return.csv")
    rejected = _receive(planned, framework, _filled(template, 0, "twelve"), "first.csv", _at(MONDAY, 9))
    accepted = _receive(planned, framework, _filled(template, None, ""), "second.csv", _at(MONDAY, 11))
    assert (rejected.status, accepted.status, accepted.version) == ("rejected", "accepted", 2)

    report = _notify(planned, framework, MONDAY, smtp.port, _at(MONDAY, 12))

    assert report.sent == 0 and smtp.mailbox.messages == []
    assert _submission(planned, rejected.id).notice_status == "superseded"


def test_send_reminders_sends_the_digest_and_the_notice_as_two_emails(
    planned: str, framework: Framework, smtp: SmtpServer, tmp_path: Path,
) -> None:
    from qaframework.config import Settings
    from qaframework.persistence.outbox import queue_reminders
    from qaframework.persistence.task_status import open_started_tasks
    from tasks.reminders import send_reminders

    with transaction(planned) as session:
        open_started_tasks(session=session, on=date(2027, 7, 1), actor="test")
        queue_reminders(session=session, framework=framework, since=None, today=date(2027, 7, 1))
    _receive(planned, framework, _filled(_template(tmp_path, "template.csv"), 0, CANARY), "q2.csv", _at(date(2027, 7, 1), 7))
    settings = Settings(
        database_url=planned, data_dir=tmp_path / "data", smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_security="none", feeds_key="k" * 32,
    )

    assert send_reminders.fn(settings, framework, date(2027, 7, 1)) == {"sent": len(smtp.mailbox.messages), "failed": 0}

    digest, notice = sorted(_subject(m) for m in smtp.mailbox.to(CSC))
    assert digest.startswith("SSCP QA: ") and digest.endswith("items for Somerset Council Children's Social Care, 5 overdue")
    assert notice == "SSCP: 1 return needs correcting (Somerset Council Children's Social Care)"
    for message in smtp.mailbox.messages:
        assert CANARY not in message.as_string()
