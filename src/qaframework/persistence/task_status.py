"""Moving tasks through their statuses: planned, open, overdue (and later submitted).

Each change is one guarded UPDATE (``WHERE status = 'planned'``), so a run repeated or
two runs at once change each task once; the rows they changed are returned and
recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select, update
from sqlmodel import Session

from qaframework.persistence.repository import audit
from qaframework.persistence.tables import Occurrence, Task, utc_now


@dataclass(frozen=True)
class TaskChange:
    """A task whose status a run changed (no personal data: keys and dates only)."""

    task_id: int
    occurrence_key: str
    assignee_key: str
    due: date | None


def _changed(session: Session, ids: list[int]) -> list[TaskChange]:
    if not ids:
        return []
    rows = session.execute(
        select(Task.id, Occurrence.key, Task.assignee_key, Task.due)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.id.in_(ids))  # type: ignore[union-attr]
        .order_by(Occurrence.key, Task.assignee_key)
    ).all()
    return [TaskChange(*row) for row in rows]


def open_started_tasks(*, session: Session, on: date, actor: str) -> list[TaskChange]:
    """Open every planned task whose occurrence's window has started by ``on``.

    Everything that should have opened on earlier days (a missed run) opens too.
    """
    started = select(Occurrence.id).where(Occurrence.window_start <= on)
    now = utc_now()
    ids = list(
        session.execute(
            update(Task)
            .where(and_(Task.status == "planned", Task.occurrence_id.in_(started)))  # type: ignore[attr-defined]
            .values(status="open", opened_at=now, opened_on=on, updated_at=now)
            .returning(Task.id)
        ).scalars()
    )
    changes = _changed(session, ids)
    if changes:
        audit(
            session=session, actor=actor, action="tasks-opened", subject=f"as of {on.isoformat()}",
            detail={"count": len(changes), "occurrences": sorted({c.occurrence_key for c in changes})},
        )
    return changes


def mark_overdue_tasks(*, session: Session, on: date, actor: str) -> list[TaskChange]:
    """Mark open tasks whose due date has passed by ``on`` as overdue."""
    now = utc_now()
    ids = list(
        session.execute(
            update(Task)
            .where(and_(Task.status == "open", Task.due < on))  # type: ignore[operator]
            .values(status="overdue", updated_at=now)
            .returning(Task.id)
        ).scalars()
    )
    changes = _changed(session, ids)
    if changes:
        audit(
            session=session, actor=actor, action="tasks-overdue", subject=f"as of {on.isoformat()}",
            detail={"count": len(changes), "tasks": [c.task_id for c in changes]},
        )
    return changes


def open_tasks_due_between(*, session: Session, after: date, through: date) -> list[TaskChange]:
    """Open tasks falling due in (after, through]: what reminders will be about."""
    ids = list(
        session.execute(
            select(Task.id).where(and_(Task.status == "open", Task.due > after, Task.due <= through))  # type: ignore[operator]
        ).scalars()
    )
    return _changed(session, ids)
