"""Meeting papers on each shipped framework file: a planned year, what was recorded in
May and June (findings, rated risks, an action, a review case), and the papers built
from it. The helpers pick bodies and activities by asking the framework (roles,
reporting lines, routes), never by key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qaframework.framework import Framework
from qaframework.papers.building import PapersBuilt, build_papers
from qaframework.papers.remit import reporting_by_exception, subtree
from qaframework.persistence.actions import add_action
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import transaction
from qaframework.persistence.paper_facts import meeting_facts
from qaframework.papers.facts import MeetingFacts
from qaframework.reviews.chain import CaseDates
from tests.actions.conftest import make_finding, planned_without_tasks
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf, smtp  # noqa: F401 - fixtures

YEAR = 2027


def top_meeting_after(url: str, framework: Framework, after: date) -> MeetingFacts:
    """The top body's first meeting whose papers are due after ``after``."""
    top = framework.role("top_body")
    with transaction(url) as session:
        return next(m for m in meeting_facts(session=session, framework=framework) if m.body == top and m.papers_due > after)


def activity_for(framework: Framework, bodies: set[str], by: date, year: int = YEAR) -> tuple[str, date]:
    """An occurrence of ``year`` of an activity held by or routed to one of ``bodies``,
    and the day to record a finding for it: ``by``, or the day it starts when later (a
    finding is recorded on or after its occurrence's start)."""
    from qaframework.financial_year import FinancialYear
    from qaframework.yearly_plan import plan_financial_year

    found = [o for o in plan_financial_year(framework, FinancialYear(year)) if o.kind == "activity" and o.activity in framework.activities
             and (set(framework.activities[o.activity].routes) | set(framework.activities[o.activity].assignees.bodies)) & bodies]
    if not found:
        raise AssertionError(f"no activity for {bodies}")
    chosen = min(found, key=lambda o: (max(o.start, by), o.key))
    return chosen.key, max(chosen.start, by)


@dataclass
class Recorded:
    """What the simulated May and June recorded."""

    meeting: MeetingFacts  # the top body's meeting whose papers come next
    child: str  # a body reporting to the top body by exception
    grandchild: str  # the body in the child's remit the risk was recorded for
    finding: str  # a finding routed to the top body
    high_risk: str  # rated above the tolerance, for the grandchild
    tolerance_risk: str  # rated at the tolerance exactly
    action: str  # overdue at the papers deadline
    case: str  # a review case opened in June
    risk_day: date  # the day the risks were recorded and rated


def at_tolerance(framework: Framework) -> tuple[int, int]:
    """A likelihood and impact whose score is exactly the tolerance."""
    m = framework.document.risk_matrix
    return next((lk, im) for im, row in m.scores.items() for lk, score in enumerate(row, start=1) if score == m.tolerance)


def above_tolerance(framework: Framework) -> tuple[int, int]:
    m = framework.document.risk_matrix
    return next((lk, im) for im, row in sorted(m.scores.items(), reverse=True) for lk, score in enumerate(row, start=1) if score > m.tolerance)


def record_may_and_june(url: str, framework: Framework) -> Recorded:
    """Plan the year (no tasks), then record in May and June: a finding for an activity
    routed to the top body, a risk above tolerance and one at it for an activity of a body
    two steps below the top body (or one), an overdue action, and a review case."""
    planned_without_tasks(url, framework, YEAR)
    top = framework.role("top_body")
    child = reporting_by_exception(framework, top)[0]
    # Below the child, a body that does not report by exception itself: its risk reaches
    # the top body only through the child's report (SSCP: the Audit subgroup, via Q&P).
    below = sorted((b for b in subtree(framework, child) if b != child), key=lambda b: framework.bodies[b].reports_by_exception)
    grandchild = next((b for b in below if any(b in set(a.assignees.bodies) | set(a.routes) for a in framework.activities.values())), child)
    risky, risk_day = activity_for(framework, {grandchild}, date(YEAR, 6, 2))
    # SSCP: 20 May; elsewhere no earlier than the risks, so both reach the same meeting.
    routed, day = activity_for(framework, {top}, date(YEAR, 5, 20) if risk_day == date(YEAR, 6, 2) else risk_day)
    finding = make_finding(url, framework, routed, on=day, title="Few strategy meetings include health")
    lk, im = above_tolerance(framework)
    high = make_finding(url, framework, risky, kind="risk", on=risk_day, likelihood=lk, impact=im,
                        title="Audit tools returned too late to be read")
    lk, im = at_tolerance(framework)
    level = make_finding(url, framework, risky, kind="risk", on=risk_day, likelihood=lk, impact=im,
                         title="Audit themes repeat from last year")
    owner = next(iter(framework.agencies))
    with transaction(url) as session:
        action = add_action(session=session, framework=framework, what="Share the audit timetable with every agency", owner=owner,
                            due=date(YEAR, 6, 25), actor="test", on=date(YEAR, 6, 2), finding_reference=high)
        case = open_case(session=session, framework=framework, dates=CaseDates(None, date(YEAR, 6, 14), date(YEAR, 6, 15)),
                         opened_by_run=None, actor="test")
    return Recorded(top_meeting_after(url, framework, max(day, risk_day, date(YEAR, 6, 25))), child, grandchild, finding, high, level, action, case, risk_day)


def build(url: str, framework: Framework, data_dir: Path, meeting: MeetingFacts, *, as_of: date | None = None, once: bool = False) -> PapersBuilt:
    with transaction(url) as session:
        return build_papers(session=session, framework=framework, data_dir=data_dir, body=meeting.body, day=meeting.day,
                            as_of=as_of or meeting.papers_due, actor="test", once=once)
