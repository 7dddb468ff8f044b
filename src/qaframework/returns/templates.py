"""Writing the template a named contact fills in for one task: .xlsx, .csv or .json.

The template is pre-filled with what the partnership already knows: the About sheet
(return type, task and agency, which the importer reads back, and what its periods
mean), and the rows to answer (every Section 11 standard, every survey theme, every
dataset measure and period the agency owes). The .xlsx itself is written by
:mod:`qaframework.returns.workbook` (drop-downs, number checks, protected keys).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from qaframework.financial_year import FinancialYear, quarter_months
from qaframework.framework.return_types import ReturnType
from qaframework.returns.layout import ABOUT_SHEET, LAYOUTS
from qaframework.returns.validation import ReturnTask, covered_quarter, dataset_rows_expected
from qaframework.returns.workbook_copies import TemplateWorkbooks


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


def about_rows(rt_key: str, rt: ReturnType, task: ReturnTask, agency_name: str, *, explained: bool = False) -> list[tuple[str, str]]:
    """The About sheet: what identifies the return (read back on import), then what the
    reader needs to know; ``explained`` adds, after the period, what the periods mean in
    words (the workbook's About sheet has them; the .csv keeps its rows as they were)."""
    rows = [
        ("return_type", rt_key),
        ("task", task.reference),
        ("agency", task.agency_key),
        ("agency_name", agency_name),
        ("activity", task.title),
        ("period", task.period_label),
    ]
    if explained:
        rows.append(("period_explained", period_explained(task)))
        if rt.kind == "dataset":
            rows.append(("rows_period", rows_period_explained(task.window_start)))
    rows += [
        ("due", task.due.isoformat() if task.due else ""),
        ("guidance", " ".join(rt.guidance.split())),
    ]
    return rows


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _months(fy: FinancialYear, quarter: int) -> str:
    first, *_, last = (fy.month_start(m) for m in quarter_months(quarter))
    return f"{first:%B} to {last:%B %Y}"


def period_explained(task: ReturnTask) -> str:
    """What the About sheet's period means: when the task falls, not what it reports on.

    >>> from qaframework.returns.validation import ReturnTask
    >>> task = ReturnTask(1, "r/2027-04/a", "a", "r", "Return", 2027, "Q1", date(2027, 4, 1), date(2027, 4, 30), "open")
    >>> period_explained(task)  # doctest: +NORMALIZE_WHITESPACE
    '2027/28 Q1 is when this task falls: the quarter its window opens in (April to June 2027).
     The window opened on Thursday 1 April 2027 and the return is due by Friday 30 April 2027.'
    """
    fy = FinancialYear(task.financial_year)
    quarter = task.period[1:] if task.period and task.period[:1] == "Q" and task.period[1:] in ("1", "2", "3", "4") else None
    if quarter:
        when = f"{task.period_label} is when this task falls: the quarter its window opens in ({_months(fy, int(quarter))})."
    else:
        when = f"{task.period_label} is when this task falls: the financial year its window opens in (April {fy.start_year} to March {fy.start_year + 1})."
    due = f" and the return is due by {_long(task.due)}" if task.due else ""
    return f"{when} The window opened on {_long(task.window_start)}{due}."


def rows_period_explained(window_start: date) -> str:
    """What a dataset return's rows report on: the last whole quarter before its window.

    >>> rows_period_explained(date(2027, 4, 1))  # doctest: +NORMALIZE_WHITESPACE
    "Each row's period is what its value is for: 2026/27 Q4 (January to March 2027), the last whole
     quarter before this return's window opened. Monthly measures have a row for each month
     (2027-01, 2027-02, 2027-03), quarterly measures one for 2026/27 Q4, and yearly measures one
     for 2026/27, the year that ended."
    """
    fy, quarter = covered_quarter(window_start)
    months = ", ".join(f"{fy.month_start(m):%Y-%m}" for m in quarter_months(quarter))
    yearly = f", and yearly measures one for {fy}, the year that ended" if quarter == 4 else " (yearly measures come after the year's last quarter)"
    return (f"Each row's period is what its value is for: {fy} Q{quarter} ({_months(fy, quarter)}), the last whole quarter before "
            f"this return's window opened. Monthly measures have a row for each month ({months}), quarterly measures one "
            f"for {fy} Q{quarter}{yearly}.")


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


def template_xlsx(rt_key: str, rt: ReturnType, task: ReturnTask, agency_type: str, agency_name: str,
                  books: TemplateWorkbooks | None = None) -> bytes:
    """The workbook ``qaf returns template`` writes and reminders attach; ``books`` (a
    run's :class:`~qaframework.returns.workbook_copies.TemplateWorkbooks`) makes it a copy
    of a workbook with the same rows built earlier in the run."""
    about, rows = about_rows(rt_key, rt, task, agency_name, explained=True), prefilled_rows(rt, task, agency_type)
    if books is not None:
        return books.xlsx(rt_key, rt, about, rows)
    from qaframework.returns.workbook import workbook_bytes

    return workbook_bytes(rt, about, rows)


def template_filename(reference: str, fmt: str = "xlsx") -> str:
    """The file name a task's template is given: its reference, made safe for any disk.

    >>> template_filename("dataset-return/2027-07/somerset-csc")
    'dataset-return_2027-07_somerset-csc.xlsx'
    """
    return re.sub(r"[^A-Za-z0-9-]+", "_", reference) + f".{fmt}"
