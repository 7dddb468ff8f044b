"""What the demonstration year holds, counted straight from the database, on both shipped
framework files and both databases: every agency's returns (some late, one rejected then
corrected, a few never sent), findings of every kind, rated risks, actions done and
overdue, meetings held with attendance, two rapid reviews (one decided for the longest
branch and carried through it), everything on working days and none after the walk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from qaframework.deadlines import working_day_calendar
from qaframework.demo import DEMO_ACTOR, DEMO_JOB, default_year, write_demo_year
from qaframework.framework import Framework
from qaframework.learning.risk import rate
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.learning_tables import (
    ActionEvaluation, Finding, ImprovementAction, MeetingAttendance, MeetingDecision, MeetingRecord, RiskRating,
)
from qaframework.persistence.tables import AuditLogEntry, Occurrence, ReturnSubmission, ReviewCase, ReviewStage, RunWatermark, Task
from tests.demo.conftest import DEMO_TODAY, DemoDatabase, postgresql_only, sqlite_only
from tests.demo.test_demo_cli import row_counts
from tests.concurrency import at_once


def _return_tasks(session, demo: DemoDatabase) -> list[tuple[Task, Occurrence]]:  # type: ignore[no-untyped-def]
    rows = session.execute(select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)
                           .where(Occurrence.financial_year == demo.outcome.fy.start_year, Occurrence.kind == "activity",
                                  Task.assignee_kind == "agency")).all()
    return [(t, o) for t, o in rows if demo.framework.return_type_for(o.activity) is not None]


def check_returns(demo: DemoDatabase) -> None:
    zone = ZoneInfo(demo.framework.document.partnership.timezone)
    with transaction(demo.url) as session:
        tasks = _return_tasks(session, demo)
        submissions = session.execute(select(ReturnSubmission).order_by(ReturnSubmission.task_id, ReturnSubmission.version)).scalars().all()
    by_task: dict[int, list[ReturnSubmission]] = {}
    for s in submissions:
        by_task.setdefault(s.task_id, []).append(s)  # type: ignore[arg-type]
    owing_agencies = {t.assignee_key for t, _ in tasks}
    accepted = [s for s in submissions if s.status == "accepted"]
    assert {s.agency_key for s in accepted} == owing_agencies == set(demo.framework.agencies), "every agency sends returns"
    assert all(s.task_id in {t.id for t, _ in tasks} for s in submissions), "every return answers a task of the year"
    due = {t.id: t.due for t, _ in tasks}
    for s in accepted:
        arrived = s.received_at.astimezone(zone).date()
        assert s.late == (arrived > due[s.task_id]), "late means it arrived after the task's due date"
        assert working_day_calendar(demo.framework).is_working_day(arrived)
    late = [s for s in accepted if s.late]
    assert 1 <= len(late) < len(accepted) // 2
    # Exactly one rejected, then corrected by version 2 on a later day, on time.
    (rejected,) = [s for s in submissions if s.status == "rejected"]
    first, corrected = by_task[rejected.task_id]  # type: ignore[index]
    assert (first.version, first.status, corrected.version, corrected.status) == (1, "rejected", 2, "accepted")
    assert corrected.received_at > first.received_at and not corrected.late
    assert "has no rows" in first.reasons
    # The rest: one accepted version each; the tasks never answered are overdue.
    assert all(len(v) == 1 for k, v in by_task.items() if k != rejected.task_id)
    statuses = Counter(t.status for t, _ in tasks)
    never = [t for t, _ in tasks if t.id not in by_task]
    overdue = [t for t in never if t.due < demo.outcome.through]
    assert overdue and all(t.status == "overdue" for t in overdue), "not sent by the due date: overdue"
    assert all(t.status == "open" for t in never if t not in overdue), "due after the year's last day: still open"
    assert statuses == {"submitted": len(accepted), "overdue": len(overdue), "open": len(never) - len(overdue)} or (
        len(never) == len(overdue) and statuses == {"submitted": len(accepted), "overdue": len(overdue)})
    counts = demo.outcome.counts
    assert (counts["returns accepted"], counts["returns accepted late"], counts["returns rejected"], counts["returns overdue"]) == (
        len(accepted), len(late), 1, len(overdue))


def check_learning(demo: DemoDatabase) -> None:
    matrix = demo.framework.document.risk_matrix
    through = demo.outcome.through
    with transaction(demo.url) as session:
        findings = session.execute(select(Finding)).scalars().all()
        starts = dict(session.execute(select(Occurrence.id, Occurrence.window_start)).all())
        aware = dict(session.execute(select(ReviewCase.reference, ReviewCase.aware_date)).all())
        ratings = session.execute(select(RiskRating).order_by(RiskRating.finding_id, RiskRating.sequence)).scalars().all()
        actions = session.execute(select(ImprovementAction)).scalars().all()
        action_tasks = {t.id: t for t in session.execute(select(Task).where(Task.id.in_([a.task_id for a in actions]))).scalars()}
        evaluations = session.execute(select(ActionEvaluation)).scalars().all()
    assert {f.kind for f in findings} == {"good-practice", "area-for-improvement", "risk"}
    assert {f.source for f in findings} >= {"typed", "derived"}, "typed by hand and derived from the returns"
    for f in findings:
        opened = starts[f.occurrence_id] if f.occurrence_id else aware[f.case_reference]
        assert opened <= f.recorded_on <= through, f.reference
    assert [f for f in findings if f.case_reference], "the review cases learned something"
    risks = {f.id for f in findings if f.kind == "risk"}
    rated: dict[int, list[RiskRating]] = {}
    for r in ratings:
        rated.setdefault(r.finding_id, []).append(r)
        assert (r.score, r.band) == (rate(matrix, r.likelihood, r.impact).score, rate(matrix, r.likelihood, r.impact).band)
    assert set(rated) == risks and len(risks) >= 3
    assert any(len(v) == 2 and (v[0].likelihood, v[0].impact) != (v[1].likelihood, v[1].impact) for v in rated.values()), "a trend"
    assert any(v[-1].score > matrix.tolerance for v in rated.values()), "a risk above the tolerance"
    done = [a for a in actions if a.status == "done"]
    overdue = [a for a in actions if a.status == "open" and a.due < through]
    assert done and all(a.evidence and a.done_on <= a.due and action_tasks[a.task_id].status == "closed" for a in done)
    assert overdue and all(action_tasks[a.task_id].status == "overdue" for a in overdue)
    assert [a.status for a in actions].count("dropped") == 1
    assert {a.source_key is not None for a in actions} == {True, False}, "actions from returns and typed ones"
    assert any(a.case_reference for a in actions) and any(a.agreed_at_occurrence_id for a in actions)
    assert {e.action_id for e in evaluations} <= {a.id for a in done} and {e.judgement for e in evaluations} == {
        "evidenced", "partly-evidenced", "not-evidenced"}
    counts = demo.outcome.counts
    assert (counts["findings"], counts["risks"], counts["risk ratings"], counts["actions"], counts["actions done"],
            counts["actions overdue"], counts["actions evaluated"]) == (
        len(findings), len(risks), len(ratings), len(actions), len(done), len(overdue), len({e.action_id for e in evaluations}))


def check_meetings(demo: DemoDatabase) -> None:
    with transaction(demo.url) as session:
        meetings = session.execute(select(Occurrence).where(Occurrence.financial_year == demo.outcome.fy.start_year,
                                                            Occurrence.kind == "meeting")).scalars().all()
        records = {r.occurrence_id: r for r in session.execute(select(MeetingRecord)).scalars()}
        present = Counter(session.execute(select(MeetingAttendance.occurrence_id)).scalars())
        decided = Counter(session.execute(select(MeetingDecision.occurrence_id)).scalars())
    assert set(records) == {m.id for m in meetings}, "every meeting of the year is recorded"
    held = [m for m in meetings if records[m.id].status == "held"]
    assert len(held) == len(meetings) - 1
    agencies = len(demo.framework.agencies)
    for m in held:
        assert records[m.id].held_on == m.window_start
        assert agencies // 2 < present[m.id] < agencies and decided[m.id] >= 1, m.key
    (cancelled,) = [m for m in meetings if records[m.id].status == "cancelled"]
    assert present[cancelled.id] == 0 and decided[cancelled.id] == 0
    assert (demo.outcome.counts["meetings held"], demo.outcome.counts["attendances"]) == (len(held), sum(present.values()))


def check_cases(demo: DemoDatabase) -> None:
    chain = demo.framework.review_chain
    branch = {d: [k for k, s in chain.stages.items() if s.branch == d] for d in chain.decisions}
    longest = max(chain.decisions, key=lambda d: len(branch[d]))
    wd = working_day_calendar(demo.framework)
    with transaction(demo.url) as session:
        cases = session.execute(select(ReviewCase).order_by(ReviewCase.reference)).scalars().all()
        stages = {c.reference: {s.stage: s for s in session.execute(select(ReviewStage).where(ReviewStage.case_id == c.id)).scalars()}
                  for c in cases}
    assert len(cases) == 2 and all(c.status == "closed" and c.financial_year == demo.outcome.fy.start_year for c in cases)
    (cspr,) = [c for c in cases if c.decision == longest]
    (other,) = [c for c in cases if c.decision != longest]
    assert set(stages[cspr.reference]) == {k for k, s in chain.stages.items() if s.branch in (None, longest)}
    assert not branch[other.decision] or len(branch[other.decision]) < len(branch[longest])  # type: ignore[index]
    for case in cases:
        done = [s for k in chain.stages if (s := stages[case.reference].get(k)) is not None]
        assert all(s.done_on is not None for s in done), "every stage on its path is done"
        assert [s.done_on for s in done] == sorted(s.done_on for s in done), "in the chain's order"  # type: ignore[type-var]
        assert all(s.due is None or s.done_on <= s.due for s in done), "none late"  # type: ignore[operator]
        assert all(wd.is_working_day(s.done_on) for s in done)  # type: ignore[arg-type]
        assert case.notified_date == done[0].done_on and case.decision_rationale
    assert demo.outcome.counts["review stages done"] == sum(len(v) for v in stages.values())


def check_marked(demo: DemoDatabase) -> None:
    through = demo.outcome.through
    fy = demo.outcome.fy
    wd = working_day_calendar(demo.framework)
    with transaction(demo.url) as session:
        actors = set(session.execute(select(AuditLogEntry.actor)).scalars())
        actors |= set(session.execute(select(Finding.actor)).scalars()) | set(session.execute(select(ImprovementAction.actor)).scalars())
        actors |= set(session.execute(select(ReturnSubmission.actor)).scalars()) | set(session.execute(select(MeetingRecord.actor)).scalars())
        mark = session.get(RunWatermark, DEMO_JOB)
        days: list[date] = [*session.execute(select(Finding.recorded_on)).scalars(), *session.execute(select(RiskRating.rated_on)).scalars(),
                            *session.execute(select(Task.done_on).where(Task.done_on.is_not(None))).scalars(),
                            *session.execute(select(MeetingRecord.held_on).where(MeetingRecord.held_on.is_not(None))).scalars(),
                            *session.execute(select(ActionEvaluation.evaluated_on)).scalars(),
                            *session.execute(select(ImprovementAction.done_on).where(ImprovementAction.done_on.is_not(None))).scalars()]
        written = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "demo-year-written")).scalars().all()
    assert actors == {DEMO_ACTOR}
    assert mark is not None and mark.processed_through == through == wd.on_or_before(fy.end)
    assert len(written) == 1 and written[0].subject == f"FY {fy}"
    assert days and all(fy.start <= d <= through and wd.is_working_day(d) for d in days)
    assert demo.outcome.written


CHECKS = [check_returns, check_learning, check_meetings, check_cases, check_marked]


@sqlite_only
@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_the_demonstration_year_on_sqlite(demo_database: DemoDatabase, check: Callable[[DemoDatabase], None]) -> None:
    check(demo_database)


@postgresql_only
def test_the_demonstration_year_on_postgresql(demo_database: DemoDatabase) -> None:
    """The same checks, on one demonstration year written into PostgreSQL (writing it
    takes half a minute there: once per framework file, not once per check)."""
    for check in CHECKS:
        check(demo_database)
    # Written again: nothing is, and it says which year the database holds.
    before = row_counts(demo_database.url)
    with transaction(demo_database.url) as session:
        again = write_demo_year(session=session, framework=demo_database.framework, fy=demo_database.outcome.fy,
                                data_dir=demo_database.data_dir, today=DEMO_TODAY)
    assert (again.written, again.fy, again.counts) == (False, demo_database.outcome.fy, demo_database.outcome.counts)
    assert row_counts(demo_database.url) == before


@sqlite_only
def test_the_year_is_written_in_under_ten_seconds_on_sqlite(demo_database: DemoDatabase) -> None:
    assert demo_database.seconds < 10, f"writing the demonstration year took {demo_database.seconds:.1f} s of processor time"


def test_two_at_once_write_one_year(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    """Two ``qaf demo`` at the same moment: the second waits for the first's mark, then
    writes nothing."""
    prepare(database_url)
    fy = default_year(partnership, DEMO_TODAY)

    def write() -> bool:
        with transaction(database_url) as session:
            return write_demo_year(session=session, framework=partnership, fy=fy, data_dir=tmp_path, today=DEMO_TODAY, papers=False).written

    assert sorted(at_once(write)) == [False, True]
    with transaction(database_url) as session:
        written = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "demo-year-written")).scalars().all()
        cases = session.execute(select(ReviewCase.reference)).scalars().all()
    assert len(written) == 1 and len(cases) == 2
