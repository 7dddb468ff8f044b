"""Meeting papers in the database: each version built, and the notices that tell the
chair and the business unit a paper is ready (one "papers" email a day per recipient,
through the outbox, with the PDFs attached).

A paper's version is claimed by inserting its row: two builders of the same paper cannot
both take a version, and a scheduled build that finds a version already there builds
nothing (``built_versions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from qaframework.persistence.outbox import mark_sent, open_email_of_the_day
from qaframework.persistence.paper_tables import MeetingPaper, PaperNotice
from qaframework.persistence.repository import audit, insert_ignoring_duplicates
from qaframework.persistence.tables import EmailMessage, Occurrence, utc_now

#: The outbox kind of a papers notice.
PAPERS_NOTICE = "papers"


@dataclass(frozen=True)
class StoredPaper:
    paper_id: int
    occurrence: str
    kind: str
    body: str
    version: int
    as_of: date
    paper_number: str | None
    content_hash: str
    folder: str
    stem: str

    def file(self, data_dir: Path, suffix: str) -> Path:
        return data_dir / self.folder / f"{self.stem}-v{self.version}.{suffix}"


def _stored(p: MeetingPaper, occurrence: str) -> StoredPaper:
    assert p.id is not None
    return StoredPaper(p.id, occurrence, p.kind, p.body, p.version, p.as_of, p.paper_number, p.content_hash, p.folder, p.stem)


def built_versions(*, session: Session, occurrence_id: int, kind: str | None = None) -> list[StoredPaper]:
    """Every version of every paper built for a meeting, oldest first."""
    query = (select(MeetingPaper, Occurrence.key).join(Occurrence, Occurrence.id == MeetingPaper.occurrence_id)  # type: ignore[arg-type]
             .where(MeetingPaper.occurrence_id == occurrence_id).order_by(MeetingPaper.kind, MeetingPaper.body, MeetingPaper.version))
    if kind is not None:
        query = query.where(MeetingPaper.kind == kind)
    return [_stored(p, key) for p, key in session.execute(query).all()]


def next_version(*, session: Session, occurrence_id: int, kind: str, body: str) -> int:
    latest = session.execute(select(func.max(MeetingPaper.version)).where(
        MeetingPaper.occurrence_id == occurrence_id, MeetingPaper.kind == kind, MeetingPaper.body == body)).scalar_one()
    return int(latest or 0) + 1


def record_paper(*, session: Session, occurrence_id: int, occurrence: str, kind: str, body: str, version: int, as_of: date,
                 paper_number: str | None, content_hash: str, folder: str, stem: str, recipients: list[str], actor: str) -> StoredPaper | None:
    """Store a version of a paper and who is to be told of it; None when that version
    was taken by another builder in the meantime (nothing is written then)."""
    row = {"occurrence_id": occurrence_id, "kind": kind, "body": body, "version": version, "as_of": as_of, "paper_number": paper_number,
           "content_hash": content_hash, "folder": folder, "stem": stem, "actor": actor[:120], "created_at": utc_now()}
    if not insert_ignoring_duplicates(session, MeetingPaper, [row], ["occurrence_id", "kind", "body", "version"]):
        return None
    paper = session.execute(select(MeetingPaper).where(
        MeetingPaper.occurrence_id == occurrence_id, MeetingPaper.kind == kind, MeetingPaper.body == body, MeetingPaper.version == version)).scalar_one()
    assert paper.id is not None
    insert_ignoring_duplicates(session, PaperNotice, [
        {"paper_id": paper.id, "recipient": r, "status": "pending", "created_at": utc_now()} for r in dict.fromkeys(recipients)],
        ["paper_id", "recipient"])
    audit(session=session, actor=actor, action=f"{kind}-built", subject=occurrence,
          detail={"body": body, "version": version, "as_of": as_of.isoformat(), "paper_number": paper_number, "content": content_hash})
    return _stored(paper, occurrence)


def assemble_paper_notices(*, session: Session, today: date, domain: str, now: datetime | None = None) -> int:
    """Attach every paper notice still to be sent to today's "papers" email for its
    recipient (one a day each); returns how many emails now have something to send.
    Notices left in an email that went without them, or was given up, are picked up again."""
    now = now or utc_now()
    gone = select(EmailMessage.id).where(EmailMessage.status.in_(("sent", "superseded", "failed")))  # type: ignore[attr-defined]
    session.execute(update(PaperNotice).where(PaperNotice.status == "pending", PaperNotice.email_id.in_(gone)).values(email_id=None))  # type: ignore[union-attr]
    unclaimed = or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now)  # type: ignore[union-attr,operator]
    stale = list(session.execute(select(EmailMessage.id).where(
        EmailMessage.kind == PAPERS_NOTICE, EmailMessage.status == "pending", EmailMessage.digest_date < today, unclaimed)).scalars())
    if stale:
        session.execute(update(PaperNotice).where(PaperNotice.status == "pending", PaperNotice.email_id.in_(stale)).values(email_id=None))  # type: ignore[union-attr]
        session.execute(update(EmailMessage).where(EmailMessage.id.in_(stale)).values(status="superseded"))  # type: ignore[union-attr]
    waiting = session.execute(select(PaperNotice.recipient).where(PaperNotice.status == "pending", PaperNotice.email_id.is_(None)).distinct()).scalars().all()  # type: ignore[union-attr]
    ready = 0
    for recipient in sorted(waiting):
        email_id = open_email_of_the_day(session=session, recipient=recipient, kind=PAPERS_NOTICE, today=today, domain=domain, now=now)
        if email_id is None:
            continue
        session.execute(update(PaperNotice).where(PaperNotice.recipient == recipient, PaperNotice.status == "pending",
                                                  PaperNotice.email_id.is_(None)).values(email_id=email_id))  # type: ignore[union-attr]
        ready += 1
    return ready


@dataclass(frozen=True)
class PapersNotice:
    email_id: int
    message_id: str
    recipient: str
    day: date
    papers: tuple[StoredPaper, ...]

    @property
    def notice_ids(self) -> tuple[int, ...]:
        return tuple(p.paper_id for p in self.papers)


def papers_notice_data(*, session: Session, email_id: int) -> PapersNotice:
    email = session.get(EmailMessage, email_id)
    assert email is not None
    rows = session.execute(
        select(MeetingPaper, Occurrence.key).join(PaperNotice, PaperNotice.paper_id == MeetingPaper.id)  # type: ignore[arg-type]
        .join(Occurrence, Occurrence.id == MeetingPaper.occurrence_id)  # type: ignore[arg-type]
        .where(PaperNotice.email_id == email_id, PaperNotice.status == "pending").order_by(MeetingPaper.id)
    ).all()
    return PapersNotice(email_id, email.message_id, email.recipient, email.digest_date, tuple(_stored(p, key) for p, key in rows))


def mark_papers_notice_sent(*, session: Session, email_id: int, lease: datetime, now: datetime) -> None:
    mark_sent(session=session, email_id=email_id, lease=lease, reminder_ids=(), now=now)
    session.execute(update(PaperNotice).where(PaperNotice.email_id == email_id, PaperNotice.status == "pending").values(status="sent"))
