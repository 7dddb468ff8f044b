"""The pack's sections that depend on a body's role or its previous meeting: the actions
agreed at the previous meeting, and the data dashboard for the body in that role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.meeting_minutes import AgreedAction
from qaframework.persistence.meetings import record_meeting
from qaframework.persistence.paper_facts import meeting_facts
from tests.actions.conftest import planned_without_tasks
from tests.papers.conftest import YEAR, build

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def _meetings(url: str, framework: Framework, body: str) -> list:  # type: ignore[type-arg]
    with transaction(url) as session:
        return [m for m in meeting_facts(session=session, framework=framework) if m.body == body]


def test_the_actions_agreed_at_the_previous_meeting_and_where_they_stand(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    planned_without_tasks(database_url, partnership, YEAR)
    top = partnership.role("top_body")
    first, second, third = _meetings(database_url, partnership, top)[:3]
    owner = next(iter(partnership.agencies))
    with transaction(database_url) as session:
        recorded = record_meeting(session=session, framework=partnership, body=top, meeting_day=first.day, held=True, today=first.day,
                                  actor="test", attended=[owner], decisions=["Adopt the audit plan"],
                                  actions=[AgreedAction("Audit the referral pathway again", owner, second.papers_due),
                                           AgreedAction("Publish the learning bulletin", owner, third.day)])
    agreed = build(database_url, partnership, tmp_path, second).pack
    assert [a.reference for a in agreed.agreed_actions] == list(recorded.actions_added)
    assert ("Actions agreed at the previous meeting", "agreed-actions") in [(i.title, i.section) for i in agreed.agenda]
    # At the second meeting's deadline neither is overdue; at the third's the first is.
    assert [a.overdue for a in agreed.agreed_actions] == [False, False]
    later = build(database_url, partnership, tmp_path, third).pack
    assert later.agreed_actions == (), "only the previous meeting's actions are listed"
    assert [a.reference for a in later.actions_due] == list(recorded.actions_added)
    assert [a.overdue for a in later.actions_due] == [True, False]


def test_the_data_dashboard_is_in_the_papers_of_the_body_in_that_role_only(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    planned_without_tasks(database_url, partnership, YEAR)
    body = partnership.role("data_dashboard")
    meeting = next(m for m in _meetings(database_url, partnership, body) if m.day > date(YEAR, 6, 30))
    pack = build(database_url, partnership, tmp_path, meeting).pack
    assert ("Data dashboard", "dashboard") in [(i.title, i.section) for i in pack.agenda]
    measures = {k for rt in partnership.document.returns.values() if rt.kind == "dataset" for k in rt.measures}
    assert {m.measure for m in pack.dashboard.measures} == measures
    assert all(m.value is None for m in pack.dashboard.measures), "no dataset return received yet"
    top = partnership.role("top_body")
    other = next(m for m in _meetings(database_url, partnership, top) if m.day > date(YEAR, 6, 30))
    assert build(database_url, partnership, tmp_path, other).pack.dashboard is None


def test_the_reports_due_are_the_activities_routed_to_the_body_that_finished_since_its_last_deadline(
        database_url: str, partnership: Framework, tmp_path: Path) -> None:
    from qaframework.feeds.items import is_case_review
    from qaframework.financial_year import FinancialYear
    from qaframework.persistence.completion import complete_task
    from qaframework.returns.validation import task_reference
    from qaframework.yearly_plan import plan_financial_year
    from tests.completion.conftest import plan

    plan(database_url, partnership, YEAR, opened_on=date(YEAR, 4, 1))
    top = partnership.role("top_body")
    meetings = _meetings(database_url, partnership, top)
    routed = [o for o in plan_financial_year(partnership, FinancialYear(YEAR))
              if o.kind == "activity" and top in partnership.activities[o.activity].routes and not is_case_review(partnership, o.activity)
              and o.assignees]
    # The first routed occurrence to close: every task that needs no return done by hand
    # on the day it starts. It finished that day if that was every task, else when it closed.
    first = min(routed, key=lambda o: (o.due or o.end, o.key))
    closes = first.due or first.end
    body_tasks = [a for a in first.assignees if a.kind == "body" or partnership.return_type_for(first.activity) is None]
    finished = first.start if len(body_tasks) == len(first.assignees) else closes
    meeting = next(m for m in meetings if m.papers_due >= finished)
    previous = [m for m in meetings if m.day < meeting.day]
    since = previous[-1].papers_due if previous else date.min
    ends = {o.key: (finished if o.key == first.key else o.due or o.end) for o in routed}
    expected = sorted(k for k, day in ends.items() if since < day <= meeting.papers_due)
    assert first.key in expected
    with transaction(database_url) as session:
        for a in body_tasks:
            complete_task(session=session, framework=partnership, reference=task_reference(first.key, a.key), done_on=first.start,
                          today=meeting.papers_due, actor="test")
    pack = build(database_url, partnership, tmp_path, meeting).pack
    assert sorted(r.occurrence for r in pack.reports_due) == expected
    line = next(r for r in pack.reports_due if r.occurrence == first.key)
    assert (line.tasks, line.finished) == (len(first.assignees), len(body_tasks))
    assert line.finished_on == finished
