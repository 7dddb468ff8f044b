"""What the database holds of the demonstration year, counted from the database itself
(never from what the demonstration meant to write): the lines ``qaf demo`` prints."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, distinct, func, select
from sqlmodel import Session

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.learning_tables import (
    ActionEvaluation, Finding, ImprovementAction, MeetingAttendance, MeetingDecision, MeetingRecord, RiskRating,
)
from qaframework.persistence.paper_tables import MeetingPaper
from qaframework.persistence.tables import Occurrence, ReturnSubmission, ReviewCase, ReviewStage, Task


def _count(session: Session, statement) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(statement).scalar_one() or 0)


def demo_counts(*, session: Session, framework: Framework, fy: FinancialYear, through: date) -> dict[str, int]:
    """Counts of each kind of record, keyed by what they are."""
    year = Occurrence.financial_year == fy.start_year
    in_year = select(Occurrence.id).where(year)
    accepted = ReturnSubmission.status == "accepted"
    count = func.count()
    with_returns = [a for a in framework.activities if framework.return_type_for(a) is not None]
    owing = (select(count).select_from(Task).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
             .where(year, Occurrence.kind == "activity", Occurrence.activity.in_(with_returns), Task.assignee_kind == "agency",  # type: ignore[attr-defined]
                    Task.status == "overdue",
                    Task.id.not_in(select(ReturnSubmission.task_id).where(accepted, ReturnSubmission.task_id.is_not(None)))))  # type: ignore[union-attr]
    return {
        "occurrences": _count(session, select(count).select_from(Occurrence).where(year, Occurrence.kind.in_(("activity", "meeting")))),  # type: ignore[attr-defined]
        "tasks": _count(session, select(count).select_from(Task).where(Task.occurrence_id.in_(in_year))),  # type: ignore[attr-defined]
        "tasks done": _count(session, select(count).select_from(Task).where(Task.occurrence_id.in_(in_year), Task.done_on.is_not(None))),  # type: ignore[attr-defined,union-attr]
        "tasks overdue": _count(session, select(count).select_from(Task).where(Task.occurrence_id.in_(in_year), Task.status == "overdue")),  # type: ignore[attr-defined]
        "returns accepted": _count(session, select(count).select_from(ReturnSubmission).where(accepted)),
        "returns accepted late": _count(session, select(count).select_from(ReturnSubmission).where(accepted, ReturnSubmission.late)),
        "returns rejected": _count(session, select(count).select_from(ReturnSubmission).where(ReturnSubmission.status == "rejected")),
        "returns overdue": _count(session, owing),
        "agencies returning": _count(session, select(func.count(distinct(ReturnSubmission.agency_key))).where(accepted)),
        "findings": _count(session, select(count).select_from(Finding)),
        "risks": _count(session, select(count).select_from(Finding).where(Finding.kind == "risk")),
        "risk ratings": _count(session, select(count).select_from(RiskRating)),
        "actions": _count(session, select(count).select_from(ImprovementAction)),
        "actions done": _count(session, select(count).select_from(ImprovementAction).where(ImprovementAction.status == "done")),
        "actions overdue": _count(session, select(count).select_from(ImprovementAction).where(
            and_(ImprovementAction.status == "open", ImprovementAction.due < through))),  # type: ignore[operator]
        "actions dropped": _count(session, select(count).select_from(ImprovementAction).where(ImprovementAction.status == "dropped")),
        "actions evaluated": _count(session, select(func.count(distinct(ActionEvaluation.action_id)))),
        "meetings held": _count(session, select(count).select_from(MeetingRecord).where(MeetingRecord.status == "held")),
        "meetings cancelled": _count(session, select(count).select_from(MeetingRecord).where(MeetingRecord.status == "cancelled")),
        "attendances": _count(session, select(count).select_from(MeetingAttendance)),
        "decisions": _count(session, select(count).select_from(MeetingDecision)),
        "review cases": _count(session, select(count).select_from(ReviewCase)),
        "review cases decided": _count(session, select(count).select_from(ReviewCase).where(ReviewCase.decision.is_not(None))),  # type: ignore[union-attr]
        "review stages done": _count(session, select(count).select_from(ReviewStage).where(ReviewStage.done_on.is_not(None))),  # type: ignore[union-attr]
        "papers": _count(session, select(count).select_from(MeetingPaper)),
    }


def summary_lines(counts: dict[str, int]) -> list[str]:
    """The counts as a few sentences."""
    c = counts
    return [
        f"  {c['occurrences']} occurrences planned, {c['tasks']} tasks: {c['tasks done']} marked done, {c['tasks overdue']} overdue",
        f"  {c['returns accepted']} returns accepted from {c['agencies returning']} agencies ({c['returns accepted late']} late), "
        f"{c['returns rejected']} rejected and then corrected, {c['returns overdue']} overdue (never sent)",
        f"  {c['findings']} findings, {c['risks']} of them risks ({c['risk ratings']} ratings)",
        f"  {c['actions']} actions: {c['actions done']} done ({c['actions evaluated']} evaluated), {c['actions overdue']} overdue, "
        f"{c['actions dropped']} dropped",
        f"  {c['meetings held']} meetings held ({c['attendances']} agency attendances, {c['decisions']} decisions), "
        f"{c['meetings cancelled']} cancelled; {c['papers']} papers built",
        f"  {c['review cases']} review cases ({c['review cases decided']} decided, {c['review stages done']} stages done)",
    ]
