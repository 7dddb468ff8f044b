"""Writing the demonstration year, all of it in the caller's one transaction.

In order: the database is claimed (the watermark ``demo``; a database already holding
the demonstration is left alone; one with real records, or with the year planned
already, is refused); the directory and the
year's plan are written (``sync_directory``, ``write_plan``, as ``plan-year`` does,
as of the year's first day); the steps schedule their events; the walk runs them day by
day, opening started tasks and marking overdue ones before each day's events as the
scheduled runs do; the audit log records that the year was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from qaframework.deadlines import working_day_calendar
from qaframework.demo.cases_step import schedule_cases
from qaframework.demo.context import Demo, DemoError
from qaframework.demo.guard import DEMO_ACTOR, claim_database, planned_already
from qaframework.demo.learning_step import schedule_findings
from qaframework.demo.meetings_step import schedule_meetings, schedule_tasks
from qaframework.demo.returns_step import schedule_returns
from qaframework.demo.summary import demo_counts
from qaframework.demo.walk import Walk, check_year, default_year
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.repository import audit, sync_directory, write_plan
from qaframework.persistence.task_status import mark_overdue_tasks, open_started_tasks
from qaframework.yearly_plan import plan_financial_year


class DemoRefusedError(DemoError):
    """The database holds records the demonstration did not make: nothing is written."""


@dataclass(frozen=True)
class DemoOutcome:
    """``written``: the year was written now; else the database held it already (``fy``
    is then the year it holds). ``counts``: what the database holds, counted."""

    written: bool
    fy: FinancialYear
    through: date
    counts: dict[str, int]


def write_demo_year(*, session: Session, framework: Framework, fy: FinancialYear, data_dir: Path, today: date,
                    papers: bool = True, where: str = "the database") -> DemoOutcome:
    """Fill an empty database with the demonstration year ``fy`` (one that ended before
    ``today``), or leave one that holds it alone. ``papers``: build the papers of the top
    body's last meeting of the year, under ``data_dir``. ``where`` names the database in
    a refusal."""
    check_year(fy, today)
    calendar = working_day_calendar(framework)
    last = calendar.on_or_before(fy.end)
    state = claim_database(session=session, through=last)
    if state.kind == "demo":
        through = state.through or last
        held = FinancialYear.containing(through)
        return DemoOutcome(False, held, through, demo_counts(session=session, framework=framework, fy=held, through=through))
    if state.kind == "real":
        raise DemoRefusedError(f"{where} already holds records not made by qaf demo ({state.describe()}): the demonstration year "
                               "goes only into an empty database; point QAF_DATA_DIR (or QAF_DATABASE_URL) at a new one")
    if planned_already(session=session, fy=fy):
        raise DemoRefusedError(f"{where} has {fy} planned already (by qaf up or qaf plan): the demonstration year goes into a year "
                               "that is not planned; choose another with --fy, such as "
                               f"{default_year(framework, fy.start).start_year}, or point QAF_DATA_DIR at a new folder")
    sync_directory(session=session, framework=framework)
    write_plan(session=session, occurrences=plan_financial_year(framework, fy), actor=DEMO_ACTOR, as_of=fy.start)

    def new_day(day: date) -> None:
        open_started_tasks(session=session, on=day, actor=DEMO_ACTOR)
        mark_overdue_tasks(session=session, on=day, actor=DEMO_ACTOR)

    demo = Demo(session, framework, fy, Walk(calendar, fy.start, fy.end, new_day), data_dir)
    schedule_tasks(demo)
    schedule_returns(demo)
    schedule_findings(demo)
    schedule_meetings(demo, papers)
    schedule_cases(demo)
    demo.walk.run()
    audit(session=session, actor=DEMO_ACTOR, action="demo-year-written", subject=f"FY {fy}",
          detail={"financial_year": fy.start_year, "through": last.isoformat(), **{k.replace(" ", "_"): v for k, v in sorted(demo.asked.items())}})
    return DemoOutcome(True, fy, last, demo_counts(session=session, framework=framework, fy=fy, through=last))
