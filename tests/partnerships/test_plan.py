"""``qaf plan`` and ``qaf calendar`` on each partnership's file: the database holds exactly
what the pure planner gives, and the Section 11 cycle turns at the file's own length."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import Occurrence
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import Qaf, plan_years, s11_years, sqlite_only, stored_tasks


def test_plan_writes_exactly_the_planners_occurrences_and_tasks_once(partnership_qaf: Qaf, database_url: str, partnership: Framework) -> None:
    years = s11_years(partnership, 2)
    as_of = FinancialYear(years[0]).start - timedelta(days=1)
    planned = [o for year in years for o in plan_financial_year(partnership, FinancialYear(year))]
    expected_occurrences = {(o.key, o.activity, o.kind, o.financial_year, o.start, o.end, o.due) for o in planned}
    expected_tasks = {(o.key, a.kind, a.key, o.due) for o in planned if o.due is not None for a in o.assignees}
    assert len(expected_occurrences) == len(planned), "occurrence keys are unique"

    for attempt in range(2):
        plan_years(partnership_qaf, years, as_of)
        with transaction(database_url) as session:
            occurrences = session.execute(select(Occurrence)).scalars().all()
            stored = {(o.key, o.activity, o.kind, o.financial_year, o.window_start, o.window_end, o.due) for o in occurrences}
        tasks = [(o.key, t.assignee_kind, t.assignee_key, t.due) for t, o in stored_tasks(database_url)]
        assert (len(occurrences), stored) == (len(planned), expected_occurrences), f"run {attempt + 1}"
        assert (len(tasks), set(tasks)) == (len(expected_tasks), expected_tasks), f"run {attempt + 1}"

    code, out, err = partnership_qaf("plan", "--fy", str(years[1]), "--as-of", as_of.isoformat())
    assert code == 0 and "created 0 occurrences and 0 tasks" in out, err
    code, out, err = partnership_qaf("tasks", "--fy", str(years[1]), "--json")
    assert code == 0, err
    second_year = {o.key for o in planned if o.financial_year == years[1]}
    assert {(t["occurrence"], t["assignee"]) for t in json.loads(out)} == {(key, who) for key, _, who, _ in expected_tasks if key in second_year}


@sqlite_only
def test_section_11_activities_follow_the_files_cycle(partnership_qaf: Qaf, partnership: Framework) -> None:
    cycle = partnership.document.section11
    s11 = {key: a.s11_year for key, a in partnership.activities.items() if a.cadence == "s11-cycle"}
    assert set(s11.values()) == set(cycle.phases) == set(range(1, cycle.years + 1)), "every year of the cycle has its phase's activities"
    years = list(range(cycle.year_one - 1, cycle.year_one + cycle.years + 1))  # a year before year one, and years + 1 from it
    seen: dict[str, list[int]] = {key: [] for key in s11}
    for year in years:
        code, out, err = partnership_qaf("calendar", "--fy", str(year), "--json")
        assert code == 0, err
        for entry in json.loads(out):
            if entry["activity"] in s11:
                seen[entry["activity"]].append(year)
    for key, year_of_cycle in s11.items():
        runs_in = [y for y in years if (y - cycle.year_one) % cycle.years == year_of_cycle - 1]
        months = len(partnership.activities[key].months)
        assert seen[key] == [y for y in runs_in for _ in range(months)], f"{key} runs in year {year_of_cycle} of a {cycle.years}-year cycle"
        assert runs_in[-1] - runs_in[0] == cycle.years * (len(runs_in) - 1)
