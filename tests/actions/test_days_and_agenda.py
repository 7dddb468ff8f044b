"""The review's fixes, on each shipped framework file and on SQLite and PostgreSQL:

- days: nothing is rated, done, dropped or evaluated on a day after today, nor an action
  done, dropped or evaluated before it was added (one line, exit 2, nothing written);
- ``qaf tasks done`` on an action's task points to ``qaf actions done``, even when the
  action's activity is answered by a return;
- a done action not yet evaluated is on the evaluation group's next meeting whose papers
  deadline is on or after the day it was done (exact dates, from the planned meetings);
- an action on a case belongs to the case's branch's activity, as its findings do;
- the same evaluation twice on the same day records one.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import func, select

from qaframework.framework import Framework
from qaframework.persistence.actions import evaluate_action
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import ActionEvaluation, ImprovementAction
from qaframework.persistence.tables import AuditLogEntry, Occurrence, ReviewCase, Task
from qaframework.reviews.chain import CaseDates
from tests.actions.conftest import TODAY, Qaf, counts, first_activity_occurrence, make_finding

WHAT = "Invite health to every strategy discussion"
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


def _add(cli: Qaf, finding: str, owner: str, on: str = "2027-06-01", due: str = "2027-09-30") -> str:
    code, out, err = cli("actions", "add", "--finding", finding, "--what", WHAT, "--owner", owner, "--due", due, "--on", on)
    assert code == 0, err
    return out.split()[1]


def _refused(cli: Qaf, url: str, args: list[str], says: str) -> None:
    before = counts(url)
    code, out, err = cli(*args)
    assert (code, out) == (2, ""), (args, out, err)
    assert err.count("\n") == 1 and says in err, (args, err)
    assert counts(url) == before, ("nothing written", args)


def test_no_day_after_today_nor_before_the_action_was_added(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    owner = next(iter(partnership.agencies))
    risk = make_finding(planned, partnership, subject, kind="risk", likelihood=2, impact=2, title="Too few audits")

    # A rating dated tomorrow is refused; had it been kept, every correct rating would
    # then be refused as "before the last one".
    _refused(cli, planned, ["risks", "rate", risk, "--likelihood", "3", "--impact", "4", "--on", TOMORROW],
             f"a rating cannot be dated {TOMORROW}: that is after today ({TODAY})")
    code, out, err = cli("risks", "rate", risk, "--likelihood", "3", "--impact", "4")  # today, by default
    assert code == 0 and f"on {TODAY}" in out, err

    finding = make_finding(planned, partnership, subject)
    action = _add(cli, finding, owner)
    _refused(cli, planned, ["actions", "done", action, "--on", TOMORROW, "--evidence", "Minutes"],
             f"{action} cannot be done on {TOMORROW}: that is after today ({TODAY})")
    _refused(cli, planned, ["actions", "done", action, "--on", "2030-01-01", "--evidence", "Minutes"], "that is after today")
    _refused(cli, planned, ["actions", "drop", action, "--reason", "Covered elsewhere", "--on", "2027-05-31"],
             f"{action} was added on 2027-06-01: it cannot be dropped on 2027-05-31, before it")
    _refused(cli, planned, ["actions", "drop", action, "--reason", "Covered elsewhere", "--on", TOMORROW],
             f"{action} cannot be dropped on {TOMORROW}: that is after today ({TODAY})")
    code, _, err = cli("actions", "done", action, "--on", TODAY.isoformat(), "--evidence", "Minutes")  # today itself is fine
    assert code == 0, err
    _refused(cli, planned, ["actions", "evaluate", action, "--as", "evidenced", "--on", TOMORROW],
             f"{action} cannot be evaluated on {TOMORROW}: that is after today ({TODAY})")
    with transaction(planned) as session:
        assert session.execute(select(func.count()).select_from(ActionEvaluation)).scalar_one() == 0


def test_qaf_tasks_done_on_an_action_says_qaf_actions_done(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, activity = first_activity_occurrence(partnership, with_return=True)
    assert partnership.return_type_for(activity) is not None, "the action's activity is one a return answers"
    owner = next(iter(partnership.agencies))
    action = _add(cli, make_finding(planned, partnership, subject), owner)
    _refused(cli, planned, ["tasks", "done", f"action/{action}/{owner}", "--on", "2027-09-01"],
             f"is action {action}: mark it done with qaf actions done {action} --on DATE --evidence TEXT")
    _, _, err = cli("tasks", "done", f"action/{action}/{owner}", "--on", "2027-09-01")
    assert "qaf returns" not in err


#: Per shipped file: the day an action is done -> the evaluation group's meeting it goes
#: on (its day and papers deadline, 5 working days before), or None when the next one is
#: not planned (2028/29 is not planned here).
AGENDA = {
    "sscp.yaml": [
        (date(2027, 10, 14), ("2027-10", date(2027, 10, 21), date(2027, 10, 14))),  # papers due that very day
        (date(2027, 10, 15), ("2027-12", date(2027, 12, 16), date(2027, 12, 9))),   # a day late: the next one
        (date(2028, 2, 11), None),                                                 # after February's papers
    ],
    "example_partnership.yaml": [
        (date(2027, 9, 28), ("2027-10", date(2027, 10, 5), date(2027, 9, 28))),
        (date(2027, 9, 29), ("2028-02", date(2028, 2, 1), date(2028, 1, 25))),
        (date(2028, 1, 26), None),
    ],
}


def test_a_done_action_is_on_the_evaluation_groups_next_agenda(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(planned, partnership, subject)
    owner = next(iter(partnership.agencies))
    body = partnership.role("action_evaluation")
    name = partnership.bodies[body].name
    expected: dict[str, object] = {}
    for done_on, meeting in AGENDA[partnership.source.name]:
        action = _add(cli, finding, owner)
        code, _, err = cli("actions", "done", action, "--on", done_on.isoformat(), "--evidence", "Minutes")
        assert code == 0, err
        expected[action] = None if meeting is None else {
            "body": body, "occurrence": f"{body}/{meeting[0]}", "day": meeting[1].isoformat(), "papers_due": meeting[2].isoformat()}
    evaluated = _add(cli, finding, owner)
    assert cli("actions", "done", evaluated, "--on", "2027-10-01", "--evidence", "Minutes")[0] == 0
    assert cli("actions", "evaluate", evaluated, "--as", "evidenced", "--on", "2027-10-02")[0] == 0
    open_one = _add(cli, finding, owner)

    code, out, err = cli("actions", "list", "--json")
    assert code == 0, err
    listed = {row["reference"]: row["evaluation_meeting"] for row in json.loads(out)}
    assert listed == {**expected, evaluated: None, open_one: None}

    code, out, err = cli("actions", "list", "--status", "awaiting-evaluation")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("A-")}
    assert set(lines) == set(expected)
    for action, meeting in expected.items():
        if meeting is None:
            assert lines[action].endswith(f"awaiting evaluation (no meeting of the {name} planned yet)"), lines[action]
        else:
            assert lines[action].endswith(f"awaiting evaluation at the {name} on {meeting['day']} (papers due {meeting['papers_due']})"), lines[action]  # type: ignore[index]

    # A cancelled meeting is on no agenda: the first action moves to the next meeting,
    # the one the second action (done a day later) is on.
    first, second = list(expected)[:2]
    code, _, err = cli("meetings", "cancelled", body, "--meeting", expected[first]["day"])  # type: ignore[index]
    assert code == 0, err
    listed = {row["reference"]: row["evaluation_meeting"] for row in json.loads(cli("actions", "list", "--json")[1])}
    assert listed[first] == expected[second] and listed[second] == expected[second]


def test_an_action_on_a_case_belongs_to_its_branchs_activity(planned: str, partnership: Framework, cli: Qaf) -> None:
    chain = partnership.review_chain
    decision, branch = next((k, d.activity) for k, d in chain.decisions.items() if d.activity and d.activity != chain.activity)
    owner = partnership.role("review_oversight")
    cases = {}
    with transaction(planned) as session:
        for stored in (decision, "a-branch-no-longer-in-the-file", None):
            reference = open_case(session=session, framework=partnership, dates=CaseDates(None, date(2027, 5, 10), None), opened_by_run=None, actor="test")
            session.execute(select(ReviewCase).where(ReviewCase.reference == reference)).scalar_one().decision = stored
            cases[stored] = reference
    expected = {decision: branch, "a-branch-no-longer-in-the-file": chain.activity, None: chain.activity}
    for stored, case in cases.items():
        code, out, err = cli("actions", "add", "--case", case, "--what", WHAT, "--owner", owner, "--due", "2027-11-30", "--on", "2027-08-02")
        assert code == 0, err
        with transaction(planned) as session:
            activity = session.execute(select(Occurrence.activity).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                                       .join(ImprovementAction, ImprovementAction.task_id == Task.id)  # type: ignore[arg-type]
                                       .where(ImprovementAction.case_reference == case)).scalar_one()
        assert activity == expected[stored], stored


def test_the_same_evaluation_twice_on_one_day_records_one(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    action = _add(cli, make_finding(planned, partnership, subject), next(iter(partnership.agencies)))
    assert cli("actions", "done", action, "--on", "2027-09-01", "--evidence", "Minutes")[0] == 0
    code, out, err = cli("actions", "evaluate", action, "--as", "evidenced", "--on", "2027-10-05")
    assert code == 0 and "(evaluation 1)" in out, err
    before = counts(planned)
    code, out, err = cli("actions", "evaluate", action, "--as", "evidenced", "--on", "2027-10-05", "--note", "Again")
    assert (code, err) == (0, "")
    assert out.startswith(f"{action} was already evaluated evidenced on 2027-10-05") and "nothing recorded" in out, out
    assert counts(planned) == before, "nothing written"
    with transaction(planned) as session:
        view, recorded = evaluate_action(session=session, framework=partnership, reference=action, judgement="evidenced",
                                         on=date(2027, 10, 5), actor="test", today=TODAY)
        assert (recorded, view.evaluations) == (False, 1)
    # Another judgement that day, or the same one another day, is a new evaluation.
    assert "(evaluation 2)" in cli("actions", "evaluate", action, "--as", "partly-evidenced", "--on", "2027-10-05")[1]
    assert "(evaluation 3)" in cli("actions", "evaluate", action, "--as", "partly-evidenced", "--on", "2027-10-06")[1]
    with transaction(planned) as session:
        audited = session.execute(select(func.count()).select_from(AuditLogEntry)
                                  .where(AuditLogEntry.subject == action, AuditLogEntry.action == "action-evaluated")).scalar_one()
    assert audited == 3
