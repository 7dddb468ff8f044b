"""Prefect tasks around finishing tasks: thin wrappers over
qaframework.persistence.completion, with retries for transient database errors only.

They take and return references, dates, roles and reasons; the evidence note typed in
the UI goes from the form straight to the database and is then deleted from Prefect.
A reason never quotes what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prefect import task
from prefect.cache_policies import NONE

from qaframework.framework import Framework
from qaframework.persistence.completion import (
    CompletionError, TaskLine, attempts_of, complete_task, default_role, find_task, finished_elsewhere, record_refusal,
)
from qaframework.persistence.database import transaction
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@dataclass(frozen=True)
class TaskToComplete:
    """The task a complete-task run is for: what its form shows, and why it cannot be
    done here (``refused``) if it cannot."""

    line: TaskLine
    role: str
    refused: str | None


@dataclass(frozen=True)
class Outcome:
    """What one answer came to: done (``changed`` False if it was done already, that day),
    or refused with the reason (``final``: no other answer would do)."""

    done_on: date | None = None
    done_by: str | None = None
    changed: bool = False
    field: str | None = None
    reason: str | None = None
    final: bool = False


@task(name="read-task-to-complete", **DB)
def read_task(database_url: str, framework: Framework, reference: str) -> TaskToComplete:
    with transaction(database_url) as session:
        line = find_task(session=session, reference=reference)
        return TaskToComplete(line, default_role(framework, line), finished_elsewhere(session=session, framework=framework, line=line))


@task(name="record-task-done", **DB)
def complete(database_url: str, framework: Framework, reference: str, done_on: date, done_by: str, note: str, today: date,
             actor: str) -> Outcome:
    try:
        with transaction(database_url) as session:
            done = complete_task(session=session, framework=framework, reference=reference, done_on=done_on, today=today,
                                 actor=actor, done_by=done_by, note=note)
    except CompletionError as exc:
        return Outcome(field=exc.field, reason=exc.reason, final=exc.final)
    return Outcome(done.done_on, done.done_by, done.changed)


@task(name="record-refused-completion", **DB)
def record_refused(database_url: str, reference: str, actor: str, reason: str) -> None:
    """Note in the audit log that an answer was refused (the reason, never the answer)."""
    with transaction(database_url) as session:
        record_refusal(session=session, reference=reference, actor=actor, reason=reason)


@task(name="completion-attempts-of-run", **DB)
def attempts_of_run(database_url: str, reference: str, actor: str) -> tuple[int, bool]:
    """How many answers this run has had for the task, and whether one marked it done."""
    with transaction(database_url) as session:
        return attempts_of(session=session, reference=reference, actor=actor)
