"""The .xlsx return template of every return type of each shipped partnership, read with
openpyxl: a drop-down on every column answered from a list, number checks on counts and
dataset values, protected sheets with the answer cells unlocked, and an About sheet that
says in words what its period and the rows' period mean.

The expected lists come from each return type's own definition in the framework file.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import S11_RATINGS, SCHOOL_COMPLIANCE, ReturnType
from qaframework.returns.templates import template_xlsx
from qaframework.returns.validation import ReturnTask, dataset_rows_expected, task_reference
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import partnership  # noqa: F401 - the fixture

#: How far down a table partners add rows to is checked.
FREE_ROWS = 1000


def _task(partnership: Framework, rt: ReturnType, quarter: str | None = None) -> tuple[ReturnTask, str, str]:
    """The first task from 2027/28 on, else of the Section 11 cycle's years (in ``quarter``,
    when given), that takes ``rt`` from an agency owing rows; with the agency's type and name."""
    cycle = partnership.document.section11
    for year in sorted({2027, 2028} | set(range(cycle.year_one, cycle.year_one + cycle.years)), key=lambda y: (y < 2027, y)):
        for o in plan_financial_year(partnership, FinancialYear(year)):
            if o.activity not in rt.activities or (quarter and o.period != quarter):
                continue
            for a in o.assignees:
                agency = partnership.agencies.get(a.key)
                if a.kind != "agency" or agency is None:
                    continue
                if rt.kind == "dataset" and not dataset_rows_expected(rt, a.key, agency.type, o.start):
                    continue
                task = ReturnTask(1, task_reference(o.key, a.key), a.key, o.activity, o.title, o.financial_year, o.period, o.start, o.due, "open")
                return task, agency.type, agency.name
    raise AssertionError(f"no task takes {rt.title}")


def _book(partnership: Framework, rt_key: str, quarter: str | None = None) -> tuple[Any, ReturnTask, ReturnType]:
    rt = partnership.document.returns[rt_key]
    task, agency_type, agency_name = _task(partnership, rt, quarter)
    return openpyxl.load_workbook(io.BytesIO(template_xlsx(rt_key, rt, task, agency_type, agency_name))), task, rt


def _return_types(partnership: Framework) -> list[str]:
    return list(partnership.document.returns)


def _headers(sheet: Any) -> dict[str, str]:
    """Header -> column letter."""
    return {c.value: c.column_letter for c in sheet[1] if c.value}


def _expected_lists(rt: ReturnType, rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """(sheet, header) -> the list its drop-down must offer, from the return type's definition."""
    if rt.kind == "s11-self-assessment":
        domains = list(rt.domains)
        standards = [s for d in rt.domains.values() for s in d.standards]
        return {("Ratings", "Domain"): domains, ("Ratings", "Standard"): standards, ("Ratings", "Rating"): list(S11_RATINGS),
                ("Actions", "Domain"): domains, ("Actions", "Standard"): standards}
    if rt.kind == "survey-results":
        return {("Results", "Theme"): list(rt.themes)}
    if rt.kind == "school-audit":
        return {("Schools", "Standard"): list(rt.standards), ("Schools", "Compliance"): list(SCHOOL_COMPLIANCE)}
    if rt.kind == "case-audit":
        return {("Grades", "Domain"): list(rt.domains), ("Grades", "Grade"): list(rt.grades)}
    assert rt.kind == "dataset"
    return {("Values", "Measure"): list(dict.fromkeys(r["Measure"] for r in rows)), ("Values", "Period"): list(dict.fromkeys(r["Period"] for r in rows))}


def _rows(sheet: Any) -> list[dict[str, Any]]:
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]


def _list_values(book: Any, formula: str) -> list[str]:
    sheet_name, _, cells = formula.lstrip("=").partition("!")
    low_col, low_row, high_col, high_row = range_boundaries(cells.replace("$", ""))
    sheet = book[sheet_name]
    return [sheet.cell(row=r, column=low_col).value for r in range(low_row, high_row + 1)]


@pytest.mark.parametrize("index", range(5), ids=["first", "second", "third", "fourth", "fifth"])
def test_every_list_column_has_its_drop_down_and_numbers_are_checked(partnership: Framework, index: int) -> None:
    rt_key = _return_types(partnership)[index]
    book, task, rt = _book(partnership, rt_key)
    table_sheets = [n for n in book.sheetnames if n not in ("About", "Lists")]
    found: dict[tuple[str, str], list[str]] = {}
    expected: dict[tuple[str, str], list[str]] = {}
    for name in table_sheets:
        sheet = book[name]
        rows = _rows(sheet)
        expected |= {k: v for k, v in _expected_lists(rt, rows).items() if k[0] == name}
        letters = {letter: header for header, letter in _headers(sheet).items()}
        last = len(rows) + 1 if rows else FREE_ROWS + 1
        for v in sheet.data_validations.dataValidation:
            if v.type != "list":
                continue
            (cells,) = str(v.sqref).split()
            first, _, end = cells.partition(":")
            assert (first[0], first[1:], end) == (end[0], "2", f"{end[0]}{last}"), (name, cells)
            assert v.showErrorMessage and v.allow_blank
            found[(name, letters[first[0]])] = _list_values(book, v.formula1)
    assert found == expected

    numbers: dict[tuple[str, str], tuple[str, str | None, str, str | None]] = {}
    for name in table_sheets:
        for v in book[name].data_validations.dataValidation:
            if v.type != "list":
                assert v.showErrorMessage and v.allow_blank
                numbers |= {(name, cell): (v.type, v.operator, v.formula1, v.formula2) for cell in str(v.sqref).split()}
    if rt.kind == "survey-results":
        headers, rows = _headers(book["Results"]), _rows(book["Results"])
        assert numbers == {("Results", f"{headers[h]}{n}"): ("whole", "between", "0", "1000000")
                           for h in ("Respondents", "Positive") for n in range(2, len(rows) + 2)}
    elif rt.kind == "dataset":
        value, rows = _headers(book["Values"])["Value"], _rows(book["Values"])
        rule = {"percent": ("decimal", "between", "0", "100"), "count": ("whole", "greaterThanOrEqual", "0", None),
                "days": ("decimal", "greaterThanOrEqual", "0", None), "rate-per-10000": ("decimal", "greaterThanOrEqual", "0", None)}
        assert rows and numbers == {("Values", f"{value}{n}"): rule[r["Unit"]] for n, r in enumerate(rows, start=2)}
        assert {r["Unit"] for r in rows} >= {"percent", "count"}, "both limits are tried"
    else:
        assert numbers == {}


@pytest.mark.parametrize("index", range(5), ids=["first", "second", "third", "fourth", "fifth"])
def test_keys_are_protected_and_answers_open(partnership: Framework, index: int) -> None:
    book, task, rt = _book(partnership, _return_types(partnership)[index])
    assert book.security is not None and book.security.lockStructure and not book.security.workbookPassword
    assert book["Lists"].sheet_state == "hidden"
    for sheet in book.worksheets:
        assert sheet.protection.sheet and sheet.protection.password is None, sheet.title
        assert not sheet.protection.formatColumns, "columns may still be widened"
    about = book["About"]
    assert all(c.protection.locked for row in about.iter_rows() for c in row if c.value is not None)
    for name in book.sheetnames:
        if name in ("About", "Lists"):
            continue
        sheet = book[name]
        assert all(c.protection.locked for c in sheet[1]), "the header row is locked"
        rows = list(sheet.iter_rows(min_row=2))
        headers = [c.value for c in sheet[1]]
        if not rows:  # a table partners add rows to: every column is open
            for cell in sheet[1]:
                assert sheet.column_dimensions[cell.column_letter].protection.locked is False, (name, cell.value)
            continue
        filled = {h for row in rows for h, c in zip(headers, row) if c.value is not None}
        for row in rows:
            for header, cell in zip(headers, row):
                if header in filled:  # a key (or a shown wording) the template filled in
                    assert cell.protection.locked and cell.fill.fgColor.rgb == "FFE7E6E6", (name, header)
                else:
                    assert cell.protection.locked is False, (name, header, cell.coordinate)
                    assert sheet.column_dimensions[cell.column_letter].protection.locked is False
        assert filled and len(filled) < len(headers)


def test_the_about_sheet_explains_its_period_and_the_rows_period(partnership: Framework) -> None:
    rt_key = next(k for k, rt in partnership.document.returns.items() if rt.kind == "dataset")
    book, task, rt = _book(partnership, rt_key, quarter="Q1")
    about = {r[0]: r[1] for r in book["About"].iter_rows(min_row=2, values_only=True)}
    assert task.window_start.year == 2027 and task.due is not None and about["period"] == "2027/28 Q1"
    opened, due = task.window_start, task.due
    assert about["period_explained"] == (
        "2027/28 Q1 is when this task falls: the quarter its window opens in (April to June 2027). "
        f"The window opened on {opened:%A} {opened.day} {opened:%B %Y} and the return is due by {due:%A} {due.day} {due:%B %Y}.")
    assert about["rows_period"] == (
        "Each row's period is what its value is for: 2026/27 Q4 (January to March 2027), the last whole quarter before "
        "this return's window opened. Monthly measures have a row for each month (2027-01, 2027-02, 2027-03), quarterly "
        "measures one for 2026/27 Q4, and yearly measures one for 2026/27, the year that ended.")
    periods = {r["Period"] for r in _rows(book["Values"])}
    assert periods and periods <= {"2027-01", "2027-02", "2027-03", "2026/27 Q4", "2026/27"}, "the rows are what the sheet says"
    # The other return types explain their period too, and carry no rows' period.
    for key, other in partnership.document.returns.items():
        if other.kind != "dataset":
            sheet = _book(partnership, key)[0]["About"]
            fields = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
            assert fields["period_explained"].startswith(f"{fields['period']} is when this task falls: ") and "rows_period" not in fields


def test_a_second_quarter_return_reports_the_first_quarter(partnership: Framework) -> None:
    rt_key = next(k for k, rt in partnership.document.returns.items() if rt.kind == "dataset")
    book, task, _ = _book(partnership, rt_key, quarter="Q2")
    about = {r[0]: r[1] for r in book["About"].iter_rows(min_row=2, values_only=True)}
    assert task.window_start >= date(2027, 7, 1)
    assert about["rows_period"].startswith("Each row's period is what its value is for: 2027/28 Q1 (April to June 2027), ")
    assert "(2027-04, 2027-05, 2027-06)" in about["rows_period"] and "yearly measures come after the year's last quarter" in about["rows_period"]
