"""The data dashboard from the record, on both shipped files and both databases: every
figure equals a direct SQL sum, mean or count over the stored returns (the latest
accepted version of each task only), and the returns received, late and missing equal
direct counts of tasks and submissions.

The story, for each partnership's dataset return: every agency owing values sends its
returns for 2026/27 Q1, 2026/27 Q4 (with the year's yearly measures), 2027/28 Q1 and
2027/28 Q4, except that

- one agency, the only provider of some measure, never sends one (that measure has no
  values, and its returns are missing);
- for 2027/28 Q1, one agency sends a value left blank (refused, so still missing), one
  sends late, and one corrects its return after sending it (only the correction counts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from qaframework.framework import Framework
from qaframework.papers.data_dashboard import MeasureLine, data_dashboard, measure_series
from qaframework.persistence.database import transaction
from qaframework.persistence.dataset_values import MeasureValue, dataset_values
from qaframework.persistence.return_reports import return_task_facts
from qaframework.persistence.task_status import open_started_tasks
from tests.papers_data.conftest import ValueOf, dataset_occurrences, dataset_type, on_day, owing_agencies, send_dataset
from tests.partnerships.conftest import Qaf, plan_years

#: Each period's figure before the agency's place on the roster is added (months step by one).
BASE = {
    "2026/27 Q1": 10, "2026-04": 10, "2026-05": 11, "2026-06": 12,
    "2026/27 Q4": 20, "2027-01": 20, "2027-02": 21, "2027-03": 22, "2026/27": 60,
    "2027/28 Q1": 30, "2027-04": 30, "2027-05": 31, "2027-06": 32,
    "2027/28 Q4": 40, "2028-01": 40, "2028-02": 41, "2028-03": 42, "2027/28": 70,
}
#: The periods of each quarter a dashboard figure is made from (a monthly measure's months).
QUARTER_PERIODS = {
    "2026/27 Q1": ["2026/27 Q1", "2026-04", "2026-05", "2026-06"],
    "2026/27 Q4": ["2026/27 Q4", "2027-01", "2027-02", "2027-03"],
    "2027/28 Q1": ["2027/28 Q1", "2027-04", "2027-05", "2027-06"],
    "2027/28 Q4": ["2027/28 Q4", "2028-01", "2028-02", "2028-03"],
    "2026/27": ["2026/27"], "2027/28": ["2027/28"],
    # Periods nothing was sent for:
    "2025/26 Q4": ["2025/26 Q4", "2026-01", "2026-02", "2026-03"],
    "2026/27 Q3": ["2026/27 Q3", "2026-10", "2026-11", "2026-12"],
    "2027/28 Q3": ["2027/28 Q3", "2027-10", "2027-11", "2027-12"],
    "2025/26": ["2025/26"],
}
CORRECTION = 5
AS_OF = date(2027, 9, 30)


def values_for(partnership: Framework, extra: int = 0) -> ValueOf:
    """A value from the period and the agency's place on the roster; percentages count
    down from 100, so early periods are high and later ones low."""
    _, rt = dataset_type(partnership)
    order = list(partnership.agencies)

    def value_of(measure: str, period: str, agency: str) -> object:
        figure = BASE[period] + order.index(agency) + extra
        return 100 - figure if rt.measures[measure].unit == "percent" else figure

    return value_of


def _providers(partnership: Framework, measure: str) -> list[str]:
    _, rt = dataset_type(partnership)
    given = rt.measures[measure].provided_by
    return [a for a, ag in partnership.agencies.items() if a in given or ag.type in given]


def _sole_provider(partnership: Framework) -> tuple[str, str]:
    """A measure only one agency provides, and that agency (the one providing fewest measures)."""
    _, rt = dataset_type(partnership)
    providers = {k: _providers(partnership, k) for k in rt.measures}
    load = {a: sum(a in p for p in providers.values()) for a in partnership.agencies}
    measure, (agency,) = min(((k, p) for k, p in providers.items() if len(p) == 1), key=lambda kp: load[kp[1][0]])
    return measure, agency


class Story:
    """What was sent, to check the record against."""

    def __init__(self, partnership: Framework) -> None:
        self.silent_measure, self.silent = _sole_provider(partnership)
        self.occurrences = dataset_occurrences(partnership, [2026, 2027, 2028])
        q1 = self.occurrences[(2027, 1)]
        others = [a for a in owing_agencies(partnership, q1) if a != self.silent]
        self.blank, self.late, self.corrected = others[0], others[1], others[2]

    def sent_q1(self, partnership: Framework, measure: str) -> set[str]:
        """The agencies whose values of the measure for 2027/28 Q1 were accepted."""
        return set(_providers(partnership, measure)) - {self.silent, self.blank}


@pytest.fixture
def story(partnership_qaf: Qaf, database_url: str, partnership: Framework) -> Story:
    plan_years(partnership_qaf, [2026, 2027, 2028], date(2026, 3, 31))
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=AS_OF, actor="test")
    told = Story(partnership)
    value_of = values_for(partnership)
    for quarter in ((2026, 1), (2026, 4), (2027, 1), (2027, 4)):
        occurrence = told.occurrences[quarter]
        for agency in owing_agencies(partnership, occurrence):
            if agency == told.silent:
                continue
            due = occurrence.due or occurrence.end
            if quarter == (2027, 1) and agency == told.blank:
                blank = send_dataset(database_url, partnership, occurrence.key, agency, lambda m, p, a: None, on_day(due))
                assert blank.status == "rejected" and any("empty" in p["expected"] for p in blank.problems), blank.problems
                continue
            late_by = 3 if quarter == (2027, 1) and agency == told.late else 0
            sent = send_dataset(database_url, partnership, occurrence.key, agency, value_of, on_day(due, late_by))
            assert (sent.status, sent.late) == ("accepted", late_by > 0), sent.problems
            if quarter == (2027, 1) and agency == told.corrected:
                again = send_dataset(database_url, partnership, occurrence.key, agency, values_for(partnership, CORRECTION), on_day(due, 10))
                assert (again.status, again.version) == ("accepted", 2)
    return told


def _sql_rows(session, measure: str, periods: list[str]) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    """(agency, value) of every stored row of the measure in the periods, from the latest
    accepted version of each task, read straight from the JSON the table holds."""
    latest = ("s.status = 'accepted' AND s.version = (SELECT MAX(s2.version) FROM return_submission s2 "
              "WHERE s2.task_id = s.task_id AND s2.status = 'accepted')")
    if session.get_bind().dialect.name == "postgresql":
        sql = (f"SELECT s.agency_key, (v ->> 'value')::float FROM return_submission s, jsonb_array_elements(s.payload::jsonb -> 'values') v "
               f"WHERE {latest} AND v ->> 'measure' = :m AND v ->> 'period' = ANY(:p)")
        params: dict[str, object] = {"m": measure, "p": periods}
    else:
        marks = ", ".join(f":p{i}" for i in range(len(periods)))
        sql = (f"SELECT s.agency_key, json_extract(v.value, '$.value') FROM return_submission s, json_each(s.payload, '$.values') v "
               f"WHERE {latest} AND json_extract(v.value, '$.measure') = :m AND json_extract(v.value, '$.period') IN ({marks})")
        params = {"m": measure, **{f"p{i}": p for i, p in enumerate(periods)}}
    return [(a, float(v)) for a, v in session.execute(text(sql), params).all()]


def _sql_figure(session, partnership: Framework, measure: str, label: str | None) -> tuple[float | None, int]:  # type: ignore[no-untyped-def]
    """The partnership figure by direct SQL: the sum for a count, else the mean of the agencies'
    (here one row per agency and period: no monthly measure is anything but a count)."""
    if label is None:
        return None, 0
    rows = _sql_rows(session, measure, QUARTER_PERIODS[label])
    if not rows:
        return None, 0
    _, rt = dataset_type(partnership)
    values = [v for _, v in rows]
    agencies = len({a for a, _ in rows})
    if rt.measures[measure].unit == "count":
        return sum(values), agencies
    assert len(values) == agencies
    return round(sum(values) / len(values), 2), agencies


def _read(url: str, partnership: Framework) -> tuple[list[MeasureValue], list]:  # type: ignore[type-arg]
    with transaction(url) as session:
        return dataset_values(session=session, framework=partnership), return_task_facts(session=session, framework=partnership)


def _check_figures(url: str, partnership: Framework, line: MeasureLine) -> None:
    with transaction(url) as session:
        value, reporting = _sql_figure(session, partnership, line.measure, line.period)
        previous, _ = _sql_figure(session, partnership, line.measure, line.previous_period)
        year_ago, _ = _sql_figure(session, partnership, line.measure, line.year_before_period)
    assert (line.value, line.reporting, line.previous_value, line.year_before_value) == (value, reporting, previous, year_ago), line
    assert line.change == (None if value is None or previous is None else round(value - previous, 2))
    assert line.change_on_year == (None if value is None or year_ago is None else round(value - year_ago, 2))


@pytest.fixture
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    yield statements
    event.remove(Engine, "before_cursor_execute", seen)


def test_values_are_the_latest_accepted_version_of_each_return_read_in_one_query(story: Story, database_url: str, partnership: Framework,
                                                                              count_queries: list[str]) -> None:
    with transaction(database_url) as session:
        count_queries.clear()
        values = dataset_values(session=session, framework=partnership)
        assert len([s for s in count_queries if s.lstrip().upper().startswith("SELECT")]) == 1, count_queries
    rt_key, _ = dataset_type(partnership)
    value_of, corrected = values_for(partnership), values_for(partnership, CORRECTION)
    with transaction(database_url) as session:
        stored = session.execute(text("SELECT COUNT(*) FROM return_submission WHERE status = 'accepted'")).scalar_one()
        payloads = [json.loads(p) for (p,) in session.execute(text(
            "SELECT s.payload FROM return_submission s WHERE s.status = 'accepted' AND s.version = "
            "(SELECT MAX(version) FROM return_submission s2 WHERE s2.task_id = s.task_id AND s2.status = 'accepted')")).all()]
    assert stored == len(payloads) + 1, "the corrected return's first version is kept, but only one version per task counts"
    expected = sorted((rt_key, r["measure"], p["agency"], r["period"], r["value"]) for p in payloads for r in p["values"])
    assert sorted((v.return_type, v.measure, v.agency, v.period, v.value) for v in values) == expected
    assert story.silent not in {v.agency for v in values} and story.silent_measure not in {v.measure for v in values}
    assert story.blank not in {v.agency for v in values if v.period in QUARTER_PERIODS["2027/28 Q1"]}
    for v in values:
        sent = corrected if v.agency == story.corrected and v.period in QUARTER_PERIODS["2027/28 Q1"] else value_of
        assert v.value == sent(v.measure, v.period, v.agency), v
    edge = [v for v in values if v.period in QUARTER_PERIODS["2027/28 Q4"]]
    assert edge and {(v.financial_year, v.quarter) for v in edge} == {(2027, 4)}, "January to March 2028 is 2027/28 Q4"
    assert {(v.financial_year, v.quarter) for v in values if v.period == "2026/27"} <= {(2026, None)}


def test_the_dashboard_figures_are_the_record_s(story: Story, database_url: str, partnership: Framework) -> None:
    values, facts = _read(database_url, partnership)
    board = data_dashboard(values, facts, partnership, AS_OF)
    _, rt = dataset_type(partnership)
    assert board.body == partnership.role("data_dashboard") and board.returns_year == "2027/28"
    assert [m.measure for m in board.measures] == list(rt.measures)
    for line in board.measures:
        measure = rt.measures[line.measure]
        if line.measure == story.silent_measure:
            assert (line.period, line.value, line.reporting, line.providers, line.outside_alert) == (None, None, 0, 1, False)
            assert [a.value for a in line.agencies] == [None]
            continue
        sent_q1 = story.sent_q1(partnership, line.measure)
        if measure.period == "year":
            assert (line.period, line.previous_period, line.year_before_period, line.year_before_value) == ("2026/27", None, "2025/26", None)
        elif sent_q1:
            assert (line.period, line.previous_period, line.year_before_period) == ("2027/28 Q1", "2026/27 Q4", "2026/27 Q1"), line
        else:  # its only providers sent nothing usable for 2027/28 Q1: the quarter before is the latest
            assert (line.period, line.previous_period, line.year_before_period) == ("2026/27 Q4", "2026/27 Q3", "2025/26 Q4"), line
        _check_figures(database_url, partnership, line)
        alert = measure.alert
        outside = alert is not None and (line.value > alert.above if alert.above is not None else line.value < alert.below)  # type: ignore[operator]
        assert line.outside_alert == outside and line.alert == (None if alert is None else f"{'above' if alert.above is not None else 'below'} {alert.above if alert.above is not None else alert.below:g}")
        given = {a.agency: a.value for a in line.agencies if a.value is not None}
        assert len(given) == line.reporting
    assert board.outside_alert == tuple(m for m in board.measures if m.outside_alert)
    assert json.loads(json.dumps(board.as_dict()))["measures"][0]["measure"] == next(iter(rt.measures))


def test_returns_received_late_and_missing_are_direct_counts(story: Story, database_url: str, partnership: Framework) -> None:
    values, facts = _read(database_url, partnership)
    board = data_dashboard(values, facts, partnership, AS_OF)
    rows = {r.agency: r for r in board.returns}
    # Two returns were due by 30 September 2027 in 2027/28: the ones covering 2026/27 Q4 and 2027/28 Q1.
    assert (rows[story.silent].received, rows[story.silent].missing) == (0, 2)
    assert (rows[story.blank].received, rows[story.blank].missing, rows[story.blank].late) == (1, 1, 0)
    assert (rows[story.late].received, rows[story.late].late, rows[story.late].missing) == (2, 1, 0)
    assert (rows[story.corrected].received, rows[story.corrected].late) == (2, 0), "a correction after the due date is not a late return"
    _, rt = dataset_type(partnership)
    activities = list(rt.activities)
    marks = ", ".join(f":a{i}" for i in range(len(activities)))
    params = {f"a{i}": a for i, a in enumerate(activities)}
    with transaction(database_url) as session:
        tasks = (f"FROM task t JOIN occurrence o ON o.id = t.occurrence_id WHERE o.activity IN ({marks}) AND o.financial_year = 2027 "
                 "AND t.assignee_kind = 'agency' AND t.status NOT IN ('planned', 'cancelled') AND t.assignee_key = :agency")
        accepted = "SELECT 1 FROM return_submission s WHERE s.task_id = t.id AND s.status = 'accepted'"
        for agency, row in rows.items():
            p = {**params, "agency": agency, "as_of": AS_OF}
            expected = session.execute(text(f"SELECT COUNT(*) {tasks}"), p).scalar_one()
            received = session.execute(text(f"SELECT COUNT(*) {tasks} AND EXISTS ({accepted})"), p).scalar_one()
            missing = session.execute(text(f"SELECT COUNT(*) {tasks} AND t.due < :as_of AND NOT EXISTS ({accepted})"), p).scalar_one()
            late = session.execute(text(f"SELECT COUNT(*) {tasks} AND EXISTS ({accepted} AND s.late AND s.version = "
                                        "(SELECT MIN(s3.version) FROM return_submission s3 WHERE s3.task_id = t.id AND s3.status = 'accepted'))"), p).scalar_one()
            assert (row.expected, row.received, row.missing, row.late, row.outstanding) == (expected, received, missing, late, expected - received), agency
    assert set(rows) == {a.key for a in story.occurrences[(2027, 1)].assignees if a.kind == "agency"}


def test_a_quarter_counts_from_the_day_it_ends(story: Story, database_url: str, partnership: Framework) -> None:
    values, facts = _read(database_url, partnership)
    _, rt = dataset_type(partnership)
    quarterly = [k for k, m in rt.measures.items() if m.period != "year" and story.sent_q1(partnership, k)]
    assert quarterly
    before = {m.measure: m for m in data_dashboard(values, facts, partnership, date(2028, 3, 30)).measures}
    on_the_day = {m.measure: m for m in data_dashboard(values, facts, partnership, date(2028, 3, 31)).measures}
    for key in quarterly:
        assert before[key].period == "2027/28 Q1", "2027/28 Q4 (January to March 2028) has not ended on 30 March"
        line = on_the_day[key]
        assert (line.period, line.previous_period, line.previous_value, line.change, line.year_before_period) == (
            "2027/28 Q4", "2027/28 Q3", None, None, "2026/27 Q4")
        _check_figures(database_url, partnership, line)
    yearly = [k for k, m in rt.measures.items() if m.period == "year"]
    for key in yearly:
        assert (before[key].period, on_the_day[key].period, on_the_day[key].year_before_period) == ("2026/27", "2027/28", "2026/27")
        _check_figures(database_url, partnership, on_the_day[key])


def test_the_year_s_series_has_four_quarters_with_none_where_nothing_came_in(story: Story, database_url: str, partnership: Framework) -> None:
    values, _ = _read(database_url, partnership)
    _, rt = dataset_type(partnership)
    series = measure_series(values, partnership, 2027)
    assert list(series) == list(rt.measures)
    with transaction(database_url) as session:
        for key, points in series.items():
            if rt.measures[key].period == "year":
                assert points == [("2027/28", _sql_figure(session, partnership, key, "2027/28")[0])]
                continue
            q1, q4 = (_sql_figure(session, partnership, key, label)[0] for label in ("2027/28 Q1", "2027/28 Q4"))
            assert points == [("2027/28 Q1", q1), ("2027/28 Q2", None), ("2027/28 Q3", None), ("2027/28 Q4", q4)], key
            assert (q1 is None) == (not story.sent_q1(partnership, key)) and (q4 is None) == (key == story.silent_measure)
