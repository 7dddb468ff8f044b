"""``qaf today`` and the view behind it, on each shipped framework file, on SQLite and
PostgreSQL: exact rows for the overdue return task (its working days overdue, escalation sent),
the cases' next stages, the rejected return (its day in London time, across midnight in
BST), what opened; the same keys from ``--json``; bad input refused in one line."""

from __future__ import annotations

import json
from datetime import date, timedelta

from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.today_facts import today_facts
from qaframework.reviews.chain import stages_for
from qaframework.today import today_view
from qaframework.yearly_plan import plan_financial_year
from qaframework.financial_year import FinancialYear
from tests.today.conftest import YEAR, Qaf, set_up_day


def _view(url: str, framework: Framework, on: date) -> dict[str, object]:
    with transaction(url) as session:
        facts = today_facts(session=session, framework=framework, on=on)
    return today_view(facts, on, working_day_calendar(framework))


def test_the_overdue_task_its_escalation_the_cases_and_the_rejected_return(database_url: str, partnership: Framework) -> None:
    day = set_up_day(database_url, partnership)
    view = _view(database_url, partnership, day.on)
    wd = working_day_calendar(partnership)
    policy = partnership.reminder_policy(day.occurrence.activity)
    (row,) = [r for r in view["overdue"] if r["task"] == day.task]  # type: ignore[attr-defined]
    assert row == {"task": day.task, "what": day.occurrence.title, "who": partnership.agencies[day.agency].name,
                   "due": day.occurrence.due.isoformat(), "working_days_overdue": day.overdue_by, "escalated": "sent",  # type: ignore[union-attr]
                   "escalates_on": wd.add_working_days(day.occurrence.due, policy.escalate_after).isoformat()}  # type: ignore[arg-type]
    others = [r for r in view["overdue"] if r["task"] != day.task and r["due"] == row["due"]]  # type: ignore[attr-defined]
    assert others and {r["escalated"] for r in others} == {"queued"}, "the other tasks due that day: escalations wait in the outbox"
    (stage_task,) = [r for r in view["overdue"] if day.old_case in r["task"]]  # type: ignore[attr-defined]
    assert stage_task["escalated"] == "no", "opened after the reminders were queued: not escalated yet"
    assert all(date.fromisoformat(r["due"]) < day.on for r in view["overdue"])  # type: ignore[attr-defined]

    first = stages_for(None, partnership)[0]
    cases = {r["case"]: r for r in view["case_stages"]}  # type: ignore[attr-defined]
    assert set(cases) == {day.new_case, day.old_case}
    assert (cases[day.new_case]["next_stage"], cases[day.new_case]["state"]) == (first.title, "open")
    assert cases[day.new_case]["working_days"] == wd.working_days_between(day.on, date.fromisoformat(cases[day.new_case]["due"])) > 0
    assert (cases[day.old_case]["state"], cases[day.old_case]["working_days"] < 0) == ("overdue", True)

    (rejected,) = view["rejected_returns"]  # type: ignore[misc]
    assert rejected == {"task": day.task, "what": day.occurrence.title, "who": partnership.agencies[day.agency].name,
                        "due": day.occurrence.due.isoformat(), "rejected_versions": 1,  # type: ignore[union-attr]
                        "last_rejected_on": (day.rejected_at.date() + timedelta(days=1)).isoformat()}


def test_what_opened_that_day_and_what_falls_due_by_sunday(database_url: str, partnership: Framework) -> None:
    day = set_up_day(database_url, partnership)
    view = _view(database_url, partnership, day.on)
    planned = plan_financial_year(partnership, FinancialYear(YEAR))
    expected = {o.key for o in planned if day.occurrence.start < o.start <= day.on and o.assignees and o.kind != "meeting"}
    opened = {r["occurrence"] for r in view["opened"]}  # type: ignore[attr-defined]
    (case_stage,) = opened - expected
    assert expected <= opened and case_stage.split("/")[1] == day.new_case, "and the new case's first stage, opened on the day it was known"
    for r in view["opened"]:  # type: ignore[attr-defined]
        if r["occurrence"] == case_stage:
            continue
        (o,) = [o for o in planned if o.key == r["occurrence"]]
        assert (r["tasks"], r["what"], r["window_end"]) == (len(o.assignees), o.title, o.end.isoformat())
    sunday = day.on + timedelta(days=6 - day.on.weekday())
    assert view["week_ends"] == sunday.isoformat()
    for r in view["due_this_week"]:  # type: ignore[attr-defined]
        assert day.on <= date.fromisoformat(r["due"]) <= sunday


def test_qaf_today_json_has_the_same_rows_and_the_text_names_each_section(partnership_qaf: Qaf, database_url: str, partnership: Framework) -> None:
    day = set_up_day(database_url, partnership)
    code, out, err = partnership_qaf("today", "--as-of", day.on.isoformat(), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(json.dumps(_view(database_url, partnership, day.on)))
    code, out, _ = partnership_qaf("today", "--as-of", day.on.isoformat())
    assert code == 0 and f"task: {day.task}" in out and f"working_days_overdue: {day.overdue_by}" in out
    for heading in ("Overdue (", "Due this week (", "Opened today (", "Cases: next statutory stage (2)", "Returns rejected, awaiting a new version (1)"):
        assert heading in out


def test_a_bad_day_is_one_line_and_exit_2(partnership_qaf: Qaf) -> None:
    code, out, err = partnership_qaf("today", "--as-of", "2027-02-30")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--as-of" in err and "Traceback" not in err
