"""An exception report: only what is off track, sent up a reporting line.

In the form of a paper reported by exception (seed 004): originator (the chair's role), a
paper number, submitted to (the parent body and its meeting), subject, summary,
recommendation, the key issues for consideration, other implications and risks, and the
reporting period. What counts as off track is the framework's ``exception_reporting.rules``;
the items are those in the reporting body's remit (its own and those of the bodies
reporting to it), so they carry up the chain. A report with nothing to raise says so.

The report is prepared from the record as it stands at the parent's papers deadline
(``exception_reporting.prepared``); the reporting period runs from the day after the
parent's previous papers deadline to this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.exception_rules import ExceptionRule
from qaframework.framework.return_types import S11SelfAssessmentType
from qaframework.papers.facts import MeetingFacts, RecordFacts
from qaframework.papers.remit import activity_in_remit, subtree
from qaframework.reminders.emails import long_date
from qaframework.reminders.policy import escalation_date
from qaframework.returns.dashboard import domain_rag


@dataclass(frozen=True)
class ExceptionItem:
    """One thing off track: its reference (a finding, action, case or task), a line for
    the papers, and the same line without the free text typed by people (``detail``: for
    the Prefect UI, which everyone with access sees)."""

    reference: str
    text: str
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.detail:
            object.__setattr__(self, "detail", self.text)


@dataclass(frozen=True)
class IssueGroup:
    """The items of one rule, under the rule's heading."""

    rule: str
    heading: str
    items: tuple[ExceptionItem, ...]


@dataclass(frozen=True)
class ExceptionReport:
    body: str
    body_name: str
    parent: str
    parent_name: str
    meeting: str  # the parent meeting's occurrence key
    meeting_day: date
    papers_due: date
    originator: str
    paper_number: str
    submitted_to: str
    subject: str
    summary: tuple[str, ...]
    recommendation: str
    key_issues: tuple[IssueGroup, ...]
    other_implications: tuple[str, ...]
    period_start: date
    period_end: date

    @property
    def nothing_to_escalate(self) -> bool:
        return not any(g.items for g in self.key_issues)

    @property
    def item_count(self) -> int:
        return sum(len(g.items) for g in self.key_issues)

    @property
    def reporting_period(self) -> str:
        return f"{long_date(self.period_start)} to {long_date(self.period_end)}"

    def as_dict(self) -> dict[str, object]:
        """JSON-safe: the artifact's, the CLI's and the templates' keys."""
        row = asdict(self)
        for key in ("meeting_day", "papers_due", "period_start", "period_end"):
            row[key] = row[key].isoformat()
        row.update(nothing_to_escalate=self.nothing_to_escalate, item_count=self.item_count, reporting_period=self.reporting_period)
        return row


def paper_prefix(framework: Framework, body: str) -> str:
    """The body's paper prefix: its ``paper_prefix``, else the initials of its key."""
    return framework.bodies[body].paper_prefix or "".join(part[0] for part in body.split("-") if part).upper()


def paper_number(framework: Framework, body: str, meeting: MeetingFacts, meetings: Iterable[MeetingFacts]) -> str:
    """PREFIX + the financial year's two digits + "/" + the parent meeting's number in the
    year (one exception report per parent meeting): QP27/02 for the second of 2027/28."""
    fy = FinancialYear.containing(meeting.day)
    same_year = sorted(m.day for m in meetings if m.body == meeting.body and fy.start <= m.day <= fy.end)
    number = same_year.index(meeting.day) + 1 if meeting.day in same_year else len(same_year) + 1
    return f"{paper_prefix(framework, body)}{fy.start_year % 100:02d}/{number:02d}"


def neighbours(meetings: Iterable[MeetingFacts], meeting: MeetingFacts) -> tuple[MeetingFacts | None, MeetingFacts | None]:
    """The body's meetings before and after ``meeting`` (cancelled ones included: papers
    were still due for them)."""
    same = sorted((m for m in meetings if m.body == meeting.body), key=lambda m: m.day)
    before = [m for m in same if m.day < meeting.day]
    after = [m for m in same if m.day > meeting.day]
    return (before[-1] if before else None, after[0] if after else None)


def horizon(meetings: Iterable[MeetingFacts], meeting: MeetingFacts) -> date:
    """What is due before this day is at risk: the body's meeting after ``meeting`` (so
    nothing falls due unseen between two meetings), or 92 days on when none is planned."""
    _, following = neighbours(meetings, meeting)
    return following.day if following is not None else meeting.day + timedelta(days=92)


RULE_HEADINGS = {
    "risks-above-tolerance": "Risks above the partnership's tolerance ({tolerance})",
    "risks-in-bands": "Risks rated {bands}",
    "statutory-stages-at-risk": "Statutory review stages overdue or due before {horizon}",
    "returns-past-escalation": "Returns overdue past escalation",
    "actions-overdue": "Actions overdue",
    "s11-red-domains": "Section 11 domains rated Red",
    "measures-outside-thresholds": "Dataset measures outside their thresholds",
}


def _name(framework: Framework, key: str) -> str:
    if key in framework.agencies:
        return framework.agencies[key].name
    if key in framework.bodies:
        return framework.bodies[key].name
    return key


def _risks(framework: Framework, facts: RecordFacts, remit: set[str], rule: ExceptionRule, _: date) -> list[ExceptionItem]:
    matrix = framework.document.risk_matrix
    themes = framework.document.themes
    chosen = [r for r in facts.risks if r.score is not None and r.bodies & remit
              and (r.above_tolerance if rule.rule == "risks-above-tolerance" else r.band in rule.bands)]
    items = []
    for r in sorted(chosen, key=lambda r: (-(r.score or 0), r.reference)):
        band = matrix.bands[r.band].name if r.band in matrix.bands else r.band
        detail = f"{themes.get(r.theme, r.theme)}: scored {r.score}, {band}, rated {long_date(r.rated_on)}" + (f", trend {r.trend}" if r.trend else "") + "."  # type: ignore[arg-type]
        items.append(ExceptionItem(r.reference, f"{r.title} ({detail[:-1]}).", detail))
    return items


def _stages(framework: Framework, facts: RecordFacts, remit: set[str], _: ExceptionRule, before: date) -> list[ExceptionItem]:
    from qaframework.papers.open_reviews import stages_at_risk
    from qaframework.reviews.chain import stage_named

    wd = working_day_calendar(framework)
    # The body overseeing reviews (``review_oversight``) answers for every stage of every
    # case, whoever holds it; otherwise a stage is in the remit of the body holding it.
    oversees = framework.role("review_oversight") in remit
    items = []
    order = list(framework.review_chain.stages)
    at_risk = stages_at_risk(facts.reviews, before=before, as_of=facts.as_of)
    for stage in sorted(at_risk, key=lambda s: (s.due, s.reference, order.index(s.stage) if s.stage in order else len(order))):
        held = stage_named(framework, stage.stage)
        if held is None or not (oversees or held.holder in remit):
            continue
        if stage.due < facts.as_of:
            state = f"overdue by {wd.working_days_between(stage.due, facts.as_of)} working days"
        else:
            state = "not done yet"
        items.append(ExceptionItem(stage.reference, f"{stage.title}: due {long_date(stage.due)}, {state} ({_name(framework, held.holder)})."))
    return items


def _returns(framework: Framework, facts: RecordFacts, remit: set[str], _: ExceptionRule, __: date) -> list[ExceptionItem]:
    wd = working_day_calendar(framework)
    items = []
    for f in facts.returns:
        if not f.outstanding or f.due is None or not activity_in_remit(framework, f.activity, remit):
            continue
        escalated = escalation_date(framework.reminder_policy(f.activity), f.due, wd)
        if escalated <= facts.as_of:
            items.append(ExceptionItem(f.reference, f"{_name(framework, f.agency_key)}: {f.title} ({f.period}) was due {long_date(f.due)} "
                                                    f"and escalated on {long_date(escalated)}; not received."))
    return items


def _actions(framework: Framework, facts: RecordFacts, remit: set[str], _: ExceptionRule, __: date) -> list[ExceptionItem]:
    chosen = [a.view for a in facts.actions if a.view.status == "open" and a.view.due < facts.as_of and a.bodies & remit]
    return [ExceptionItem(v.reference, f"{v.what} (owner: {_name(framework, v.owner)}): due {long_date(v.due)}.",
                          f"Owner: {_name(framework, v.owner)}; due {long_date(v.due)}.") for v in chosen]


def _s11(framework: Framework, facts: RecordFacts, remit: set[str], _: ExceptionRule, __: date) -> list[ExceptionItem]:
    from qaframework.returns.dashboard import latest_year

    s11 = [k for k, rt in framework.document.returns.items() if isinstance(rt, S11SelfAssessmentType)]
    red: dict[str, list[str]] = {}
    domains: dict[str, str] = {}
    for key in s11:
        rt = framework.document.returns[key]
        domains.update(getattr(rt, "domains", {}) or {})
        mine = [f for f in facts.returns if f.activity in rt.activities and f.received and activity_in_remit(framework, f.activity, remit)]
        for f in latest_year(mine):
            for domain, colour in domain_rag(f.latest_payload.get("ratings", [])).items():
                if colour == "Red":
                    red.setdefault(domain, []).append(_name(framework, f.agency_key))
    return [ExceptionItem(d, f"{domains.get(d, d)}: rated Red (a standard not met) by {', '.join(sorted(set(who)))}.") for d, who in sorted(red.items())]


def _measures(framework: Framework, facts: RecordFacts, remit: set[str], rule: ExceptionRule, _: date) -> list[ExceptionItem]:
    if facts.dashboard is None:
        return []
    items = []
    for line in facts.dashboard.measures:
        if not line.outside_alert or (rule.measures and line.measure not in rule.measures):
            continue
        activities = framework.document.returns[line.return_type].activities if line.return_type in framework.document.returns else []
        if not any(activity_in_remit(framework, a, remit) for a in activities):
            continue
        items.append(ExceptionItem(line.measure, f"{line.title}: {line.value} ({line.unit}) in {line.period}, outside the threshold ({line.alert})."))
    return items


RULES: dict[str, Callable[[Framework, RecordFacts, set[str], ExceptionRule, date], list[ExceptionItem]]] = {
    "risks-above-tolerance": _risks, "risks-in-bands": _risks, "statutory-stages-at-risk": _stages,
    "returns-past-escalation": _returns, "actions-overdue": _actions, "s11-red-domains": _s11,
    "measures-outside-thresholds": _measures,
}


def exception_report(framework: Framework, facts: RecordFacts, body: str, meeting: MeetingFacts) -> ExceptionReport:
    """The exception report of ``body`` for its parent's ``meeting``, from ``facts``
    gathered at the parent's papers deadline."""
    own = framework.bodies[body]
    parent = framework.bodies[meeting.body]
    remit = set(subtree(framework, body))
    before = horizon(facts.meetings, meeting)
    matrix = framework.document.risk_matrix
    groups = []
    for rule in framework.document.exception_reporting.rules:
        heading = RULE_HEADINGS[rule.rule].format(
            tolerance=matrix.tolerance, bands=" or ".join(matrix.bands[b].name for b in rule.bands if b in matrix.bands),
            horizon=f"the {parent.name}'s next meeting ({long_date(before)})")
        groups.append(IssueGroup(rule.rule, heading, tuple(RULES[rule.rule](framework, facts, remit, rule, before))))
    previous, _ = neighbours(facts.meetings, meeting)
    start = previous.papers_due + timedelta(days=1) if previous is not None else FinancialYear.containing(meeting.day).start
    count = sum(len(g.items) for g in groups)
    if count:
        found = "; ".join(f"{g.heading[0].lower()}{g.heading[1:]}: {len(g.items)}" for g in groups if g.items)
        summary = (f"The {own.name} reports {count} item{'s' if count != 1 else ''} off track by exception: {found}.",
                   "Only what is off track is reported; everything else in the remit is on track.")
        recommendation = f"It is recommended that the {parent.name} considers each item below and agrees the action to be taken."
    else:
        summary = (f"The {own.name} has nothing to escalate for this reporting period.",)
        recommendation = f"It is recommended that the {parent.name} notes that the {own.name} has nothing to escalate."
    risks = sum(len(g.items) for g in groups if g.rule.startswith("risks"))
    other = (f"{risks} risk{'s' if risks != 1 else ''} in the risk register, as set out above." if risks else "None, other than those set out above.",)
    return ExceptionReport(
        body=body, body_name=own.name, parent=meeting.body, parent_name=parent.name, meeting=meeting.key,
        meeting_day=meeting.day, papers_due=meeting.papers_due, originator=own.chair or own.name,
        paper_number=paper_number(framework, body, meeting, facts.meetings),
        submitted_to=f"{parent.name}: {long_date(meeting.day)}", subject=f"{own.name}: exception report",
        summary=summary, recommendation=recommendation, key_issues=tuple(groups), other_implications=other,
        period_start=start, period_end=meeting.papers_due,
    )
