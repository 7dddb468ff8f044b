"""Queries behind the dashboard: task facts and calendar items, no case details."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from qaframework.compliance import CalendarItem, TaskFacts
from qaframework.persistence.tables import Agency, Body, Occurrence, Task


def task_facts(*, session: Session) -> list[TaskFacts]:
    rows = session.execute(select(Task.assignee_kind, Task.assignee_key, Task.status, Task.due, Task.submitted_at)).all()
    return [
        TaskFacts(kind, key, status, due, submitted.astimezone(timezone.utc).date() if submitted else None)
        for kind, key, status, due, submitted in rows
    ]


def assignee_names(*, session: Session) -> dict[str, str]:
    names = dict(session.execute(select(Agency.key, Agency.name)).all())
    names.update(session.execute(select(Body.key, Body.name)).all())
    return names


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Stored timestamps are UTC (SQLite hands them back without a zone)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone)


def calendar_items(*, session: Session, start: date, end: date, zone: str) -> list[CalendarItem]:
    """Occurrences that open, fall due or meet between ``start`` and ``end``; meeting
    times in the partnership's zone."""
    tz = ZoneInfo(zone)
    rows = session.execute(
        select(Occurrence).where(
            or_(
                Occurrence.window_start.between(start, end),  # type: ignore[attr-defined]
                Occurrence.due.between(start, end),  # type: ignore[union-attr]
            )
        )
    ).scalars()
    return [
        CalendarItem(o.key, o.title, o.kind, o.window_start, o.window_end, o.due, _local(o.starts_at, tz))
        for o in rows
    ]
