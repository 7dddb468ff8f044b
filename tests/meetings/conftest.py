"""Recording meetings whole (``record_meeting``, ``qaf meetings record`` and the
record-meeting form), on each shipped framework file and on SQLite and PostgreSQL. The
fixtures are the completion package's (``cli``, ``planned``), which are the partnerships
package's underneath; meetings, agencies and owners are picked by asking the framework
(which bodies meet, who attends them, which body plays the business unit), never by key."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import SQLModel

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import ImprovementAction, MeetingAttendance, MeetingDecision, MeetingRecord
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from qaframework.yearly_plan import PlannedOccurrence
from tests.completion.conftest import TODAY, YEAR, Qaf, attended_body, cli, meetings, plan, planned  # noqa: F401 - fixtures
from tests.partnerships.conftest import framework, partnership, partnership_qaf, qaf  # noqa: F401 - fixtures

#: Every table a meeting's record writes to.
TABLES: tuple[type[SQLModel], ...] = (MeetingRecord, MeetingAttendance, MeetingDecision, ImprovementAction, Occurrence, Task, AuditLogEntry)


def counts(url: str) -> dict[str, int]:
    """Row counts of every table a record writes: equal before and after means nothing was written."""
    with transaction(url) as session:
        return {m.__name__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in TABLES}


def meeting_of(framework: Framework, body: str, index: int = 0, year: int = YEAR) -> PlannedOccurrence:
    return [m for m in meetings(framework, year) if m.activity == body][index]


def occurrence_id(url: str, key: str) -> int:
    with transaction(url) as session:
        return int(session.execute(select(Occurrence.id).where(Occurrence.key == key)).scalar_one())


def owners(framework: Framework) -> tuple[str, str]:
    """An agency that attends a body with meetings, and the body playing the business unit."""
    _, attendees = attended_body(framework)
    return attendees[0], framework.role("business_unit")


def audit_actions(url: str, subject: str) -> list[str]:
    with transaction(url) as session:
        return list(session.execute(select(AuditLogEntry.action).where(AuditLogEntry.subject == subject).order_by(AuditLogEntry.id)).scalars())


__all__ = ["TODAY", "YEAR", "Qaf", "attended_body", "audit_actions", "counts", "meeting_of", "occurrence_id", "owners", "plan", "date"]
