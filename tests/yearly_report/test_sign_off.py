"""The yearly report's sign-offs and publication (``qaf report sign-off``, ``qaf report
published``) on both partnerships and both databases: recorded once, refused with one
line when out of order or malformed (nothing written), and the publication finishes the
business unit's yearly-report task. Bad input to ``qaf report yearly`` is one line, exit
2, nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import Occurrence, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.persistence.yearly_report_tables import YearlyReportStep
from qaframework.yearly_plan import plan_financial_year
from qaframework.framework.yearly_report import yearly_report_settings
from tests.partnerships.conftest import Qaf, sqlite_only

FY = 2027


def _plan(url: str, partnership: Framework, years: tuple[int, ...] = (FY, FY + 1)) -> None:
    prepare(url)
    with transaction(url) as session:
        sync_directory(session=session, framework=partnership)
        for y in years:
            write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(y)), actor="test",
                       as_of=FinancialYear(FY).start - timedelta(days=1))


def _report_task(url: str, partnership: Framework) -> tuple[Task, Occurrence]:
    activity = yearly_report_settings(partnership).activity
    with transaction(url) as session:
        task, occurrence = session.execute(
            select(Task, Occurrence).join(Occurrence, Occurrence.id == Task.occurrence_id)
            .where(Occurrence.activity == activity, Occurrence.financial_year == FY + 1, Task.assignee_key == partnership.role("business_unit"))
        ).one()
        session.expunge_all()
    return task, occurrence


def _steps(url: str) -> int:
    with transaction(url) as session:
        return session.execute(select(func.count()).select_from(YearlyReportStep)).scalar_one()


@pytest.fixture
def cli(partnership_qaf: Qaf, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Qaf:
    """``qaf`` on the partnership's file on 1 December 2028; argparse's exit is returned like any other."""
    monkeypatch.setattr("qaframework.cli_report.today_in", lambda zone: date(2028, 12, 1))

    def run(*args: str) -> tuple[int, str, str]:
        try:
            return partnership_qaf(*args)
        except SystemExit as exc:
            out, err = capsys.readouterr()
            return int(exc.code or 0), out, err

    return run


def test_sign_offs_then_publication_finish_the_task(database_url: str, partnership: Framework, cli: Qaf) -> None:
    _plan(database_url, partnership)
    task, occurrence = _report_task(database_url, partnership)
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=occurrence.window_start, actor="test")
    opened = occurrence.window_start
    published = opened + timedelta(days=20)
    code, _, err = cli("report", "published", "--fy", str(FY), "--on", published.isoformat(), "--address", "https://example.org/yr")
    assert (code, _steps(database_url)) == (2, 0)
    assert err.count("\n") == 1 and "not signed off by" in err and "qaf report sign-off" in err
    scrutiny = partnership.role("independent_scrutiny")
    code, out, err = cli("report", "sign-off", "--fy", str(FY), "--by", "independent_scrutiny", "--on", (opened + timedelta(days=5)).isoformat())
    assert code == 0, err
    assert out == f"Recorded: the yearly report on {FinancialYear(FY)} signed off by {partnership.bodies[scrutiny].name} on {(opened + timedelta(days=5)).isoformat()}\n"
    code, out, _ = cli("report", "sign-off", "--fy", str(FY), "--by", scrutiny, "--on", (opened + timedelta(days=5)).isoformat())
    assert code == 0 and out.startswith("Already recorded") and _steps(database_url) == 1
    code, _, err = cli("report", "sign-off", "--fy", str(FY), "--by", scrutiny, "--on", (opened + timedelta(days=6)).isoformat())
    assert code == 2 and "recorded on" in err and _steps(database_url) == 1
    code, _, err = cli("report", "sign-off", "--fy", str(FY), "--by", "top_body", "--on", (opened + timedelta(days=8)).isoformat(),
                       "--signed-by", "Chair")
    assert code == 0, err
    code, _, err = cli("report", "published", "--fy", str(FY), "--on", (opened + timedelta(days=7)).isoformat(), "--address", "https://example.org/yr")
    assert code == 2 and "before the sign-off" in err and _steps(database_url) == 2
    code, out, err = cli("report", "published", "--fy", str(FY), "--on", published.isoformat(), "--address", "https://example.org/yr")
    assert code == 0, err
    reference = f"{occurrence.key}/{partnership.role('business_unit')}"
    assert out == f"Recorded: the yearly report on {FinancialYear(FY)} published on {published.isoformat()}; task {reference} is done\n"
    with transaction(database_url) as session:
        done = session.get(Task, task.id)
        assert (done.status, done.done_on) == ("closed", published)
    code, out, _ = cli("report", "published", "--fy", str(FY), "--on", published.isoformat(), "--address", "https://example.org/yr")
    assert code == 0 and out.startswith("Already recorded") and _steps(database_url) == 3


@sqlite_only
@pytest.mark.parametrize("args, expected", [
    (("sign-off", "--by", "chair"), "--by: expected independent_scrutiny or top_body"),
    (("sign-off", "--by", "top_body", "--on", "2028-03-31"), "--on: 2028-03-31 is within 2027/28"),
    (("sign-off", "--by", "top_body", "--on", "2028-12-02"), "--on: 2028-12-02 is in the future"),
    (("sign-off", "--by", "top_body", "--on", "2028-13-02"), "--on date"),
    (("sign-off", "--by", "top_body", "--signed-by", "Chair, seen at TA1 2AB"), "--signed-by: expected a role"),
    (("published", "--address", "ftp://example.org/x"), "--address: expected the web address"),
    (("published", "--address", "https://example.org/a b"), "--address: expected the web address"),
])
def test_bad_sign_off_input_is_one_line_and_writes_nothing(database_url: str, partnership: Framework, cli: Qaf,
                                                          args: tuple[str, ...], expected: str) -> None:
    _plan(database_url, partnership)
    full = ["report", *args[:1], "--fy", str(FY), *args[1:]]
    if "--on" not in full:
        full += ["--on", "2028-10-01"]
    if args[0] == "published" and "--address" not in full:
        full += ["--address", "https://example.org/yr"]
    if args[0] == "sign-off" and "--by" not in full:
        full += ["--by", "top_body"]
    code, out, err = cli(*full)
    assert code == 2 and out == "" and err.count("\n") == 1 and expected in err, err
    assert "Traceback" not in err and "TA1" not in err
    assert _steps(database_url) == 0


@sqlite_only
def test_bad_yearly_input_is_one_line_and_writes_nothing(database_url: str, partnership: Framework, cli: Qaf, tmp_path: Path) -> None:
    prepare(database_url)
    data = tmp_path / ".qaf"
    code, out, err = cli("report", "yearly", "--fy", str(FY))
    assert (code, out) == (2, "") and err == f"qaf: error: --fy: {FinancialYear(FY)} has no plan: run qaf plan --fy {FY} first\n"
    assert not (data / "reports").exists()
    _plan(database_url, partnership, (FY,))
    for args, expected in ((("--fy", "20x7"), "2027 or 2027/28"), (("--fy", str(FY), "--as-of", "2028-02-30"), "--as-of date"),
                           (("--fy", str(FY), "--output", str(tmp_path / "file.txt")), "--output: expected a folder")):
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        code, out, err = cli("report", "yearly", *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and expected in err, err
    folder = data / "reports" / "yearly" / "2027-28" / "narrative"
    folder.mkdir(parents=True)
    (folder / "foreword.md").write_bytes(b"# Foreword\n\n\xff\xfe not UTF-8\n")
    code, out, err = cli("report", "yearly", "--fy", str(FY))
    assert code == 2 and "foreword.md: expected UTF-8 text" in err and err.count("\n") == 1
    assert sorted(p.name for p in (data / "reports" / "yearly" / "2027-28").iterdir()) == ["narrative"]
    assert [p.name for p in folder.iterdir()] == ["foreword.md"], "nothing half-written: no other narrative file"
