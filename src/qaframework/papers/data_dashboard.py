"""The data dashboard of the meeting papers: the latest value of each dataset measure
against the previous quarter and the same quarter a year before, and the dataset
returns received, late and missing per agency. A pure function of the record's facts
(:func:`qaframework.persistence.dataset_values.dataset_values` and
:func:`qaframework.persistence.return_reports.return_task_facts`): no database here.

Readings, so every figure can be checked against a count:

- **Quarters** end in June, September, December and March. A quarter is shown once it
  has ended by ``as_of`` and has at least one value (some agencies may not have returned
  yet: ``reporting`` says how many of the providers did). A blank value is no value.
- **The partnership figure.** Values are given per agency. For a count the figure is
  the sum over the agencies that gave one; for a percentage, a number of days or a rate
  it is the mean of the agencies' values (unweighted: the dataset carries no
  denominators), rounded to 2 decimal places; a measure one agency provides is that
  agency's value. A monthly measure's quarter is the sum of its months for a count,
  their mean otherwise, per agency before the partnership figure is taken.
- **A yearly measure** is shown by financial year, once the year has ended: it has no
  previous quarter, and its "year before" is the previous financial year.
- **Alerts** use the measure's own ``alert`` threshold and the rule findings use
  (strictly above, or strictly below): the partnership figure, and each agency's value.
- **Returns** are those of the financial year containing ``as_of``, counted by the
  returns dashboard's own rules (:func:`qaframework.returns.dashboard.by_agency`):
  *missing* is its "overdue" (not received, due before ``as_of``), *late* its
  "received late" (the first accepted version came after the due date).
- Values are the record as it stands when the facts are read: a correction received
  after ``as_of`` is shown (the facts carry no receipt dates).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from qaframework.financial_year import FinancialYear, quarter_months
from qaframework.framework import Framework
from qaframework.framework.return_types import DatasetType, Measure
from qaframework.learning.derivation import crosses
from qaframework.persistence.dataset_values import MeasureValue
from qaframework.returns.dashboard import ReturnTaskFacts, by_agency

Number = float | int
#: A dataset period as (financial year, quarter); the quarter is None for a yearly value.
Period = tuple[int, int | None]


def period_label(period: Period) -> str:
    """
    >>> period_label((2027, 4)), period_label((2026, None))
    ('2027/28 Q4', '2026/27')
    """
    fy, quarter = period
    return f"{FinancialYear(fy)} Q{quarter}" if quarter else str(FinancialYear(fy))


def period_end(period: Period) -> date:
    """The last day of a quarter (or of a financial year).

    >>> period_end((2027, 4)), period_end((2027, 1)), period_end((2027, None))
    (datetime.date(2028, 3, 31), datetime.date(2027, 6, 30), datetime.date(2028, 3, 31))
    """
    fy, quarter = period
    if quarter is None:
        return FinancialYear(fy).end
    first = FinancialYear(fy).month_start(quarter_months(quarter)[-1])
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_quarter(period: Period) -> Period | None:
    """
    >>> previous_quarter((2027, 1)), previous_quarter((2027, 3)), previous_quarter((2027, None))
    ((2026, 4), (2027, 2), None)
    """
    fy, quarter = period
    if quarter is None:
        return None
    return (fy - 1, 4) if quarter == 1 else (fy, quarter - 1)


def year_before(period: Period) -> Period:
    """The same quarter (or the year) a year before.

    >>> year_before((2027, 1)), year_before((2027, None))
    ((2026, 1), (2026, None))
    """
    return period[0] - 1, period[1]


def _figure(values: list[Number], unit: str) -> Number | None:
    """Counts add up; anything else is the mean, to 2 decimal places.

    >>> _figure([3, 4], "count"), _figure([80, 85, 91], "percent"), _figure([], "count")
    (7, 85.33, None)
    """
    if not values:
        return None
    if unit == "count":
        return sum(values)
    return round(fmean(values), 2)


def _difference(latest: Number | None, earlier: Number | None) -> Number | None:
    if latest is None or earlier is None:
        return None
    change = latest - earlier
    return change if isinstance(change, int) else round(change, 2)


@dataclass(frozen=True)
class AgencyFigure:
    """One agency's value of a measure for the period shown."""

    agency: str
    name: str
    value: Number | None
    outside_alert: bool

    def as_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "name": self.name, "value": self.value, "outside_alert": self.outside_alert}


@dataclass(frozen=True)
class MeasureLine:
    """One measure on the dashboard: its latest period's partnership figure against the
    previous quarter and the same quarter a year before. Periods are labels
    ("2027/28 Q1", or "2027/28" for a yearly measure); all None when nothing has come in."""

    return_type: str
    measure: str
    title: str
    group: str
    unit: str
    frequency: str  # month | quarter | year, as the framework defines the measure
    period: str | None
    value: Number | None
    reporting: int  # providers that gave a value for the period
    providers: int  # agencies on the roster that provide the measure
    previous_period: str | None
    previous_value: Number | None
    change: Number | None
    year_before_period: str | None
    year_before_value: Number | None
    change_on_year: Number | None
    alert: str | None  # "above 22", "below 85"
    outside_alert: bool
    agencies: tuple[AgencyFigure, ...]

    def as_dict(self) -> dict[str, Any]:
        plain = {k: v for k, v in self.__dict__.items() if k != "agencies"}
        return {**plain, "agencies": [a.as_dict() for a in self.agencies]}


@dataclass(frozen=True)
class AgencyReturns:
    """One agency's dataset returns in the year: expected so far, received, received
    late, missing (past their due date and not received) and outstanding (not received)."""

    agency: str
    name: str
    expected: int
    received: int
    late: int
    missing: int
    outstanding: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DataDashboard:
    """The data dashboard for the body in the ``data_dashboard`` role, as of a day."""

    body: str
    as_of: date
    returns_year: str
    measures: tuple[MeasureLine, ...]
    returns: tuple[AgencyReturns, ...]

    @property
    def outside_alert(self) -> tuple[MeasureLine, ...]:
        """The measures whose partnership figure is outside its threshold."""
        return tuple(m for m in self.measures if m.outside_alert)

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body, "as_of": self.as_of.isoformat(), "returns_year": self.returns_year,
            "measures": [m.as_dict() for m in self.measures], "returns": [r.as_dict() for r in self.returns],
        }


def _providers(framework: Framework, measure: Measure) -> list[str]:
    return [k for k, a in framework.agencies.items() if k in measure.provided_by or a.type in measure.provided_by]


def _by_agency(values: Iterable[MeasureValue], measure: Measure) -> dict[Period, dict[str, Number]]:
    """Each period's value per agency (a monthly measure's months made into its quarter)."""
    given: dict[Period, dict[str, list[Number]]] = {}
    for v in values:
        if v.value is not None:
            given.setdefault((v.financial_year, v.quarter), {}).setdefault(v.agency, []).append(v.value)
    return {p: {a: _figure(vs, measure.unit) for a, vs in agencies.items()} for p, agencies in given.items()}  # type: ignore[misc]


def _dataset_types(framework: Framework) -> dict[str, DatasetType]:
    return {k: rt for k, rt in framework.document.returns.items() if isinstance(rt, DatasetType)}


def _alert_text(measure: Measure) -> str | None:
    alert = measure.alert
    if alert is None:
        return None
    side, threshold = ("above", alert.above) if alert.above is not None else ("below", alert.below)
    return f"{side} {threshold:g}"


def _outside(measure: Measure, value: Number | None) -> bool:
    return measure.alert is not None and value is not None and crosses(measure.alert, value)


def _measure_line(framework: Framework, rt_key: str, rt: DatasetType, key: str, measure: Measure,
                  values: list[MeasureValue], as_of: date) -> MeasureLine:
    per_period = _by_agency(values, measure)
    figures = {p: _figure(list(a.values()), measure.unit) for p, a in per_period.items()}
    shown = [p for p in figures if period_end(p) <= as_of]
    latest = max(shown, key=lambda p: (p[0], p[1] or 4), default=None)
    previous = previous_quarter(latest) if latest else None
    a_year_before = year_before(latest) if latest else None
    value = figures.get(latest) if latest else None
    before = figures.get(previous) if previous else None
    year_ago = figures.get(a_year_before) if a_year_before else None
    providers = _providers(framework, measure)
    given = per_period.get(latest, {}) if latest else {}
    agencies = tuple(
        AgencyFigure(a, framework.agencies[a].name if a in framework.agencies else a, given.get(a), _outside(measure, given.get(a)))
        for a in [*providers, *sorted(set(given) - set(providers))]
    )
    return MeasureLine(
        return_type=rt_key, measure=key, title=measure.name, group=rt.groups.get(measure.group, measure.group), unit=measure.unit,
        frequency=measure.period, period=period_label(latest) if latest else None, value=value,
        reporting=len(given), providers=len(providers),
        previous_period=period_label(previous) if previous else None, previous_value=before, change=_difference(value, before),
        year_before_period=period_label(a_year_before) if a_year_before else None, year_before_value=year_ago,
        change_on_year=_difference(value, year_ago), alert=_alert_text(measure), outside_alert=_outside(measure, value),
        agencies=agencies,
    )


def _returns(facts: Iterable[ReturnTaskFacts], framework: Framework, activities: set[str], as_of: date) -> tuple[AgencyReturns, ...]:
    """Per agency, from the returns dashboard's own counting (:func:`by_agency`)."""
    year = FinancialYear.containing(as_of).start_year
    mine: dict[str, list[ReturnTaskFacts]] = {}
    for f in facts:
        if f.activity in activities and f.financial_year == year:
            mine.setdefault(f.agency_key, []).append(f)
    names = {k: a.name for k, a in framework.agencies.items()}
    lines = []
    for agency, own in mine.items():
        (row,) = by_agency(own, names, as_of)
        lines.append(AgencyReturns(agency, names.get(agency, agency), int(row["expected"]), int(row["received"]),  # type: ignore[call-overload]
                                   int(row["received late"]), int(row["overdue"]), int(row["outstanding"])))  # type: ignore[call-overload]
    return tuple(sorted(lines, key=lambda r: r.name))


def data_dashboard(values: Iterable[MeasureValue], facts: Iterable[ReturnTaskFacts], framework: Framework, as_of: date) -> DataDashboard:
    """The dashboard as of ``as_of``: every measure of the framework's dataset return
    type(s), in the order the file lists them, and the year's returns per agency."""
    listed = list(values)
    measures: list[MeasureLine] = []
    activities: set[str] = set()
    for rt_key, rt in _dataset_types(framework).items():
        activities.update(rt.activities)
        for key, measure in rt.measures.items():
            own = [v for v in listed if v.return_type == rt_key and v.measure == key]
            measures.append(_measure_line(framework, rt_key, rt, key, measure, own, as_of))
    return DataDashboard(
        body=framework.role("data_dashboard"), as_of=as_of, returns_year=str(FinancialYear.containing(as_of)),
        measures=tuple(measures), returns=_returns(facts, framework, activities, as_of),
    )


def measure_series(values: Iterable[MeasureValue], framework: Framework, financial_year: int) -> dict[str, list[tuple[str, Number | None]]]:
    """Each measure's partnership figure in the four quarters of a financial year, for
    the yearly report's trend (None where there is none); a yearly measure has the one
    entry for the year. Keyed by measure key, in the order the file lists them."""
    listed = list(values)
    series: dict[str, list[tuple[str, Number | None]]] = {}
    for rt_key, rt in _dataset_types(framework).items():
        for key, measure in rt.measures.items():
            per_period = _by_agency([v for v in listed if v.return_type == rt_key and v.measure == key], measure)
            periods: list[Period] = [(financial_year, None)] if measure.period == "year" else [(financial_year, q) for q in (1, 2, 3, 4)]
            series[key] = [(period_label(p), _figure(list(per_period.get(p, {}).values()), measure.unit)) for p in periods]
    return series
