"""The values of the partnership's dataset, as the record holds them: for each agency
task of a dataset return, the rows of its latest *accepted* version only.

A corrected return replaces what the earlier version said (the earlier stays in the
record, but no longer counts); a rejected return never counts; a cancelled task's
return does not either, as on the returns dashboard. One query reads every value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlmodel import Session

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import DatasetType
from qaframework.persistence.tables import ReturnSubmission, Task


@dataclass(frozen=True)
class MeasureValue:
    """One accepted dataset value: a measure, the agency that gave it, the period it is
    for, and the value (None where the return left it blank).

    ``period`` is as the return gave it: a month ("2027-05"), a quarter ("2027/28 Q1")
    or a year ("2027/28"). ``financial_year`` is the year it falls in (by its starting
    year) and ``quarter`` the financial quarter (1-4), None for a yearly value.
    """

    return_type: str
    measure: str
    agency: str
    financial_year: int
    quarter: int | None
    period: str
    value: float | int | None


def period_parts(period: str) -> tuple[int, int | None] | None:
    """The financial year and quarter of a dataset period, or None if it is not one.

    >>> period_parts("2027/28 Q4"), period_parts("2028-02"), period_parts("2027/28"), period_parts("2027-04")
    ((2027, 4), (2027, 4), (2027, None), (2027, 1))
    >>> period_parts("next year") is None
    True
    """
    text = period.strip()
    try:
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            if not 1 <= month <= 12:
                return None
            start = year if month >= 4 else year - 1
            return start, ((month - 4) % 12) // 3 + 1
        year_text, _, quarter = text.partition(" Q")
        fy = FinancialYear.parse(year_text)
        if not quarter:
            return fy.start_year, None
        number = int(quarter)
        return (fy.start_year, number) if 1 <= number <= 4 else None
    except ValueError:
        return None


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def dataset_values(*, session: Session, framework: Framework) -> list[MeasureValue]:
    """Every value of the latest accepted version of each dataset return, ordered by
    measure, period and agency. Rows of a measure or period the framework no longer
    knows are left out (a return type edited since the return came in)."""
    datasets = {k: rt for k, rt in framework.document.returns.items() if isinstance(rt, DatasetType)}
    if not datasets:
        return []
    accepted = and_(ReturnSubmission.status == "accepted", ReturnSubmission.return_type.in_(list(datasets)))  # type: ignore[union-attr]
    latest = (
        select(ReturnSubmission.task_id, func.max(ReturnSubmission.version).label("version"))
        .where(accepted, ReturnSubmission.task_id.is_not(None))  # type: ignore[union-attr]
        .group_by(ReturnSubmission.task_id)
        .subquery()
    )
    statement = (
        select(ReturnSubmission.return_type, Task.assignee_key, ReturnSubmission.payload)
        .join(latest, and_(ReturnSubmission.task_id == latest.c.task_id, ReturnSubmission.version == latest.c.version))
        .join(Task, Task.id == ReturnSubmission.task_id)  # type: ignore[arg-type]
        .where(accepted, Task.status != "cancelled")
    )
    values: list[MeasureValue] = []
    for rt_key, agency, payload in session.execute(statement).all():
        rt = datasets[rt_key]
        for row in json.loads(payload or "{}").get("values", []):
            measure, period = row.get("measure"), str(row.get("period") or "")
            parts = period_parts(period)
            if measure not in rt.measures or parts is None:
                continue
            values.append(MeasureValue(rt_key, measure, agency, parts[0], parts[1], period, _number(row.get("value"))))
    return sorted(values, key=lambda v: (v.return_type, v.measure, v.period, v.agency))
