"""Queries behind the returns dashboard and ``qaf returns list``: keys, dates and counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.persistence.tables import Occurrence, ReturnSubmission, Task
from qaframework.returns.dashboard import ReturnTaskFacts
from qaframework.persistence.returns import as_return_task
from qaframework.returns.validation import split_task_reference
from qaframework.returns.validation import task_reference as reference


def return_task_facts(*, session: Session, framework: Framework) -> list[ReturnTaskFacts]:
    """Every live agency task whose activity takes a return, with what came in for it."""
    activities = [a for rt in framework.document.returns.values() for a in rt.activities]
    statement = (
        select(Task, Occurrence)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.assignee_kind == "agency", Occurrence.activity.in_(activities), Occurrence.kind != ACTION, Task.status != "cancelled")  # type: ignore[attr-defined]
    )
    tasks = session.execute(statement).all()
    ids = [t.id for t, _ in tasks]
    submissions: dict[int, list[ReturnSubmission]] = {}
    if ids:
        for s in session.execute(
            select(ReturnSubmission).where(ReturnSubmission.task_id.in_(ids)).order_by(ReturnSubmission.version)  # type: ignore[union-attr]
        ).scalars():
            submissions.setdefault(s.task_id, []).append(s)  # type: ignore[arg-type]
    facts = []
    for task, occurrence in tasks:
        subs = submissions.get(task.id, [])  # type: ignore[arg-type]
        accepted = [s for s in subs if s.status == "accepted"]
        last_accepted = accepted[-1].version if accepted else 0
        rt = as_return_task(task, occurrence)
        facts.append(ReturnTaskFacts(
            reference=rt.reference, agency_key=task.assignee_key, activity=occurrence.activity, title=occurrence.title,
            period=rt.period_label, due=task.due, status=task.status, accepted_versions=len(accepted),
            first_accepted_late=accepted[0].late if accepted else False,
            rejected_since_accepted=sum(1 for s in subs if s.status == "rejected" and s.version > last_accepted),
            latest_payload=json.loads(accepted[-1].payload) if accepted else {},
        ))
    return sorted(facts, key=lambda f: (f.due or f.period, f.reference))


@dataclass(frozen=True)
class SubmissionLine:
    """One submission as listed for the business unit (no file content)."""

    id: int
    received_at: datetime
    task_reference: str | None
    agency_key: str | None
    version: int
    status: str
    late: bool
    source: str
    file_format: str
    filename: str | None
    problems: list[dict[str, str]]
    notice_status: str


def submissions(*, session: Session, task_reference: str | None = None, status: str | None = None, actor: str | None = None,
                limit: int = 200, oldest_first: bool = False) -> list[SubmissionLine]:
    """Submissions, newest first; for one task (by reference), of one status, or stored by one actor."""
    statement = (
        select(ReturnSubmission, Occurrence.key, Task.assignee_key)
        .outerjoin(Task, ReturnSubmission.task_id == Task.id)  # type: ignore[arg-type]
        .outerjoin(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .order_by(ReturnSubmission.id if oldest_first else ReturnSubmission.id.desc())  # type: ignore[union-attr,attr-defined,arg-type]
        .limit(limit)
    )
    if task_reference:
        occurrence_key, agency = split_task_reference(task_reference)
        statement = statement.where(Occurrence.key == occurrence_key, Task.assignee_key == agency)
    if status:
        statement = statement.where(ReturnSubmission.status == status)
    if actor:
        statement = statement.where(ReturnSubmission.actor == actor)
    return [
        SubmissionLine(s.id, s.received_at, reference(okey, akey) if okey else None, s.agency_key, s.version, s.status, s.late,  # type: ignore[arg-type]
                       s.source, s.file_format, s.original_filename, json.loads(s.reasons or "[]"), s.notice_status)
        for s, okey, akey in session.execute(statement).all()
    ]


def original_file(*, session: Session, submission_id: int) -> tuple[str | None, bytes | None]:
    """The file as the partner sent it (None if it was over the size limit and not kept)."""
    row = session.execute(select(ReturnSubmission.original_filename, ReturnSubmission.original).where(ReturnSubmission.id == submission_id)).first()
    if row is None:
        from qaframework.errors import QAFrameworkError

        raise QAFrameworkError(f"no submission {submission_id}: see qaf returns list")
    return row[0], row[1]
