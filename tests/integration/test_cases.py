"""Review cases in SQLite and PostgreSQL: references, stage order, tasks and escalation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.cases import CaseError, case_view, open_case, record_stage
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.outbox import queue_reminders
from qaframework.persistence.tables import Occurrence, Reminder, Task
from qaframework.reviews.chain import CaseDates


def _open(url: str, framework: Framework, aware: date, notified: date | None = None, run: str | None = None) -> str:
    with transaction(url) as session:
        return open_case(session=session, framework=framework, dates=CaseDates(None, aware, notified), opened_by_run=run, actor="test")


def test_references_are_numbered_per_financial_year(database_url: str, framework: Framework) -> None:
    prepare(database_url)
    refs = [_open(database_url, framework, d) for d in (date(2026, 12, 14), date(2027, 3, 31), date(2027, 4, 1))]
    assert refs == ["RR-2026-001", "RR-2026-002", "RR-2027-001"]
    assert _open(database_url, framework, date(2027, 4, 2), run="run-1") == "RR-2027-002"
    assert _open(database_url, framework, date(2027, 4, 2), run="run-1") == "RR-2027-002", "the same run finds its case"


def test_stages_go_in_order_and_tasks_follow(database_url: str, framework: Framework) -> None:
    prepare(database_url)
    ref = _open(database_url, framework, date(2026, 12, 14))
    with transaction(database_url) as session:
        with pytest.raises(CaseError, match="the next stage is panel-notification, not decision"):
            record_stage(session=session, framework=framework, reference=ref, stage="decision", done_on=date(2026, 12, 20), actor="t")
    with transaction(database_url) as session:
        with pytest.raises(CaseError, match="before the local authority became aware"):
            record_stage(session=session, framework=framework, reference=ref, stage="panel-notification", done_on=date(2026, 12, 1), actor="t")
    with transaction(database_url) as session:
        view = record_stage(session=session, framework=framework, reference=ref, stage="panel-notification", done_on=date(2026, 12, 18), actor="t")
        again = record_stage(session=session, framework=framework, reference=ref, stage="panel-notification", done_on=date(2026, 12, 18), actor="t")
    assert view == again and view.notified == date(2026, 12, 18) and view.next_stage == "rapid-review"
    with transaction(database_url) as session:
        tasks = {o.key: (t.assignee_key, t.due, t.status) for t, o in session.execute(
            select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)).all()}
    assert tasks[f"rapid-review/{ref}/panel-notification"] == ("business-unit", date(2026, 12, 21), "closed")
    assert tasks[f"rapid-review/{ref}/rapid-review"] == ("business-unit", date(2027, 1, 13), "open")
    assert tasks[f"rapid-review/{ref}/executive-sign-off"] == ("executive", date(2027, 1, 13), "open")
    with transaction(database_url) as session:
        with pytest.raises(CaseError, match="needs its rationale"):
            for stage in ("rapid-review", "executive-sign-off"):
                record_stage(session=session, framework=framework, reference=ref, stage=stage, done_on=date(2027, 1, 12), actor="t")
            record_stage(session=session, framework=framework, reference=ref, stage="decision", done_on=date(2027, 1, 12), decision="cspr", rationale=" ", actor="t")


def test_an_overdue_stage_is_escalated_to_the_executive_chair_the_next_working_day(database_url: str, framework: Framework) -> None:
    prepare(database_url)
    ref = _open(database_url, framework, date(2026, 12, 14))
    with transaction(database_url) as session:
        from qaframework.persistence.task_status import mark_overdue_tasks

        mark_overdue_tasks(session=session, on=date(2026, 12, 22), actor="t")
        queue_reminders(session=session, framework=framework, since=date(2026, 12, 21), today=date(2026, 12, 22))
        escalations = session.execute(select(Reminder.recipient, Reminder.due_on).where(Reminder.stage == "escalation")).all()
    # Panel notification was due Monday 21 December; Tuesday 22nd it is overdue and
    # goes to the Executive chair and the business unit.
    assert sorted(escalations) == [("sscp-business-unit@example.org", date(2026, 12, 22)), ("sscp-executive-chair@example.org", date(2026, 12, 22))]
    with transaction(database_url) as session:
        assert case_view(session=session, framework=framework, reference=ref).stages[0].due == date(2026, 12, 21)


def test_a_notification_date_given_at_opening_completes_that_stage(database_url: str, framework: Framework) -> None:
    prepare(database_url)
    ref = _open(database_url, framework, date(2026, 12, 14), date(2026, 12, 18))
    with transaction(database_url) as session:
        view = case_view(session=session, framework=framework, reference=ref, today=date(2027, 1, 14))
    stages = {s.key: s for s in view.stages}
    assert stages["panel-notification"].done_on == date(2026, 12, 18) and view.next_stage == "rapid-review"
    assert stages["rapid-review"].due == date(2027, 1, 13) and stages["rapid-review"].state == "overdue"


def test_thematic_reviews_escalate_to_the_executive_too(framework: Framework) -> None:
    policy = framework.reminder_policy("thematic-review")
    assert (policy.escalate_after, policy.escalate_to) == (1, ["executive", "business-unit"])
