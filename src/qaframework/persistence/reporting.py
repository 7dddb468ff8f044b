"""Queries behind the dashboard: task facts and calendar items, no case details."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, literal_column, or_, select
from sqlmodel import Session

from qaframework.compliance import CalendarItem, StatusCount
from qaframework.feeds.items import OccurrenceFacts
from qaframework.persistence.learning_tables import MeetingRecord
from qaframework.persistence.tables import Agency, Body, Occurrence, Task


def compliance_counts(*, session: Session, zone: str) -> list[StatusCount]:
    """The tasks counted per assignee and status in the database (GROUP BY), planned ones
    left out, in the order of each group's first task (lowest id), without reading every
    task.

    A submitted task is late if the local day it came in is after its due date. The
    database knows no time zones (SQLite), so it compares the UTC timestamp moved by the
    zone's smallest and largest offsets around the due dates: later than the due date
    even at the smallest is late; not later even at the largest is on time; the few in
    between (in London, from 23:00 UTC on the due day during summer time) are read and
    checked here.
    """
    tz = ZoneInfo(zone)
    submitted = and_(Task.status == "submitted", Task.due.is_not(None), Task.submitted_at.is_not(None))  # type: ignore[union-attr]
    first, last = session.execute(select(func.min(Task.due), func.max(Task.due)).where(submitted)).one()
    smallest, largest = _offsets(tz, first, last) if first is not None else (0, 0)
    dialect = session.get_bind().dialect.name
    surely = and_(submitted, _date_moved(Task.submitted_at, smallest, dialect) > Task.due)
    maybe = and_(submitted, _date_moved(Task.submitted_at, smallest, dialect) <= Task.due, _date_moved(Task.submitted_at, largest, dialect) > Task.due)
    late: Counter[tuple[str, str]] = Counter()
    for kind, key, due, moment in session.execute(select(Task.assignee_kind, Task.assignee_key, Task.due, Task.submitted_at).where(maybe)).all():
        if moment.astimezone(tz).date() > due:
            late[(kind, key)] += 1
    groups = session.execute(
        select(Task.assignee_kind, Task.assignee_key, Task.status, func.count(), func.sum(case((surely, 1), else_=0)))
        .where(Task.status != "planned").group_by(Task.assignee_kind, Task.assignee_key, Task.status).order_by(func.min(Task.id))
    ).all()
    return [StatusCount(kind, key, status, int(n), int(sure or 0) + (late[(kind, key)] if status == "submitted" else 0))
            for kind, key, status, n, sure in groups]


def _offsets(zone: ZoneInfo, first: date, last: date) -> tuple[int, int]:
    """The zone's smallest and largest UTC offsets, in minutes, in the days around
    ``first`` to ``last`` (sampled twice a day: no zone keeps an offset for less).

    >>> _offsets(ZoneInfo("Europe/London"), date(2027, 1, 1), date(2027, 12, 31))
    (0, 60)
    """
    start = datetime.combine(first - timedelta(days=2), time(0), timezone.utc)
    seen = {zone.utcoffset(start + timedelta(hours=12 * n)).total_seconds() / 60 for n in range(2 * ((last - first).days + 5))}  # type: ignore[union-attr]
    return math.floor(min(seen)), math.ceil(max(seen))


def _date_moved(moment: Any, minutes: int, dialect: str) -> Any:
    """The UTC date of a timestamp column moved by ``minutes``, in SQL (SQLite keeps
    timestamps as UTC text; PostgreSQL's are converted to UTC first)."""
    if dialect == "sqlite":
        return func.date(moment, f"{int(minutes):+d} minutes")
    return cast(func.timezone("UTC", moment) + literal_column(f"interval '{int(minutes)} minutes'"), Date)


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
    """Every occurrence as the feeds show it. A meeting recorded as cancelled is left
    out, so the feeds publish it (with its papers and reports due) as cancelled, as they
    do any item that is no longer planned."""
    cancelled = select(MeetingRecord.occurrence_id).where(MeetingRecord.status == "cancelled")
    rows = session.execute(select(Occurrence).where(Occurrence.id.not_in(cancelled))).scalars()  # type: ignore[union-attr]
    return [
        OccurrenceFacts(o.key, o.activity, o.kind, o.title, o.period, o.window_start, o.window_end, o.due, o.starts_at, o.ends_at)
        for o in rows
    ]


def assignees_by_occurrence(*, session: Session, keys: Iterable[str] | None = None) -> dict[str, set[tuple[str, str]]]:
    """Occurrence key -> (kind, key) of everyone holding a live task for it; of the
    occurrences ``keys`` only, if given (the calendar's next 30 days, not every year)."""
    found: dict[str, set[tuple[str, str]]] = {}
    statement = (
        select(Occurrence.key, Task.assignee_kind, Task.assignee_key).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.status != "cancelled")
    )
    if keys is not None:
        statement = statement.where(Occurrence.key.in_(sorted(set(keys))))  # type: ignore[attr-defined]
    rows = session.execute(statement).all()
    for key, kind, assignee in rows:
        found.setdefault(key, set()).add((kind, assignee))
    return found
