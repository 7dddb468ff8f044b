"""Improvement actions on a real database, through ``qaf actions``: each is a task to the
rest of the system (its occurrence and task, the compliance dashboard, the owner's
calendar feed), done with the day and evidence, dropped with the reason, evaluated by the
evaluation group; bad input writes nothing; two completions at once record one."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from qaframework.compliance import compliance_rows_from_counts
from qaframework.feeds.catalog import FeedCatalog
from qaframework.feeds.items import agency_scope, body_scope
from qaframework.framework import Framework
from qaframework.persistence.action_views import actions_awaiting_evaluation
from qaframework.persistence.actions import complete_action
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import make_engine, transaction
from qaframework.persistence.learning_tables import ActionEvaluation, Finding, ImprovementAction
from qaframework.persistence.reporting import assignee_names, compliance_counts
from qaframework.persistence.task_status import mark_overdue_tasks
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from qaframework.reviews.chain import CaseDates
from tests.actions.conftest import TODAY, Qaf, counts, first_activity_occurrence, make_finding
from tests.concurrency import at_once

WHAT = "Invite health to every strategy discussion"


def _owner(partnership: Framework) -> str:
    return next(iter(partnership.agencies))


def _stored(url: str, reference: str) -> tuple[ImprovementAction, Occurrence, Task]:
    with transaction(url) as session:
        action = session.execute(select(ImprovementAction).where(ImprovementAction.reference == reference)).scalar_one()
        task = session.get(Task, action.task_id)
        occurrence = session.get(Occurrence, task.occurrence_id)  # type: ignore[union-attr]
        return action, occurrence, task  # type: ignore[return-value]


def _add(cli: Qaf, *args: str) -> str:
    code, out, err = cli("actions", "add", *args)
    assert code == 0, err
    return out.split()[1]


def test_an_action_on_a_finding_is_a_task_for_its_owner(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, activity = first_activity_occurrence(partnership)
    finding = make_finding(planned, partnership, subject)
    owner = _owner(partnership)
    reference = _add(cli, "--finding", finding, "--what", WHAT, "--owner", owner, "--due", "2027-09-30", "--on", "2027-06-01")
    assert reference == "A-2027-0001"
    action, occurrence, task = _stored(planned, reference)
    owner_name = partnership.agencies[owner].name
    assert (occurrence.key, occurrence.kind, occurrence.activity, occurrence.title) == (f"action/{reference}", "action", activity, f"Action {reference} for {owner_name}")
    assert (occurrence.window_start, occurrence.due, occurrence.financial_year) == (date(2027, 6, 1), date(2027, 9, 30), 2027)
    assert (task.assignee_kind, task.assignee_key, task.due, task.status, task.opened_on) == ("agency", owner, date(2027, 9, 30), "open", date(2027, 6, 1))
    assert (action.status, action.owner_kind, action.what) == ("open", "agency", WHAT)

    # A body owns one too; the second in the year is numbered after the first.
    body = partnership.role("business_unit")
    second = _add(cli, "--finding", finding, "--what", "Publish a seven-minute briefing", "--owner", body, "--due", "2027-07-30", "--on", "2027-06-01")
    assert second == "A-2027-0002" and _stored(planned, second)[2].assignee_kind == "body"

    code, out, err = cli("actions", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [a["reference"] for a in listed] == [second, reference]  # by due date
    assert listed[1] == {**listed[1], "reference": reference, "what": WHAT, "owner": owner, "owner_kind": "agency", "due": "2027-09-30",
                         "status": "open", "finding": finding, "case": None, "task": f"action/{reference}/{owner}", "activity": activity}
    code, out, _ = cli("actions", "list", "--owner", body)
    assert second in out and reference not in out

    # The compliance dashboard counts it, open and then overdue, like any task.
    with transaction(planned) as session:
        rows = {r.assignee: r for r in compliance_rows_from_counts(compliance_counts(session=session, zone="Europe/London"), assignee_names(session=session))}
        assert (rows[owner].open, rows[owner].overdue) == (1, 0)
        mark_overdue_tasks(session=session, on=date(2027, 10, 1), actor="test")
        rows = {r.assignee: r for r in compliance_rows_from_counts(compliance_counts(session=session, zone="Europe/London"), assignee_names(session=session))}
        assert (rows[owner].open, rows[owner].overdue) == (0, 1)
    code, out, _ = cli("actions", "list", "--status", "overdue")
    assert reference in out and second in out  # today is after both due dates

    # The owner's calendar feed shows it, by its title and due date.
    engine = make_engine(planned)
    try:
        catalog = FeedCatalog(partnership, engine)
        feed = catalog.feed(agency_scope(owner)).body.decode()
        assert f"Action {reference} for {owner_name}" in feed and "DTSTART;VALUE=DATE:20270930" in feed
        assert WHAT not in feed, "an action's own text never leaves its record"
        assert f"Action {second}" in catalog.feed(body_scope(body)).body.decode()
        other = next(k for k in partnership.agencies if k != owner)
        assert f"Action {reference}" not in catalog.feed(agency_scope(other)).body.decode()
    finally:
        engine.dispose()


def test_done_dropped_and_evaluated(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(planned, partnership, subject)
    owner = _owner(partnership)
    first = _add(cli, "--finding", finding, "--what", WHAT, "--owner", owner, "--due", "2027-09-30", "--on", "2027-06-01")
    second = _add(cli, "--finding", finding, "--what", "Audit the referral form", "--owner", owner, "--due", "2027-09-30", "--on", "2027-06-01")

    code, out, err = cli("actions", "done", first, "--on", "2027-09-12", "--evidence", "Health attended 14 of 15 strategy discussions")
    assert code == 0 and "is done" in out, err
    action, _, task = _stored(planned, first)
    assert (action.status, action.done_on, action.evidence) == ("done", date(2027, 9, 12), "Health attended 14 of 15 strategy discussions")
    assert (task.status, task.done_on, task.done_by, task.evidence) == ("closed", date(2027, 9, 12), owner, action.evidence)
    # The same again changes nothing; another day is refused.
    assert cli("actions", "done", first, "--on", "2027-09-12", "--evidence", "Health attended 14 of 15 strategy discussions")[0] == 0
    code, _, err = cli("actions", "done", first, "--on", "2027-09-13", "--evidence", "again")
    assert code == 2 and "already done (on 2027-09-12)" in err

    code, out, err = cli("actions", "drop", second, "--reason", "Covered by the county-wide form review", "--on", "2027-07-01")
    assert code == 0, err
    action, _, task = _stored(planned, second)
    assert (action.status, action.dropped_reason, task.status) == ("dropped", "Covered by the county-wide form review", "cancelled")
    code, _, err = cli("actions", "done", second, "--on", "2027-09-12", "--evidence", "x")
    assert code == 2 and "dropped" in err
    code, _, err = cli("actions", "drop", first, "--reason", "no longer needed")
    assert code == 2 and "only an open action can be dropped" in err

    with transaction(planned) as session:
        assert [v.reference for v in actions_awaiting_evaluation(session=session)] == [first]
    code, out, _ = cli("actions", "list", "--status", "awaiting-evaluation")
    assert first in out and second not in out

    code, out, err = cli("actions", "evaluate", first, "--as", "partly-evidenced", "--on", "2027-10-05", "--note", "Attendance up; no audit yet")
    assert code == 0, err
    body = partnership.bodies[partnership.role("action_evaluation")].name
    assert f"by the {body}" in out
    assert cli("actions", "evaluate", first, "--as", "evidenced", "--on", "2027-12-07")[0] == 0
    with transaction(planned) as session:
        assert actions_awaiting_evaluation(session=session) == []
        judged = session.execute(select(ActionEvaluation.judgement, ActionEvaluation.evaluated_on).order_by(ActionEvaluation.id)).all()
    assert [tuple(j) for j in judged] == [("partly-evidenced", date(2027, 10, 5)), ("evidenced", date(2027, 12, 7))]  # every one kept
    code, out, _ = cli("actions", "list", "--json", "--status", "evaluated")
    (row,) = json.loads(out)
    assert (row["judgement"], row["evaluated_on"], row["evaluations"]) == ("evidenced", "2027-12-07", 2)  # the latest stands

    code, out, err = cli("audit", "--subject", first, "--json")
    assert code == 0, err
    assert [e["action"] for e in json.loads(out)] == ["action-added", "action-done", "action-evaluated", "action-evaluated"]
    evaluated = json.loads(out)[-1]
    assert evaluated["detail"]["by"] == partnership.role("action_evaluation") and evaluated["actor"] == "qaf-cli"
    code, out, err = cli("audit", "--subject", second)
    assert code == 0 and "action-dropped" in out and "action-added" in out and "2 audit entries." in out, err


def test_an_action_on_a_review_case_is_known_by_the_case_reference(planned: str, partnership: Framework, cli: Qaf) -> None:
    with transaction(planned) as session:
        case = open_case(session=session, framework=partnership, dates=CaseDates(None, date(2027, 5, 10), None), opened_by_run=None, actor="test")
    owner = partnership.role("review_oversight")
    reference = _add(cli, "--case", case, "--what", WHAT, "--owner", owner, "--due", "2027-11-30", "--on", "2027-08-02")
    action, occurrence, task = _stored(planned, reference)
    assert (action.case_reference, occurrence.activity, occurrence.title) == (case, partnership.review_chain.activity, f"Action {reference} for {partnership.bodies[owner].name}")
    assert WHAT not in occurrence.title, "a case is never described outside its record"
    assert (task.assignee_kind, task.assignee_key, task.status) == ("body", owner, "open")
    code, out, _ = cli("actions", "list", "--json")
    assert json.loads(out)[0]["case"] == case


def test_bad_input_is_one_line_and_writes_nothing(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(planned, partnership, subject)
    owner = _owner(partnership)
    action = _add(cli, "--finding", finding, "--what", WHAT, "--owner", owner, "--due", "2027-09-30", "--on", "2027-06-01")
    withdrawn = make_finding(planned, partnership, subject)
    with transaction(planned) as session:
        session.get(Finding, session.execute(select(Finding.id).where(Finding.reference == withdrawn)).scalar_one()).status = "withdrawn"  # type: ignore[union-attr]
    base = ["--what", WHAT, "--owner", owner, "--due", "2027-09-30", "--on", "2027-06-01"]
    with_finding = ["--finding", finding, *base[:-2]]
    before = counts(planned)
    cases = [
        (["actions", "add", "--finding", "F-2027-9999", *base], "no finding 'F-2027-9999'"),
        (["actions", "add", "--finding", withdrawn, *base], "withdrawn"),
        (["actions", "add", "--case", "RR-2027-099", *base], "no case 'RR-2027-099'"),
        (["actions", "add", "--finding", finding, "--what", WHAT, "--owner", "no-such-agency", "--due", "2027-09-30"], "the owner 'no-such-agency' is not an agency or body"),
        (["actions", "add", *with_finding, "--on", "2027-13-01"], "is not a real date"),
        (["actions", "add", "--finding", finding, "--what", WHAT, "--owner", owner, "--due", "30/09/2027"], "is not a real date"),
        (["actions", "add", *with_finding, "--on", "2027-10-01"], "is before the day the action is added"),
        (["actions", "add", "--finding", finding, "--what", "Review the plan for NHS 943 476 5919", "--owner", owner, "--due", "2027-09-30"], "NHS number"),
        (["actions", "add", "--finding", finding, "--what", "Visit the family at TA6 3BX", "--owner", owner, "--due", "2027-09-30"], "postcode"),
        (["actions", "add", "--finding", finding, "--what", "   ", "--owner", owner, "--due", "2027-09-30"], "is empty"),
        (["actions", "add", "--finding", finding, "--case", "RR-2027-001", *base], "not allowed with argument"),
        (["actions", "done", "A-2027-0999", "--on", "2027-09-01", "--evidence", "x"], "no action 'A-2027-0999'"),
        (["actions", "done", action, "--on", "2027-09-31", "--evidence", "x"], "is not a real date"),
        (["actions", "done", action, "--on", "2027-05-31", "--evidence", "Minutes"], "was added on 2027-06-01"),
        (["actions", "done", action, "--on", "2027-09-01", "--evidence", "born on the 3rd"], "date of birth"),
        (["actions", "drop", "A-2026-0001", "--reason", "x"], "no action 'A-2026-0001'"),
        (["actions", "evaluate", action, "--as", "evidenced", "--on", "2027-10-01"], "only a done action is evaluated"),
        (["actions", "evaluate", action, "--as", "proven", "--on", "2027-10-01"], "invalid choice"),
        (["actions", "evaluate", "A-2027-0999", "--as", "evidenced", "--on", "2027-10-01"], "no action"),
        (["actions", "list", "--owner", "nobody"], "the owner 'nobody'"),
        (["actions", "list", "--status", "late"], "invalid choice"),
        (["audit", "--since", "yesterday"], "is not a real date"),
    ]
    for args, says in cases:
        code, out, err = cli(*args)
        assert (code, out) == (2, ""), (args, out, err)
        assert err.count("\n") == 1 and says in err, (args, err)
        assert "943 476" not in err and "TA6" not in err, "the refused text is not quoted"
    assert counts(planned) == before, "nothing written"


def test_two_completions_of_one_action_at_once_record_one(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(planned, partnership, subject)
    reference = _add(cli, "--finding", finding, "--what", WHAT, "--owner", _owner(partnership), "--due", "2027-09-30", "--on", "2027-06-01")

    def complete() -> str:
        with transaction(planned) as session:
            return complete_action(session=session, reference=reference, on=date(2027, 9, 1), evidence="Minutes of 1 September", actor="test",
                                   today=TODAY).status

    assert at_once(complete) == ["done", "done"]
    with transaction(planned) as session:
        done = session.execute(select(AuditLogEntry).where(AuditLogEntry.subject == reference, AuditLogEntry.action == "action-done")).scalars().all()
    assert len(done) == 1
    action, _, task = _stored(planned, reference)
    assert (action.status, action.done_on, task.status) == ("done", date(2027, 9, 1), "closed")
