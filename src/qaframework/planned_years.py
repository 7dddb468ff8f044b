"""The years an installation should always have planned: the current financial year and
the next.

``qaf up`` calls :func:`plan_unplanned_years` at start, so an installation brought up in
December shows this year's remaining work at once, and next year's calendar before the
1 March plan-year run. A year that already has occurrences is left alone (its plan was
written, perhaps by plan-year with another ``as_of``); the others are planned as of
today, so windows that closed before today get no tasks. Running it again plans nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.repository import PlanWriteResult, sync_directory, write_plan
from qaframework.persistence.tables import Occurrence
from qaframework.yearly_plan import plan_financial_year


@dataclass(frozen=True)
class YearPlanning:
    """What happened to one year: planned now (with what was written), or already planned."""

    financial_year: FinancialYear
    written: PlanWriteResult | None

    def describe(self) -> str:
        if self.written is None:
            return f"{self.financial_year} was already planned"
        return (f"planned {self.financial_year}: {self.written.occurrences_created} occurrences and "
                f"{self.written.tasks_created} tasks created")


def years_to_keep_planned(today: date) -> tuple[FinancialYear, FinancialYear]:
    """The financial year containing ``today`` and the one after it.

    >>> [str(fy) for fy in years_to_keep_planned(date(2026, 12, 2))]
    ['2026/27', '2027/28']
    >>> [str(fy) for fy in years_to_keep_planned(date(2027, 3, 31))], [str(fy) for fy in years_to_keep_planned(date(2027, 4, 1))]
    (['2026/27', '2027/28'], ['2027/28', '2028/29'])
    """
    current = FinancialYear.containing(today)
    return current, current.next()


def is_planned(*, session: Session, financial_year: FinancialYear) -> bool:
    """True when any occurrence of the year is in the database."""
    count = session.execute(
        select(func.count()).select_from(Occurrence).where(Occurrence.financial_year == financial_year.start_year)
    ).scalar_one()
    return count > 0


def plan_unplanned_years(*, session: Session, framework: Framework, today: date, actor: str) -> list[YearPlanning]:
    """Plan the current and the next financial year where they have no plan yet."""
    done: list[YearPlanning] = []
    synced = False
    for fy in years_to_keep_planned(today):
        if is_planned(session=session, financial_year=fy):
            done.append(YearPlanning(fy, None))
            continue
        occurrences = plan_financial_year(framework, fy)
        if not synced:
            sync_directory(session=session, framework=framework)
            synced = True
        done.append(YearPlanning(fy, write_plan(session=session, occurrences=occurrences, actor=actor, as_of=today)))
    return done
