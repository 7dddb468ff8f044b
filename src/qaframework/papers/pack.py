"""A meeting's papers pack, assembled from the record as plain data.

The agenda opens with the body's standing items, then lists every item below that has
something in it, and closes with any other business and the next meeting's date:

- the actions agreed at its previous meeting and where they stand;
- the exception reports of the bodies reporting to it by exception (one that has nothing
  to escalate is still listed: the body must see that too);
- the findings placed on this meeting (routed to the body since its previous papers
  deadline), grouped by activity and theme;
- the reports due to it: occurrences of activities routed to it that finished (every
  task done, or the window closed) since its previous papers deadline;
- for the body in the ``data_dashboard`` role, the data dashboard;
- the risks in its remit above the tolerance;
- the actions it owns or oversees that are overdue or due before its next meeting;
- for the bodies in the ``review_oversight`` and ``top_body`` roles, the open rapid
  reviews and CSPRs, stage by stage, by case reference only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from datetime import date
from typing import Any

from qaframework.feeds.items import is_case_review
from qaframework.framework import Framework
from qaframework.papers.exception_report import ExceptionReport, exception_report, horizon, neighbours
from qaframework.papers.facts import ActivityFacts, FindingFacts, MeetingFacts, RecordFacts, RiskFacts
from qaframework.papers.remit import reporting_by_exception, subtree
from qaframework.persistence.action_views import ActionView
from qaframework.reminders.emails import long_date

CLOSING_ITEMS = ("Any other business",)


@dataclass(frozen=True)
class AgendaItem:
    number: int
    title: str
    #: The pack's section holding the item's papers (None for a standing item).
    section: str | None = None


@dataclass(frozen=True)
class FindingGroup:
    activity: str
    activity_title: str
    theme: str
    theme_name: str
    findings: tuple[FindingFacts, ...]


@dataclass(frozen=True)
class ReportDue:
    occurrence: str
    title: str
    period: str | None
    finished_on: date
    tasks: int
    finished: int


@dataclass(frozen=True)
class MeetingPack:
    body: str
    body_name: str
    chair: str
    meeting: str
    meeting_day: date
    papers_due: date
    as_of: date
    previous_meeting: date | None
    next_meeting: date | None
    agenda: tuple[AgendaItem, ...]
    agreed_actions: tuple[ActionView, ...]
    exception_reports: tuple[ExceptionReport, ...]
    findings: tuple[FindingGroup, ...]
    reports_due: tuple[ReportDue, ...]
    dashboard: Any
    risks: tuple[RiskFacts, ...]
    actions_due: tuple[ActionView, ...]
    reviews: tuple[Any, ...]

    @property
    def title(self) -> str:
        return f"{self.body_name}: papers for the meeting of {long_date(self.meeting_day)}"

    def as_dict(self) -> dict[str, object]:
        """JSON-safe: the artifact's, the CLI's and the templates' keys."""
        return _plain({f: getattr(self, f) for f in self.__dataclass_fields__}) | {"title": self.title}  # type: ignore[operator]


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict") and not isinstance(value, MeetingPack):
        return _plain(value.as_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, date):
        return value.isoformat()
    return value


def _finished_on(o: ActivityFacts, as_of: date) -> date | None:
    if o.tasks and o.finished == o.tasks:
        return o.last_finished_on
    closed = o.due or o.window_end
    return closed if closed <= as_of else None


def _reports_due(framework: Framework, facts: RecordFacts, body: str, since: date | None, until: date) -> tuple[ReportDue, ...]:
    found = []
    for o in facts.occurrences:
        activity = framework.activities.get(o.activity)
        # A review case's stages are in the open reviews, by reference, not here.
        if activity is None or body not in activity.routes or is_case_review(framework, o.activity):
            continue
        done = _finished_on(o, facts.as_of)
        if done is not None and (since is None or done > since) and done <= until:
            found.append(ReportDue(o.key, o.title, o.period, done, o.tasks, o.finished))
    return tuple(sorted(found, key=lambda r: (r.finished_on, r.occurrence)))


def _findings(framework: Framework, findings: tuple[FindingFacts, ...]) -> tuple[FindingGroup, ...]:
    themes = framework.document.themes
    groups: dict[tuple[str, str], list[FindingFacts]] = {}
    for f in findings:
        groups.setdefault((f.activity, f.theme), []).append(f)
    out = []
    for (activity, theme), found in groups.items():
        title = framework.activities[activity].title if activity in framework.activities else activity
        out.append(FindingGroup(activity, title, theme, themes.get(theme, theme), tuple(sorted(found, key=lambda f: f.reference))))
    return tuple(sorted(out, key=lambda g: (g.activity_title, g.theme_name)))


def meeting_pack(framework: Framework, facts: RecordFacts, meeting: MeetingFacts) -> MeetingPack:
    """The pack for ``meeting`` from ``facts`` (gathered at its papers deadline, or when
    rebuilt on demand)."""
    body = meeting.body
    own = framework.bodies[body]
    previous, following = neighbours(facts.meetings, meeting)
    before = horizon(facts.meetings, meeting)
    remit = set(subtree(framework, body))
    reports = tuple(exception_report(framework, facts, child, meeting) for child in reporting_by_exception(framework, body))
    agreed = tuple(a.view for a in facts.actions if previous is not None and a.agreed_at == previous.key)
    risks = tuple(sorted((r for r in facts.risks if r.above_tolerance and r.bodies & remit), key=lambda r: (-(r.score or 0), r.reference)))
    actions = tuple(a.view for a in facts.actions if a.view.status == "open" and body in a.bodies and a.view.due < before)
    oversees = body in (framework.role("review_oversight"), framework.role("top_body"))
    reviews = tuple(facts.reviews) if oversees else ()
    dashboard = facts.dashboard if body == framework.role("data_dashboard") else None
    findings = _findings(framework, facts.placed.get(meeting.key, ()))
    due = _reports_due(framework, facts, body, previous.papers_due if previous else None, meeting.papers_due)

    items: list[tuple[str, str | None]] = [(t, None) for t in own.standing_items]
    if agreed:
        items.append(("Actions agreed at the previous meeting", "agreed-actions"))
    items += [(f"Exception report of the {r.body_name} ({r.paper_number})", f"exception-report-{r.body}") for r in reports]
    if findings:
        items.append(("Findings for the meeting", "findings"))
    if due:
        items.append(("Reports due", "reports-due"))
    if dashboard is not None:
        items.append(("Data dashboard", "dashboard"))
    if risks:
        items.append(("Risks above tolerance", "risks"))
    if actions:
        items.append(("Actions overdue or due before the next meeting", "actions-due"))
    if reviews:
        items.append(("Open rapid reviews and CSPRs", "reviews"))
    items += [(t, None) for t in CLOSING_ITEMS]
    items.append((f"Date of the next meeting: {long_date(following.day)}" if following else "Date of the next meeting", None))
    return MeetingPack(
        body=body, body_name=own.name, chair=own.chair or own.name, meeting=meeting.key, meeting_day=meeting.day,
        papers_due=meeting.papers_due, as_of=facts.as_of, previous_meeting=previous.day if previous else None,
        next_meeting=following.day if following else None,
        agenda=tuple(AgendaItem(i, title, section) for i, (title, section) in enumerate(items, start=1)),
        agreed_actions=agreed, exception_reports=reports, findings=findings, reports_due=due, dashboard=dashboard,
        risks=risks, actions_due=actions, reviews=reviews,
    )
