"""``qaf demo`` in this process, on each shipped framework file: filling a database that
``qaf up`` has only planned, refusing one with real records or with the year planned,
refusing a year that has not ended, writing nothing the second time; and ``qaf returns
status`` and ``qaf papers`` on the year it wrote."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import make_url

from qaframework.demo import DEMO_JOB, default_year
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import make_engine, transaction
from qaframework.persistence.cases import open_case
from qaframework.persistence.learning_tables import MeetingRecord
from qaframework.persistence.paper_tables import MeetingPaper
from qaframework.persistence.tables import Occurrence, ReturnSubmission, RunWatermark, Task
from qaframework.reviews.chain import CaseDates
from tests.demo.conftest import DEMO_TODAY, DemoDatabase, Qaf, sqlite_only
from tests.papers.test_packs import docx_text, pdf_text


@pytest.fixture
def cli(partnership_qaf: Qaf, monkeypatch: pytest.MonkeyPatch) -> Qaf:
    """``qaf`` on the partnership's file, on the day DEMO_TODAY."""
    monkeypatch.setattr("qaframework.clock.today_in", lambda zone: DEMO_TODAY)
    return partnership_qaf


def row_counts(url: str) -> dict[str, int]:
    """Rows in every table: equal before and after means nothing was written."""
    engine = make_engine(url)
    try:
        names = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with transaction(url) as session:
        return {n: session.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}


def refused(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err, err


@sqlite_only
def test_qaf_demo_fills_a_database_qaf_up_has_planned_then_writes_nothing_again(cli: Qaf, database_url: str, partnership: Framework,
                                                                               tmp_path: Path) -> None:
    current = FinancialYear.containing(DEMO_TODAY)
    for year in (current.start_year, current.start_year + 1):  # what qaf up plans on a new installation
        assert cli("plan", "--fy", str(year), "--as-of", DEMO_TODAY.isoformat())[0] == 0
    before = row_counts(database_url)
    code, out, err = cli("demo")
    assert code == 0, err
    fy = default_year(partnership, DEMO_TODAY)
    assert f"Wrote the demonstration year {fy} " in out
    with transaction(database_url) as session:
        accepted = session.execute(select(func.count()).select_from(ReturnSubmission).where(ReturnSubmission.status == "accepted")).scalar_one()
        held = session.execute(select(func.count()).select_from(MeetingRecord).where(MeetingRecord.status == "held")).scalar_one()
        through = session.get(RunWatermark, DEMO_JOB).processed_through  # type: ignore[union-attr]
        papers = session.execute(select(MeetingPaper)).scalars().all()
        untouched = session.execute(select(Task.status).join(Occurrence, Task.occurrence_id == Occurrence.id)
                                    .where(Occurrence.financial_year >= current.start_year)).scalars().all()
    assert re.search(rf"\b{accepted} returns accepted from {len(partnership.agencies)} agencies", out)
    assert re.search(rf"\b{held} meetings held", out) and f"as it stood on {through.isoformat()}" in out
    assert len(untouched) == before["task"] and set(untouched) <= {"planned", "open", "overdue"}, "qaf up's years are left as they were"
    # The top body's last papers of the year, built on their due day: PDF and Word read back.
    top = partnership.role("top_body")
    pack = next(p for p in papers if p.kind == "pack")
    assert pack.body == top and pack.as_of <= through and {p.version for p in papers} == {1}
    for suffix, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = read(tmp_path / ".qaf" / pack.folder / f"{pack.stem}-v1.{suffix}")
        assert partnership.bodies[top].name in text
    # Again: nothing written, exit 0; another year: refused.
    after = row_counts(database_url)
    code, out, err = cli("demo")
    assert (code, err) == (0, "") and f"The demonstration year {fy} is already in" in out
    refused(*cli("demo", "--fy", str(fy.start_year - 1)), f"holds the demonstration year {fy} already")
    assert row_counts(database_url) == after


@pytest.mark.parametrize("what", ["a review case", "a finished task"])
def test_a_database_with_real_records_is_refused_and_nothing_written(cli: Qaf, database_url: str, partnership: Framework, what: str) -> None:
    fy = default_year(partnership, DEMO_TODAY)
    other = FinancialYear(fy.start_year + 1)
    assert cli("plan", "--fy", str(other.start_year), "--as-of", other.start.isoformat())[0] == 0
    with transaction(database_url) as session:
        if what == "a review case":
            open_case(session=session, framework=partnership, dates=CaseDates(None, date(other.start_year, 6, 1), None), opened_by_run=None,
                      actor="qaf-cli")
        else:
            task = session.execute(select(Task)).scalars().first()
            task.status = "closed"  # type: ignore[union-attr]
            session.add(task)
    before = row_counts(database_url)
    refused(*cli("demo"), "already holds records not made by qaf demo", "empty database")
    assert row_counts(database_url) == before and before["run_watermark"] == 0


def test_a_year_planned_already_or_not_ended_is_refused(cli: Qaf, database_url: str, partnership: Framework) -> None:
    fy = default_year(partnership, DEMO_TODAY)
    assert cli("plan", "--fy", str(fy.start_year), "--as-of", fy.start.isoformat())[0] == 0
    before = row_counts(database_url)
    refused(*cli("demo"), f"has {fy} planned already", "--fy")
    refused(*cli("demo", "--fy", str(DEMO_TODAY.year)), "--fy:", "has not ended yet")
    refused(*cli("demo", "--fy", "next year"), "--fy")
    assert row_counts(database_url) == before


@sqlite_only
@pytest.mark.parametrize(("fy", "expected"), [(str(DEMO_TODAY.year), "has not ended yet"), ("next", "is not a financial year"),
                                              ("2026/28", "is not a financial year")])
@pytest.mark.fresh_installation
def test_bad_input_on_a_new_installation_creates_nothing(cli: Qaf, database_url: str, tmp_path: Path, fy: str, expected: str) -> None:
    refused(*cli("demo", "--fy", fy), "--fy:", expected)
    assert not (tmp_path / ".qaf").exists() and not Path(make_url(database_url).database or "").exists()


@sqlite_only
def test_the_returns_dashboard_and_the_papers_work_on_the_demonstration_year(cli: Qaf, demo_database: DemoDatabase, partnership: Framework,
                                                                            tmp_path: Path) -> None:
    demo = demo_database
    fy = demo.outcome.fy
    code, out, err = cli("returns", "status", "--fy", str(fy.start_year), "--json")
    assert code == 0, err
    report = json.loads(out)
    with transaction(demo.url) as session:
        late = session.execute(select(func.count()).select_from(ReturnSubmission).where(ReturnSubmission.status == "accepted",
                                                                                       ReturnSubmission.late)).scalar_one()
        submitted = session.execute(select(func.count()).select_from(Task).where(Task.status == "submitted")).scalar_one()
        top_meetings = session.execute(select(Occurrence.window_start).where(
            Occurrence.kind == "meeting", Occurrence.activity == partnership.role("top_body"),
            Occurrence.financial_year == fy.start_year).order_by(Occurrence.window_start)).scalars().all()
    rows = report["returns-by-agency"]
    assert len(rows) == len(partnership.agencies)
    assert sum(r["received"] for r in rows) == submitted and sum(r["received late"] for r in rows) == late
    # Overdue as of today (the dashboard's day, long after the year): every return never sent.
    never = sum(r["expected"] for r in rows) - submitted
    assert sum(r["overdue"] for r in rows) == sum(r["outstanding"] for r in rows) == never >= demo.outcome.counts["returns overdue"] > 0
    # A meeting's papers on demand: the first top-body meeting of the year, from the record then.
    top = partnership.role("top_body")
    code, out, err = cli("papers", top, "--meeting", top_meetings[0].isoformat(), "--as-of", top_meetings[0].isoformat(), "--json")
    assert code == 0, err
    built = json.loads(out)
    pack = next(f for f in built["files"] if f["kind"] == "pack")
    assert pack["version"] == 1 and partnership.bodies[top].name in pdf_text(Path(pack["pdf"]))
    # The last one, built by the demonstration, gets a second version; the first is kept.
    code, out, err = cli("papers", top, "--meeting", top_meetings[-1].isoformat(), "--as-of", demo.outcome.through.isoformat(), "--json")
    assert code == 0, err
    again = next(f for f in json.loads(out)["files"] if f["kind"] == "pack")
    assert again["version"] == 2 and Path(again["pdf"].replace("-v2.", "-v1.")).is_file()
    assert partnership.bodies[top].name in docx_text(Path(again["docx"]))
