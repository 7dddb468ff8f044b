"""The reminder outbox: queue what is due, gather it into daily digests, send each once.

- ``queue_reminders`` writes one row per task, stage and recipient (unique), for the
  stages that fell due since the last run: a repeated or concurrent run adds nothing.
- ``assemble_digests`` gathers a recipient's pending rows into that day's email (one
  per recipient, kind and day); rows arriving after today's email went wait for tomorrow.
- ``claim_next`` / ``mark_sent`` / ``mark_failed`` move one email through sending. The
  claim is a lease committed before sending, so two senders never send the same email;
  the email is marked sent straight after the server accepts it. Only a crash between
  those two moments can cause a resend, after the lease expires, and the resend carries
  the same Message-ID.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select, update
from sqlmodel import Session

from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.framework.model import ReminderPolicy
from qaframework.persistence.repository import insert_ignoring_duplicates
from qaframework.persistence.tables import EmailMessage, Occurrence, Reminder, Task, utc_now
from qaframework.reminders.policy import ESCALATION, escalation_date, reminder_stages

ACTIVE = ("open", "overdue")


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def recipient_of(framework: Framework, kind: str, key: str) -> str | None:
    """The address reminders for an agency's or body's task go to."""
    if kind == "agency":
        agency = framework.agencies.get(key)
        return agency.contact.email if agency else None
    body = framework.bodies.get(key)
    return body.email if body else None


def _may_fall_between(policy: ReminderPolicy, due: date, first: date, last: date) -> bool:
    """Whether any stage after opening, or the escalation, of a task due on ``due`` can
    fall between ``first`` and ``last``: n working days never span more than 2n + 14
    calendar days (weekends, Christmas and Easter included), so a task whose every stage
    lies outside is passed over without working out its calendar.

    >>> policy = ReminderPolicy()  # 10 working days before to 65 after, at most
    >>> _may_fall_between(policy, date(2027, 6, 30), date(2027, 5, 11), date(2027, 5, 11))
    False
    >>> _may_fall_between(policy, date(2027, 5, 25), date(2027, 5, 11), date(2027, 5, 11))
    True
    """
    before = max(policy.before_due, default=0)
    after = max([*policy.after_due, policy.escalate_after, 1]) + policy.repeat_every * (policy.max_messages + len(policy.before_due) + 2)
    return due - timedelta(days=2 * before + 14) <= last and due + timedelta(days=2 * after + 14) >= first


def queue_reminders(*, session: Session, framework: Framework, since: date | None, today: date) -> int:
    """Queue every reminder and escalation that fell due from ``since`` (the last run's
    day, included) to ``today`` and is not queued yet; returns how many rows were new.

    A task opened on or after ``since`` gets every stage up to today (one opened after
    yesterday's check still gets its "opened" reminder); with no ``since`` (the first
    run, or a run for an earlier day) every stage up to today counts. So the rows written
    are the day's work, not every stage of every open task again. The unique key (task,
    stage, recipient) is what makes a repeated or concurrent run add nothing.
    """
    wd = working_day_calendar(framework)
    zone = ZoneInfo(framework.document.partnership.timezone)
    first = since if since is not None and since <= today else date.min
    rows = session.execute(
        select(Task.id, Task.assignee_kind, Task.assignee_key, Task.due, Task.opened_on, Task.opened_at, Occurrence.activity)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.status.in_(ACTIVE), Task.due.is_not(None))  # type: ignore[attr-defined,union-attr]
    ).all()
    # An occurrence's tasks share their activity, dates and so their reminder calendar:
    # it is worked out once per occurrence in this call, not once per agency.
    calendars: dict[tuple[str, date | None, date], tuple[list[tuple[str, date]], date, list[str]]] = {}
    new: list[dict[str, object]] = []
    for task_id, kind, key, due, opened_on, opened_at, activity in rows:
        opened_on = opened_on or _local_date(opened_at, zone)
        lower = date.min if opened_on is not None and opened_on >= first else first
        opened_now = opened_on is not None and lower <= opened_on <= today
        if not opened_now and not _may_fall_between(framework.reminder_policy(activity), due, lower, today):
            continue  # long overdue and all reminded, or not due for weeks: nothing today
        calendar = calendars.get((activity, opened_on, due))
        if calendar is None:
            policy = framework.reminder_policy(activity)
            chairs = [a for a in (recipient_of(framework, "body", body) for body in policy.escalate_to) if a]
            calendar = calendars[(activity, opened_on, due)] = (reminder_stages(policy, opened_on, due, wd), escalation_date(policy, due, wd), chairs)
        stages, escalate_on, chairs = calendar
        recipient = recipient_of(framework, kind, key)
        if recipient:
            for stage, day in stages:
                if lower <= day <= today:
                    new.append({"task_id": task_id, "stage": stage, "recipient": recipient, "due_on": day, "status": "pending"})
        if lower <= escalate_on <= today and due < today:
            for address in chairs:
                new.append({"task_id": task_id, "stage": ESCALATION, "recipient": address, "due_on": escalate_on, "status": "pending"})
    return insert_ignoring_duplicates(session, Reminder, new, ["task_id", "stage", "recipient"])


def message_id_for(recipient: str, kind: str, day: date, domain: str) -> str:
    digest = hashlib.sha256(f"{recipient}\x00{kind}\x00{day.isoformat()}".encode()).hexdigest()[:24]
    return f"<{kind}.{day:%Y%m%d}.{digest}@{domain}>"


def assemble_digests(*, session: Session, today: date, domain: str, now: datetime | None = None) -> int:
    """Attach pending reminders to today's email for their recipient; returns the number
    of emails that now have something to send.

    Emails of earlier days that were never sent (the server was down) are folded into
    today's, so nobody gets a pile of stale digests at once; reminders left behind by an
    email that went without them are picked up again; and only an email no sender has
    claimed takes new reminders, so nothing is added to an email already being written.
    """
    now = now or utc_now()
    unclaimed = or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now)  # type: ignore[union-attr,operator]
    stale = select(EmailMessage.id).where(EmailMessage.status == "pending", EmailMessage.digest_date < today, unclaimed)
    stale_ids = list(session.execute(stale).scalars())
    if stale_ids:
        session.execute(update(Reminder).where(Reminder.email_id.in_(stale_ids), Reminder.status == "pending").values(email_id=None))  # type: ignore[union-attr]
        session.execute(update(EmailMessage).where(EmailMessage.id.in_(stale_ids)).values(status="superseded"))  # type: ignore[union-attr]
    # Driven from the few reminders still waiting (index on status, email_id), each
    # checking its own email: not from the list of every email ever sent.
    gone = select(EmailMessage.id).where(EmailMessage.id == Reminder.email_id, EmailMessage.status.in_(("sent", "superseded", "failed"))).exists()  # type: ignore[attr-defined]
    session.execute(
        update(Reminder).where(Reminder.status == "pending", Reminder.email_id.is_not(None), gone).values(email_id=None)  # type: ignore[union-attr]
        .execution_options(synchronize_session=False)
    )

    # Plain columns, not Reminder objects: with thousands of reminders waiting (a mail
    # server down for days), every UPDATE below would otherwise be checked against each
    # object loaded in the session.
    pending = session.execute(
        select(Reminder.id, Reminder.recipient, Reminder.stage, Task.status)
        .join(Task, Reminder.task_id == Task.id)  # type: ignore[arg-type]
        .where(Reminder.email_id.is_(None), Reminder.status == "pending", Reminder.due_on <= today)  # type: ignore[union-attr,operator]
    ).all()
    finished = [reminder_id for reminder_id, _, _, status in pending if status not in ACTIVE]
    if finished:  # submitted or cancelled since: nothing to remind anyone of
        session.execute(update(Reminder).where(Reminder.id.in_(finished)).values(status="skipped"))  # type: ignore[union-attr]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for reminder_id, recipient, stage, status in pending:
        if status in ACTIVE:
            kind = "escalation" if stage == ESCALATION else "digest"
            groups[(recipient, kind)].append(reminder_id)
    emails = open_emails_of_the_day(session=session, wanted=sorted(groups), today=today, domain=domain, now=now)
    # Today's email gone, or being sent: those reminders wait for the next one.
    attach = [{"row_email": emails[group], "row_id": reminder_id} for group, ids in groups.items() if group in emails for reminder_id in ids]
    if attach:  # one UPDATE, executed for every reminder
        table = Reminder.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table).where(table.c.id == bindparam("row_id"), table.c.email_id.is_(None)).values(email_id=bindparam("row_email")), attach)
    return len({group for group in groups if group in emails})


def open_email_of_the_day(*, session: Session, recipient: str, kind: str, today: date, domain: str, now: datetime) -> int | None:
    """The id of today's email of ``kind`` for ``recipient``, created if need be, while it
    can still take more (pending and claimed by no sender); None once it has gone or is
    being sent."""
    return open_emails_of_the_day(session=session, wanted=[(recipient, kind)], today=today, domain=domain, now=now).get((recipient, kind))


def open_emails_of_the_day(*, session: Session, wanted: Sequence[tuple[str, str]], today: date, domain: str, now: datetime) -> dict[tuple[str, str], int]:
    """Today's email of each (recipient, kind) in ``wanted``, created if need be, by id,
    for those that can still take more (pending and claimed by no sender): one insert
    and one read for all of them."""
    if not wanted:
        return {}
    insert_ignoring_duplicates(
        session, EmailMessage,
        [{"message_id": message_id_for(recipient, kind, today, domain), "recipient": recipient, "kind": kind,
          "digest_date": today, "status": "pending", "attempts": 0, "created_at": utc_now()} for recipient, kind in wanted],
        None,  # the day's key and the Message-ID made from it: two runs at once repeat both
    )
    unclaimed = or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now)  # type: ignore[union-attr,operator]
    found: dict[tuple[str, str], int] = {}
    recipients = sorted({recipient for recipient, _ in wanted})
    for start in range(0, len(recipients), 500):  # within every database's limit on bound values
        rows = session.execute(
            select(EmailMessage.recipient, EmailMessage.kind, EmailMessage.id).where(
                EmailMessage.digest_date == today, EmailMessage.recipient.in_(recipients[start : start + 500]),  # type: ignore[attr-defined]
                EmailMessage.status == "pending", unclaimed,
            )
        ).all()
        found.update({(recipient, kind): email_id for recipient, kind, email_id in rows})
    return {group: found[group] for group in wanted if group in found}


#: After this many failed attempts an email is given up (status "failed", with its last
#: error) rather than retried for ever; the business unit sees it in the database.
MAX_ATTEMPTS = 10


#: The outbox's tables as Core: claiming and recording an email are a few statements
#: each, run once per email, without the ORM's bookkeeping for updates.
_EMAIL = EmailMessage.__table__  # type: ignore[attr-defined]
_REMINDER = Reminder.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """The lease on one email: its id, what it is (a digest, an escalation, a notice) and
    the lease's end, which is the claim's token."""

    email_id: int
    kind: str
    lease: datetime


def claim_next(*, session: Session, now: datetime, lease: timedelta, exclude: Iterable[int] = ()) -> Claim | None:
    """Take the lease on one unsent email not in ``exclude``; None when there is nothing
    left to send."""
    until = now + lease
    email = _EMAIL.c
    free = and_(email.status == "pending", or_(email.claimed_until.is_(None), email.claimed_until < now))
    skip = list(exclude)
    query = select(email.id).where(free, email.id.not_in(skip) if skip else True).order_by(email.id).limit(20)
    connection = session.connection()
    # Read them all first: on SQLite a read still open when the UPDATE starts would make
    # it a read upgraded to a write, refused at once ("database is locked") when another
    # sender has written since.
    for candidate in connection.execute(query).scalars().all():
        claimed = connection.execute(
            update(_EMAIL).where(email.id == candidate, free)
            .values(claimed_until=until, attempts=email.attempts + 1)
            .returning(email.id, email.kind)
        ).one_or_none()
        if claimed is not None:
            return Claim(claimed.id, claimed.kind, until)
    return None


def mark_sent(*, session: Session, email_id: int, lease: datetime, reminder_ids: Iterable[int], now: datetime) -> None:
    """Record the send: only the reminders that were in the email are marked sent."""
    email = _EMAIL.c
    connection = session.connection()
    connection.execute(
        update(_EMAIL).where(email.id == email_id, email.claimed_until == lease)
        .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
    )
    ids = list(reminder_ids)
    if ids:
        connection.execute(update(_REMINDER).where(_REMINDER.c.id.in_(ids)).values(status="sent"))


def mark_failed(*, session: Session, email_id: int, lease: datetime, error: str) -> None:
    """Record why sending failed and release the lease, so a later run tries again; give
    up after MAX_ATTEMPTS."""
    email = _EMAIL.c
    connection = session.connection()
    connection.execute(
        update(_EMAIL).where(email.id == email_id, email.claimed_until == lease)
        .values(last_error=error[:1000], claimed_until=None)
    )
    connection.execute(
        update(_EMAIL).where(email.id == email_id, email.attempts >= MAX_ATTEMPTS, email.status == "pending")
        .values(status="failed")
    )


@dataclass(frozen=True)
class DigestLine:
    """One item in a digest: an activity's task, by title, period and dates only."""

    stage: str
    activity: str
    title: str
    period: str | None
    occurrence_key: str
    assignee_kind: str
    assignee_key: str
    due: date
    status: str


@dataclass(frozen=True)
class DigestData:
    email_id: int
    message_id: str
    recipient: str
    kind: str
    day: date
    lines: tuple[DigestLine, ...]
    reminder_ids: tuple[int, ...] = ()


def digest_data(*, session: Session, email_id: int) -> DigestData:
    email = session.execute(
        select(EmailMessage.id, EmailMessage.message_id, EmailMessage.recipient, EmailMessage.kind, EmailMessage.digest_date)
        .where(EmailMessage.id == email_id)
    ).one()
    rows = session.execute(
        select(Reminder.id, Reminder.stage, Occurrence.activity, Occurrence.title, Occurrence.period, Occurrence.key,
               Task.assignee_kind, Task.assignee_key, Task.due, Task.status)
        .join(Task, Reminder.task_id == Task.id)  # type: ignore[arg-type]
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Reminder.email_id == email_id, Reminder.status == "pending", Task.status.in_(ACTIVE))  # type: ignore[attr-defined]
        .order_by(Task.due, Occurrence.key, Task.assignee_key)
    ).all()
    lines = tuple(DigestLine(*row[1:]) for row in rows)
    return DigestData(email.id, email.message_id, email.recipient, email.kind, email.digest_date, lines, tuple(r[0] for r in rows))  # type: ignore[arg-type]
