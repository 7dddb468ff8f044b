"""``qaf up``'s planning step: the current financial year and the next are planned once.

Before #16, ``qaf up`` on a December install showed nothing for the current year until
someone ran plan-year. ``prepare_installation`` is the step ``qaf up`` runs before it
starts the Prefect server.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.installation import read_installation
from qaframework.local_stack import prepare_installation
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import Occurrence, Task
from qaframework.yearly_plan import plan_financial_year


def counts(url: str) -> dict[int, tuple[int, int]]:
    """Occurrences and tasks per financial year."""
    with transaction(url) as session:
        occurrences = dict(session.execute(select(Occurrence.financial_year, func.count()).group_by(Occurrence.financial_year)).all())
        tasks = dict(session.execute(
            select(Occurrence.financial_year, func.count()).select_from(Task).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
            .group_by(Occurrence.financial_year)
        ).all())
    return {fy: (n, tasks.get(fy, 0)) for fy, n in occurrences.items()}


def expected(partnership: Framework, start_year: int, as_of: date) -> tuple[int, int]:
    """What planning the year as of ``as_of`` must write: every occurrence, and a task per
    assignee of each window with a due date still open that day."""
    planned = plan_financial_year(partnership, FinancialYear(start_year))
    tasks = sum(len(o.assignees) for o in planned if o.due is not None and o.end >= as_of)
    return len(planned), tasks


@pytest.mark.parametrize(("today", "years"), [
    (date(2026, 12, 2), (2026, 2027)),     # the December install of the issue
    (date(2026, 12, 25), (2026, 2027)),    # Christmas Day, a bank holiday
    (date(2027, 3, 31), (2026, 2027)),     # the last day of 2026/27
    (date(2027, 4, 1), (2027, 2028)),      # the first day of 2027/28
])
def test_qaf_up_plans_the_current_and_next_year_once(
    partnership: Framework, database_url: str, tmp_path: Path, today: date, years: tuple[int, int]
) -> None:
    settings = Settings(data_dir=tmp_path / ".qaf", database_url=database_url)
    said: list[str] = []
    installation = prepare_installation(settings, partnership, said.append, today=today)
    current, following = years
    assert counts(database_url) == {current: expected(partnership, current, today), following: expected(partnership, following, today)}
    assert expected(partnership, following, today)[1] == expected(partnership, following, date(following, 4, 1))[1], "next year keeps every task"
    occurrences, tasks = expected(partnership, current, today)
    assert said == [f"Calendar: planned {FinancialYear(current)}: {occurrences} occurrences and {tasks} tasks created; "
                    f"planned {FinancialYear(following)}: {expected(partnership, following, today)[0]} occurrences and "
                    f"{expected(partnership, following, today)[1]} tasks created."]
    assert read_installation(tmp_path / ".qaf") == installation

    said.clear()
    assert prepare_installation(settings, partnership, said.append, today=today) == installation
    assert said == [f"Calendar: {FinancialYear(current)} was already planned; {FinancialYear(following)} was already planned."]
    assert counts(database_url) == {current: expected(partnership, current, today), following: expected(partnership, following, today)}


def test_a_year_plan_year_already_wrote_is_left_as_it_is(partnership: Framework, database_url: str, tmp_path: Path) -> None:
    # 2026/27 was planned on 1 October (by plan-year or qaf plan); qaf up starts on 2 December.
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
        write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(2026)), actor="test", as_of=date(2026, 10, 1))
    before = counts(database_url)[2026]
    said: list[str] = []
    prepare_installation(Settings(data_dir=tmp_path / ".qaf", database_url=database_url), partnership, said.append, today=date(2026, 12, 2))
    assert counts(database_url) == {2026: before, 2027: expected(partnership, 2027, date(2026, 12, 2))}
    assert before == expected(partnership, 2026, date(2026, 10, 1)) != expected(partnership, 2026, date(2026, 12, 2))
    assert said[0].startswith("Calendar: 2026/27 was already planned; planned 2027/28: ")
