"""The data behind two sections of the meeting papers, on both shipped framework files
(the ``partnership`` fixture: ids ``sscp`` and ``example``) and both databases.

Dataset returns are made as a named contact would send them: the task's own JSON
template (``template_json``), filled in, received by ``receive_return``. Cases are
opened and their stages recorded through ``open_case`` and ``record_stage``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import DatasetType
from qaframework.persistence.database import transaction
from qaframework.persistence.returns import StoredSubmission, find_return_task, receive_return
from qaframework.returns.templates import template_json
from qaframework.returns.validation import covered_quarter, dataset_rows_expected, task_reference
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year
from tests.partnerships.conftest import framework, partnership, partnership_qaf  # noqa: F401 - fixtures for these tests
from tests.returns.test_round_trip import qaf  # noqa: F401 - the in-process CLI fixture

#: What a filled-in row's value is: from the measure, the period and the agency.
ValueOf = Callable[[str, str, str], object]


def dataset_type(partnership: Framework) -> tuple[str, DatasetType]:
    """The partnership's (first) dataset return type."""
    return next((k, rt) for k, rt in partnership.document.returns.items() if isinstance(rt, DatasetType))


def dataset_occurrences(partnership: Framework, years: list[int]) -> dict[tuple[int, int], PlannedOccurrence]:
    """The dataset return's occurrences of the years, by the quarter each covers."""
    _, rt = dataset_type(partnership)
    found = {}
    for year in years:
        for o in plan_financial_year(partnership, FinancialYear(year)):
            if o.activity in rt.activities:
                fy, quarter = covered_quarter(o.start)
                found[(fy.start_year, quarter)] = o
    return found


def owing_agencies(partnership: Framework, occurrence: PlannedOccurrence) -> list[str]:
    """The agencies with a task in the occurrence that owe at least one value."""
    _, rt = dataset_type(partnership)
    return [a.key for a in occurrence.assignees
            if a.kind == "agency" and dataset_rows_expected(rt, a.key, partnership.agencies[a.key].type, occurrence.start)]


def on_day(day: date, late_by: int = 0) -> datetime:
    """Nine in the morning UTC on a day (``late_by`` days after it)."""
    return datetime.combine(day + timedelta(days=late_by), time(9), tzinfo=timezone.utc)


def send_dataset(url: str, partnership: Framework, occurrence_key: str, agency: str, value_of: ValueOf,
                 received_at: datetime) -> StoredSubmission:
    """Fill in the task's template with ``value_of`` and receive it."""
    with transaction(url) as session:
        task = find_return_task(session=session, framework=partnership, reference=task_reference(occurrence_key, agency))
        rt_key, rt = dataset_type(partnership)
        body = json.loads(template_json(rt_key, rt, task, partnership.agencies[agency].type))
        for row in body["values"]:
            row["value"] = value_of(row["measure"], row["period"], agency)
        data = json.dumps(body).encode()
        return receive_return(session=session, framework=partnership, data=data, filename=f"{agency}-{task.period_label}.json".replace("/", "-"),
                              source="cli", actor="test", received_at=received_at)
