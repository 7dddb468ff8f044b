"""``qaf tasks`` and ``qaf tasks done`` on each shipped framework file, SQLite and
PostgreSQL: references in the listing, every refusal (one line, exit 2, nothing written),
doing it again, two completions at once, and reminders stopping once a task is done."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qaframework.framework import Framework, load_framework
from qaframework.persistence.completion import NOTE_LENGTH, CompletionError, complete_task, task_lines
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.tables import AuditLogEntry, Reminder, Task
from qaframework.persistence.task_status import mark_overdue_tasks, open_started_tasks
from tests.completion.conftest import TODAY, YEAR, Qaf, agency_task_without_return, body_task, return_task, snapshot
from tests.concurrency import at_once
from tests.partnerships.conftest import SHIPPED

CANARY = "CANARY-Evidence-Wilhelmina"


def _task(url: str, reference: str) -> Task:
    with transaction(url) as session:
        (line,) = [t for t in task_lines(session=session, financial_year=YEAR) if t.reference == reference]
        task = session.get(Task, line.task_id)
        assert task is not None
        return task


def _refused(result: tuple[int, str, str], *fragments: str) -> None:
    code, out, err = result
    assert code == 2 and out == "", result
    assert err.startswith("qaf: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


def test_tasks_lists_references_and_done_days_in_text_and_json(cli: Qaf, planned: str, partnership: Framework) -> None:
    reference, occurrence, body = body_task(partnership)
    code, out, err = cli("tasks", "--fy", str(YEAR), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert {"occurrence", "activity", "assignee", "due", "status", "reference", "done_on", "done_by"} <= set(rows[0])
    assert all(r["reference"] == f"{r['occurrence']}/{r['assignee']}" for r in rows)
    (row,) = [r for r in rows if r["reference"] == reference]
    assert (row["occurrence"], row["assignee"], row["done_on"], row["done_by"]) == (occurrence.key, body, None, None)

    day = occurrence.start + timedelta(days=3)
    code, out, err = cli("tasks", "done", reference, "--on", day.isoformat(), "--note", "Notes filed with the minutes")
    assert code == 0, err
    assert out.startswith(f"Done: {reference} on {day:%d %B %Y}, by {partnership.bodies[body].chair}.")
    rows = json.loads(cli("tasks", "--fy", str(YEAR), "--json")[1])
    (row,) = [r for r in rows if r["reference"] == reference]
    assert (row["status"], row["done_on"], row["done_by"], row["evidence"]) == ("closed", day.isoformat(), partnership.bodies[body].chair,
                                                                                "Notes filed with the minutes")
    code, out, _ = cli("tasks", "--fy", str(YEAR))
    (line,) = [line for line in out.splitlines() if reference in line]
    assert line.endswith(f"{reference}  done {day.isoformat()}") and " closed " in line
    assert out.splitlines()[-1] == f"{len(rows)} tasks in financial year {YEAR}/{(YEAR + 1) % 100:02d}."


def test_done_records_the_day_the_role_and_the_evidence_once(cli: Qaf, planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)
    day = occurrence.start + timedelta(days=1)
    code, out, err = cli("tasks", "done", reference, "--on", day.isoformat(), "--by", "Quality assurance officer", "--note", "Report on the shared drive")
    assert code == 0, err
    task = _task(planned, reference)
    assert (task.status, task.done_on, task.done_by, task.evidence) == ("closed", day, "Quality assurance officer", "Report on the shared drive")
    assert task.closed_at is not None
    with transaction(planned) as session:
        entries = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "task-done")).scalars().all()
    assert [(e.subject, json.loads(e.detail)["done_on"], json.loads(e.detail)["done_by"]) for e in entries] == [
        (reference, day.isoformat(), "Quality assurance officer")]

    before = snapshot(planned)
    code, out, err = cli("tasks", "done", reference, "--on", day.isoformat())
    assert (code, err) == (0, "") and "already done" in out and "nothing changed" in out
    assert snapshot(planned) == before, "the same day again changes nothing"
    _refused(cli("tasks", "done", reference, "--on", (day + timedelta(days=1)).isoformat()), f"was done on {day.isoformat()}", "nothing was written")
    assert snapshot(planned) == before


#: The shipped files with an agency task that no return answers (the example
#: partnership's are all answered by returns: test_tasks_something_else_finishes_are_refused
#: checks that such a task is refused, on both files).
WITH_AGENCY_TASKS = [key for key, path in SHIPPED.items() if agency_task_without_return(load_framework(path)) is not None]


@pytest.mark.parametrize("partnership", WITH_AGENCY_TASKS, indirect=True)
def test_an_agency_task_no_return_answers_is_done_by_its_named_contact_by_default(cli: Qaf, planned: str, partnership: Framework) -> None:
    found = agency_task_without_return(partnership)
    assert found is not None
    reference, occurrence, agency = found
    assert cli("tasks", "done", reference, "--on", occurrence.start.isoformat())[0] == 0
    assert _task(planned, reference).done_by == f"named contact, {partnership.agencies[agency].name}"


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (("--on", "2027-02-30"), ("--on date '2027-02-30' is not a real date",)),
        (("--on", "next tuesday"), ("is not a real date",)),
        (("--on", "@future"), ("is in the future", f"today is {TODAY.isoformat()}")),
        (("--on", "@before"), ("opened on", "before it")),
        (("--on", "@start", "--note", "Seen at BA1 1AA on 3/4/2015"), ("--note: ", "date of birth")),
        (("--on", "@start", "--note", "x" * (NOTE_LENGTH + 1)), (f"--note: is {NOTE_LENGTH + 1} characters long: at most {NOTE_LENGTH}",)),
        (("--on", "@start", "--by", "NHS 943 476 5919"), ("--by: ", "NHS number")),
        (("--on", "@start", "--by", "   "), ("--by",)),
        (("--on", "@start", "--note", "a\x00b"), ("--note", "NUL")),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(cli: Qaf, planned: str, partnership: Framework, argv: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    reference, occurrence, _ = body_task(partnership)
    days = {"@future": (TODAY + timedelta(days=1)).isoformat(), "@before": (occurrence.start - timedelta(days=1)).isoformat(),
            "@start": occurrence.start.isoformat()}
    before = snapshot(planned)
    result = cli("tasks", "done", reference, *[days.get(a, a) for a in argv])
    _refused(result, *fragments)
    assert CANARY not in result[2] and "BA1 1AA" not in result[2] and "943 476" not in result[2], "typed text is never quoted"
    assert snapshot(planned) == before


def test_tasks_something_else_finishes_are_refused(cli: Qaf, planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = return_task(partnership)
    before = snapshot(planned)
    _refused(cli("tasks", "done", reference, "--on", occurrence.start.isoformat()), "its return closes it", "qaf returns import")
    _refused(cli("tasks", "done", f"{occurrence.key}/no-such-holder", "--on", occurrence.start.isoformat()), "no task has the reference")
    _refused(cli("tasks", "done", "nowhere", "--on", occurrence.start.isoformat()), "no task has the reference")
    assert snapshot(planned) == before


def test_a_cancelled_task_is_refused(cli: Qaf, planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)
    with transaction(planned) as session:
        session.get(Task, _task(planned, reference).id).status = "cancelled"  # type: ignore[union-attr]
    before = snapshot(planned)
    _refused(cli("tasks", "done", reference, "--on", occurrence.start.isoformat()), "was cancelled")
    assert snapshot(planned) == before


def test_two_completions_at_once_record_one(planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)

    def complete() -> bool:
        with transaction(planned) as session:
            return complete_task(session=session, framework=partnership, reference=reference, done_on=occurrence.start, today=TODAY,
                                 actor="test", note="Both at once").changed

    assert sorted(at_once(complete)) == [False, True]
    with transaction(planned) as session:
        done = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "task-done")).scalars().all()
    assert len(done) == 1 and _task(planned, reference).done_on == occurrence.start


def test_two_completions_at_once_on_different_days_record_one_and_refuse_the_other(planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)
    days = iter([occurrence.start, occurrence.start + timedelta(days=1)])

    def complete() -> str:
        day = next(days)
        try:
            with transaction(planned) as session:
                complete_task(session=session, framework=partnership, reference=reference, done_on=day, today=TODAY, actor="test")
            return "done"
        except CompletionError as exc:
            assert exc.final and "was done on" in exc.reason
            return "refused"

    assert sorted(at_once(complete)) == ["done", "refused"]
    assert _task(planned, reference).done_on in (occurrence.start, occurrence.start + timedelta(days=1))


def test_reminders_stop_once_a_task_is_done(planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)
    with transaction(planned) as session:
        open_started_tasks(session=session, on=occurrence.start, actor="test")
    done_task = _task(planned, reference)
    with transaction(planned) as session:  # another task falling due that day, still owed
        other = session.execute(select(Task).where(Task.due == done_task.due, Task.id != done_task.id, Task.status == "open")).scalars().first()
    assert done_task.status == "open" and done_task.due is not None and other is not None

    def reminders(task_id: int | None) -> list[tuple[str, str]]:
        with transaction(planned) as session:
            return sorted((r.stage, r.status) for r in session.execute(select(Reminder).where(Reminder.task_id == task_id)).scalars())

    with transaction(planned) as session:
        queue_reminders(session=session, framework=partnership, since=None, today=done_task.due)
    queued = reminders(done_task.id)
    assert queued and all(status == "pending" for _, status in queued), "an open task is reminded"

    with transaction(planned) as session:
        complete_task(session=session, framework=partnership, reference=reference, done_on=occurrence.start, today=TODAY, actor="test")
    later = done_task.due + timedelta(days=60)
    with transaction(planned) as session:
        mark_overdue_tasks(session=session, on=later, actor="test")
        queue_reminders(session=session, framework=partnership, since=done_task.due, today=later)
        assemble_digests(session=session, today=later, domain="test.qaframework")
    assert [stage for stage, _ in reminders(done_task.id)] == [stage for stage, _ in queued], "nothing new is queued for a done task"
    assert {status for _, status in reminders(done_task.id)} == {"skipped"}, "what was queued is never sent"
    owed = reminders(other.id)
    assert any(stage not in {s for s, _ in queued} for stage, _ in owed), "the task still owed is chased after its due date"
    assert "pending" in {status for _, status in owed}


def test_a_task_can_be_named_by_its_id(planned: str, partnership: Framework) -> None:
    reference, occurrence, _ = body_task(partnership)
    task_id = _task(planned, reference).id
    with transaction(planned) as session:
        done = complete_task(session=session, framework=partnership, reference=str(task_id), done_on=occurrence.start, today=TODAY, actor="test")
    assert done.reference == reference and done.changed


def test_done_before_it_opened_counts_from_the_window(planned: str, partnership: Framework) -> None:
    """A task opened late (the daily run was down) can be done on any day of its window."""
    reference, occurrence, _ = body_task(partnership)
    with transaction(planned) as session:
        session.get(Task, _task(planned, reference).id).opened_on = occurrence.start + timedelta(days=10)  # type: ignore[union-attr]
    with transaction(planned) as session:
        assert complete_task(session=session, framework=partnership, reference=reference, done_on=occurrence.start, today=TODAY,
                             actor="test").done_on == occurrence.start
    assert date.min < _task(planned, reference).done_on  # type: ignore[operator]


def test_an_action_and_a_review_stage_are_finished_by_their_own_commands(cli: Qaf, planned: str, partnership: Framework) -> None:
    from qaframework.persistence.actions import add_action
    from qaframework.persistence.cases import open_case
    from qaframework.persistence.tables import Occurrence
    from qaframework.reviews.chain import CaseDates

    aware = date(YEAR, 6, 1)
    with transaction(planned) as session:
        case = open_case(session=session, framework=partnership, dates=CaseDates(aware, aware, None), opened_by_run=None, actor="test")
        action = add_action(session=session, framework=partnership, what="Share the learning", owner=next(iter(partnership.agencies)),
                            due=date(YEAR, 9, 30), actor="test", on=aware, case_reference=case)
    with transaction(planned) as session:
        keys = dict(session.execute(select(Occurrence.key, Task.assignee_key).join(Task, Task.occurrence_id == Occurrence.id)
                                    .where(Occurrence.key.contains(f"/{case}/") | Occurrence.key.contains(action))).all())  # type: ignore[attr-defined]
    stage = next(f"{k}/{v}" for k, v in keys.items() if f"/{case}/" in k)
    action_task = next(f"{k}/{v}" for k, v in keys.items() if action in k)
    before = snapshot(planned)
    _refused(cli("tasks", "done", stage, "--on", aware.isoformat()), f"is a stage of case {case}", "qaf rapid-review record")
    _refused(cli("tasks", "done", action_task, "--on", aware.isoformat()), f"is action {action}", f"qaf actions done {action}")
    assert snapshot(planned) == before
