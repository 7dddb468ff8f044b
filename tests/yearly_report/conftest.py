"""A simulated financial year on each shipped framework file (the ``partnership``
fixture) and each database, made through the code's own functions: the year (and the
next, which holds the yearly report's occurrence) planned with tasks, returns of every
kind received (some late, some missing), meetings held with attendance and one
cancelled, findings (routed to the yearly report, a risk above tolerance, the voice of
children, a review's recommendation), actions done, evaluated, overdue and dropped, and
two review cases (one a local review completed and published). The year simulated is the
Section 11 cycle's year one, so self-assessments come in. Nothing names a body, an
activity or a stage: the framework is asked."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.persistence.actions import add_action, complete_action, drop_action, evaluate_action
from qaframework.persistence.cases import open_case, record_stage
from qaframework.persistence.completion import complete_task
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.meetings import record_meeting
from qaframework.persistence.paper_facts import meeting_facts
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.returns import find_return_task, receive_return
from qaframework.persistence.tables import Occurrence, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.returns.templates import template_json
from qaframework.returns.validation import task_reference
from qaframework.reviews.chain import CaseDates, stages_for
from qaframework.yearly_plan import plan_financial_year
from tests.actions.conftest import make_finding
from tests.conftest import in_one_file
from tests.partnerships.conftest import framework, partnership, partnership_qaf  # noqa: F401 - fixtures
from tests.returns.test_round_trip import qaf  # noqa: F401 - the in-process CLI fixture

__all__ = ["Simulated", "simulate_year", "year_of"]


def year_of(partnership: Framework) -> int:
    return partnership.document.section11.year_one


@dataclass(frozen=True)
class Simulated:
    url: str
    financial_year: int
    late_agency: str
    missing_task: str
    routed: tuple[str, ...]
    voice: str | None
    cases: tuple[str, ...]
    actions_done: tuple[str, ...]
    action_overdue: str
    action_dropped: str


def _at(day: date, hours: int = 9) -> datetime:
    return datetime.combine(day, time(hours), tzinfo=timezone.utc)


def _fill(kind: str, body: dict, rt: object, agency_index: int, quarter_value: int) -> dict:
    if kind == "s11-self-assessment":
        actions = []
        for i, row in enumerate(body["ratings"]):
            rating = "Not met" if agency_index == 0 and i == 0 else "Partially met" if agency_index == 1 and i == 1 else "Fully met"
            row.update(rating=rating, evidence="Board minutes and audit reports seen")
            if rating != "Fully met":
                actions.append({"domain": row["domain"], "standard": row["standard"], "action": "Bring the standard up to date",
                                "owner": "Head of safeguarding", "due": "2027-06-30"})
        body["actions"] = actions
    elif kind == "survey-results":
        for row in body["results"]:
            row.update(respondents=40, positive=30, findings="Most know how to escalate")
    elif kind == "school-audit":
        standards = list(rt.standards)  # type: ignore[attr-defined]
        body["schools"] = [{"school_urn": urn, "school_name": "A school", "standard": s,
                            "compliance": "Partially compliant" if (urn, s) == ("100002", standards[0]) else "Compliant"}
                           for urn in ("100001", "100002") for s in standards]
    elif kind == "case-audit":
        pattern_example = rt.case_number_example  # type: ignore[attr-defined]
        prefix, last = pattern_example.rsplit("-", 1)
        body["grades"] = [{"case_number": f"{prefix}-{n:0{len(last)}d}", "domain": d, "grade": rt.grades[(n + j) % 2 + 1]}  # type: ignore[attr-defined]
                          for n in (1, 2) for j, d in enumerate(rt.domains)]  # type: ignore[attr-defined]
    elif kind == "dataset":
        for row in body["values"]:
            row["value"] = 80 + quarter_value + agency_index if "percent" in str(row.get("unit", "")).lower() or row.get("unit") == "percent" else 10 + quarter_value + agency_index
    return body


def _send(url: str, partnership: Framework, occurrence: str, agency: str, index: int, quarter: int, received: datetime) -> None:
    with transaction(url) as session:
        task = find_return_task(session=session, framework=partnership, reference=task_reference(occurrence, agency))
        rt_key, rt = partnership.return_type_for(task.activity)  # type: ignore[misc]
        body = _fill(rt.kind, json.loads(template_json(rt_key, rt, task, partnership.agencies[agency].type)), rt, index, quarter)
        stored = receive_return(session=session, framework=partnership, data=json.dumps(body).encode(),
                                filename=f"{agency}-{quarter}.json", source="cli", actor="test", received_at=received)
        assert stored.status == "accepted", stored


def simulate_year(url: str, partnership: Framework) -> Simulated:
    fy = year_of(partnership)
    year = FinancialYear(fy)
    settings = yearly_report_settings(partnership)
    prepare(url)
    with transaction(url) as session:
        sync_directory(session=session, framework=partnership)
        for y in (fy, fy + 1):
            write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(y)), actor="test", as_of=year.start - timedelta(days=1))
        open_started_tasks(session=session, on=year.end, actor="test")
    # Returns: every agency task of the year that takes a return, answered; the first
    # agency of each occurrence late, and one task left missing.
    with transaction(url) as session:
        rows = session.execute(select(Occurrence.key, Occurrence.activity, Task.assignee_key, Task.due, Occurrence.window_start)
                               .join(Task, Task.occurrence_id == Occurrence.id)
                               .where(Occurrence.financial_year == fy, Task.assignee_kind == "agency", Task.status == "open")
                               .order_by(Occurrence.window_start, Occurrence.key, Task.assignee_key)).all()
    taking = [r for r in rows if partnership.return_type_for(r[1]) and r[3] is not None and r[3] <= year.end]
    dataset = {a for rt in partnership.document.returns.values() if rt.kind == "dataset" for a in rt.activities}
    missing = next(r for r in reversed(taking) if r[1] in dataset)
    taking.remove(missing)
    late_agency = taking[0][2]
    per_occurrence: dict[str, int] = {}
    for key, activity, agency, due, start in taking:
        index = per_occurrence.setdefault(key, 0)
        per_occurrence[key] += 1
        late = agency == late_agency
        received = _at(due + timedelta(days=3)) if late else _at(max(start, due - timedelta(days=2)))
        _send(url, partnership, key, agency, index, (start.month % 12) // 3, received)
    # Meetings: each body's first two held (with the agencies that attend it), its third cancelled.
    with transaction(url) as session:
        meetings = [m for m in meeting_facts(session=session, framework=partnership) if FinancialYear.containing(m.day).start_year == fy]
    by_body: dict[str, list] = {}
    for m in meetings:
        by_body.setdefault(m.body, []).append(m)
    for body, listed in by_body.items():
        attendees = [k for k, a in partnership.agencies.items() if body in a.attends]
        for i, m in enumerate(listed[:3]):
            with transaction(url) as session:
                record_meeting(session=session, framework=partnership, body=body, meeting_day=m.day, held=i < 2, today=year.end + timedelta(days=1),
                               actor="test", attended=attendees[: max(1, len(attendees) - i)] if i < 2 else ())
    # Findings routed to the yearly report: from an activity of the year routed to it.
    routed_activity = next(k for k, a in partnership.activities.items() if settings.activity in a.routes and a.cadence != "as-required")
    occurrence = next(o for o in plan_financial_year(partnership, year) if o.activity == routed_activity)
    day = max(occurrence.start, year.start + timedelta(days=40))
    good = make_finding(url, partnership, occurrence.key, kind="good-practice", on=day, title="Strategy meetings now include health")
    weak = make_finding(url, partnership, occurrence.key, on=day, title="Plans rarely say who does what by when")
    m = partnership.document.risk_matrix
    lk, im = next((lk, im) for im, row in sorted(m.scores.items(), reverse=True) for lk, s in enumerate(row, start=1) if s > m.tolerance)
    risk = make_finding(url, partnership, occurrence.key, kind="risk", on=day, likelihood=lk, impact=im, title="Audit tools returned too late")
    voice = None
    if settings.voice_activities:
        vo = next((o for o in plan_financial_year(partnership, year) if o.activity in settings.voice_activities), None)
        if vo is not None:
            voice = make_finding(url, partnership, vo.key, kind="good-practice", on=vo.start, title="Young people felt listened to")
    # The business unit's tasks of the voice and training activities done.
    business_unit = partnership.role("business_unit")
    for o in plan_financial_year(partnership, year):
        if o.activity in {*settings.voice_activities, *settings.training_activities} and any(a.key == business_unit for a in o.assignees):
            with transaction(url) as session:
                complete_task(session=session, framework=partnership, reference=f"{o.key}/{business_unit}", done_on=max(o.start, o.due or o.start),
                              today=year.end + timedelta(days=1), actor="test", note="Report filed with the papers")
    # Two review cases: a local review completed and published on time; a no-review case late.
    chain = partnership.review_chain
    local = settings.reviews
    other = next(k for k in chain.decisions if k != (local.decision if local else None))
    cases = []
    for decision, aware in ((local.decision if local else other, date(fy, 5, 10)), (other, date(fy, 9, 6))):
        with transaction(url) as session:
            ref = open_case(session=session, framework=partnership, dates=CaseDates(None, aware, None), opened_by_run=None, actor="test")
        day = aware
        for stage in stages_for(decision, partnership):
            late = decision == other and stage.key != chain.notification_stage
            day = day + timedelta(days=30 if late else 1)
            if day > year.end:
                break
            with transaction(url) as session:
                record_stage(session=session, framework=partnership, reference=ref, stage=stage.key, done_on=day, actor="test",
                             decision=decision if stage.kind == "decision" else None,
                             rationale="Criteria considered by the panel" if stage.kind == "decision" else None,
                             signed_by=chain.stages[stage.key].signed_by[0] if stage.kind == "sign-off" else None)
        cases.append(ref)
    case_finding = make_finding(url, partnership, cases[0], on=date(fy, 7, 1), title="Share chronologies earlier")
    owner = next(iter(partnership.agencies))
    with transaction(url) as session:
        a1 = add_action(session=session, framework=partnership, what="Add health to every strategy meeting invite", owner=owner,
                        due=date(fy, 8, 29), actor="test", on=date(fy, 6, 1), finding_reference=weak)
        a2 = add_action(session=session, framework=partnership, what="Publish the chronology guidance", owner=owner, due=date(fy, 10, 31),
                        actor="test", on=date(fy, 7, 2), case_reference=cases[0])
        a3 = add_action(session=session, framework=partnership, what="Rewrite the audit timetable", owner=owner, due=date(fy, 12, 24),
                        actor="test", on=date(fy, 7, 2), finding_reference=risk)
        a4 = add_action(session=session, framework=partnership, what="Trial a new audit tool", owner=owner, due=date(fy, 11, 30),
                        actor="test", on=date(fy, 7, 2), finding_reference=risk)
    today = year.end + timedelta(days=1)
    with transaction(url) as session:
        complete_action(session=session, reference=a1, on=date(fy, 8, 20), evidence="Invite template changed; minutes show health present", actor="test", today=today)
        complete_action(session=session, reference=a2, on=date(fy, 10, 30), evidence="Guidance on the website", actor="test", today=today)
        drop_action(session=session, reference=a4, reason="Replaced by the new timetable", on=date(fy, 9, 1), actor="test", today=today)
    with transaction(url) as session:
        evaluate_action(session=session, framework=partnership, reference=a1, judgement="evidenced", on=date(fy, 10, 1), actor="test", today=today)
    return Simulated(url, fy, late_agency, task_reference(missing[0], missing[2]), (good, weak, risk), voice, tuple(cases),
                     (a1, a2), a3, a4)


@pytest.fixture(scope="session")
def simulated_sqlite_years(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, tuple[Path, Simulated]]:
    """Each framework file's year, simulated on SQLite once per session (the first test
    that asks for it), for copying: the file, and what it holds."""
    return {}


@pytest.fixture
def simulated(database_url: str, partnership: Framework, simulated_sqlite_years: dict[Path, tuple[Path, Simulated]],
              tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """The simulated year in the test's own database. On SQLite a copy of the session's
    simulation (3-4 s each, and the same every time: its days come from the framework,
    not the clock; only the audit log's timestamps are the first test's); on PostgreSQL
    simulated afresh."""
    if not database_url.startswith("sqlite:///"):
        return simulate_year(database_url, partnership)
    if partnership.source not in simulated_sqlite_years:
        path = tmp_path_factory.mktemp("simulated") / "qaf.db"
        year = simulate_year(f"sqlite:///{path}", partnership)
        simulated_sqlite_years[partnership.source] = (in_one_file(path), year)
    template, year = simulated_sqlite_years[partnership.source]
    shutil.copyfile(template, database_url.removeprefix("sqlite:///"))
    return replace(year, url=database_url)
