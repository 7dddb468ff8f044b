"""The dashboards' figures counted in the database are the figures of every task read and
counted, on SQLite and PostgreSQL and on each shipped framework file: the compliance rows
(GROUP BY, with returns submitted late judged on the partnership's local day), the
returns dashboard read for its financial year (and the Section 11 self-assessment's
latest cycle), the calendar's holders read for its own occurrences, and the day's opened
work read for that day."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from qaframework.compliance import compliance_rows_from_counts
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.reporting import assignee_names, assignees_by_occurrence, compliance_counts
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.return_reports import dashboard_return_facts, return_task_facts
from qaframework.persistence.tables import Occurrence, ReturnSubmission, Task
from qaframework.returns.dashboard import returns_tables
from qaframework.yearly_plan import plan_financial_year

#: Two cycles of the Section 11 self-assessment (one year in three) in each shipped file.
YEARS = (2026, 2027, 2028, 2029, 2030)
STATUSES = ("planned", "open", "submitted", "overdue", "submitted", "closed", "cancelled", "submitted")


def _moments(due: date) -> list[datetime]:
    """Submission moments (UTC) around the due date: the boundary of the local day is
    23:00 UTC in summer and midnight in winter, so some of these are late only in summer."""
    day = datetime.combine(due, time(0), timezone.utc)
    return [day - timedelta(days=3), day + timedelta(hours=12), day + timedelta(hours=23, minutes=30),
            day + timedelta(hours=23, minutes=59), day + timedelta(days=1, minutes=30), day + timedelta(days=9)]


@pytest.fixture
def several_years(database_url: str, partnership: Framework) -> str:
    """Three planned years, their tasks in every status, returns submitted early, on the
    day, around local midnight and late, some without a timestamp."""
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
    for fy in YEARS:
        with transaction(database_url) as session:
            write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(fy)), actor="test", as_of=date(fy, 3, 1))
    with transaction(database_url) as session:
        rows = session.execute(select(Task.id, Task.due).order_by(Task.id)).all()
        statuses, moments = itertools.cycle(STATUSES), itertools.count()
        changes = []
        for task_id, due in rows:
            status = next(statuses)
            values: dict[str, object] = {"status": status}
            if status == "submitted" and due is not None:
                n = next(moments)
                values["submitted_at"] = None if n % 7 == 6 else _moments(due)[n % 6]
            changes.append((task_id, values))
        for task_id, values in changes:
            session.execute(update(Task).where(Task.id == task_id).values(**values))
    return database_url


def _direct_count(session, zone: ZoneInfo) -> dict[str, Counter[str]]:  # type: ignore[no-untyped-def]
    counts: dict[str, Counter[str]] = {}
    for key, status, due, submitted in session.execute(select(Task.assignee_key, Task.status, Task.due, Task.submitted_at)).all():
        if status == "planned":
            continue
        c = counts.setdefault(key, Counter())
        c[status] += 1
        if status == "submitted" and due is not None and submitted is not None and submitted.astimezone(zone).date() > due:
            c["late"] += 1
    return counts


def test_the_compliance_rows_counted_in_the_database_are_those_of_every_task(several_years: str, partnership: Framework) -> None:
    zone = partnership.document.partnership.timezone
    agencies = list(partnership.agencies)
    with transaction(several_years) as session:
        names = assignee_names(session=session)
        counted = compliance_rows_from_counts(compliance_counts(session=session, zone=zone), names, always=agencies)
        direct = _direct_count(session, ZoneInfo(zone))
        kinds = dict(session.execute(select(Task.assignee_key, Task.assignee_kind).distinct()).all())
        years = session.execute(select(Occurrence.financial_year).distinct()).scalars().all()
    assert set(YEARS) <= set(years)
    assert {r.assignee for r in counted} == set(direct) | set(agencies)
    expected_order = sorted({*direct, *agencies}, key=lambda key: (kinds.get(key, "agency") != "agency", names.get(key, key)))
    assert [r.assignee for r in counted] == expected_order, "agencies first, then bodies, each by name"
    assert all(r.kind == kinds.get(r.assignee, "agency") for r in counted)
    for row in counted:
        c = direct.get(row.assignee, Counter())
        assert (row.open, row.submitted, row.overdue, row.late, row.done) == (c["open"], c["submitted"], c["overdue"], c["late"], c["closed"]), row
    late = sum(r.late for r in counted)
    on_time = sum(r.submitted for r in counted) - late
    assert late and on_time, "the data has returns both late and on time"


def test_a_return_in_just_before_midnight_utc_is_late_in_summer_only(database_url: str, partnership: Framework) -> None:
    zone = partnership.document.partnership.timezone
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
        write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(2027)), actor="test", as_of=date(2027, 3, 1))
    with transaction(database_url) as session:
        rows = session.execute(select(Task.id, Task.due, Task.assignee_key).where(Task.due.is_not(None)).order_by(Task.id)).all()  # type: ignore[union-attr]
        summer = next(r for r in rows if ZoneInfo(zone).utcoffset(datetime.combine(r.due, time(12))).total_seconds() > 0)  # type: ignore[union-attr]
        winter = next(r for r in rows if ZoneInfo(zone).utcoffset(datetime.combine(r.due, time(12))).total_seconds() == 0)  # type: ignore[union-attr]
        for r in (summer, winter):
            moment = datetime.combine(r.due, time(23, 30), timezone.utc)
            session.execute(update(Task).where(Task.id == r.id).values(status="submitted", submitted_at=moment))
    with transaction(database_url) as session:
        counted = {(c.assignee_key, c.status): c for c in compliance_counts(session=session, zone=zone)}
        direct = _direct_count(session, ZoneInfo(zone))
    late = {key: c["late"] for key, c in direct.items()}
    expected = Counter({summer.assignee_key: 1})
    for key in {summer.assignee_key, winter.assignee_key}:
        assert counted[(key, "submitted")].late == expected[key] == late[key]


def _accept_s11(session, partnership: Framework, cycles: int) -> int:  # type: ignore[no-untyped-def]
    """Accepted self-assessments (each after a rejected one) for two agencies in each of
    the first ``cycles`` years that have the self-assessment: Red, then Amber."""
    found = [rt for rt in partnership.document.returns.values() if rt.kind == "s11-self-assessment"]
    if not found:
        return 0
    rt = found[0]
    in_activity = (Occurrence.activity.in_(rt.activities), Task.assignee_kind == "agency")  # type: ignore[attr-defined]
    years = session.execute(select(Occurrence.financial_year).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                            .where(*in_activity).distinct().order_by(Occurrence.financial_year)).scalars().all()
    assert len(years) >= 2, "the plan holds two cycles"
    accepted = 0
    for year, rag in zip(years[:cycles], ("Red", "Amber")):
        tasks = session.execute(
            select(Task.id, Task.assignee_key).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
            .where(*in_activity, Occurrence.financial_year == year).order_by(Task.id).limit(2)
        ).all()
        ratings = [{"domain": d, "rag": rag} for d in rt.domains]
        for task_id, agency in tasks:
            for version, status in ((1, "rejected"), (2, "accepted")):
                session.add(ReturnSubmission(task_id=task_id, agency_key=agency, version=version, status=status, source="cli",
                                             payload=json.dumps({"ratings": ratings}) if status == "accepted" else "", late=version == 2))
            session.execute(update(Task).where(Task.id == task_id).values(status="submitted"))
            accepted += 1
    return accepted


@pytest.mark.parametrize("cycles", [0, 1, 2], ids=["none-accepted", "one-cycle", "two-cycles"])
def test_the_returns_dashboard_read_for_its_year_is_the_dashboard_of_every_year(several_years: str, partnership: Framework, cycles: int) -> None:
    with transaction(several_years) as session:
        accepted = _accept_s11(session, partnership, cycles)
    today = date(2027, 11, 1)
    with transaction(several_years) as session:
        every = return_task_facts(session=session, framework=partnership)
        names = assignee_names(session=session)
        for fy in (*YEARS, 2035):
            read = dashboard_return_facts(session=session, framework=partnership, financial_year=fy)
            tables = returns_tables(read, partnership.document.returns, names, fy, today)
            assert tables == returns_tables(every, partnership.document.returns, names, fy, today), fy
            assert [f for f in read if f.financial_year == fy] == [f for f in every if f.financial_year == fy]
            assert return_task_facts(session=session, framework=partnership, financial_year=fy) == [f for f in every if f.financial_year == fy]
            if accepted:
                assert tables["s11-rag-by-agency"], "the latest cycle's colours are shown whatever the year"
    assert every, "the partnership's returns were planned"


def test_the_calendar_reads_the_holders_of_its_own_occurrences(several_years: str) -> None:
    with transaction(several_years) as session:
        every = assignees_by_occurrence(session=session)
        keys = sorted(every)[::5]
        assert assignees_by_occurrence(session=session, keys=keys) == {k: every[k] for k in keys}
        assert assignees_by_occurrence(session=session, keys=[]) == {}
