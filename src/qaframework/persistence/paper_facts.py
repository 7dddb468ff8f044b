"""Gather, in a fixed handful of queries, the facts a meeting's papers draw on
(``qaframework.papers.facts.RecordFacts``): meetings and their papers deadlines, the
findings placed on each meeting, open risks, actions, the activities' completion, the
returns, the open review cases and the data dashboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlmodel import Session

from qaframework.deadlines import papers_due, working_day_calendar
from qaframework.framework import Framework
from qaframework.learning.register import register_row
from qaframework.occurrence_kinds import ACTIVITY, MEETING
from qaframework.papers.data_dashboard import data_dashboard
from qaframework.papers.facts import ActionFacts, ActivityFacts, FindingFacts, MeetingFacts, RecordFacts, RiskFacts
from qaframework.papers.open_reviews import open_reviews
from qaframework.papers.remit import activity_bodies
from qaframework.persistence.action_views import list_actions
from qaframework.persistence.dataset_values import dataset_values
from qaframework.persistence.learning_tables import Finding, FindingPlacement, ImprovementAction, MeetingDecision, MeetingRecord
from qaframework.persistence.return_reports import return_task_facts
from qaframework.persistence.risks import risk_facts
from qaframework.persistence.tables import Occurrence, Task

#: Task statuses that mean the task is finished (done, answered or closed).
FINISHED = ("submitted", "closed")


def _day(moment: datetime | None, fallback: date, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date() if moment is not None else fallback


def meeting_facts(*, session: Session, framework: Framework) -> list[MeetingFacts]:
    """Every planned meeting of a body still in the framework, by day."""
    zone = ZoneInfo(framework.document.partnership.timezone)
    wd = working_day_calendar(framework)
    rows = session.execute(
        select(Occurrence.key, Occurrence.activity, Occurrence.starts_at, Occurrence.window_start, MeetingRecord.status)
        .outerjoin(MeetingRecord, MeetingRecord.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.kind == MEETING)
    ).all()
    found = []
    for key, body, starts_at, start, status in rows:
        if body not in framework.bodies or framework.bodies[body].meetings is None:
            continue
        day = _day(starts_at, start, zone)
        found.append(MeetingFacts(key, body, day, papers_due(framework, body, day, wd), status or "planned"))
    return sorted(found, key=lambda m: (m.day, m.key))


def _placements(session: Session) -> tuple[dict[int, set[str]], dict[str, list[int]]]:
    """Per finding the routes it was placed on, and per meeting key the findings on it."""
    routes: dict[int, set[str]] = defaultdict(set)
    on_meeting: dict[str, list[int]] = defaultdict(list)
    for finding_id, route, kind, key in session.execute(
        select(FindingPlacement.finding_id, FindingPlacement.route, FindingPlacement.kind, Occurrence.key)
        .outerjoin(Occurrence, Occurrence.id == FindingPlacement.occurrence_id)  # type: ignore[arg-type]
    ).all():
        routes[finding_id].add(route)
        if kind == MEETING and key is not None:
            on_meeting[key].append(finding_id)
    return routes, on_meeting


def _activities(session: Session) -> list[ActivityFacts]:
    last = func.max(func.coalesce(Task.done_on, func.date(Task.closed_at), func.date(Task.submitted_at)))
    finished = func.sum(case((Task.status.in_(FINISHED), 1), else_=0))  # type: ignore[attr-defined]
    rows = session.execute(
        select(Occurrence.key, Occurrence.activity, Occurrence.title, Occurrence.period, Occurrence.due, Occurrence.window_end,
               func.count(Task.id), finished, last)
        .join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.kind == ACTIVITY, Task.status != "cancelled")
        .group_by(Occurrence.id)
    ).all()
    out = []
    for key, activity, title, period, due, window_end, tasks, done, last_on in rows:
        if isinstance(last_on, str):  # SQLite's date() is text
            last_on = date.fromisoformat(last_on)
        out.append(ActivityFacts(key, activity, title, period, due, window_end, int(tasks), int(done or 0), last_on))
    return sorted(out, key=lambda o: o.key)


def record_facts(*, session: Session, framework: Framework, as_of: date) -> RecordFacts:
    """The record as the papers of ``as_of`` see it (findings and ratings made after
    ``as_of`` are left out, so a pack rebuilt later for the same day says the same)."""
    routes, on_meeting = _placements(session)
    bodies = set(framework.bodies)
    findings = {f.id: f for f in session.execute(select(Finding).where(Finding.status == "open", Finding.recorded_on <= as_of)).scalars()}
    placed = {
        key: tuple(sorted((FindingFacts(f.reference, f.activity, f.theme, f.kind, f.title, f.recorded_on, f.case_reference, f.agency_key)
                           for f in (findings.get(i) for i in ids) if f is not None), key=lambda f: f.reference))
        for key, ids in on_meeting.items()
    }
    by_reference = {f.reference: f for f in findings.values()}
    matrix, themes = framework.document.risk_matrix, framework.document.themes
    risks = []
    for r in risk_facts(session=session):
        finding = by_reference.get(r.reference)
        if finding is None:
            continue
        rated = type(r)(r.reference, r.title, r.theme, r.activity, tuple(x for x in r.ratings if x[2] <= as_of))
        row = register_row(matrix, rated, themes)
        concerned = (routes.get(finding.id, set()) & bodies) | activity_bodies(framework, r.activity)  # type: ignore[arg-type]
        risks.append(RiskFacts(r.reference, r.title, r.theme, r.activity, row["score"], row["band"], bool(row["above_tolerance"]),  # type: ignore[arg-type]
                               str(row["trend"] or ""), rated.ratings[-1][2] if rated.ratings else None, frozenset(concerned)))
    agreed = {reference: (key, body) for reference, key, body in session.execute(
        select(ImprovementAction.reference, Occurrence.key, Occurrence.activity)
        .join(Occurrence, Occurrence.id == ImprovementAction.agreed_at_occurrence_id)  # type: ignore[arg-type]
    ).all()}
    finding_ids = {f.reference: i for i, f in findings.items()}
    actions = []
    for view in list_actions(session=session, today=as_of):
        concerned = activity_bodies(framework, view.activity) | (routes.get(finding_ids.get(view.finding or "", -1), set()) & bodies)
        if view.owner_kind == "body":
            concerned.add(view.owner)
        meeting, body = agreed.get(view.reference, (None, None))
        if body is not None:  # agreed at a body's meeting: that body oversees it
            concerned.add(body)
        actions.append(ActionFacts(view, frozenset(concerned), meeting))
    decisions: dict[str, list[str]] = defaultdict(list)
    for key, text in session.execute(
        select(Occurrence.key, MeetingDecision.text).join(Occurrence, Occurrence.id == MeetingDecision.occurrence_id)  # type: ignore[arg-type]
        .order_by(Occurrence.key, MeetingDecision.number)
    ).all():
        decisions[key].append(text)
    returns = return_task_facts(session=session, framework=framework)
    return RecordFacts(
        as_of=as_of, meetings=tuple(meeting_facts(session=session, framework=framework)), placed=placed, risks=tuple(risks),
        actions=tuple(actions), occurrences=tuple(_activities(session)), returns=tuple(returns),
        reviews=tuple(open_reviews(session=session, framework=framework, as_of=as_of)),
        dashboard=data_dashboard(dataset_values(session=session, framework=framework), returns, framework, as_of),
        decisions={k: tuple(v) for k, v in decisions.items()},
    )
