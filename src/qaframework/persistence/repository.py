"""Reading and writing the partnership's data.

Every function takes the session as a keyword-only argument and leaves committing to
the caller (``session_scope``), so one command is one transaction: a failure half-way
writes nothing.

Writes that must be idempotent (a year's plan, run twice or by two workers at once) use
the database's own "insert unless it exists" (``ON CONFLICT DO NOTHING``) on the tables'
unique keys, so even concurrent runs cannot create a duplicate row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from qaframework.framework import Framework
from qaframework.persistence.tables import Agency, AuditLogEntry, Body, Occurrence, Task, utc_now
from qaframework.yearly_plan import PlannedOccurrence


@dataclass(frozen=True)
class PlanWriteResult:
    """What writing a plan did: rows created now, and rows that already existed."""

    occurrences_created: int
    occurrences_existing: int
    tasks_created: int
    tasks_existing: int

    @property
    def created_anything(self) -> bool:
        return bool(self.occurrences_created or self.tasks_created)


def _insert_ignoring_duplicates(session: Session, model: type[SQLModel], rows: Sequence[dict], unique: Sequence[str]) -> int:
    """Insert rows, skipping any whose unique key already exists; return how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"qaframework supports SQLite and PostgreSQL, not {dialect}")
    statement = insert(model.__table__).values(list(rows)).on_conflict_do_nothing(index_elements=list(unique))
    return session.execute(statement).rowcount or 0


def audit(*, session: Session, actor: str, action: str, subject: str, detail: dict | None = None) -> None:
    """Append one line to the audit log (never child-identifying data)."""
    session.add(AuditLogEntry(actor=actor, action=action, subject=subject, detail=json.dumps(detail or {}, sort_keys=True)))


def sync_directory(*, session: Session, framework: Framework) -> None:
    """Make the agencies and bodies tables match the roster and framework files.

    Rows are updated in place (keys are stable), so tasks keep pointing at them.
    """
    now = utc_now()
    existing_agencies = {a.key: a for a in session.execute(select(Agency)).scalars()}
    for key, agency in framework.agencies.items():
        row = existing_agencies.get(key) or Agency(key=key, name="", type="", contact_name="", contact_email="")
        row.name, row.type = agency.name, agency.type
        row.contact_name, row.contact_email = agency.contact.name, agency.contact.email
        row.section_11_duty, row.updated_at = agency.section_11_duty, now
        session.add(row)
    existing_bodies = {b.key: b for b in session.execute(select(Body)).scalars()}
    for key, body in framework.bodies.items():
        row = existing_bodies.get(key) or Body(key=key, name="", kind="")
        row.name, row.kind, row.chair, row.reports_to, row.updated_at = body.name, body.kind, body.chair, body.reports_to, now
        session.add(row)
    session.flush()


def write_plan(*, session: Session, occurrences: Iterable[PlannedOccurrence], actor: str) -> PlanWriteResult:
    """Write planned occurrences and one task per assignee; existing rows are left alone.

    Tasks are created only for occurrences with a due date: a meeting is an event on the
    calendar, not a piece of work owed.
    """
    planned = list(occurrences)
    now = utc_now()
    occurrence_rows = [
        {
            "key": o.key, "activity": o.activity, "kind": o.kind, "title": o.title,
            "financial_year": o.financial_year, "period": o.period,
            "window_start": o.start, "window_end": o.end, "due": o.due,
            "starts_at": o.starts_at.astimezone(timezone.utc) if o.starts_at else None,
            "ends_at": o.ends_at.astimezone(timezone.utc) if o.ends_at else None,
            "created_at": now,
        }
        for o in planned
    ]
    occurrences_created = _insert_ignoring_duplicates(session, Occurrence, occurrence_rows, ["key"])
    ids = dict(
        session.execute(select(Occurrence.key, Occurrence.id).where(Occurrence.key.in_([o.key for o in planned]))).all()  # type: ignore[attr-defined]
    )
    task_rows = [
        {
            "occurrence_id": ids[o.key], "assignee_kind": a.kind, "assignee_key": a.key,
            "due": o.due, "status": "planned", "created_at": now, "updated_at": now,
        }
        for o in planned
        if o.due is not None
        for a in o.assignees
    ]
    tasks_created = _insert_ignoring_duplicates(session, Task, task_rows, ["occurrence_id", "assignee_kind", "assignee_key"])
    result = PlanWriteResult(
        occurrences_created=occurrences_created,
        occurrences_existing=len(occurrence_rows) - occurrences_created,
        tasks_created=tasks_created,
        tasks_existing=len(task_rows) - tasks_created,
    )
    if result.created_anything:
        audit(
            session=session, actor=actor, action="plan-written",
            subject=", ".join(sorted({f"FY {o.financial_year}" for o in planned})),
            detail={"occurrences_created": occurrences_created, "tasks_created": tasks_created},
        )
    return result


def count_rows(*, session: Session, model: type[SQLModel]) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def tasks_for(*, session: Session, financial_year: int) -> list[tuple[Task, Occurrence]]:
    """Every task of a financial year with its occurrence, ordered by due date."""
    statement = (
        select(Task, Occurrence)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.financial_year == financial_year)
        .order_by(Task.due, Occurrence.key, Task.assignee_key)  # type: ignore[arg-type]
    )
    return [(t, o) for t, o in session.execute(statement).all()]


