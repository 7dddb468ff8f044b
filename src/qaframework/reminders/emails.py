"""Writing the reminder, escalation and rejected-return emails people read.

Jinja2 templates in ``templates/email/`` give a plain-text and an HTML part in UK
English, dates written as "Wednesday 13 January 2027", the text part wrapped at 78
characters. Subjects carry counts and the recipient's organisation only; lines carry
activity titles, periods and case references, never case details. A rejection notice's
body names the files and gives the stored reasons (where each problem is, what was
expected), never what was typed.

Each item of a digest says what to do about it: for a task a return answers, the
pre-filled template is attached and the item says where to send it back (the returns
address, else a reply to the email; and the shared returns folder when one is set);
for other work, what "done" means and who records it. An escalation lists, for each
overdue item, who it is still waiting for, never the recipient itself.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from qaframework.config import Settings
from qaframework.deadlines import working_day_calendar
from qaframework.feeds.items import is_case_review
from qaframework.occurrence_kinds import ACTION
from qaframework.framework import Framework
from qaframework.persistence.outbox import DigestData, DigestLine, recipient_of
from qaframework.persistence.papers import PapersNotice
from qaframework.persistence.return_notices import RejectionNotice
from qaframework.reminders.attachments import Attachment, template_attachment
from qaframework.returns.workbook_copies import TemplateWorkbooks
from qaframework.reminders.what_to_do import Audience, what_to_do
from qaframework.returns.validation import ReturnTask, task_reference

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"


def long_date(day: date) -> str:
    """A date as people write it in UK English.

    >>> long_date(date(2027, 1, 13))
    'Wednesday 13 January 2027'
    """
    return f"{day:%A} {day.day} {day:%B %Y}"


#: The widest line of a plain-text part (RFC 5322 recommends 78).
TEXT_WIDTH = 78


def wrap(text: str, indent: int = 0, first: str = "") -> str:
    """A paragraph filled to :data:`TEXT_WIDTH`, each line after the first indented
    (words, file names and addresses are never broken).

    >>> print(wrap("Not yet received from: " + ", ".join(["Somerset Council Children's Social Care"] * 2), 2))
    Not yet received from: Somerset Council Children's Social Care, Somerset
      Council Children's Social Care
    """
    return textwrap.fill(" ".join(str(text).split()), width=TEXT_WIDTH, initial_indent=first, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)


def _environment(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.filters["wrap"] = wrap
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

    def __init__(self, framework: Framework, sender: str | None, ui_url: str, templates: Path = TEMPLATES, *,
                 returns_address: str | None = None, returns_folder: Path | None = None) -> None:
        """``returns_address`` is where partners email their returns (QAF_RETURNS_ADDRESS;
        without it, a reply to the reminder); ``returns_folder`` the shared folder they may
        save them in instead (QAF_RETURNS_INBOX, named only when it is set)."""
        self._framework = framework
        self._returns_address = returns_address
        self._returns_folder = returns_folder
        self._env = _environment(templates)
        self._wd = working_day_calendar(framework)
        self._zone = ZoneInfo(framework.document.partnership.timezone)
        doc = framework.document
        self._short = doc.partnership.short_name or doc.partnership.key.upper()
        unit = doc.bodies[framework.role("business_unit")]
        self._business_unit = unit.name
        self._unit_email = unit.email
        default_from = formataddr((self._business_unit, unit.email)) if unit.email else f"{self._short} <noreply@localhost>"
        self._sender = sender or default_from
        self._reply_to = formataddr((self._business_unit, unit.email)) if unit.email else self._sender
        self._ui_url = ui_url
        # The return templates this writer attaches, each distinct workbook built once.
        self._books = TemplateWorkbooks()

    @classmethod
    def for_settings(cls, framework: Framework, settings: Settings) -> EmailWriter:
        """The writer the flows use: sender, UI address and where returns go, from the settings."""
        return cls(framework, settings.email_from, settings.effective_ui_url,
                   returns_address=settings.returns_address, returns_folder=settings.returns_inbox)

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

    def compose(self, data: DigestData, feed_url: str | None, now: datetime, returns: Mapping[str, ReturnTask] | None = None) -> EmailMessage:
        """A digest or an escalation; ``returns`` (by task reference, from
        :func:`qaframework.reminders.attachments.return_tasks`) are the return tasks whose
        templates a digest attaches."""
        recipient = who_is(self._framework, data.recipient)
        day = data.day
        attachments: list[Attachment] = []
        if data.kind == "escalation":
            subject, text, html = self._escalation(data, recipient, day)
        else:
            attachments = [template_attachment(self._framework, task, self._books) for task in (returns or {}).values()
                           if any(task_reference(line.occurrence_key, line.assignee_key) == task.reference for line in data.lines)]
            subject, text, html = self._digest(data, recipient, day, feed_url, {a.filename for a in attachments})
        message = self._message(recipient, data.recipient, data.message_id, subject, text, html, now)
        for attachment in attachments:
            message.add_attachment(attachment.data, maintype=attachment.maintype, subtype=attachment.subtype, filename=attachment.filename)
        return message

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

    def compose_papers(self, notice: PapersNotice, data_dir: Path, now: datetime) -> EmailMessage:
        """The email telling a chair or the business unit that papers are ready, each
        paper's PDF attached. The subject names the bodies and meetings only."""
        recipient = who_is(self._framework, notice.recipient)
        bodies = self._framework.bodies
        papers = []
        for p in notice.papers:
            meeting_body = p.occurrence.split("/", 1)[0]
            name = bodies[p.body].name if p.body in bodies else p.body
            title = f"Exception report of the {name} ({p.paper_number})" if p.kind == "exception-report" else f"Papers pack: {name}"
            meeting = bodies[meeting_body].name if meeting_body in bodies else meeting_body
            papers.append({"title": title, "meeting": meeting, "meeting_day": date.fromisoformat(p.folder.rsplit("/", 1)[1]),
                           "version": p.version, "folder": p.folder, "pdf": p.file(data_dir, "pdf")})
        meetings = ", ".join(dict.fromkeys(f"{x['meeting']} {x['meeting_day']:%-d %B %Y}" for x in papers))
        subject = f"{self._short} QA: papers ready for {meetings}"
        context = {"subject": subject, "greeting": recipient.greeting, "papers": papers, "business_unit": self._business_unit}
        text = self._env.get_template("papers_ready.txt.j2").render(context)
        html = self._env.get_template("papers_ready.html.j2").render(context)
        message = self._message(recipient, notice.recipient, notice.message_id, subject, text, html, now)
        for x in papers:
            if x["pdf"].is_file():
                message.add_attachment(x["pdf"].read_bytes(), maintype="application", subtype="pdf", filename=x["pdf"].name)
        return message

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

    def _audience(self, address: str) -> Audience:
        return Audience(self._business_unit, address == self._unit_email, self._returns_address, self._returns_folder)

    def _digest(self, data: DigestData, recipient: Recipient, day: date, feed_url: str | None, attached: set[str]) -> tuple[str, str, str]:
        seen: set[tuple[str, str]] = set()
        overdue, soon, new = [], [], []
        audience = self._audience(data.recipient)
        for line in data.lines:
            if (line.occurrence_key, line.assignee_key) in seen:
                continue
            seen.add((line.occurrence_key, line.assignee_key))
            entry = {"label": self._label(line), "due": line.due, "state": self._state(line, day),
                     "todo": what_to_do(self._framework, line, audience, attached)}
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
            "ui_url": self._ui_url, "feed_url": feed_url, "attached": sorted(attached),
        }
        return subject, self._env.get_template("digest.txt.j2").render(context), self._env.get_template("digest.html.j2").render(context)

    def _escalation(self, data: DigestData, recipient: Recipient, day: date) -> tuple[str, str, str]:
        """Each overdue item once, with whom it still waits for: never the recipient
        itself (the business unit's own overdue work is marked as its own)."""
        groups: dict[str, dict[str, object]] = {}
        for line in data.lines:
            group = groups.setdefault(line.occurrence_key, {"label": self._label(line), "due": line.due, "state": self._state(line, day),
                                                            "holders": [], "yours": False})
            if recipient_of(self._framework, line.assignee_kind, line.assignee_key) == data.recipient:
                group["yours"] = True
                continue
            holder = self._holder_name(line)
            if holder not in group["holders"]:  # type: ignore[operator]
                group["holders"].append(holder)  # type: ignore[union-attr]
        ordered = sorted(groups.values(), key=lambda g: (g["due"], g["label"]))  # type: ignore[return-value]
        subject = f"{self._short} QA escalation: {len(ordered)} overdue item{'s' if len(ordered) != 1 else ''}"
        context = {
            "subject": subject, "greeting": recipient.greeting, "partnership": self._short, "day": day,
            "groups": ordered, "business_unit": self._business_unit, "ui_url": self._ui_url,
            "to_business_unit": data.recipient == self._unit_email,
        }
        return subject, self._env.get_template("escalation.txt.j2").render(context), self._env.get_template("escalation.html.j2").render(context)

    def _holder_name(self, line: DigestLine) -> str:
        if line.assignee_kind == "agency" and line.assignee_key in self._framework.agencies:
            return self._framework.agencies[line.assignee_key].name
        body = self._framework.bodies.get(line.assignee_key)
        return body.name if body else line.assignee_key
