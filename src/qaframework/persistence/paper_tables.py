"""The tables of meeting papers: every version of each pack and exception report built,
and who is to be told of each (through the email outbox)."""

# No `from __future__ import annotations` here: SQLModel resolves column types at class
# creation (SQLModel issue #196).

from datetime import date, datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from qaframework.persistence.tables import _timestamp, utc_now

PAPER_KINDS = ("pack", "exception-report")


class MeetingPaper(SQLModel, table=True):
    """One version of a paper for a meeting: the meeting's pack, or the exception report
    of a body reporting to the meeting's body. Versions are never replaced: a rebuild is
    the next version. Its files are ``folder/stem-vN.{html,pdf,docx}`` under the data
    folder."""

    __tablename__ = "meeting_paper"
    __table_args__ = (UniqueConstraint("occurrence_id", "kind", "body", "version", name="uq_meeting_paper_version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    kind: str = Field(max_length=24)
    #: Whose paper it is: the meeting's body for a pack, the reporting body for an exception report.
    body: str = Field(max_length=64)
    version: int
    as_of: date
    paper_number: Optional[str] = Field(default=None, max_length=32)
    #: SHA-256 of the paper's content (its plain data), to tell a changed rebuild.
    content_hash: str = Field(max_length=64)
    folder: str = Field(max_length=300)
    stem: str = Field(max_length=120)
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class PaperNotice(SQLModel, table=True):
    """A paper someone is to be told of (the chair, the business unit): one row per paper
    and recipient, attached to that day's "papers" email in the outbox."""

    __tablename__ = "paper_notice"
    __table_args__ = (UniqueConstraint("paper_id", "recipient", name="uq_paper_notice"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    paper_id: int = Field(foreign_key="meeting_paper.id", index=True)
    recipient: str = Field(max_length=320)
    email_id: Optional[int] = Field(default=None, foreign_key="email_message.id", index=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
