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
from datetime import date, timezone

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from qaframework.framework import Framework
from qaframework.persistence.tables import UNFINISHED, Agency, AuditLogEntry, Body, Occurrence, Task, utc_now
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


def insert_ignoring_duplicates(session: Session, model: type[SQLModel], rows: Sequence[dict], unique: Sequence[str] | None) -> int:
    """Insert rows, skipping any whose unique key already exists; return how many were new.

    ``unique`` names the key's columns; None skips a row that would repeat any unique key
    of the table. PostgreSQL checks only the named key for the conflict: a row that
    repeats another unique key too, inserted by a concurrent transaction at the same
    moment, fails on that other key instead of being skipped.

    One statement compiled once and executed for all the rows (SQLAlchemy's
    "insertmanyvalues" sends them in batches within the database's limits), rather than
    one VALUES list per batch, whose compiling grew with the number of rows.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"qaframework supports SQLite and PostgreSQL, not {dialect}")
    table = model.__table__  # type: ignore[attr-defined]
    key_column = list(table.primary_key.columns)[0]
    statement = insert(table).on_conflict_do_nothing(index_elements=list(unique) if unique is not None else None).returning(key_column)
    # RETURNING names the rows actually inserted; rowcount is unreliable for
    # multi-row inserts on some drivers (psycopg reports -1).
    return len(session.execute(statement, list(rows)).all())


def audit(*, session: Session, actor: str, action: str, subject: str, detail: dict | None = None) -> None:
    """Append one line to the audit log (never child-identifying data)."""
    session.add(AuditLogEntry(actor=actor, action=action, subject=subject, detail=json.dumps(detail or {}, sort_keys=True)))


def sync_directory(*, session: Session, framework: Framework) -> None:
    """Make the agencies and bodies tables match the roster and framework files.

    Rows are inserted if new (ignoring any a concurrent run just inserted), then updated
    in place by key, so tasks keep pointing at them and two runs at once both succeed.
    """
    now = utc_now()
    agencies = [
        {"key": key, "name": a.name, "type": a.type, "contact_name": a.contact.name,
         "contact_email": a.contact.email, "section_11_duty": a.section_11_duty, "updated_at": now}
        for key, a in framework.agencies.items()
    ]
    bodies = [
        {"key": key, "name": b.name, "kind": b.kind, "chair": b.chair, "reports_to": b.reports_to, "updated_at": now}
        for key, b in framework.bodies.items()
    ]
    for model, rows in ((Agency, agencies), (Body, bodies)):
        insert_ignoring_duplicates(session, model, rows, ["key"])
        table = model.__table__  # type: ignore[attr-defined]
        if rows:  # one UPDATE, compiled once and executed for every row
            columns = [c for c in rows[0] if c != "key"]
            statement = update(table).where(table.c.key == bindparam("row_key")).values({c: bindparam(f"row_{c}") for c in columns})
            session.connection().execute(statement, [{f"row_{c}": v for c, v in row.items()} for row in rows])
    # An agency taken off the roster owes nothing more: its unfinished tasks are cancelled.
    # The agencies table keeps every agency ever on the roster, so the few that left are
    # found there and their tasks by the assignee index (not by scanning every task).
    left = list(session.execute(select(Agency.key).where(Agency.key.not_in(list(framework.agencies)))).scalars())  # type: ignore[attr-defined]
    if not left:
        return
    departed = session.execute(
        update(Task)
        .where(
            Task.assignee_kind == "agency",  # type: ignore[arg-type]
            Task.assignee_key.in_(left),  # type: ignore[attr-defined]
            Task.status.in_(UNFINISHED),  # type: ignore[attr-defined]
        )
        .values(status="cancelled", updated_at=now)
        .returning(Task.assignee_key)
    ).scalars().all()
    if departed:
        audit(session=session, actor="roster", action="tasks-cancelled", subject="agencies left the roster",
              detail={"agencies": sorted(set(departed)), "count": len(departed)})


def write_plan(
    *, session: Session, occurrences: Iterable[PlannedOccurrence], actor: str, as_of: date | None = None
) -> PlanWriteResult:
    """Write planned occurrences and one task per assignee; existing rows are left alone.

    Tasks are created only for occurrences with a due date (a meeting is an event on the
    calendar, not a piece of work owed), and, when ``as_of`` is given, only for windows
    still open on that day: an agency that joins in November is not given April's audit,
    already overdue, and a partnership adopting the software mid-year is not chased for
    the months before it did.
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
    occurrences_created = insert_ignoring_duplicates(session, Occurrence, occurrence_rows, ["key"])
    ids = dict(
        session.execute(select(Occurrence.key, Occurrence.id).where(Occurrence.key.in_([o.key for o in planned]))).all()  # type: ignore[attr-defined]
    )
    task_rows = [
        {
            "occurrence_id": ids[o.key], "assignee_kind": a.kind, "assignee_key": a.key,
            "due": o.due, "status": "planned", "created_at": now, "updated_at": now,
        }
        for o in planned
        if o.due is not None and (as_of is None or o.end >= as_of)
        for a in o.assignees
    ]
    tasks_created = insert_ignoring_duplicates(session, Task, task_rows, ["occurrence_id", "assignee_kind", "assignee_key"])
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


