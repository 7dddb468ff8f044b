"""Every return type of each partnership's file, round trip: ``qaf returns template`` for
an agency task, filled in with openpyxl from the return type's own definition, and
``qaf returns import``: a valid fill is accepted and the task submitted; an invalid one
is rejected and kept."""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from qaframework.financial_year import FinancialYear, quarter_months, quarter_of
from qaframework.framework import Framework
from qaframework.framework.return_types import S11_RATINGS, SCHOOL_COMPLIANCE, ReturnType
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import ReturnSubmission, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.returns.validation import dataset_rows_expected, task_reference
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year
from tests.partnerships.conftest import Qaf, plan_years, s11_years, sqlite_only
from tests.returns.test_round_trip import fill_sheet

#: What a template's Evidence, Findings, Action and Owner cells are given: never a name.
TEXT = "Minutes of the safeguarding committee"
OWNER = "Head of Safeguarding"
#: Looks like an NHS number: refused whatever the file's case-number pattern.
NHS_LIKE = "943 476 5919"


def fill(rt: ReturnType, path: Path, due: date, valid: bool) -> None:
    """Answer the template as a named contact would, from the return type's definition;
    ``valid=False`` makes one mistake the importer must refuse."""
    if rt.kind == "s11-self-assessment":
        first = next((d, s) for d, domain in rt.domains.items() for s in domain.standards)
        fully, partly = list(S11_RATINGS)[:2]
        fill_sheet(path, "Ratings", lambda r: {"Rating": partly if (r["Domain"], r["Standard"]) == first else fully, "Evidence": TEXT})
        if valid:  # a standard not fully met needs its action
            fill_sheet(path, "Actions", rows=[{"Domain": first[0], "Standard": first[1], "Action": "Name a deputy lead", "Owner": OWNER, "Due": datetime.combine(due, datetime.min.time())}])
    elif rt.kind == "survey-results":
        fill_sheet(path, "Results", lambda r: {"Respondents": 20, "Positive": 12 if valid else 21, "Findings": TEXT})
    elif rt.kind == "school-audit":
        urn = "123456" if valid else "12345"
        fill_sheet(path, "Schools", rows=[{"School URN": urn, "School name": "Example Primary School", "Standard": s, "Compliance": SCHOOL_COMPLIANCE[0]} for s in rt.standards])
    elif rt.kind == "case-audit":
        case = rt.case_number_example if valid else NHS_LIKE
        fill_sheet(path, "Grades", rows=[{"Case number": case, "Domain": d, "Grade": rt.grades[0]} for d in rt.domains])
        fill_sheet(path, "Actions", rows=[{"Action": "Invite health to every strategy discussion", "Owner": OWNER, "Due": due.isoformat()}])
    else:
        assert rt.kind == "dataset", rt.kind
        fill_sheet(path, "Values", lambda r: {"Value": 50 if valid else -1})


def _a_task(partnership: Framework, rt: ReturnType, years: list[int]) -> tuple[PlannedOccurrence, str]:
    """The first planned occurrence of the return type's activities with an agency that
    owes something in it, and that agency."""
    for year in years:
        for o in plan_financial_year(partnership, FinancialYear(year)):
            if o.activity not in rt.activities:
                continue
            for a in o.assignees:
                if a.kind != "agency":
                    continue
                if rt.kind == "dataset" and not dataset_rows_expected(rt, a.key, partnership.agencies[a.key].type, o.start):
                    continue
                return o, a.key
    raise AssertionError(f"no agency task takes the return in years {years}")


def test_every_return_type_round_trips_and_a_bad_fill_is_kept(partnership_qaf: Qaf, database_url: str, tmp_path: Path, partnership: Framework) -> None:
    years = s11_years(partnership, partnership.document.section11.years)
    plan_years(partnership_qaf, years, FinancialYear(years[0]).start - timedelta(days=1))
    assert partnership.document.returns, "the file defines its returns"
    submitted: dict[str, str] = {}
    for rt_key, rt in partnership.document.returns.items():
        occurrence, agency = _a_task(partnership, rt, years)
        reference = task_reference(occurrence.key, agency)
        with transaction(database_url) as session:
            open_started_tasks(session=session, on=occurrence.start, actor="test")
        template = tmp_path / f"{rt_key}.xlsx"
        code, out, err = partnership_qaf("returns", "template", reference, "--output", str(template))
        assert code == 0, err
        bad, good = tmp_path / f"{rt_key}-bad.xlsx", tmp_path / f"{rt_key}-good.xlsx"
        for path, valid in ((bad, False), (good, True)):
            path.write_bytes(template.read_bytes())
            fill(rt, path, occurrence.due or occurrence.end, valid)

        code, out, err = partnership_qaf("returns", "import", str(bad))
        assert code == 2 and f"{bad}: rejected" in err, (rt_key, out, err)
        with transaction(database_url) as session:
            kept = session.execute(select(ReturnSubmission).where(ReturnSubmission.original_filename == bad.name)).scalar_one()
            task = session.get(Task, kept.task_id)
        assert (kept.status, kept.agency_key, kept.original) == ("rejected", agency, bad.read_bytes()), rt_key
        assert json.loads(kept.reasons) and task is not None and task.status == "open", rt_key

        code, out, err = partnership_qaf("returns", "import", str(good))
        assert code == 0 and f"{good}: accepted as version" in out and reference in out, (rt_key, err)
        with transaction(database_url) as session:
            stored = session.execute(select(ReturnSubmission).where(ReturnSubmission.original_filename == good.name)).scalar_one()
            task = session.get(Task, stored.task_id)
        assert (stored.status, stored.return_type, json.loads(stored.payload)["task"]) == ("accepted", rt_key, reference)
        assert task is not None and task.status == "submitted", rt_key
        submitted[reference] = rt_key

    for year in years:
        code, out, err = partnership_qaf("returns", "status", "--fy", str(year), "--json")
        assert code == 0, err
        report = json.loads(out)
        for line in report["tasks"]:
            if line["task"] in submitted:
                assert (line["status"], line["versions_accepted"]) == ("submitted", 1), line
    s11 = [rt for rt in partnership.document.returns.values() if rt.kind == "s11-self-assessment"]
    for rt in s11:
        domains = {row["domain"]: row["overall"] for row in report["s11-rag-by-domain"]}
        names = [d.name for d in rt.domains.values()]
        assert domains == {name: "Amber" if i == 0 else "Green" for i, name in enumerate(names)}


def _period_end(period: str) -> date:
    """The last day of a dataset period: 2027-06, 2027/28 Q1 or 2027/28."""
    if period[4] == "-":
        year, month = int(period[:4]), int(period[5:7])
    else:
        fy_text, _, quarter = period.partition(" Q")
        fy = FinancialYear.parse(fy_text)
        if not quarter:
            return fy.end
        first = fy.month_start(quarter_months(int(quarter))[-1])
        year, month = first.year, first.month
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_before(day: date) -> str:
    fy, quarter = FinancialYear.containing(day), int(quarter_of(day)[1])
    return f"{fy} Q{quarter - 1}" if quarter > 1 else f"{FinancialYear(fy.start_year - 1)} Q4"


@sqlite_only
def test_a_dataset_return_asks_only_for_periods_that_have_ended(partnership_qaf: Qaf, tmp_path: Path, partnership: Framework) -> None:
    """A dataset return covers the quarter before the one its window opens in (the
    DatasetType's rule): never a month, quarter or year still running when it opens."""
    year = FinancialYear(partnership.document.section11.year_one)
    plan_years(partnership_qaf, [year.start_year], year.start - timedelta(days=1))
    datasets = [rt for rt in partnership.document.returns.values() if rt.kind == "dataset"]
    assert datasets, "the file has a dataset return"
    for rt in datasets:
        quarterly = {key for key, m in rt.measures.items() if m.period == "quarter"}
        for o in plan_financial_year(partnership, year):
            if o.activity not in rt.activities:
                continue
            agency = next(a.key for a in o.assignees if a.kind == "agency" and dataset_rows_expected(rt, a.key, partnership.agencies[a.key].type, o.start))
            output = tmp_path / f"{o.key.replace('/', '_')}.json"
            code, _, err = partnership_qaf("returns", "template", task_reference(o.key, agency), "--format", "json", "--output", str(output))
            assert code == 0, err
            rows = json.loads(output.read_text())["values"]
            running = sorted({r["period"] for r in rows if _period_end(r["period"]) >= o.start})
            assert not running, f"the return opening {o.start} asks for {running}, not yet ended"
            assert {r["period"] for r in rows if r["measure"] in quarterly} <= {_quarter_before(o.start)}
