"""Telling an agency's named contact what to fix in a rejected return.

A rejected return whose agency is known is stored with ``notice_status`` "pending" (see
``qaframework.persistence.returns``). The notice goes through the reminder outbox
(``qaframework.persistence.outbox``) and so has its guarantees: one "return-rejected"
email per recipient a day, a fixed Message-ID, a lease before sending and the mark
straight after.

- ``assemble_rejection_notices`` attaches each waiting rejection to that day's notice
  for the agency's named contact. A file rejected after that day's notice went waits for
  the next day's; notices of earlier days never sent are folded into today's.
- ``rejection_notice_data`` is what the email says: for each file its name, task, the
  day it came and the stored reasons (where each problem is and what was expected).
  Reasons never quote what was typed in the file, so neither does the notice.
- ``mark_notice_sent`` marks the email sent and the rejections in it "sent".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.persistence.outbox import mark_sent, open_email_of_the_day, recipient_of
from qaframework.persistence.tables import EmailMessage, Occurrence, ReturnSubmission, Task, utc_now
from qaframework.returns.problems import Problem
from qaframework.returns.validation import period_label, task_reference

#: The outbox kind of a rejection notice.
REJECTION_NOTICE = "return-rejected"
LONDON = ZoneInfo("Europe/London")

_WAITING = and_(ReturnSubmission.status == "rejected", ReturnSubmission.notice_status == "pending")


def assemble_rejection_notices(
    *, session: Session, framework: Framework, today: date, domain: str, now: datetime | None = None,
) -> int:
    """Attach every rejection still to be told (received by the end of ``today``) to
    today's notice for its agency's named contact; returns the number of notices that now
    have something to send.

    As with ``assemble_digests``: rejections left in a notice that was superseded, failed
    or went without them are picked up again, and only a notice no sender has claimed
    takes new ones. A rejection whose agency has since left the roster has nobody to tell
    and becomes "no-recipient".
    """
    now = now or utc_now()
    unclaimed = or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now)  # type: ignore[union-attr,operator]
    stale = select(EmailMessage.id).where(
        EmailMessage.kind == REJECTION_NOTICE, EmailMessage.status == "pending", EmailMessage.digest_date < today, unclaimed,
    )
    stale_ids = list(session.execute(stale).scalars())
    if stale_ids:
        session.execute(update(ReturnSubmission).where(_WAITING, ReturnSubmission.notice_email_id.in_(stale_ids)).values(notice_email_id=None))  # type: ignore[union-attr]
        session.execute(update(EmailMessage).where(EmailMessage.id.in_(stale_ids)).values(status="superseded"))  # type: ignore[union-attr]
    gone = select(EmailMessage.id).where(EmailMessage.status.in_(("sent", "superseded", "failed")))  # type: ignore[attr-defined]
    session.execute(update(ReturnSubmission).where(_WAITING, ReturnSubmission.notice_email_id.in_(gone)).values(notice_email_id=None))  # type: ignore[union-attr]

    # A rejection already put right (a later version of the task was accepted) needs no
    # notice: telling the contact to fix it would only confuse.
    accepted = aliased(ReturnSubmission)
    put_right = list(session.execute(
        select(ReturnSubmission.id).where(
            _WAITING, ReturnSubmission.notice_email_id.is_(None), ReturnSubmission.task_id.is_not(None),  # type: ignore[union-attr]
            select(accepted.id).where(accepted.task_id == ReturnSubmission.task_id, accepted.status == "accepted",
                                      accepted.version > ReturnSubmission.version).exists(),
        )
    ).scalars())
    if put_right:
        session.execute(update(ReturnSubmission).where(ReturnSubmission.id.in_(put_right)).values(notice_status="superseded"))  # type: ignore[union-attr]

    zone = ZoneInfo(framework.document.partnership.timezone)
    day_ends = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    waiting = session.execute(
        select(ReturnSubmission.id, ReturnSubmission.agency_key)
        .where(_WAITING, ReturnSubmission.notice_email_id.is_(None), ReturnSubmission.received_at < day_ends)  # type: ignore[union-attr,operator]
    ).all()
    groups: dict[str, list[int]] = defaultdict(list)
    nobody: list[int] = []
    for submission_id, agency_key in waiting:
        recipient = recipient_of(framework, "agency", agency_key) if agency_key else None
        (groups[recipient] if recipient else nobody).append(submission_id)
    if nobody:
        session.execute(update(ReturnSubmission).where(ReturnSubmission.id.in_(nobody)).values(notice_status="no-recipient"))  # type: ignore[union-attr]
    ready = 0
    for recipient, ids in sorted(groups.items()):
        email_id = open_email_of_the_day(session=session, recipient=recipient, kind=REJECTION_NOTICE, today=today, domain=domain, now=now)
        if email_id is None:
            continue  # today's notice has gone, or is being sent: these wait for the next one
        session.execute(
            update(ReturnSubmission).where(ReturnSubmission.id.in_(ids), ReturnSubmission.notice_email_id.is_(None), _WAITING)  # type: ignore[union-attr]
            .values(notice_email_id=email_id)
        )
        ready += 1
    return ready


@dataclass(frozen=True)
class RejectedFile:
    """One rejected file, as its notice describes it: nothing read from the file but the
    stored reasons."""

    submission_id: int
    agency_key: str | None
    task_reference: str | None  # "dataset-return/2027-07/somerset-csc"; None when no task matched
    task_title: str | None  # "SSCP Dataset return 2027/28 Q2"
    due: date | None
    filename: str | None
    received_on: date
    version: int  # 0 when no task matched
    reasons: tuple[Problem, ...]


@dataclass(frozen=True)
class RejectionNotice:
    email_id: int
    message_id: str
    recipient: str
    day: date
    files: tuple[RejectedFile, ...]

    @property
    def submission_ids(self) -> tuple[int, ...]:
        return tuple(f.submission_id for f in self.files)


def _task_title(title: str | None, financial_year: int | None, period: str | None) -> str | None:
    return f"{title} {period_label(financial_year, period)}" if title is not None and financial_year is not None else None


def rejection_notice_data(*, session: Session, email_id: int, zone: ZoneInfo = LONDON) -> RejectionNotice:
    """What the notice ``email_id`` says: the rejections in it still to be told, oldest
    first, each received day in ``zone``."""
    email = session.execute(select(EmailMessage).where(EmailMessage.id == email_id)).scalar_one()
    rows = session.execute(
        select(ReturnSubmission.id, ReturnSubmission.agency_key, ReturnSubmission.original_filename, ReturnSubmission.received_at,
               ReturnSubmission.version, ReturnSubmission.reasons, Task.assignee_key, Task.due,
               Occurrence.key, Occurrence.title, Occurrence.financial_year, Occurrence.period)
        .outerjoin(Task, ReturnSubmission.task_id == Task.id)  # type: ignore[arg-type]
        .outerjoin(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(ReturnSubmission.notice_email_id == email_id, _WAITING)
        .order_by(ReturnSubmission.received_at, ReturnSubmission.id)
    ).all()
    files = tuple(
        RejectedFile(
            submission_id=row.id, agency_key=row.agency_key,
            task_reference=task_reference(row.key, row.assignee_key) if row.key else None,
            task_title=_task_title(row.title, row.financial_year, row.period), due=row.due,
            filename=row.original_filename, received_on=row.received_at.astimezone(zone).date(), version=row.version,
            reasons=tuple(Problem(r.get("where", ""), r.get("expected", "")) for r in json.loads(row.reasons or "[]")),
        )
        for row in rows
    )
    return RejectionNotice(email.id, email.message_id, email.recipient, email.digest_date, files)  # type: ignore[arg-type]


def mark_notice_sent(*, session: Session, email_id: int, lease: datetime, submission_ids: Iterable[int], now: datetime) -> None:
    """Record the send: the email, and only the rejections that were in it."""
    mark_sent(session=session, email_id=email_id, lease=lease, reminder_ids=(), now=now)
    ids = list(submission_ids)
    if ids:
        session.execute(update(ReturnSubmission).where(ReturnSubmission.id.in_(ids), _WAITING).values(notice_status="sent"))  # type: ignore[union-attr]
