"""Gather, in a fixed handful of queries, the facts of one financial year that the yearly
report draws on (:class:`qaframework.yearly_report.facts.YearlyFacts`).

Readings (each figure of the report is counted from these):

- **The year's work** is every occurrence of the year (``Occurrence.financial_year``) of
  an activity planned in the calendar (not an as-required one: review stages are counted
  as reviews) and every meeting of a body still in the framework. An activity's
  occurrence is *completed* when every task it has is finished (submitted or closed).
- **Returns** are the year's agency tasks that take a return; **cases** those opened in
  the year (``ReviewCase.financial_year``).
- **Actions of the year** are those raised in it, or due, done in it.
- **Risks** are the open risks recorded by the year's end, rated as they stood at its end
  (the latest rating on or before 31 March), or as of ``as_of`` for a year not ended.
- **Findings** are those open, recorded in the year; the **routed** ones are those placed
  on the yearly report on the year.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import S11SelfAssessmentType
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.learning.register import register_row
from qaframework.occurrence_kinds import ACTIVITY, MEETING
from qaframework.persistence.action_views import list_actions
from qaframework.persistence.dataset_values import dataset_values
from qaframework.persistence.learning_tables import Finding, FindingPlacement, ImprovementAction, MeetingRecord, RiskRating
from qaframework.persistence.meetings import attendance
from qaframework.persistence.return_reports import return_task_facts
from qaframework.persistence.risks import risk_facts
from qaframework.persistence.tables import Occurrence, ReviewCase, ReviewStage, Task
from qaframework.persistence.yearly_report_steps import YearlyReportError, steps_of
from qaframework.returns.dashboard import latest_year
from qaframework.yearly_report.facts import CaseFacts, FindingFacts, OccurrenceFacts, RiskFacts, StageFacts, StepFacts, YearlyFacts

FINISHED = ("submitted", "closed")


def check_planned(*, session: Session, financial_year: int) -> None:
    """One line when the year has no plan (nothing to report on)."""
    found = session.execute(select(func.count()).select_from(Occurrence).where(Occurrence.financial_year == financial_year)).scalar_one()
    if not found:
        raise YearlyReportError(f"--fy: {FinancialYear(financial_year)} has no plan: run qaf plan --fy {financial_year} first")


def _occurrences(session: Session, framework: Framework, fy: int) -> list[OccurrenceFacts]:
    finished = func.sum(case((Task.status.in_(FINISHED), 1), else_=0))  # type: ignore[attr-defined]
    rows = session.execute(
        select(Occurrence.key, Occurrence.activity, Occurrence.kind, Occurrence.title, Occurrence.window_start,
               func.count(Task.id), finished, MeetingRecord.status)
        .outerjoin(Task, (Task.occurrence_id == Occurrence.id) & (Task.status != "cancelled"))  # type: ignore[arg-type]
        .outerjoin(MeetingRecord, MeetingRecord.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.financial_year == fy, Occurrence.kind.in_([ACTIVITY, MEETING]))  # type: ignore[attr-defined]
        .group_by(Occurrence.id, MeetingRecord.status)
    ).all()
    out = []
    for key, activity, kind, title, start, tasks, done, status in rows:
        if kind == MEETING and (activity not in framework.bodies or framework.bodies[activity].meetings is None):
            continue
        if kind == ACTIVITY and (activity not in framework.activities or framework.activities[activity].cadence == "as-required"):
            continue
        out.append(OccurrenceFacts(key, activity, kind, title, start, int(tasks), int(done or 0), status or "planned"))
    return sorted(out, key=lambda o: (o.start, o.key))


def _cases(session: Session, fy: int) -> list[CaseFacts]:
    cases = session.execute(select(ReviewCase).where(ReviewCase.financial_year == fy).order_by(ReviewCase.number)).scalars().all()
    stages: dict[int, list[StageFacts]] = defaultdict(list)
    if cases:
        for s in session.execute(select(ReviewStage).where(ReviewStage.case_id.in_([c.id for c in cases])).order_by(ReviewStage.id)).scalars():  # type: ignore[attr-defined]
            stages[s.case_id].append(StageFacts(s.stage, s.due, s.done_on))
    return [CaseFacts(c.reference, c.aware_date, c.notified_date, c.decision, tuple(stages[c.id])) for c in cases]  # type: ignore[index]


def _latest_ratings(session: Session, ids: list[int], by: date) -> dict[int, tuple[int, str]]:
    found: dict[int, tuple[int, str]] = {}
    if ids:
        for finding_id, score, band in session.execute(
            select(RiskRating.finding_id, RiskRating.score, RiskRating.band)
            .where(RiskRating.finding_id.in_(ids), RiskRating.rated_on <= by).order_by(RiskRating.finding_id, RiskRating.sequence)  # type: ignore[attr-defined]
        ).all():
            found[finding_id] = (score, band)
    return found


def _finding(f: Finding, ratings: dict[int, tuple[int, str]]) -> FindingFacts:
    score, band = ratings.get(f.id, (None, None))  # type: ignore[arg-type]
    return FindingFacts(f.reference, f.activity, f.kind, f.theme, f.title, f.case_reference, score, band)


def yearly_facts(*, session: Session, framework: Framework, financial_year: int, as_of: date) -> YearlyFacts:
    """The facts of ``financial_year`` as of ``as_of`` (see the module's docstring)."""
    check_planned(session=session, financial_year=financial_year)
    settings = yearly_report_settings(framework)
    year = FinancialYear(financial_year)
    by = min(as_of, year.end)
    facts = return_task_facts(session=session, framework=framework)
    s11 = {a for rt in framework.document.returns.values() if isinstance(rt, S11SelfAssessmentType) for a in rt.activities}
    earlier = [f for f in facts if f.activity in s11 and f.financial_year < financial_year and f.received]
    wanted = select(ImprovementAction.reference).where(or_(
        ImprovementAction.financial_year == financial_year, ImprovementAction.due.between(year.start, year.end),  # type: ignore[attr-defined]
        ImprovementAction.done_on.between(year.start, year.end)))  # type: ignore[union-attr]
    references = set(session.execute(wanted).scalars())
    actions = [a for a in list_actions(session=session, today=as_of) if a.reference in references]
    matrix, themes = framework.document.risk_matrix, framework.document.themes
    risks = []
    recorded_by = {f.reference for f in session.execute(select(Finding).where(Finding.kind == "risk", Finding.recorded_on <= by)).scalars()}
    for r in risk_facts(session=session):
        if r.reference not in recorded_by:
            continue
        row = register_row(matrix, type(r)(r.reference, r.title, r.theme, r.activity, tuple(x for x in r.ratings if x[2] <= by)), themes)
        if row["score"] is not None:
            risks.append(RiskFacts(r.reference, r.title, r.theme, row["score"], row["band"], bool(row["above_tolerance"])))  # type: ignore[arg-type]
    risks.sort(key=lambda r: (-(r.score or 0), r.reference))
    of_year = session.execute(select(Finding).where(Finding.financial_year == financial_year, Finding.status == "open")
                              .order_by(Finding.number)).scalars().all()
    routed = session.execute(
        select(Finding).join(FindingPlacement, FindingPlacement.finding_id == Finding.id)  # type: ignore[arg-type]
        .where(FindingPlacement.route == settings.activity, FindingPlacement.financial_year == financial_year, Finding.status == "open")
        .order_by(Finding.financial_year, Finding.number)
    ).scalars().all()
    ratings = _latest_ratings(session, sorted({f.id for f in [*of_year, *routed]}), by)  # type: ignore[type-var]
    steps = {k: StepFacts(s.step, s.body, s.day, s.signed_by, s.version, s.address)
             for k, s in steps_of(session=session, financial_year=financial_year).items()}
    return YearlyFacts(
        financial_year=financial_year, as_of=as_of, occurrences=tuple(_occurrences(session, framework, financial_year)),
        returns=tuple(f for f in facts if f.financial_year == financial_year), previous_s11=tuple(latest_year(earlier)),
        attendance=attendance(session=session, framework=framework, financial_year=financial_year),
        cases=tuple(_cases(session, financial_year)), measure_values=tuple(dataset_values(session=session, framework=framework)),
        actions=tuple(actions), risks=tuple(risks), routed=tuple(_finding(f, ratings) for f in routed),
        findings=tuple(_finding(f, ratings) for f in of_year), steps=steps,
    )
