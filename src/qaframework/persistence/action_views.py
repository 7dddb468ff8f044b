"""What an improvement action looks like to its readers: the view of one action (its
finding or case, its task's activity, the latest of its evaluations) and the lists of
them that ``qaf actions list``, the meeting papers and the yearly report show; and, for
a done action not yet evaluated, the evaluation group's meeting whose agenda it is on.
Writing actions is ``persistence/actions.py``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from qaframework.deadlines import working_day_calendar
from qaframework.errors import QAFrameworkError, excerpt
from qaframework.framework import Framework
from qaframework.learning.routing import papers_due
from qaframework.persistence.finding_routes import meetings_from
from qaframework.persistence.learning_tables import ActionEvaluation, Finding, ImprovementAction
from qaframework.persistence.tables import Occurrence, Task
from qaframework.untrusted import checked_text
from qaframework.working_days import WorkingDayCalendar


class ActionError(QAFrameworkError):
    """An action cannot be added or changed as asked; nothing was written."""


@dataclass(frozen=True)
class EvaluationMeeting:
    """The meeting of the evaluation group whose agenda a done, unevaluated action is on."""

    body: str
    occurrence: str
    day: date
    papers_due: date


@dataclass(frozen=True)
class ActionView:
    """An action as it may be shown anywhere (keys, references, dates and its own text)."""

    reference: str
    what: str
    owner_kind: str
    owner: str
    due: date
    status: str  # open | done | dropped
    overdue: bool
    activity: str
    task: str
    finding: str | None
    case: str | None
    submission: int | None
    done_on: date | None
    evidence: str
    dropped_reason: str
    judgement: str | None  # the latest evaluation's
    evaluated_on: date | None
    evaluations: int
    #: Done and not yet evaluated: the evaluation group's meeting it is on (None if no
    #: such meeting is planned yet, or when not asked for).
    evaluation_meeting: EvaluationMeeting | None = None

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        for key in ("due", "done_on", "evaluated_on"):
            row[key] = row[key].isoformat() if row[key] else None
        meeting = row["evaluation_meeting"]
        if meeting is not None:
            meeting["day"], meeting["papers_due"] = meeting["day"].isoformat(), meeting["papers_due"].isoformat()
        return row


def find_action(session: Session, reference: str) -> ImprovementAction:
    """The action with this reference (as typed: checked, spaces around it ignored)."""
    checked_text(reference, field="the action reference")
    action = session.execute(select(ImprovementAction).where(ImprovementAction.reference == reference.strip())).scalar_one_or_none()
    if action is None:
        raise ActionError(f"no action {excerpt(reference)}: give an action reference such as A-2027-0001 (see qaf actions list)")
    return action



def evaluation_meeting(framework: Framework, done_on: date, meetings: list[tuple[date, str]],
                       calendar: WorkingDayCalendar | None = None) -> EvaluationMeeting | None:
    """The evaluation group's next meeting, of ``meetings`` (its planned, not cancelled
    meetings: day and occurrence key), whose papers deadline is on or after ``done_on``."""
    body = framework.role("action_evaluation")
    for day, key in sorted(meetings):
        due = papers_due(framework, body, day, calendar)
        if due >= done_on:
            return EvaluationMeeting(body=body, occurrence=key, day=day, papers_due=due)
    return None


def _evaluation_meetings(session: Session, framework: Framework, views: list[ActionView]) -> list[ActionView]:
    """The views, each done and unevaluated one with the evaluation meeting it is on."""
    waiting = [v for v in views if v.status == "done" and v.evaluations == 0 and v.done_on is not None]
    if not waiting:
        return views
    body = framework.role("action_evaluation")
    earliest = min(v.done_on for v in waiting)  # type: ignore[type-var]
    meetings = [(m.day, m.key) for m in meetings_from(session=session, framework=framework, on_or_after=earliest) if m.body == body]
    waiting_refs = {v.reference for v in waiting}
    calendar = working_day_calendar(framework)
    return [replace(v, evaluation_meeting=evaluation_meeting(framework, v.done_on, meetings, calendar))  # type: ignore[arg-type]
            if v.reference in waiting_refs else v for v in views]


def _views(session: Session, actions: list[ImprovementAction], today: date | None) -> list[ActionView]:
    if not actions:
        return []
    ids = [a.id for a in actions]
    findings = dict(session.execute(select(Finding.id, Finding.reference).where(Finding.id.in_({a.finding_id for a in actions if a.finding_id}))).all())  # type: ignore[union-attr]
    tasks = {task_id: (activity, status) for task_id, activity, status in session.execute(
        select(Task.id, Occurrence.activity, Task.status).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Task.id.in_([a.task_id for a in actions if a.task_id]))  # type: ignore[union-attr]
    ).all()}
    evaluations: dict[int, list[ActionEvaluation]] = defaultdict(list)
    for e in session.execute(select(ActionEvaluation).where(ActionEvaluation.action_id.in_(ids)).order_by(ActionEvaluation.id)).scalars():  # type: ignore[attr-defined]
        evaluations[e.action_id].append(e)
    views = []
    for a in actions:
        judged = evaluations.get(a.id, [])  # type: ignore[arg-type]
        latest = judged[-1] if judged else None
        views.append(ActionView(
            reference=a.reference, what=a.what, owner_kind=a.owner_kind, owner=a.owner_key, due=a.due, status=a.status,
            overdue=a.status == "open" and ((today is not None and a.due < today) or tasks.get(a.task_id, ("", ""))[1] == "overdue"),
            activity=tasks.get(a.task_id, ("", ""))[0],
            task=f"action/{a.reference}/{a.owner_key}", finding=findings.get(a.finding_id), case=a.case_reference,
            submission=a.submission_id, done_on=a.done_on, evidence=a.evidence, dropped_reason=a.dropped_reason,
            judgement=latest.judgement if latest else None, evaluated_on=latest.evaluated_on if latest else None, evaluations=len(judged),
        ))
    return views


def action_view(*, session: Session, reference: str, today: date | None = None) -> ActionView:
    return _views(session, [find_action(session, reference)], today)[0]


#: What ``qaf actions list --status`` accepts: a stored status, or one derived from it.
LIST_STATUSES = ("open", "overdue", "done", "dropped", "awaiting-evaluation", "evaluated")


def list_actions(*, session: Session, today: date, owner: str | None = None, status: str | None = None,
                 framework: Framework | None = None) -> list[ActionView]:
    """Actions by due date then reference, optionally one owner's or in one state
    (``overdue``: open past its due date, by ``today`` or as check-deadlines marked its
    task; ``awaiting-evaluation``: done, not yet judged). Given the framework, each done
    action not yet judged carries the evaluation group's meeting it is on."""
    if status is not None and status not in LIST_STATUSES:
        raise ActionError(f"the status {excerpt(status)} is not one of {', '.join(LIST_STATUSES)}")
    query = select(ImprovementAction).order_by(ImprovementAction.due, ImprovementAction.reference)
    if owner is not None:
        query = query.where(ImprovementAction.owner_key == owner)
    if status in ("open", "done", "dropped"):
        query = query.where(ImprovementAction.status == status)
    elif status == "overdue":
        query = query.where(ImprovementAction.status == "open")
    elif status in ("awaiting-evaluation", "evaluated"):
        query = query.where(ImprovementAction.status == "done")
    views = _views(session, list(session.execute(query).scalars()), today)
    if status == "overdue":
        views = [v for v in views if v.overdue]
    elif status == "awaiting-evaluation":
        views = [v for v in views if v.evaluations == 0]
    elif status == "evaluated":
        views = [v for v in views if v.evaluations > 0]
    return _evaluation_meetings(session, framework, views) if framework is not None else views


def actions_awaiting_evaluation(*, session: Session, framework: Framework | None = None) -> list[ActionView]:
    """Done actions not yet evaluated, earliest done first: they go on the agenda of the
    next meeting of the body playing the ``action_evaluation`` role (given the framework,
    each carries that meeting: see ``evaluation_meeting``)."""
    views = list_actions(session=session, today=date.max, status="awaiting-evaluation", framework=framework)
    return sorted(views, key=lambda v: (v.done_on or date.min, v.reference))
