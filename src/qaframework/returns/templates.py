"""Writing the template a named contact fills in for one task: .xlsx, .csv or .json.

The template is pre-filled with what the partnership already knows: the About sheet
(return type, task and agency, which the importer reads back), and the rows to answer
(every Section 11 standard, every survey theme, every dataset measure and period the
agency owes). Choice columns carry drop-down lists in the .xlsx.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from qaframework.framework.return_types import S11_RATINGS, SCHOOL_COMPLIANCE, ReturnType
from qaframework.returns.layout import ABOUT_SHEET, LAYOUTS, TableSpec
from qaframework.returns.validation import ReturnTask, dataset_rows_expected


def prefilled_rows(rt: ReturnType, task: ReturnTask, agency_type: str) -> dict[str, list[dict[str, Any]]]:
    """The rows a template starts with, by table field."""
    if rt.kind == "s11-self-assessment":
        return {"ratings": [{"domain": d, "standard": s, "wording": text} for d, domain in rt.domains.items() for s, text in domain.standards.items()]}
    if rt.kind == "survey-results":
        return {"results": [{"theme": k, "theme_name": name} for k, name in rt.themes.items()]}
    if rt.kind == "dataset":
        return {"values": [
            {"measure": m, "measure_name": rt.measures[m].name, "unit": rt.measures[m].unit, "period": p}
            for m, p in dataset_rows_expected(rt, task.agency_key, agency_type, task.window_start)
        ]}
    return {}


def about_rows(rt_key: str, rt: ReturnType, task: ReturnTask, agency_name: str) -> list[tuple[str, str]]:
    return [
        ("return_type", rt_key),
        ("task", task.reference),
        ("agency", task.agency_key),
        ("agency_name", agency_name),
        ("activity", task.title),
        ("period", task.period_label),
        ("due", task.due.isoformat() if task.due else ""),
        ("guidance", " ".join(rt.guidance.split())),
    ]


def _choices(rt: ReturnType, field: str) -> list[str] | None:
    if field == "rating" and rt.kind == "s11-self-assessment":
        return list(S11_RATINGS)
    if field == "compliance":
        return list(SCHOOL_COMPLIANCE)
    if field == "grade" and rt.kind == "case-audit":
        return list(rt.grades)
    return None


def template_json(rt_key: str, rt: ReturnType, task: ReturnTask, agency_type: str) -> bytes:
    rows = prefilled_rows(rt, task, agency_type)
    body: dict[str, Any] = {"return_type": rt_key, "task": task.reference, "agency": task.agency_key}
    for spec in LAYOUTS[rt.kind]:
        body[spec.field] = [{k: v for k, v in r.items() if k in {c.field for c in spec.data_columns()}} for r in rows.get(spec.field, [])]
    return (json.dumps(body, indent=2) + "\n").encode()


def template_csv(rt_key: str, rt: ReturnType, task: ReturnTask, agency_type: str, agency_name: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"[{ABOUT_SHEET}]"])
    writer.writerow(["field", "value"])
    writer.writerows(about_rows(rt_key, rt, task, agency_name))
    rows = prefilled_rows(rt, task, agency_type)
    for spec in LAYOUTS[rt.kind]:
        writer.writerow([])
        writer.writerow([f"[{spec.sheet}]"])
        writer.writerow([c.header for c in spec.columns])
        for r in rows.get(spec.field, []):
            writer.writerow([r.get(c.field, "") for c in spec.columns])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(rt_key: str, rt: ReturnType, task: ReturnTask, agency_type: str, agency_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    about = book.active
    about.title = ABOUT_SHEET
    about.append(["field", "value"])
    for row in about_rows(rt_key, rt, task, agency_name):
        about.append(list(row))
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 90
    about["A1"].font = about["B1"].font = Font(bold=True)
    rows = prefilled_rows(rt, task, agency_type)
    for spec in LAYOUTS[rt.kind]:
        _table_sheet(book.create_sheet(spec.sheet), spec, rt, rows.get(spec.field, []), Font, get_column_letter, DataValidation)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table_sheet(sheet: Any, spec: TableSpec, rt: ReturnType, rows: list[dict[str, Any]], Font: Any, letter: Any, DataValidation: Any) -> None:
    sheet.append([c.header for c in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True, italic=False)
    for r in rows:
        sheet.append([r.get(c.field) for c in spec.columns])
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[letter(index)].width = 50 if column.field in ("wording", "evidence", "findings", "action", "theme", "measure_name") else 18
        if column.info:
            sheet.cell(row=1, column=index).font = Font(bold=True, italic=True)
        if column.field in ("period", "case_number", "school_urn"):
            # Text, so that Excel does not turn 2027-04 into a date or drop an URN's zeros.
            sheet.column_dimensions[letter(index)].number_format = "@"
            for row in range(2, sheet.max_row + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        choices = _choices(rt, column.field)
        if choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                        error=f"Choose one of: {', '.join(choices)}", errorTitle="Not a valid choice", showErrorMessage=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter(index)}2:{letter(index)}1000")
    sheet.freeze_panes = "A2"

