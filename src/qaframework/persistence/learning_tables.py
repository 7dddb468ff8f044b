"""The tables of what the partnership learns: findings and where they were placed, risk
ratings, actions and their evaluations, and what happened at meetings.

Findings, actions and cases are known by their references (``F-2027-0001``,
``A-2027-0001``, ``RR-2027-004``); nothing here identifies a child or family, and
identifying text is refused before it is stored.
"""

# No `from __future__ import annotations` here: SQLModel resolves column types at class
# creation (SQLModel issue #196).

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qaframework.persistence.tables import _timestamp, utc_now

FINDING_KINDS = ("good-practice", "area-for-improvement", "risk")
FINDING_SOURCES = ("derived", "typed", "import", "form")
ACTION_STATUSES = ("open", "done", "dropped")
JUDGEMENTS = ("evidenced", "partly-evidenced", "not-evidenced")


class MeetingRecord(SQLModel, table=True):
    """Whether a meeting was held (and on which day) or cancelled."""

    __tablename__ = "meeting_record"

    occurrence_id: int = Field(foreign_key="occurrence.id", primary_key=True)
    status: str = Field(max_length=16)  # held | cancelled
    held_on: Optional[date] = None
    actor: str = Field(max_length=120)
    recorded_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class MeetingAttendance(SQLModel, table=True):
    """An agency represented at a held meeting (Core 4 of the dataset counts them)."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("occurrence_id", "agency_key", name="uq_meeting_attendance"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    agency_key: str = Field(max_length=64)


class MeetingDecision(SQLModel, table=True):
    """A decision recorded for a held meeting, numbered within it (1, 2, ...). A decision
    is known within its meeting by its text: recording the same text again adds nothing."""

    __tablename__ = "meeting_decision"
    __table_args__ = (UniqueConstraint("occurrence_id", "number", name="uq_meeting_decision_number"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class Finding(SQLModel, table=True):
    """What an activity (or a review case, by reference) learned.

    ``derivation_key`` makes a finding derived from a return unique, so importing the
    same return again creates nothing; a corrected return withdraws what no longer holds.
    """

    __tablename__ = "finding"

    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True, index=True)
    financial_year: int = Field(index=True)
    number: int
    occurrence_id: Optional[int] = Field(default=None, foreign_key="occurrence.id", index=True)
    case_reference: Optional[str] = Field(default=None, max_length=32, index=True)
    #: The activity whose routes the finding travels.
    activity: str = Field(max_length=64, index=True)
    agency_key: Optional[str] = Field(default=None, max_length=64, index=True)
    kind: str = Field(max_length=24)
    theme: str = Field(max_length=64)
    title: str = Field(max_length=200)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    recorded_on: date = Field(index=True)
    source: str = Field(max_length=16)
    derivation_key: Optional[str] = Field(default=None, max_length=200, unique=True)
    submission_id: Optional[int] = Field(default=None, foreign_key="return_submission.id", index=True)
    status: str = Field(default="open", max_length=16)  # open | withdrawn
    withdrawn_on: Optional[date] = None
    withdrawn_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class RiskRating(SQLModel, table=True):
    """One rating of a risk finding; every rating is kept (the trend compares the last two)."""

    __tablename__ = "risk_rating"
    __table_args__ = (UniqueConstraint("finding_id", "sequence", name="uq_risk_rating_sequence"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    sequence: int
    likelihood: int
    impact: int
    score: int
    band: str = Field(max_length=32)
    rated_on: date
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class FindingPlacement(SQLModel, table=True):
    """Where a finding was routed: a body's meeting, a report's year, an output.

    Stored once placed, so a finding stays on the meeting it was placed on even if the
    framework file changes later.
    """

    __tablename__ = "finding_placement"
    __table_args__ = (UniqueConstraint("finding_id", "route", name="uq_finding_route"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    #: The route's key in the framework file (a body, an output or an activity).
    route: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)  # meeting | activity | output
    #: The meeting (or the report's occurrence) it was placed on, when there is one.
    occurrence_id: Optional[int] = Field(default=None, foreign_key="occurrence.id", index=True)
    financial_year: Optional[int] = None
    placed_on: date
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]


class ImprovementAction(SQLModel, table=True):
    """What must change: from a finding, a review case's recommendations (by reference)
    or a Section 11 standard not fully met. To the rest of the system it is a task
    (``task_id``): reminded, escalated, in its owner's digest and calendar feed."""

    __tablename__ = "improvement_action"

    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True, index=True)
    financial_year: int = Field(index=True)
    number: int
    finding_id: Optional[int] = Field(default=None, foreign_key="finding.id", index=True)
    case_reference: Optional[str] = Field(default=None, max_length=32, index=True)
    submission_id: Optional[int] = Field(default=None, foreign_key="return_submission.id", index=True)
    #: Makes an action derived from a return unique (importing it again creates nothing).
    source_key: Optional[str] = Field(default=None, max_length=200, unique=True)
    what: str = Field(sa_column=Column(Text, nullable=False))
    owner_kind: str = Field(max_length=16)  # agency | body
    owner_key: str = Field(max_length=64, index=True)
    due: date = Field(index=True)
    status: str = Field(default="open", max_length=16)
    done_on: Optional[date] = None
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False))
    dropped_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    task_id: Optional[int] = Field(default=None, foreign_key="task.id", unique=True)
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    updated_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
    #: The meeting (its occurrence) at which the action was agreed, if it was agreed at one.
    agreed_at_occurrence_id: Optional[int] = Field(default=None, foreign_key="occurrence.id", index=True)


class ActionEvaluation(SQLModel, table=True):
    """The Action Plan Evaluation group's judgement of a done action: did it make a
    difference? Every evaluation is kept; the latest stands."""

    __tablename__ = "action_evaluation"

    id: Optional[int] = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="improvement_action.id", index=True)
    judgement: str = Field(max_length=24)
    evaluated_on: date
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
