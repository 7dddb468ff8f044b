"""A run's copies of a return template (``TemplateWorkbooks``) hold, cell by cell, what
the workbook built afresh for the same task holds, for every return type and every
agency of each shipped partnership; and the run builds each distinct workbook once.

Both are read back with openpyxl: every sheet's state and protection, every cell's value,
number format, fill, font and lock, the drop-downs and number checks, the frozen panes,
the column widths and the workbook's locked structure.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import openpyxl
import pytest

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.returns.templates import about_rows, prefilled_rows, template_xlsx
from qaframework.returns.validation import ReturnTask, task_reference
from qaframework.returns.workbook_copies import TemplateWorkbooks
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import partnership  # noqa: F401 - the fixture


def _contents(data: bytes) -> dict[str, Any]:
    """What a reader of the workbook sees, as plain data."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheets: dict[str, Any] = {}
    for sheet in book.worksheets:
        cells = [
            (c.coordinate, c.value, c.number_format, c.fill.fgColor.rgb if c.fill.fill_type else None, c.font.b, c.font.i,
             c.protection.locked, c.alignment.wrap_text)
            for row in sheet.iter_rows() for c in row
        ]
        validations = sorted((v.type, v.operator, v.formula1, v.formula2, str(v.sqref), v.prompt, v.error) for v in sheet.data_validations.dataValidation)
        widths = {k: d.width for k, d in sheet.column_dimensions.items()}
        sheets[sheet.title] = {
            "state": sheet.sheet_state, "protected": sheet.protection.sheet, "frozen": sheet.freeze_panes,
            "cells": cells, "validations": validations, "widths": widths,
        }
    return {"order": book.sheetnames, "structure_locked": bool(book.security and book.security.lockStructure), "sheets": sheets}


def _tasks(framework: Framework) -> list[tuple[str, ReturnTask, str, str]]:
    """(return type, task, agency type, agency name) of every agency task that takes a
    return, in 2027/28, 2028/29 and the Section 11 cycle's years."""
    cycle = framework.document.section11
    found = []
    for year in sorted({2027, 2028} | set(range(cycle.year_one, cycle.year_one + cycle.years))):
        for o in plan_financial_year(framework, FinancialYear(year)):
            match = framework.return_type_for(o.activity)
            if match is None:
                continue
            for a in o.assignees:
                agency = framework.agencies.get(a.key)
                if a.kind == "agency" and agency is not None:
                    task = ReturnTask(1, task_reference(o.key, a.key), a.key, o.activity, o.title, o.financial_year, o.period, o.start, o.due, "open")
                    found.append((match[0], task, agency.type, agency.name))
    return found


def test_every_copy_holds_what_the_workbook_built_for_its_task_holds(partnership: Framework) -> None:  # noqa: F811
    tasks = _tasks(partnership)
    assert {rt for rt, *_ in tasks} == set(partnership.document.returns), "every return type is tried"
    books = TemplateWorkbooks()
    compared = 0
    for rt_key, task, agency_type, agency_name in tasks[::7] + tasks[-3:]:
        rt = partnership.document.returns[rt_key]
        copy = template_xlsx(rt_key, rt, task, agency_type, agency_name, books)
        assert _contents(copy) == _contents(template_xlsx(rt_key, rt, task, agency_type, agency_name)), task.reference
        compared += 1
    distinct = {
        json.dumps([rt_key, [f for f, _ in about_rows(rt_key, partnership.document.returns[rt_key], task, name, explained=True)],
                    prefilled_rows(partnership.document.returns[rt_key], task, agency_type)], sort_keys=True, default=str)
        for rt_key, task, agency_type, name in tasks[::7] + tasks[-3:]
    }
    assert len(books) == len(distinct) < compared  # each distinct workbook built once, the rest copies


@pytest.mark.parametrize("agency_name", ["Fish & Chips <Ltd> \"Quoted\" 'too'", "  Leading and trailing spaces  ", "Ünïcödé café — ÆØÅ 日本"])
def test_a_copy_writes_any_text_as_openpyxl_would(partnership: Framework, agency_name: str) -> None:  # noqa: F811
    rt_key, task, agency_type, _ = _tasks(partnership)[0]
    rt = partnership.document.returns[rt_key]
    books = TemplateWorkbooks()
    template_xlsx(rt_key, rt, task, agency_type, "Someone else", books)  # built for another agency first
    copy = _contents(template_xlsx(rt_key, rt, task, agency_type, agency_name, books))
    assert len(books) == 1
    assert copy == _contents(template_xlsx(rt_key, rt, task, agency_type, agency_name))
    about = {row[1]: row for row in copy["sheets"]["About"]["cells"]}
    assert agency_name in about


def test_a_task_with_no_due_date_has_an_empty_due_cell_in_its_copy(partnership: Framework) -> None:  # noqa: F811
    rt_key, task, agency_type, agency_name = _tasks(partnership)[0]
    rt = partnership.document.returns[rt_key]
    books = TemplateWorkbooks()
    template_xlsx(rt_key, rt, task, agency_type, agency_name, books)
    undated = replace(task, due=None)
    copy = template_xlsx(rt_key, rt, undated, agency_type, agency_name, books)
    assert _contents(copy) == _contents(template_xlsx(rt_key, rt, undated, agency_type, agency_name))
    about = openpyxl.load_workbook(io.BytesIO(copy))["About"]
    due = [row for row in about.iter_rows(values_only=True) if row[0] == "due"]
    assert due == [("due", None)]


def test_a_text_a_worksheet_cannot_hold_is_refused_in_a_copy_as_in_a_new_workbook(partnership: Framework) -> None:  # noqa: F811
    from openpyxl.utils.exceptions import IllegalCharacterError

    rt_key, task, agency_type, _ = _tasks(partnership)[0]
    rt = partnership.document.returns[rt_key]
    books = TemplateWorkbooks()
    template_xlsx(rt_key, rt, task, agency_type, "Fine", books)
    with pytest.raises(IllegalCharacterError):
        template_xlsx(rt_key, rt, task, agency_type, "Bell\x07", books)
    with pytest.raises(IllegalCharacterError):
        template_xlsx(rt_key, rt, task, agency_type, "Bell\x07")
