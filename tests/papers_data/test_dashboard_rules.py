"""The data dashboard's rules as a pure function, on both shipped files: the partnership
figure (a sum for counts, a mean otherwise), months made into their quarter, a blank
value that is no value, quarter edges, alerts, and the returns per agency."""

from __future__ import annotations

import json
from datetime import date

import pytest

from qaframework.framework import Framework
from qaframework.framework.return_types import Measure
from qaframework.papers.data_dashboard import MeasureLine, data_dashboard, measure_series
from qaframework.persistence.dataset_values import MeasureValue
from qaframework.returns.dashboard import ReturnTaskFacts
from tests.papers_data.conftest import dataset_type


def _measure(partnership: Framework, unit: str, alert: bool = False) -> tuple[str, Measure, list[str]]:
    """The quarterly measure of the unit (with an alert, if asked) most agencies provide,
    and those agencies."""
    _, rt = dataset_type(partnership)
    found = [
        (key, m, [a for a, ag in partnership.agencies.items() if a in m.provided_by or ag.type in m.provided_by])
        for key, m in rt.measures.items() if m.unit == unit and m.period == "quarter" and (m.alert is not None) == alert
    ]
    assert found, f"no quarterly {unit} measure{' with an alert' if alert else ''}"
    return max(found, key=lambda f: len(f[2]))


def _value(partnership: Framework, measure: str, agency: str, period: str, value: float | int | None) -> MeasureValue:
    rt_key, _ = dataset_type(partnership)
    fy = int(period[:4]) if " Q" in period else (int(period[:4]) if int(period[5:]) >= 4 else int(period[:4]) - 1)
    quarter = int(period[-1]) if " Q" in period else ((int(period[5:]) - 4) % 12) // 3 + 1
    return MeasureValue(rt_key, measure, agency, fy, quarter, period, value)


def _line(partnership: Framework, values: list[MeasureValue], measure: str, as_of: date) -> MeasureLine:
    return next(m for m in data_dashboard(values, [], partnership, as_of).measures if m.measure == measure)


def test_a_count_is_the_sum_of_the_agencies_against_the_quarter_before_and_a_year_before(partnership: Framework) -> None:
    key, _, providers = _measure(partnership, "count")
    rest = [a for a in partnership.agencies if a not in providers]
    given = [
        _value(partnership, key, providers[0], "2027/28 Q1", 3),
        _value(partnership, key, rest[0], "2027/28 Q1", 4),  # not a provider on the roster today: still counted
        _value(partnership, key, providers[0], "2026/27 Q4", 5),
        _value(partnership, key, providers[0], "2026/27 Q1", 1),
        _value(partnership, key, providers[0], "2027/28 Q2", 99),  # not ended on 30 September 2027
    ]
    line = _line(partnership, given, key, date(2027, 9, 29))
    assert (line.period, line.value, line.reporting, line.providers) == ("2027/28 Q1", 7, 2, len(providers))
    assert (line.previous_period, line.previous_value, line.change) == ("2026/27 Q4", 5, 2)
    assert (line.year_before_period, line.year_before_value, line.change_on_year) == ("2026/27 Q1", 1, 6)
    assert [(a.agency, a.value) for a in line.agencies] == [(p, 3 if p == providers[0] else None) for p in providers] + [(rest[0], 4)]
    on_the_day = _line(partnership, given, key, date(2027, 9, 30))
    assert (on_the_day.period, on_the_day.value, on_the_day.previous_value, on_the_day.change, on_the_day.year_before_value) == (
        "2027/28 Q2", 99, 7, 92, None)


def test_months_make_their_quarter_and_a_blank_is_no_value(partnership: Framework) -> None:
    key, _, providers = _measure(partnership, "count")
    months = [_value(partnership, key, providers[0], m, v) for m, v in (("2028-01", 2), ("2028-02", None), ("2028-03", 6))]
    line = _line(partnership, months, key, date(2028, 3, 31))
    assert (line.period, line.value, line.reporting) == ("2027/28 Q4", 8, 1), "January to March 2028 is 2027/28 Q4"
    assert _line(partnership, months, key, date(2028, 3, 30)).period is None, "the quarter has not ended on 30 March"
    blank = [_value(partnership, key, providers[0], "2027/28 Q4", None), _value(partnership, key, providers[0], "2027/28 Q3", 4)]
    line = _line(partnership, blank, key, date(2028, 4, 30))
    assert (line.period, line.value, line.previous_period, line.year_before_period) == ("2027/28 Q3", 4, "2027/28 Q2", "2026/27 Q3"), \
        "a quarter given only blank values does not count"
    nothing = _line(partnership, [], key, date(2028, 4, 30))
    assert (nothing.period, nothing.value, nothing.previous_period, nothing.change, nothing.reporting, nothing.outside_alert) == (None, None, None, None, 0, False)


def test_a_percentage_is_the_mean_of_the_agencies_and_its_alert_is_the_measure_s(partnership: Framework) -> None:
    key, measure, providers = _measure(partnership, "percent", alert=True)
    alert = measure.alert
    assert alert is not None and len(providers) >= 3
    threshold = alert.above if alert.above is not None else alert.below
    side = 1 if alert.above is not None else -1
    # Three agencies: one beyond the threshold, one on it, one inside; the mean is inside.
    figures = [threshold + side * 3, threshold, threshold - side * 4]  # type: ignore[operator]
    given = [_value(partnership, key, a, "2027/28 Q1", v) for a, v in zip(providers, figures)]
    line = _line(partnership, given, key, date(2027, 7, 1))
    assert line.value == round((3 * threshold - side) / 3, 2) and line.outside_alert is False  # type: ignore[operator]
    assert line.alert == f"{'above' if side == 1 else 'below'} {threshold:g}"
    assert [a.outside_alert for a in line.agencies[:3]] == [True, False, False], "on the threshold is not beyond it"
    beyond = _line(partnership, [_value(partnership, key, providers[0], "2027/28 Q1", threshold + side * 0.5)], key, date(2027, 7, 1))  # type: ignore[operator]
    assert (beyond.value, beyond.outside_alert) == (threshold + side * 0.5, True), "one agency's value is the figure"  # type: ignore[operator]
    board = data_dashboard(given, [], partnership, date(2027, 7, 1))
    assert key not in [m.measure for m in board.outside_alert], "the mean of the three is inside"
    assert json.loads(json.dumps(board.as_dict()))["as_of"] == "2027-07-01"


def test_the_series_has_the_four_quarters_of_the_year(partnership: Framework) -> None:
    key, _, providers = _measure(partnership, "count")
    given = [_value(partnership, key, providers[0], "2027/28 Q2", 5), _value(partnership, key, providers[0], "2028-03", 2),
             _value(partnership, key, providers[0], "2028-02", 1), _value(partnership, key, providers[0], "2026/27 Q2", 40)]
    series = measure_series(given, partnership, 2027)
    assert series[key] == [("2027/28 Q1", None), ("2027/28 Q2", 5), ("2027/28 Q3", None), ("2027/28 Q4", 3)]
    _, rt = dataset_type(partnership)
    assert list(series) == list(rt.measures) and all(len(p) == (1 if rt.measures[k].period == "year" else 4) for k, p in series.items())


def _facts(partnership: Framework, agency: str, activity: str, period: str, due: date, status: str, accepted: int = 0,
           late: bool = False) -> ReturnTaskFacts:
    return ReturnTaskFacts(f"{activity}/{due:%Y-%m}/{agency}", agency, activity, "Return", period, due, status, accepted, late)


def test_returns_per_agency_are_the_dashboard_s_counts_for_the_year(partnership: Framework) -> None:
    _, rt = dataset_type(partnership)
    activity = rt.activities[0]
    other = next(a for a in partnership.activities if a not in rt.activities)
    first, second = list(partnership.agencies)[:2]
    facts = [
        _facts(partnership, first, activity, "2027/28 Q1", date(2027, 4, 30), "submitted", 1, late=True),
        _facts(partnership, first, activity, "2027/28 Q2", date(2027, 7, 30), "overdue"),
        _facts(partnership, first, activity, "2027/28 Q3", date(2027, 10, 29), "open"),  # due after the day: outstanding, not missing
        _facts(partnership, first, activity, "2027/28 Q4", date(2028, 1, 31), "planned"),  # not opened yet: not expected
        _facts(partnership, first, other, "2027/28 Q2", date(2027, 7, 30), "overdue"),  # another activity's return
        _facts(partnership, second, activity, "2026/27 Q4", date(2027, 1, 29), "overdue"),  # another year's
        _facts(partnership, second, activity, "2027/28 Q2", date(2027, 7, 30), "submitted", 2),
    ]
    board = data_dashboard([], facts, partnership, date(2027, 10, 1))
    rows = {r.agency: r.as_dict() for r in board.returns}
    name = partnership.agencies[first].name
    assert rows[first] == {"agency": first, "name": name, "expected": 3, "received": 1, "late": 1, "missing": 1, "outstanding": 2}
    assert rows[second] == {"agency": second, "name": partnership.agencies[second].name, "expected": 1, "received": 1, "late": 0,
                            "missing": 0, "outstanding": 0}
    assert [r.name for r in board.returns] == sorted(r.name for r in board.returns)


@pytest.mark.parametrize("as_of", [date(2027, 3, 31), date(2027, 7, 1)])
def test_a_yearly_value_shows_once_its_year_has_ended(partnership: Framework, as_of: date) -> None:
    key, _, providers = _measure(partnership, "count")
    rt_key, _ = dataset_type(partnership)
    yearly = MeasureValue(rt_key, key, providers[0], 2026, None, "2026/27", 12)
    line = _line(partnership, [yearly], key, as_of)
    assert (line.period, line.value, line.previous_period, line.year_before_period) == ("2026/27", 12, None, "2025/26")
    assert _line(partnership, [yearly], key, date(2027, 3, 30)).period is None
