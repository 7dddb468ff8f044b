"""The .xlsx return template: the About sheet, one sheet per table, and what Excel checks.

- Every column whose answer is one of a list (a rating, a grade, a domain, a standard, a
  theme, a measure, a period) has a drop-down; the lists are on a hidden, protected
  ``Lists`` sheet (an inline list is limited to 255 characters, too few for a
  framework's standards).
- Numbers are checked as they are typed: survey counts are whole numbers of 0 or more;
  a dataset value is a number of 0 or more (a whole number for a count, at most 100
  for a percentage), as the importer will require.
- Every sheet is protected without a password: the About sheet and the header rows
  cannot be changed, nor the pre-filled keys of a row (the standard, the measure, its
  period); the answer cells are unlocked, and so are whole columns of the tables a
  partner adds rows to. Protection guards against slips, not against a determined
  user: the importer checks everything again. The workbook's structure is locked too
  (no sheet renamed or deleted), also without a password.
"""

from __future__ import annotations

import io
from typing import Any

from qaframework.framework.return_types import (
    S11_RATINGS, SCHOOL_COMPLIANCE, CaseAuditType, DatasetType, ReturnType, S11SelfAssessmentType, SchoolAuditType, SurveyResultsType,
)
from qaframework.returns.layout import ABOUT_SHEET, LAYOUTS, TableSpec

#: The hidden sheet the drop-down lists are read from.
LISTS_SHEET = "Lists"
#: How far down the checks of a table partners add rows to reach.
CHECKED_ROWS = 1000
#: The widest survey count accepted (as the importer's).
MAX_COUNT = 1_000_000
#: The grey of the cells the template filled in (locked).
FIXED_FILL_COLOUR = "FFE7E6E6"
_WIDE = ("wording", "evidence", "findings", "action", "theme", "measure_name")
_TEXT = ("period", "case_number", "school_urn")


def column_choices(rt: ReturnType, table: str, field: str, rows: list[dict[str, Any]]) -> list[str] | None:
    """The values a column's drop-down offers, or None for a column of free answers."""
    if isinstance(rt, S11SelfAssessmentType):
        if field == "rating":
            return list(S11_RATINGS)
        if field == "domain":
            return list(rt.domains)
        if field == "standard":
            return list(dict.fromkeys(s for d in rt.domains.values() for s in d.standards))
    elif isinstance(rt, SurveyResultsType) and field == "theme":
        return list(rt.themes)
    elif isinstance(rt, SchoolAuditType):
        if field == "compliance":
            return list(SCHOOL_COMPLIANCE)
        if field == "standard":
            return list(rt.standards)
    elif isinstance(rt, CaseAuditType) and table == "grades":
        if field == "domain":
            return list(rt.domains)
        if field == "grade":
            return list(rt.grades)
    elif isinstance(rt, DatasetType) and field in ("measure", "period"):
        return list(dict.fromkeys(str(r[field]) for r in rows)) or None
    return None


def number_rules(rt: ReturnType, field: str, row: dict[str, Any]) -> tuple[str, str, float, float | None] | None:
    """(type, operator, minimum, maximum) of a number cell, or None: whole numbers for
    counts, decimals otherwise; at most 100 for a percentage."""
    if isinstance(rt, SurveyResultsType) and field in ("respondents", "positive"):
        return "whole", "between", 0, MAX_COUNT
    if isinstance(rt, DatasetType) and field == "value":
        unit = row.get("unit")
        if unit == "percent":
            return "decimal", "between", 0, 100
        return ("whole" if unit == "count" else "decimal"), "greaterThanOrEqual", 0, None
    return None


def _fixed_fill() -> Any:
    from openpyxl.styles import PatternFill

    return PatternFill(fill_type="solid", start_color=FIXED_FILL_COLOUR, end_color=FIXED_FILL_COLOUR)


def workbook_bytes(rt: ReturnType, about: list[tuple[str, str]], rows: dict[str, list[dict[str, Any]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.workbook.protection import WorkbookProtection

    book = Workbook()
    sheet = book.active
    sheet.title = ABOUT_SHEET
    sheet.append(["field", "value"])
    for row in about:
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 100
    sheet["A1"].font = sheet["B1"].font = Font(bold=True)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _protect(sheet)
    lists = _Lists(book.create_sheet(LISTS_SHEET))
    for spec in LAYOUTS[rt.kind]:
        _table_sheet(book.create_sheet(spec.sheet), spec, rt, rows.get(spec.field, []), lists)
    lists.sheet.sheet_state = "hidden"
    _protect(lists.sheet)
    book.move_sheet(LISTS_SHEET, offset=len(book.sheetnames))
    book.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _Lists:
    """One column of the Lists sheet per distinct list, headed by its name."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self._columns: dict[tuple[str, ...], str] = {}

    def formula(self, name: str, values: list[str]) -> str:
        from openpyxl.utils import get_column_letter

        key = tuple(values)
        if key not in self._columns:
            index = len(self._columns) + 1
            letter = get_column_letter(index)
            self.sheet.cell(row=1, column=index, value=name)
            for row, value in enumerate(values, start=2):
                self.sheet.cell(row=row, column=index, value=value).number_format = "@"
            self._columns[key] = letter
        letter = self._columns[key]
        return f"={LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"


def _protect(sheet: Any) -> None:
    """Protected without a password; columns and rows may still be resized."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _table_sheet(sheet: Any, spec: TableSpec, rt: ReturnType, rows: list[dict[str, Any]], lists: _Lists) -> None:
    from openpyxl.styles import Font, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.append([c.header for c in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True, italic=False)
    for r in rows:
        sheet.append([r.get(c.field) for c in spec.columns])
    fixed = {f for r in rows for f in r}  # what the template filled in: the row's keys
    last = len(rows) + 1 if rows else CHECKED_ROWS + 1
    open_cell = Protection(locked=False)
    grey = _fixed_fill()
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = 50 if column.field in _WIDE else 18
        if column.info:
            sheet.cell(row=1, column=index).font = Font(bold=True, italic=True)
        if column.field in _TEXT:
            # Text, so that Excel does not turn 2027-04 into a date or drop an URN's zeros.
            dimension.number_format = "@"
            for row in range(2, len(rows) + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.field not in fixed and not column.info:
            dimension.protection = open_cell
            for row in range(2, len(rows) + 2):
                sheet.cell(row=row, column=index).protection = open_cell
        else:  # filled in by the template and locked: shown grey
            for row in range(2, len(rows) + 2):
                sheet.cell(row=row, column=index).fill = grey
        choices = column_choices(rt, spec.field, column.field, rows)
        if choices:
            validation = DataValidation(type="list", formula1=lists.formula(f"{spec.sheet} {column.header}", choices), allow_blank=True,
                                        showErrorMessage=True, errorTitle="Not a valid choice", error="Choose from the list",
                                        showInputMessage=True, prompt=column.help)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{last}")
        _number_checks(sheet, rt, column.field, letter, rows, DataValidation)
    sheet.freeze_panes = "A2"
    _protect(sheet)


def _number_checks(sheet: Any, rt: ReturnType, field: str, letter: str, rows: list[dict[str, Any]], DataValidation: Any) -> None:  # noqa: N803
    """One validation per kind of number in the column, over the rows that take it."""
    cells: dict[tuple[str, str, float, float | None], list[str]] = {}
    for number, row in enumerate(rows, start=2):
        rule = number_rules(rt, field, row)
        if rule:
            cells.setdefault(rule, []).append(f"{letter}{number}")
    for (kind, operator, low, high), where in cells.items():
        what = "a whole number" if kind == "whole" else "a number"
        limit = f" from {_number(low)} to {_number(high)}" if high is not None else f", {_number(low)} or more"
        validation = DataValidation(type=kind, operator=operator, formula1=_number(low), formula2=None if high is None else _number(high),
                                    allow_blank=True, showErrorMessage=True, errorTitle="Not a valid number",
                                    error=f"Expected {what}{limit}", showInputMessage=True, prompt=f"{what}{limit}")
        sheet.add_data_validation(validation)
        for cell in where:
            validation.add(cell)


def _number(value: float) -> str:
    """A limit as Excel reads it: 1000000, not 1e+06.

    >>> _number(1_000_000), _number(0), _number(12.5)
    ('1000000', '0', '12.5')
    """
    return str(int(value)) if float(value).is_integer() else repr(float(value))
