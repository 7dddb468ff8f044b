"""The business unit's day: what is overdue, what falls due this week, what opened, the
cases' next statutory stages and the returns rejected and awaiting a new version.

Pure functions over plain facts (the queries are in ``persistence.today_facts``), so the
``today`` artifact that check-deadlines publishes and ``qaf today`` (text and ``--json``)
show the same rows under the same keys. Only references, framework titles (activity and
stage titles, agency and body names), dates and counts appear: never what people typed
(finding titles, action text, rationales), and cases by reference only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from qaframework.working_days import WorkingDayCalendar

#: The sections of the view, in the order they are shown, with their headings.
SECTIONS: dict[str, str] = {
    "overdue": "Overdue",
    "due_this_week": "Due this week",
    "opened": "Opened today",
    "case_stages": "Cases: next statutory stage",
    "rejected_returns": "Returns rejected, awaiting a new version",
}
#: What a section with no rows says.
NOTHING: dict[str, str] = {
    "overdue": "Nothing is overdue.",
    "due_this_week": "Nothing else falls due this week.",
    "opened": "Nothing opened today.",
    "case_stages": "No open cases.",
    "rejected_returns": "No rejected return is waiting for a new version.",
}


@dataclass(frozen=True)
class OwedTask:
    """One unfinished task: its reference, the activity's title, who holds it, its due
    date and where its escalation stands (``sent``, ``queued`` or ``no``)."""

    reference: str
    what: str
    who: str
    due: date
    escalation: str = "no"
    escalates_on: date | None = None


@dataclass(frozen=True)
class OpenedOccurrence:
    """An occurrence whose tasks opened on the day, with who holds them."""

    occurrence: str
    what: str
    who: tuple[str, ...]
    window_end: date
    due: date | None


@dataclass(frozen=True)
class CaseStage:
    """An open case's next statutory stage, by the case's reference only."""

    reference: str
    stage: str
    due: date | None


@dataclass(frozen=True)
class RejectedReturn:
    """A return task whose submissions were all rejected so far."""

    reference: str
    what: str
    who: str
    due: date | None
    rejected: int
    last_rejected_on: date


@dataclass(frozen=True)
class TodayFacts:
    owed: tuple[OwedTask, ...] = ()
    opened: tuple[OpenedOccurrence, ...] = ()
    cases: tuple[CaseStage, ...] = ()
    rejected: tuple[RejectedReturn, ...] = ()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def who_of(names: Iterable[str], shown: int = 3) -> str:
    """Who holds an occurrence's tasks, short enough for a table cell.

    >>> who_of(["Police", "Health"]), who_of(["A", "B", "C", "D", "E"])
    ('Health, Police', 'A, B and 3 more')
    """
    listed = sorted(names)
    if len(listed) <= shown:
        return ", ".join(listed)
    return f"{', '.join(listed[:shown - 1])} and {len(listed) - shown + 1} more"


def end_of_week(on: date) -> date:
    """The Sunday ending the week of ``on``: "this week" runs from ``on`` to it.

    >>> end_of_week(date(2027, 12, 22)), end_of_week(date(2027, 12, 26))
    (datetime.date(2027, 12, 26), datetime.date(2027, 12, 26))
    """
    return on + timedelta(days=6 - on.weekday())


def today_view(facts: TodayFacts, on: date, working_days: WorkingDayCalendar) -> dict[str, object]:
    """Every section of the day, as plain rows with stable keys.

    Overdue means due before ``on`` (whatever the status column says yet); a task due
    from ``on`` to the end of the week is due this week. Working days overdue count the
    working days after the due date up to ``on`` (bank holidays excluded).

    >>> owed = (OwedTask("a/2027-12/police", "Audit", "Police", date(2027, 12, 24), "queued", date(2027, 12, 31)),
    ...         OwedTask("b/2027-12/police", "Survey", "Police", date(2027, 12, 31)))
    >>> view = today_view(TodayFacts(owed=owed), date(2027, 12, 29), WorkingDayCalendar())
    >>> view["overdue"][0]["working_days_overdue"], view["due_this_week"][0]["task"]  # 27 and 28 December are bank holidays
    (1, 'b/2027-12/police')
    """
    overdue, week = [], []
    until = end_of_week(on)
    for t in sorted(facts.owed, key=lambda t: (t.due, t.reference)):
        if t.due < on:
            overdue.append({"task": t.reference, "what": t.what, "who": t.who, "due": t.due.isoformat(),
                            "working_days_overdue": working_days.working_days_between(t.due, on),
                            "escalated": t.escalation, "escalates_on": _iso(t.escalates_on)})
        elif t.due <= until:
            week.append({"task": t.reference, "what": t.what, "who": t.who, "due": t.due.isoformat(),
                         "working_days_left": working_days.working_days_between(on, t.due)})
    opened = [{"occurrence": o.occurrence, "what": o.what, "who": who_of(o.who), "tasks": len(o.who),
               "window_end": o.window_end.isoformat(), "due": _iso(o.due)}
              for o in sorted(facts.opened, key=lambda o: o.occurrence)]
    cases = []
    for c in sorted(facts.cases, key=lambda c: c.reference):
        late = c.due is not None and c.due < on
        cases.append({"case": c.reference, "next_stage": c.stage, "due": _iso(c.due),
                      "state": "overdue" if late else "open" if c.due else "due date not yet known",
                      "working_days": None if c.due is None else
                      -working_days.working_days_between(c.due, on) if late else working_days.working_days_between(on, c.due)})
    rejected = [{"task": r.reference, "what": r.what, "who": r.who, "due": _iso(r.due), "rejected_versions": r.rejected,
                 "last_rejected_on": r.last_rejected_on.isoformat()}
                for r in sorted(facts.rejected, key=lambda r: (r.last_rejected_on, r.reference))]
    return {"as_of": on.isoformat(), "week_ends": until.isoformat(), "overdue": overdue, "due_this_week": week,
            "opened": opened, "case_stages": cases, "rejected_returns": rejected}


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return str(value).replace("|", "/").replace("\n", " ")


def today_markdown(view: dict[str, object]) -> str:
    """The view as markdown: a heading, the counts, then one table per section whose
    columns are the rows' keys (the same as ``qaf today --json``)."""
    on = date.fromisoformat(str(view["as_of"]))
    counts = ", ".join(f"{len(view[key])} {heading.lower()}" for key, heading in SECTIONS.items())  # type: ignore[arg-type]
    lines = [f"# Today, {on:%A %d %B %Y}", "", counts[0].upper() + counts[1:] + ".", ""]
    for key, heading in SECTIONS.items():
        rows: list[dict[str, object]] = view[key]  # type: ignore[assignment]
        lines += [f"## {heading} (`{key}`)", ""]
        if not rows:
            lines += [NOTHING[key], ""]
            continue
        columns = list(rows[0])
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def today_text(view: dict[str, object]) -> str:
    """The view for a terminal: each section with one line per row."""
    on = date.fromisoformat(str(view["as_of"]))
    lines = [f"Today, {on:%A %d %B %Y}"]
    for key, heading in SECTIONS.items():
        rows: list[dict[str, object]] = view[key]  # type: ignore[assignment]
        lines += ["", f"{heading} ({len(rows)})"]
        if not rows:
            lines.append(f"  {NOTHING[key]}")
        lines += ["  " + "  ".join(f"{k}: {_cell(v)}" for k, v in r.items()) for r in rows]
    return "\n".join(lines) + "\n"
