"""The database tables.

One model family per entity. Timestamps are stored in UTC. Statuses are short strings
checked by the repository (not database enums, which make PostgreSQL migrations brittle).
Nothing that identifies a child or family is stored outside ``ReviewCase.private_notes``,
which never leaves the database.
"""

# No `from __future__ import annotations` here: SQLModel resolves relationship and
# column types at class creation (SQLModel issue #196).

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):  # type: ignore[type-arg]
    """A timestamp that is always UTC and always aware, on every database.

    SQLite keeps no zone (it hands back naive values) and PostgreSQL answers in the
    session's zone; normalising here means no reader has to remember either.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def _utc(value: Optional[datetime]) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def process_bind_param(self, value: Optional[datetime], dialect: object) -> Optional[datetime]:
        return self._utc(value)

    def process_result_value(self, value: Optional[datetime], dialect: object) -> Optional[datetime]:
        return self._utc(value)


def _timestamp(nullable: bool = False, **kwargs: object) -> object:
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable), **kwargs)


class AgencyBase(SQLModel):
    key: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    type: str = Field(max_length=64)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=320)
    section_11_duty: bool = False


class Agency(AgencyBase, table=True):
    """A partner agency and its named individual for returns."""

    id: Optional[int] = Field(default=None, primary_key=True)
    updated_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class BodyBase(SQLModel):
    key: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    chair: str = Field(default="", max_length=200)
    reports_to: Optional[str] = Field(default=None, max_length=64)


class Body(BodyBase, table=True):
    """A governance body (Executive, subgroup, group) or a team such as the business unit."""

    id: Optional[int] = Field(default=None, primary_key=True)
    updated_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class OccurrenceBase(SQLModel):
    key: str = Field(max_length=160, unique=True, index=True)
    activity: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    financial_year: int = Field(index=True)
    period: Optional[str] = Field(default=None, max_length=8)
    window_start: date = Field(index=True)
    window_end: date
    due: Optional[date] = None


class Occurrence(OccurrenceBase, table=True):
    """One planned (or on-demand) occurrence of an activity or meeting."""

    id: Optional[int] = Field(default=None, primary_key=True)
    starts_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    ends_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


TASK_STATUSES = ("planned", "open", "submitted", "overdue", "closed", "cancelled")
#: The statuses of a task still owed: one that can be marked done, or cancelled.
UNFINISHED = ("planned", "open", "overdue")


class TaskBase(SQLModel):
    assignee_kind: str = Field(max_length=16)
    assignee_key: str = Field(max_length=64, index=True)
    due: Optional[date] = Field(default=None, index=True)
    status: str = Field(default="planned", max_length=16, index=True)


class Task(TaskBase, table=True):
    """A piece of work owed by an agency or body for one occurrence."""

    __table_args__ = (UniqueConstraint("occurrence_id", "assignee_kind", "assignee_key", name="uq_task_assignee"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    updated_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    opened_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    #: The working day the task was opened for (the run's as-of day, London time).
    opened_on: Optional[date] = None
    submitted_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    closed_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    #: A task finished without a return: the day, who (a role, not a name) and evidence.
    done_on: Optional[date] = None
    done_by: Optional[str] = Field(default=None, max_length=120)
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))



class ReturnSubmission(SQLModel, table=True):
    """A partner's return, accepted or rejected; every version is kept, nothing dropped.

    ``version`` counts a task's submissions, accepted or rejected (0 when no task could be
    matched). ``dedupe_key`` (task and content fingerprint) makes receiving the same file
    twice, from a re-run or a second sweep of the inbox, a no-op. ``original`` keeps the
    file as it was sent; ``reasons`` (JSON) say where each problem is and what was expected.
    """

    __tablename__ = "return_submission"
    __table_args__ = (
        UniqueConstraint("task_id", "version", name="uq_return_version"),
        UniqueConstraint("dedupe_key", name="uq_return_dedupe"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: Optional[int] = Field(default=None, foreign_key="task.id", index=True)
    agency_key: Optional[str] = Field(default=None, max_length=64, index=True)
    return_type: Optional[str] = Field(default=None, max_length=64)
    version: int = 1
    status: str = Field(max_length=16)  # accepted | rejected
    source: str = Field(max_length=32)  # ui | cli | inbox
    file_format: str = Field(default="", max_length=8)  # xlsx | csv | json | form
    original_filename: Optional[str] = Field(default=None, max_length=260)
    fingerprint: str = Field(default="", max_length=64)
    dedupe_key: Optional[str] = Field(default=None, max_length=140)
    size_bytes: int = 0
    original: Optional[bytes] = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    payload: str = Field(default="", sa_column=Column(Text, nullable=False))
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False))
    late: bool = False
    actor: str = Field(default="", max_length=120)
    received_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    #: none | pending | sent | no-recipient | superseded (a later version was accepted
    #: before the notice went): telling the named contact what to fix.
    notice_status: str = Field(default="none", max_length=16)
    notice_email_id: Optional[int] = Field(default=None, foreign_key="email_message.id")


class ReviewCase(SQLModel, table=True):
    """A serious incident and the reviews that follow it, known only by its reference.

    ``private_notes`` and ``decision_rationale`` may hold case details: they never leave
    the database (no Prefect parameter, artifact or log, no feed, no email).
    """

    __tablename__ = "review_case"

    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True, index=True)
    kind: str = Field(max_length=32)  # rapid-review | cspr | thematic-review
    financial_year: int = 0
    number: int = 0
    incident_date: Optional[date] = None
    aware_date: date
    notified_date: Optional[date] = None
    decision: Optional[str] = Field(default=None, max_length=32)
    decision_rationale: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="open", max_length=16)
    #: The Prefect flow run that opened the case, so a re-run of it finds the same case.
    opened_by_run: Optional[str] = Field(default=None, max_length=64, unique=True)
    # Private: never a Prefect parameter, artifact, log line, feed item or email.
    private_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class ReviewStage(SQLModel, table=True):
    """One stage of a case's clock chain: when it is due, and when it was done."""

    __tablename__ = "review_stage"
    __table_args__ = (UniqueConstraint("case_id", "stage", name="uq_review_stage"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="review_case.id", index=True)
    stage: str = Field(max_length=40)
    due: Optional[date] = None
    done_on: Optional[date] = None
    signed_by: Optional[str] = Field(default=None, max_length=120)
    recorded_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]


class Reminder(SQLModel, table=True):
    """One reminder owed to one recipient for one task at one stage (the outbox row).

    Unique per task, stage and recipient, so queuing it twice (a repeated or concurrent
    run) creates it once. ``email_id`` is the digest email that carries it.
    """

    __table_args__ = (
        UniqueConstraint("task_id", "stage", "recipient", name="uq_reminder_stage"),
        # The unsent reminders and emails, found without reading every one ever sent.
        Index("ix_reminder_status_email_id", "status", "email_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    stage: str = Field(max_length=32)
    recipient: str = Field(max_length=320)
    due_on: date = Field(index=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent | skipped
    email_id: Optional[int] = Field(default=None, foreign_key="email_message.id", index=True)


class EmailMessage(SQLModel, table=True):
    """One email: a recipient's digest (or a chair's escalation digest) for one day.

    Unique per recipient, kind and day: at most one of each a day. The Message-ID is
    fixed when the row is created, so a resend after a crash carries the same one.
    Sending claims the row with a lease first (``claimed_until``), so two senders never
    send it at once, and marks it sent straight after the server accepts it.
    """

    __tablename__ = "email_message"
    __table_args__ = (
        UniqueConstraint("recipient", "kind", "digest_date", name="uq_email_daily"),
        Index("ix_email_message_status_digest_date", "status", "digest_date"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=255, unique=True)
    recipient: str = Field(max_length=320)
    kind: str = Field(max_length=16)  # digest | escalation
    digest_date: date = Field(index=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent
    attempts: int = 0
    last_error: Optional[str] = Field(default=None, max_length=1000)
    claimed_until: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    sent_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]


class AuditLogEntry(SQLModel, table=True):
    """Who did what and when. Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_log"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    actor: str = Field(max_length=120)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class RunWatermark(SQLModel, table=True):
    """How far a scheduled job has processed, so a run after downtime catches up.

    A run that was missed (the server was down over a bank holiday weekend) is made good
    by the next one, which processes everything after ``processed_through``.
    """

    __tablename__ = "run_watermark"

    job: str = Field(primary_key=True, max_length=64)
    processed_through: date
    updated_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class FeedSubscription(SQLModel, table=True):
    """One private calendar feed URL: for an agency, a body or the whole partnership.

    Only a SHA-256 hash of the secret is stored; the secret itself is shown once, when
    the subscription is issued. ``public_id`` names the subscription (it is not secret).
    """

    __tablename__ = "feed_subscription"

    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True, index=True)
    scope: str = Field(max_length=80)  # "agency:KEY", "body:KEY" or "partnership"
    secret_hash: str = Field(max_length=64)
    label: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    revoked_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]


class CalendarItemVersion(SQLModel, table=True):
    """The last published version of one calendar item, so feeds are stable.

    ``sequence`` goes up whenever the item's content changes or it is cancelled; its
    ``last_modified`` is the feed's DTSTAMP and LAST-MODIFIED, so unchanged data gives
    byte-identical feeds. ``payload`` keeps the last content, to publish a removed item
    as cancelled for a while.
    """

    __tablename__ = "calendar_item_version"

    uid: str = Field(primary_key=True, max_length=255)
    content_hash: str = Field(max_length=64)
    sequence: int = 0
    last_modified: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    cancelled_at: Optional[datetime] = _timestamp(nullable=True, default=None)  # type: ignore[assignment]
    payload: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: Feeds the item has left though it lives on elsewhere (JSON: scope -> when it left);
    #: those feeds show it cancelled until the retention period ends.
    departed: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class FeedState(SQLModel, table=True):
    """When each feed last changed, so Last-Modified only ever moves forward and
    survives restarts (the body itself is derived from the data)."""

    __tablename__ = "feed_state"

    scope: str = Field(primary_key=True, max_length=80)
    body_hash: str = Field(max_length=64)
    last_modified: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
