"""Queries behind the dashboard: task facts and calendar items, no case details."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from qaframework.compliance import CalendarItem, TaskFacts
from qaframework.feeds.items import OccurrenceFacts
from qaframework.persistence.tables import Agency, Body, Occurrence, Task


def task_facts(*, session: Session, zone: str) -> list[TaskFacts]:
    """Every task's status and dates; the day a return came in is the partnership's
    local day (00:30 BST on 1 May is 1 May, not 30 April)."""
    tz = ZoneInfo(zone)
    rows = session.execute(select(Task.assignee_kind, Task.assignee_key, Task.status, Task.due, Task.submitted_at)).all()
    return [
        TaskFacts(kind, key, status, due, _local(submitted, tz).date() if submitted else None)  # type: ignore[union-attr]
        for kind, key, status, due, submitted in rows
    ]


def assignee_names(*, session: Session) -> dict[str, str]:
    names = dict(session.execute(select(Agency.key, Agency.name)).all())
    names.update(session.execute(select(Body.key, Body.name)).all())
    return names


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


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


def occurrence_facts(*, session: Session) -> list[OccurrenceFacts]:
    rows = session.execute(select(Occurrence)).scalars()
    return [
        OccurrenceFacts(o.key, o.activity, o.kind, o.title, o.period, o.window_start, o.window_end, o.due, o.starts_at, o.ends_at)
        for o in rows
    ]


def assignees_by_occurrence(*, session: Session) -> dict[str, set[tuple[str, str]]]:
    """Occurrence key -> (kind, key) of everyone holding a live task for it."""
    found: dict[str, set[tuple[str, str]]] = {}
    rows = session.execute(
        select(Occurrence.key, Task.assignee_kind, Task.assignee_key).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.status != "cancelled")
    ).all()
    for key, kind, assignee in rows:
        found.setdefault(key, set()).add((kind, assignee))
    return found
