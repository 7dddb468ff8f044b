"""The business unit's dashboard: who owes what, and what is coming up.

Pure functions over plain rows, so the Prefect artifact, the CLI and a report can all
show the same figures. Only keys, names and dates appear: never case details.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class TaskFacts:
    """What the dashboard needs to know about one task."""

    assignee_kind: str
    assignee_key: str
    status: str
    due: date | None
    submitted_on: date | None


@dataclass(frozen=True)
class ComplianceRow:
    assignee: str
    name: str
    open: int
    submitted: int
    overdue: int
    late: int

    def as_dict(self) -> dict[str, object]:
        return {"agency": self.name, "key": self.assignee, "open": self.open, "submitted": self.submitted, "overdue": self.overdue, "late": self.late}


def compliance_rows(tasks: Iterable[TaskFacts], names: Mapping[str, str], always: Iterable[str] = ()) -> list[ComplianceRow]:
    """Per assignee: tasks open, submitted, overdue, and submitted late (after the due date).

    Assignees in ``always`` (every partner agency) get a row even with nothing open yet.

    >>> rows = compliance_rows([TaskFacts("agency", "police", "submitted", date(2027, 4, 30), date(2027, 5, 4)),
    ...                         TaskFacts("agency", "police", "overdue", date(2027, 4, 30), None)], {"police": "Police"})
    >>> rows[0]
    ComplianceRow(assignee='police', name='Police', open=0, submitted=1, overdue=1, late=1)
    """
    counts: dict[str, Counter[str]] = {key: Counter() for key in always}
    for t in tasks:
        if t.status == "planned":
            continue
        c = counts.setdefault(t.assignee_key, Counter())
        c[t.status] += 1
        if t.status == "submitted" and t.due is not None and t.submitted_on is not None and t.submitted_on > t.due:
            c["late"] += 1
    return [
        ComplianceRow(key, names.get(key, key), c["open"], c["submitted"], c["overdue"], c["late"])
        for key, c in sorted(counts.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]


@dataclass(frozen=True)
class CalendarItem:
    key: str
    title: str
    kind: str
    start: date
    end: date
    due: date | None
    starts_at: datetime | None


def upcoming_markdown(items: Iterable[CalendarItem], on: date, days: int = 30) -> str:
    """A markdown list of what opens, falls due or meets in the next ``days`` days."""
    until = on + timedelta(days=days)
    events: list[tuple[date, str]] = []
    for i in items:
        if i.kind == "meeting":
            if on <= i.start <= until:
                when = f" at {i.starts_at:%H:%M}" if i.starts_at else ""
                events.append((i.start, f"**{i.title}** meets{when}"))
            continue
        if on <= i.start <= until:
            events.append((i.start, f"{i.title} opens (window to {i.end:%d %B %Y})"))
        if i.due is not None and on <= i.due <= until:
            events.append((i.due, f"{i.title} due"))
    lines = [f"# The next {days} days: {on:%A %d %B %Y} to {until:%A %d %B %Y}", ""]
    if not events:
        lines.append("Nothing opens, falls due or meets in this period.")
    for day, text in sorted(events):
        lines.append(f"- {day:%a %d %b %Y}: {text}")
    return "\n".join(lines) + "\n"
