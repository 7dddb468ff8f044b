"""Section 11 actions: each standard not fully met in an accepted self-assessment is an
action of the agency, from the return's own Actions rows (what, owner's role, due date).
Deriving is idempotent; a corrected return drops the actions it no longer carries
("superseded by version N") and opens again one it carries once more; done stays done."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import S11SelfAssessmentType
from qaframework.persistence.action_views import list_actions
from qaframework.persistence.actions import complete_action
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.learning_tables import ImprovementAction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.returns import StoredSubmission, find_return_task, receive_return
from qaframework.persistence.s11_actions import derive_actions
from qaframework.persistence.tables import Occurrence, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.yearly_plan import plan_financial_year

ROLE = "Head of Safeguarding"


def _s11(partnership: Framework) -> tuple[str, S11SelfAssessmentType]:
    return next((k, rt) for k, rt in partnership.document.returns.items() if rt.kind == "s11-self-assessment")  # type: ignore[return-value]


@pytest.fixture
def s11_task(database_url: str, partnership: Framework) -> str:
    """Year one of the cycle planned and opened; the reference of an agency's self-assessment task."""
    _, rt = _s11(partnership)
    fy = FinancialYear(partnership.document.section11.year_one)
    prepare(database_url)
    occurrences = plan_financial_year(partnership, fy)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
        write_plan(session=session, occurrences=occurrences, actor="test", as_of=fy.start)
    o = next(o for o in occurrences if o.activity in rt.activities)
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=o.start, actor="test")
    agency = next(a.key for a in o.assignees if a.kind == "agency")
    return f"{o.key}/{agency}"


def _standards(rt: S11SelfAssessmentType) -> list[tuple[str, str]]:
    return [(d, s) for d, domain in rt.domains.items() for s in domain.standards]


def _return(partnership: Framework, task: str, ratings: dict[tuple[str, str], str], actions: list[tuple[str, str, str, str]]) -> bytes:
    rt_key, rt = _s11(partnership)
    body = {
        "return_type": rt_key, "task": task, "agency": task.rsplit("/", 1)[1],
        "ratings": [{"domain": d, "standard": s, "rating": ratings.get((d, s), "Fully met"), "evidence": "Board minutes"} for d, s in _standards(rt)],
        "actions": [{"domain": d, "standard": s, "action": what, "owner": ROLE, "due": due} for d, s, what, due in actions],
    }
    return json.dumps(body).encode()


def _receive(url: str, partnership: Framework, data: bytes, day: date) -> int:
    received = datetime.combine(day, time(12), tzinfo=timezone.utc)
    with transaction(url) as session:
        stored = receive_return(session=session, framework=partnership, data=data, filename="s11.json", source="cli", actor="test", received_at=received)
    assert stored.status == "accepted", stored.problems
    return stored.id


def _derive(url: str, partnership: Framework, submission: int):  # type: ignore[no-untyped-def]
    with transaction(url) as session:
        return derive_actions(session=session, framework=partnership, submission_id=submission, actor="test")


def _actions(url: str) -> dict[str, tuple[ImprovementAction, Task, Occurrence]]:
    with transaction(url) as session:
        rows = session.execute(select(ImprovementAction, Task, Occurrence).join(Task, Task.id == ImprovementAction.task_id).join(Occurrence, Occurrence.id == Task.occurrence_id)).all()  # type: ignore[arg-type]
        return {a.reference: (a, t, o) for a, t, o in rows}


def _statuses(url: str) -> dict[str, tuple[str, str, str]]:
    """Each stored action's state, its reason for being dropped and its task's state."""
    return {ref: (a.status, a.dropped_reason, t.status) for ref, (a, t, _) in _actions(url).items()}


def test_derived_idempotent_and_dropped_on_a_correction(database_url: str, partnership: Framework, s11_task: str) -> None:
    _, rt = _s11(partnership)
    (d1, s1), (d2, s2) = _standards(rt)[:2]
    agency = s11_task.rsplit("/", 1)[1]
    with transaction(database_url) as session:
        due = find_return_task(session=session, framework=partnership, reference=s11_task)
    day = due.window_start
    first = (d1, s1, "Name a deputy safeguarding lead", "2027-12-31")
    second = (d2, s2, "Report to the board twice a year", "2028-01-31")

    # Receiving the accepted return derives its actions.
    v1 = _receive(database_url, partnership, _return(partnership, s11_task, {(d1, s1): "Not met", (d2, s2): "Partially met"}, [first, second]), day)
    made = _actions(database_url)
    assert len(made) == 2 and {a.submission_id for a, _, _ in made.values()} == {v1}
    assert {(a.status, t.status) for a, t, _ in made.values()} == {("open", "open")}
    by_standard = {a.source_key.split("/")[2:4][1]: (a, t, o) for a, t, o in made.values()}  # type: ignore[union-attr]
    action, task, occurrence = by_standard[s1]
    assert (action.owner_kind, action.owner_key, action.due, action.submission_id) == ("agency", agency, date(2027, 12, 31), v1)
    assert action.what == f"Name a deputy safeguarding lead (owner: {ROLE})"
    assert (task.assignee_key, task.status, task.due, occurrence.activity) == (agency, "open", date(2027, 12, 31), due.activity)
    # The task's title is the reference and the owner's name, never the action's free text.
    assert occurrence.title == f"Action {action.reference} for {partnership.agencies[agency].name}" and "deputy" not in occurrence.title
    kept_one, dropped_one = by_standard[s1][0].reference, by_standard[s2][0].reference

    # Again, from the same return, or the same file received again: nothing new.
    before = _statuses(database_url)
    result = _derive(database_url, partnership, v1)
    assert (result.created, sorted(result.kept), result.dropped, result.reopened) == ([], sorted(made), [], [])
    again = _receive(database_url, partnership, _return(partnership, s11_task, {(d1, s1): "Not met", (d2, s2): "Partially met"}, [first, second]), day)
    assert again == v1
    assert _statuses(database_url) == before and len(_actions(database_url)) == 2

    # Corrected: the second standard is now fully met, the first action unchanged.
    v2 = _receive(database_url, partnership, _return(partnership, s11_task, {(d1, s1): "Not met"}, [first]), day)
    after_v2 = _statuses(database_url)
    assert set(after_v2) == {kept_one, dropped_one}, "nothing created"
    assert after_v2[kept_one] == ("open", "", "open")
    assert after_v2[dropped_one] == ("dropped", "superseded by version 2", "cancelled")
    # An older version derived again (a replay) changes nothing: the newer one stands.
    assert _derive(database_url, partnership, v1) == type(result)()
    assert _statuses(database_url) == after_v2

    # The first is done; then a correction that rewords it: the done one stays done, the
    # reworded one is a new action, and the second standard is back with its old action.
    with transaction(database_url) as session:
        complete_action(session=session, reference=kept_one, on=day, evidence="Deputy named at the board", actor="test", today=day)
    reworded = (d1, s1, "Name and train a deputy safeguarding lead", "2027-12-31")
    v3 = _receive(database_url, partnership, _return(partnership, s11_task, {(d1, s1): "Not met", (d2, s2): "Partially met"}, [reworded, second]), day)
    assert v3 not in (v1, v2)
    now = _actions(database_url)
    (created,) = set(now) - {kept_one, dropped_one}
    assert now[kept_one][0].status == "done"
    assert (now[created][0].status, now[created][0].submission_id, now[created][1].status) == ("open", v3, "open")
    assert (now[dropped_one][0].status, now[dropped_one][1].status) == ("open", "open")
    # Deriving v3 again: the reworded and the reopened one are kept, nothing else moves.
    result = _derive(database_url, partnership, v3)
    assert (result.created, sorted(result.kept), result.dropped, result.reopened) == ([], sorted([created, dropped_one]), [], [])
    with transaction(database_url) as session:
        listed = {v.reference: v for v in list_actions(session=session, today=day, owner=agency)}
    assert listed[created].submission == v3 and listed[dropped_one].status == "open" and listed[kept_one].status == "done"


def test_only_an_accepted_self_assessment_derives_and_identifying_wording_is_not_kept(database_url: str, partnership: Framework, s11_task: str) -> None:
    _, rt = _s11(partnership)
    (d1, s1), (d2, s2) = _standards(rt)[:2]
    with transaction(database_url) as session:
        day = find_return_task(session=session, framework=partnership, reference=s11_task).window_start
    # An action for a fully met standard, or for no standard, is not chased.
    data = _return(partnership, s11_task, {(d1, s1): "Partially met"},
                   [(d1, s1, "Review the plan for the family at TA6 3BX", "2027-12-31"), (d2, s2, "Keep doing it", "2027-12-31")])
    accepted = _receive(database_url, partnership, data, day)
    assert len(_actions(database_url)) == 1
    (action, _, occurrence) = next(iter(_actions(database_url).values()))
    assert action.submission_id == accepted
    assert "TA6" not in action.what and "TA6" not in occurrence.title
    assert action.what == f"Section 11 action for {d1} / {s1}: its wording looked identifying, see the return"

    # A rejected return derives nothing (a standard not fully met with no action is a problem).
    with transaction(database_url) as session:
        rejected = receive_return(session=session, framework=partnership, data=_return(partnership, s11_task, {(d2, s2): "Not met"}, []),
                                  filename="bad.json", source="cli", actor="test", received_at=datetime.combine(day, time(12), tzinfo=timezone.utc))
    assert rejected.status == "rejected"
    assert len(_actions(database_url)) == 1 and next(iter(_actions(database_url).values()))[0].status == "open"
    assert _derive(database_url, partnership, rejected.id).created == []
    assert len(_actions(database_url)) == 1


def test_two_derivations_at_once_make_each_action_once(database_url: str, partnership: Framework, s11_task: str) -> None:
    from tests.concurrency import at_once

    _, rt = _s11(partnership)
    (d1, s1), (d2, s2) = _standards(rt)[:2]
    with transaction(database_url) as session:
        day = find_return_task(session=session, framework=partnership, reference=s11_task).window_start
    data = _return(partnership, s11_task, {(d1, s1): "Not met", (d2, s2): "Not met"},
                   [(d1, s1, "Name a deputy lead", "2027-12-31"), (d2, s2, "Report twice a year", "2027-12-31")])
    received = datetime.combine(day, time(12), tzinfo=timezone.utc)

    def receive() -> StoredSubmission:
        with transaction(database_url) as session:
            return receive_return(session=session, framework=partnership, data=data, filename="s11.json", source="inbox", actor="test", received_at=received)

    # The same file received twice at once: stored once, and each of its actions made once.
    stored = at_once(receive)
    assert sorted(s.duplicate for s in stored) == [False, True] and stored[0].id == stored[1].id
    assert {s.status for s in stored} == {"accepted"}
    assert len(_actions(database_url)) == 2
    assert sorted(reference[-4:] for reference in _actions(database_url)) == ["0001", "0002"], "numbered without gaps"

    # Deriving it twice more at once: each run sees both actions, neither makes another.
    results = at_once(lambda: _derive(database_url, partnership, stored[0].id))
    assert [(r.created, sorted(r.kept)) for r in results] == [([], sorted(_actions(database_url)))] * 2
    assert len(_actions(database_url)) == 2
