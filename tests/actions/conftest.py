"""Risks, actions and the audit log, on each shipped framework file and on SQLite and
PostgreSQL. Fixtures are the partnerships package's (``partnership``, ``partnership_qaf``)
and the reminders package's real SMTP server; the helpers here set up what an action
needs (a planned year, a finding, a case) through the code's own API."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.learning.finding_fields import FindingEntry
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.findings import record_finding
from qaframework.persistence.learning_tables import ActionEvaluation, Finding, ImprovementAction, RiskRating
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf, smtp  # noqa: F401 - fixtures

__all__ = ["TODAY", "Qaf", "counts", "first_activity_occurrence", "make_finding", "planned_without_tasks"]

#: "Today" for the in-process CLI (the partnership's day, as ``qaf`` asks the clock): after
#: every day the tests name, so none of them is refused as being in the future.
TODAY = date(2028, 3, 20)

TABLES: tuple[type[SQLModel], ...] = (Finding, RiskRating, ImprovementAction, ActionEvaluation, Occurrence, Task, AuditLogEntry)


def counts(url: str) -> dict[str, int]:
    """Rows in each table an action or rating writes: equal before and after means nothing was written."""
    with transaction(url) as session:
        return {m.__name__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in TABLES}


def planned_without_tasks(url: str, framework: Framework, year: int = 2027) -> None:
    """The year's occurrences, planned as of after its end: every occurrence exists, no
    task does, so the only work anyone is chased for is what a test adds."""
    prepare(url)
    fy = FinancialYear(year)
    with transaction(url) as session:
        sync_directory(session=session, framework=framework)
        write_plan(session=session, occurrences=plan_financial_year(framework, fy), actor="test", as_of=FinancialYear(year + 1).end)


def first_activity_occurrence(framework: Framework, year: int = 2027, with_return: bool = True) -> tuple[str, str]:
    """The key and activity of the year's first occurrence of an activity with a due date
    (one that takes a return, when ``with_return``)."""
    for o in plan_financial_year(framework, FinancialYear(year)):
        if o.kind != "meeting" and o.due is not None and (not with_return or framework.return_type_for(o.activity)):
            return o.key, o.activity
    raise AssertionError("no occurrence found")


def make_finding(url: str, framework: Framework, subject: str, *, kind: str = "area-for-improvement", on: date = date(2027, 5, 4),
                 likelihood: int | None = None, impact: int | None = None, title: str = "Strategy discussions rarely include health") -> str:
    """A typed finding, recorded through the findings' own API; returns its reference."""
    theme = next(iter(framework.document.themes))
    entry = FindingEntry(subject=subject, title=title, summary="Seen in most of the cases audited this quarter.",
                         kind=kind, theme=theme, likelihood=likelihood, impact=impact)
    with transaction(url) as session:
        return record_finding(session=session, framework=framework, entry=entry, recorded_on=on, source="typed", actor="test").reference


@pytest.fixture
def cli(partnership_qaf: Qaf, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Qaf:
    """``qaf`` on the partnership's file, in this process, on the day ``TODAY``; a usage
    error that argparse raises as SystemExit is returned like any other (exit code,
    stdout, stderr)."""
    monkeypatch.setattr("qaframework.cli_actions.today_in", lambda zone: TODAY)
    monkeypatch.setattr("qaframework.cli_tasks.today_in", lambda zone: TODAY)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            return partnership_qaf(*args)
        except SystemExit as exc:
            out, err = capsys.readouterr()
            return int(exc.code or 0), out, err

    return run


@pytest.fixture
def planned(database_url: str, partnership: Framework) -> str:
    planned_without_tasks(database_url, partnership)
    return database_url
