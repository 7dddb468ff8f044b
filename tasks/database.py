"""Prefect tasks around our database: thin wrappers with retries for transient errors.

Each task opens its own engine and one transaction, so a task either does all of its
work or none of it, and a retry starts clean.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NONE

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import PlanWriteResult, audit, sync_directory, write_plan
from qaframework.persistence.task_status import TaskChange, mark_overdue_tasks, open_started_tasks, open_tasks_due_between
from qaframework.persistence.watermarks import advance_watermark, read_watermark
from qaframework.yearly_plan import plan_financial_year
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@task(name="prepare-database", **DB)
def prepare_database(database_url: str) -> None:
    prepare(database_url)


@task(name="write-year-plan", **DB)
def write_year_plan(database_url: str, framework: Framework, financial_year: int, actor: str, as_of: date) -> PlanWriteResult:
    occurrences = plan_financial_year(framework, FinancialYear(financial_year))
    with transaction(database_url) as session:
        sync_directory(session=session, framework=framework)
        return write_plan(session=session, occurrences=occurrences, actor=actor, as_of=as_of)


@task(name="read-watermark", **DB)
def watermark(database_url: str, job: str) -> date | None:
    with transaction(database_url) as session:
        return read_watermark(session=session, job=job)


@task(name="advance-watermark", **DB)
def record_processed_through(database_url: str, job: str, through: date) -> None:
    with transaction(database_url) as session:
        advance_watermark(session=session, job=job, through=through)


@task(name="open-started-tasks", **DB)
def open_started(database_url: str, on: date, actor: str) -> list[TaskChange]:
    with transaction(database_url) as session:
        return open_started_tasks(session=session, on=on, actor=actor)


@task(name="mark-overdue-tasks", **DB)
def mark_overdue(database_url: str, on: date, actor: str) -> list[TaskChange]:
    with transaction(database_url) as session:
        return mark_overdue_tasks(session=session, on=on, actor=actor)


@task(name="find-tasks-due-soon", **DB)
def due_soon(database_url: str, after: date, through: date) -> list[TaskChange]:
    with transaction(database_url) as session:
        return open_tasks_due_between(session=session, after=after, through=through)


@task(name="record-what-is-due", **DB)
def record_due(database_url: str, on: date, overdue: list[int], due_soon: list[int], actor: str) -> None:
    """Until reminders are sent, the audit log records what they would be about."""
    with transaction(database_url) as session:
        audit(session=session, actor=actor, action="deadlines-checked", subject=f"as of {on.isoformat()}",
              detail={"newly_overdue": overdue, "due_soon": due_soon})
