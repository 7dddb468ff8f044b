"""Whether a database may take the demonstration year: empty, already the demonstration,
or holding real records.

The demonstration marks itself in two places, in the same transaction as everything it
writes: a run watermark (``run_watermark`` row ``demo``, through the day the walk
ended) and its audit-log entries, all by :data:`DEMO_ACTOR`. A database holds *real*
records when it has no watermark ``demo`` and someone's work is in it
(:func:`other_records`). What the system writes on its own before anyone works (``qaf
up`` plans the current and the next year; the scheduled runs open tasks, mark them
overdue and queue reminders) is not a record: the demonstration goes in beside it, into
a year that is not planned yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, inspect, or_, select, table
from sqlmodel import Session

from qaframework.persistence.repository import insert_ignoring_duplicates
from qaframework.financial_year import FinancialYear
from qaframework.persistence.tables import AuditLogEntry, Occurrence, RunWatermark, Task, utc_now
from qaframework.persistence.watermarks import read_watermark

#: Who the demonstration's records are by, everywhere an actor is stored.
DEMO_ACTOR = "qaf-demo"
#: The run watermark that marks a database as holding the demonstration year.
DEMO_JOB = "demo"
#: Tables that are not records of anyone's work: the roster's directory (written by every
#: command), how far scheduled jobs have run, the feeds' caches (the feed server that
#: ``qaf up`` starts writes them), and the reminders and emails the scheduled runs queue.
NOT_RECORDS = frozenset({"agency", "body", "run_watermark", "feed_state", "calendar_item_version", "alembic_version",
                         "reminder", "email_message"})
#: What the scheduled runs (and ``qaf up``, which plans the current and the next year) do
#: on their own from the framework file, before anyone has done anything: planned years
#: whose tasks nobody has finished are not records, so ``qaf demo`` works after ``qaf up``.
AUTOMATIC_ACTIONS = frozenset({"plan-written", "tasks-opened", "tasks-overdue", "tasks-cancelled", "deadlines-checked"})
#: Planned occurrences and their tasks: records only once a task is finished.
PLAN_TABLES = frozenset({"occurrence", "task"})


@dataclass(frozen=True)
class DatabaseState:
    """``empty``, ``demo`` (``through``: the last day of the walk) or ``real``
    (``found``: how many rows of which tables, the first few)."""

    kind: str
    through: date | None = None
    found: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        return ", ".join(f"{count} in {name}" for name, count in self.found)


def other_records(*, session: Session) -> tuple[tuple[str, int], ...]:
    """Rows that record someone's work, the first four kinds: audit-log entries by anyone
    but the demonstration (other than the scheduled runs' own), finished tasks, and any
    row of any other table of records. Every table the migrations made is looked at, so
    tables added later count too."""
    found: list[tuple[str, int]] = []
    others = session.execute(select(func.count()).select_from(AuditLogEntry).where(
        AuditLogEntry.actor != DEMO_ACTOR, AuditLogEntry.action.not_in(AUTOMATIC_ACTIONS))).scalar_one()  # type: ignore[attr-defined]
    if others:
        found.append(("audit_log", others))
    finished = session.execute(select(func.count()).select_from(Task).where(
        or_(Task.status.in_(("submitted", "closed")), Task.done_on.is_not(None)))).scalar_one()  # type: ignore[attr-defined,union-attr]
    if finished:
        found.append(("task (finished)", finished))
    for name in sorted(inspect(session.connection()).get_table_names()):
        if name in NOT_RECORDS or name in PLAN_TABLES or name == AuditLogEntry.__tablename__:
            continue
        count = session.execute(select(func.count()).select_from(table(name))).scalar_one()
        if count:
            found.append((name, count))
    return tuple(found[:4])


def planned_already(*, session: Session, fy: FinancialYear) -> int:
    """How many occurrences of ``fy`` the database holds (a plan written by ``qaf plan`` or ``qaf up``)."""
    return session.execute(select(func.count()).select_from(Occurrence).where(Occurrence.financial_year == fy.start_year)).scalar_one()


def database_state(*, session: Session) -> DatabaseState:
    """What the database holds, as far as the demonstration is concerned."""
    through = read_watermark(session=session, job=DEMO_JOB)
    if through is not None:
        return DatabaseState("demo", through)
    found = other_records(session=session)
    return DatabaseState("real", None, found) if found else DatabaseState("empty")


def claim_database(*, session: Session, through: date) -> DatabaseState:
    """Mark the database as the demonstration's, first of all (so a second ``qaf demo`` at
    the same moment waits, then finds the mark), and say what it held: ``empty`` (go
    on), ``demo`` (it was already marked: write nothing) or ``real`` (the caller refuses,
    and rolling back removes the mark)."""
    row = {"job": DEMO_JOB, "processed_through": through, "updated_at": utc_now()}
    if not insert_ignoring_duplicates(session, RunWatermark, [row], ["job"]):
        return DatabaseState("demo", read_watermark(session=session, job=DEMO_JOB))
    found = other_records(session=session)
    return DatabaseState("real", None, found) if found else DatabaseState("empty")
