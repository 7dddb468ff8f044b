"""The business unit's dashboard: who owes what, and what is coming up.

Pure functions over plain rows, so the Prefect artifact, the CLI and a report can all
show the same figures. Only keys, names and dates appear: never case details.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class ComplianceRow:
    """One assignee's tasks. The dashboard counts every task (a return, a survey, a
    visit, a report), so an agency's figures here can differ from its returns'."""

    assignee: str
    name: str
    open: int
    submitted: int
    overdue: int
    late: int
    kind: str = "agency"  # "agency" or "body"
    done: int = 0

    def as_dict(self) -> dict[str, object]:
        """The dashboard's row: an agency's name under "agency", a body's under "body"."""
        return {"agency": self.name if self.kind == "agency" else "", "body": self.name if self.kind != "agency" else "",
                "key": self.assignee, "open": self.open, "overdue": self.overdue, "submitted": self.submitted,
                "late": self.late, "done": self.done}


@dataclass(frozen=True)
class StatusCount:
    """How many of one assignee's tasks have one status, and how many of those were
    submitted after their due date (``persistence.reporting.compliance_counts`` counts
    them in the database)."""

    assignee_kind: str
    assignee_key: str
    status: str
    tasks: int
    late: int = 0


def compliance_rows_from_counts(counted: Iterable[StatusCount], names: Mapping[str, str], always: Iterable[str] = ()) -> list[ComplianceRow]:
    """Per assignee: tasks open, submitted, overdue, submitted late (after the due date)
    and done (closed), from the tasks counted per assignee and status in the database
    (``persistence.reporting.compliance_counts``, which leaves planned tasks out, in the
    order of each group's first task: an assignee's kind is that of its first task).
    Partner agencies first, then bodies, each by name; assignees in ``always`` (every
    partner agency) get a row even with nothing open yet.

    >>> rows = compliance_rows_from_counts([StatusCount("body", "audit", "closed", 2), StatusCount("agency", "police", "submitted", 3, 1)],
    ...                                    {"police": "Police", "audit": "Audit", "fire": "Fire"}, always=["fire"])
    >>> [(r.assignee, r.kind, r.submitted, r.late, r.done) for r in rows]
    [('fire', 'agency', 0, 0, 0), ('police', 'agency', 3, 1, 0), ('audit', 'body', 0, 0, 2)]
    """
    counts: dict[str, Counter[str]] = {key: Counter() for key in always}
    kinds: dict[str, str] = {key: "agency" for key in always}
    for g in counted:
        kinds.setdefault(g.assignee_key, g.assignee_kind)
        c = counts.setdefault(g.assignee_key, Counter())
        c[g.status] += g.tasks
        c["late"] += g.late
    return [
        ComplianceRow(key, names.get(key, key), c["open"], c["submitted"], c["overdue"], c["late"], kinds.get(key, "agency"), c["closed"])
        for key, c in sorted(counts.items(), key=lambda kv: (kinds.get(kv[0], "agency") != "agency", names.get(kv[0], kv[0])))
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


def for_whom_text(names: Sequence[str], shown: int = 3) -> str:
    """Who an item is for, short enough for one line.

    >>> for_whom_text(["Police"]), for_whom_text(["A", "B", "C", "D"]), for_whom_text([])
    ('for Police', 'for A, B and 2 more', '')
    """
    listed = sorted(names)
    if not listed:
        return ""
    if len(listed) <= shown:
        return "for " + ", ".join(listed)
    return f"for {', '.join(listed[:shown - 1])} and {len(listed) - shown + 1} more"


def upcoming_markdown(items: Iterable[CalendarItem], on: date, days: int = 30, for_whom: Mapping[str, Sequence[str]] | None = None) -> str:
    """A markdown list of what opens, falls due or meets in the next ``days`` days, each
    item saying who it is for (the names holding its tasks, by occurrence key)."""
    until = on + timedelta(days=days)
    whom = for_whom or {}
    events: list[tuple[date, str]] = []
    for i in items:
        who = for_whom_text(whom.get(i.key, ()))
        suffix = f" ({who})" if who else ""
        if i.kind == "meeting":
            if on <= i.start <= until:
                when = f" at {i.starts_at:%H:%M}" if i.starts_at else ""
                events.append((i.start, f"**{i.title}** meets{when}"))
            continue
        if on <= i.start <= until:
            events.append((i.start, f"{i.title} opens (window to {i.end:%d %B %Y}){suffix}"))
        if i.due is not None and on <= i.due <= until:
            events.append((i.due, f"{i.title} due{suffix}"))
    lines = [f"# The next {days} days: {on:%A %d %B %Y} to {until:%A %d %B %Y}", ""]
    if not events:
        lines.append("Nothing opens, falls due or meets in this period.")
    for day, text in sorted(events):
        lines.append(f"- {day:%a %d %b %Y}: {text}")
    return "\n".join(lines) + "\n"
