"""Queries behind the returns dashboard and ``qaf returns list``: keys, dates and counts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.framework.return_types import S11SelfAssessmentType
from qaframework.occurrence_kinds import ACTION
from qaframework.persistence.tables import Occurrence, ReturnSubmission, Task
from qaframework.returns.dashboard import ReturnTaskFacts
from qaframework.returns.validation import period_label, split_task_reference
from qaframework.returns.validation import task_reference as reference


def _return_tasks(framework: Framework, activities: Iterable[str] | None, *columns: Any) -> Select[Any]:
    """Live agency tasks of the activities that take a return (of ``activities`` only, if
    given): ``columns`` of them and their occurrences."""
    taking = [a for rt in framework.document.returns.values() for a in rt.activities]
    wanted = taking if activities is None else [a for a in taking if a in set(activities)]
    return (
        select(*columns).select_from(Task)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.assignee_kind == "agency", Occurrence.activity.in_(wanted), Occurrence.kind != ACTION, Task.status != "cancelled")  # type: ignore[attr-defined]
    )


def return_task_facts(*, session: Session, framework: Framework, financial_year: int | None = None,
                      activities: Iterable[str] | None = None) -> list[ReturnTaskFacts]:
    """Every live agency task whose activity takes a return, with what came in for it;
    of one financial year (by the year it starts) and of some activities only, if given."""
    def of_year(statement: Select[Any]) -> Select[Any]:
        return statement if financial_year is None else statement.where(Occurrence.financial_year == financial_year)

    # The columns the facts need, not whole Task and Occurrence objects (tens of thousands
    # of them for the papers, which read every year).
    tasks = session.execute(of_year(_return_tasks(
        framework, activities, Task.id, Task.assignee_key, Task.due, Task.status,
        Occurrence.key, Occurrence.activity, Occurrence.title, Occurrence.financial_year, Occurrence.period,
    ))).all()
    submissions: dict[int, list[tuple[str, int, bool, str]]] = {}
    if tasks:
        # The columns the facts need, not the stored files; for the tasks read, found by
        # the same join (not by a list of every task id).
        ids = of_year(_return_tasks(framework, activities, Task.id))
        rows = session.execute(
            select(ReturnSubmission.task_id, ReturnSubmission.status, ReturnSubmission.version, ReturnSubmission.late, ReturnSubmission.payload)
            .where(ReturnSubmission.task_id.in_(ids)).order_by(ReturnSubmission.version)  # type: ignore[union-attr]
        ).all()
        for task_id, status, version, late, payload in rows:
            submissions.setdefault(task_id, []).append((status, version, late, payload))
    facts = []
    for task_id, agency_key, due, status, occurrence_key, activity, title, financial_year, period in tasks:
        subs = submissions.get(task_id, [])
        accepted = [s for s in subs if s[0] == "accepted"]
        last_accepted = accepted[-1][1] if accepted else 0
        facts.append(ReturnTaskFacts(
            reference=reference(occurrence_key, agency_key), agency_key=agency_key, activity=activity, title=title,
            period=period_label(financial_year, period), due=due, status=status, accepted_versions=len(accepted),
            first_accepted_late=accepted[0][2] if accepted else False,
            rejected_since_accepted=sum(1 for s in subs if s[0] == "rejected" and s[1] > last_accepted),
            latest_payload=json.loads(accepted[-1][3]) if accepted else {},
        ))
    return sorted(facts, key=_fact_order)


def _fact_order(f: ReturnTaskFacts) -> tuple[object, str]:
    return (f.due or f.period, f.reference)


def _latest_cycle(session: Session, framework: Framework, activities: list[str]) -> int | None:
    """The latest financial year of these activities' tasks that has a return accepted,
    else their latest year (as ``returns.dashboard.latest_year`` picks it)."""
    latest = _return_tasks(framework, activities, func.max(Occurrence.financial_year))
    accepted = select(ReturnSubmission.id).where(ReturnSubmission.task_id == Task.id, ReturnSubmission.status == "accepted").exists()
    year = session.execute(latest.where(accepted)).scalar_one_or_none()
    if year is None:
        year = session.execute(latest).scalar_one_or_none()
    return None if year is None else int(year)


def dashboard_return_facts(*, session: Session, framework: Framework, financial_year: int) -> list[ReturnTaskFacts]:
    """The facts the returns dashboard shows for ``financial_year``: that year's, and each
    Section 11 self-assessment's latest cycle (which may be another year). The tables
    ``returns_tables`` makes of them are those it makes of every year's facts, read
    without reading every year."""
    facts = {f.reference: f for f in return_task_facts(session=session, framework=framework, financial_year=financial_year)}
    for rt in framework.document.returns.values():
        if not isinstance(rt, S11SelfAssessmentType):
            continue
        year = _latest_cycle(session, framework, list(rt.activities))
        if year is not None and year != financial_year:
            for f in return_task_facts(session=session, framework=framework, financial_year=year, activities=rt.activities):
                facts.setdefault(f.reference, f)
    return sorted(facts.values(), key=_fact_order)


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
