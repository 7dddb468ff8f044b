"""Writing the reminder, escalation and rejected-return emails people read.

Jinja2 templates in ``templates/email/`` give a plain-text and an HTML part in UK
English, dates written as "Wednesday 13 January 2027". Subjects carry counts and the
recipient's organisation only; lines carry activity titles, periods and case
references, never case details. A rejection notice's body names the files and gives
the stored reasons (where each problem is, what was expected), never what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from qaframework.deadlines import working_day_calendar
from qaframework.feeds.items import is_case_review
from qaframework.occurrence_kinds import ACTION
from qaframework.framework import Framework
from qaframework.persistence.outbox import DigestData, DigestLine
from qaframework.persistence.return_notices import RejectionNotice

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"


def long_date(day: date) -> str:
    """A date as people write it in UK English.

    >>> long_date(date(2027, 1, 13))
    'Wednesday 13 January 2027'
    """
    return f"{day:%A} {day.day} {day:%B %Y}"


def _environment(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    return env


@dataclass(frozen=True)
class Recipient:
    kind: str  # "agency" or "body"
    greeting: str
    name: str
    feed_scope: str | None


def who_is(framework: Framework, address: str) -> Recipient:
    for key, agency in framework.agencies.items():
        if agency.contact.email == address:
            return Recipient("agency", agency.contact.name, agency.name, f"agency:{key}")
    for key, body in framework.bodies.items():
        if body.email == address:
            return Recipient("body", body.chair or body.name, body.name, f"body:{key}")
    return Recipient("body", "colleague", address, None)


class EmailWriter:
    """Turns a day's digest or rejection notice into an email message, ready for any
    transport."""

    def __init__(self, framework: Framework, sender: str | None, ui_url: str, templates: Path = TEMPLATES) -> None:
        self._framework = framework
        self._env = _environment(templates)
        self._wd = working_day_calendar(framework)
        self._zone = ZoneInfo(framework.document.partnership.timezone)
        doc = framework.document
        self._short = doc.partnership.short_name or doc.partnership.key.upper()
        unit = doc.bodies[framework.role("business_unit")]
        self._business_unit = unit.name
        default_from = formataddr((self._business_unit, unit.email)) if unit.email else f"{self._short} <noreply@localhost>"
        self._sender = sender or default_from
        self._reply_to = formataddr((self._business_unit, unit.email)) if unit.email else self._sender
        self._ui_url = ui_url

    @property
    def framework(self) -> Framework:
        return self._framework

    def _label(self, line: DigestLine) -> str:
        base = f"{line.title} ({line.period})" if line.period else line.title
        if is_case_review(self._framework, line.activity) and not line.occurrence_key.startswith(f"{ACTION}/"):
            return f"{line.occurrence_key.split('/', 1)[1]}: {base}"
        return base

    def _state(self, line: DigestLine, day: date) -> str:
        if line.due < day:
            late = self._wd.working_days_between(line.due, day)
            return f"Overdue by {late} working day{'s' if late != 1 else ''}."
        if line.due <= day:
            return "Due today."
        left = max(self._wd.working_days_between(day, line.due), 1)
        return f"Due in {left} working day{'s' if left != 1 else ''}."

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def compose(self, data: DigestData, feed_url: str | None, now: datetime) -> EmailMessage:
        recipient = who_is(self._framework, data.recipient)
        day = data.day
        if data.kind == "escalation":
            subject, text, html = self._escalation(data, recipient, day)
        else:
            subject, text, html = self._digest(data, recipient, day, feed_url)
        return self._message(recipient, data.recipient, data.message_id, subject, text, html, now)

    def compose_rejection(self, notice: RejectionNotice, now: datetime) -> EmailMessage:
        """The notice telling an agency's named contact which files were rejected and
        what to fix in each. The subject carries the count and the organisation only;
        the body, each file's name, task and received day, and the stored reasons."""
        recipient = who_is(self._framework, notice.recipient)
        count = len(notice.files)
        names = [self._framework.agencies[k].name for k in dict.fromkeys(f.agency_key for f in notice.files) if k in self._framework.agencies]
        organisation = ", ".join(names) or recipient.name
        subject = f"{self._short}: {count} return{'s need' if count != 1 else ' needs'} correcting ({organisation})"
        files = [
            {"filename": f.filename or "(no file name)", "task_title": f.task_title, "task_reference": f.task_reference,
             "due": f.due, "received_on": f.received_on, "version": f.version, "problems": f.reasons}
            for f in notice.files
        ]
        context = {
            "subject": subject, "greeting": recipient.greeting, "partnership": self._short, "count": count,
            "files": files, "business_unit": self._business_unit,
        }
        text = self._env.get_template("return_rejected.txt.j2").render(context)
        html = self._env.get_template("return_rejected.html.j2").render(context)
        return self._message(recipient, notice.recipient, notice.message_id, subject, text, html, now)

    def _message(self, recipient: Recipient, address: str, message_id: str, subject: str, text: str, html: str, now: datetime) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = formataddr((recipient.name, address))
        message["Subject"] = subject
        message["Date"] = format_datetime(now.astimezone(self._zone))
        message["Message-ID"] = message_id
        message["Reply-To"] = self._reply_to
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def _digest(self, data: DigestData, recipient: Recipient, day: date, feed_url: str | None) -> tuple[str, str, str]:
        seen: set[tuple[str, str]] = set()
        overdue, soon, new = [], [], []
        for line in data.lines:
            if (line.occurrence_key, line.assignee_key) in seen:
                continue
            seen.add((line.occurrence_key, line.assignee_key))
            entry = {"label": self._label(line), "due": line.due, "state": self._state(line, day)}
            if line.due < day:
                overdue.append(entry)
            elif line.stage == "opened":
                new.append(entry)
            else:
                soon.append(entry)
        sections = [s for s in (
            {"heading": "Overdue", "lines": overdue},
            {"heading": "Due soon", "lines": soon},
            {"heading": "New", "lines": new},
        ) if s["lines"]]
        count = len(seen)
        subject = f"{self._short} QA: {count} item{'s' if count != 1 else ''} for {recipient.name}"
        if overdue:
            subject += f", {len(overdue)} overdue"
        context = {
            "subject": subject, "greeting": recipient.greeting, "partnership": self._short, "day": day,
            "sections": sections, "kind": recipient.kind, "business_unit": self._business_unit,
            "ui_url": self._ui_url, "feed_url": feed_url,
        }
        return subject, self._env.get_template("digest.txt.j2").render(context), self._env.get_template("digest.html.j2").render(context)

    def _escalation(self, data: DigestData, recipient: Recipient, day: date) -> tuple[str, str, str]:
        groups: dict[str, dict[str, object]] = {}
        for line in data.lines:
            holder = self._holder_name(line)
            group = groups.setdefault(line.occurrence_key, {"label": self._label(line), "due": line.due, "state": self._state(line, day), "holders": []})
            if holder not in group["holders"]:  # type: ignore[operator]
                group["holders"].append(holder)  # type: ignore[union-attr]
        ordered = sorted(groups.values(), key=lambda g: (g["due"], g["label"]))  # type: ignore[return-value]
        subject = f"{self._short} QA escalation: {len(ordered)} overdue item{'s' if len(ordered) != 1 else ''}"
        context = {
            "subject": subject, "greeting": recipient.greeting, "partnership": self._short, "day": day,
            "groups": ordered, "business_unit": self._business_unit, "ui_url": self._ui_url,
        }
        return subject, self._env.get_template("escalation.txt.j2").render(context), self._env.get_template("escalation.html.j2").render(context)

    def _holder_name(self, line: DigestLine) -> str:
        if line.assignee_kind == "agency" and line.assignee_key in self._framework.agencies:
            return self._framework.agencies[line.assignee_key].name
        body = self._framework.bodies.get(line.assignee_key)
        return body.name if body else line.assignee_key
