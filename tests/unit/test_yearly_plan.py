"""The calendar engine against section 7 of the framework, year by year.

The seed's calendar table is kept verbatim in tests/data/seed_section7.txt (and checked
against ../shared/seeds when that is present), parsed here, and compared with what the
engine plans for FY 2026/27, 2027/28 and 2028/29.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework, load_framework
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year, s11_year, start_on_demand

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "002_9dcb82918a13eb3c.txt"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

#: How the seed's calendar names each activity, and the key the framework file uses.
SEED_TITLES = {
    "Multi-Agency Audit": "multi-agency-audit",
    "Focus Groups": "focus-group",
    "SSCP Insight Visit": "insight-visit",
    "S11 activity - self-assessment, practitioner survey or workshop": "s11",
    "Practitioner Survey": "practitioner-survey",
    "Safeguarding Conversation": "safeguarding-conversation",
    "RPD Annual Report": "rpd-annual-report",
    "SSCP Training Annual Report": "training-annual-report",
    "Yearly Report": "yearly-report",
    "CP Annual Report": "cp-annual-report",
    "LADO annual report": "lado-annual-report",
    "Young Peoples Quality Assurance Panel": "young-peoples-qa-panel",
    "Quality & Performance subgroup": "quality-performance",
    "Learning & Improvement subgroup": "learning-improvement",
    "Action Plan Evaluation group": "action-plan-evaluation",
    "Quality Assurance group": "quality-assurance-group",
    "SSCP Executive": "executive",
}
S11_BY_YEAR = {1: "s11-self-assessment", 2: "s11-practitioner-survey", 3: "s11-peer-review"}


def seed_calendar() -> tuple[set[tuple[int, str, str | None]], set[tuple[int, str]]]:
    """(month, key, period) for every entry that opens in a month, and (month, title) for
    every ">>" entry that carries an activity on."""
    opens: set[tuple[int, str, str | None]] = set()
    carried: set[tuple[int, str]] = set()
    months: list[int] = []
    for line in (DATA / "seed_section7.txt").read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if not line.strip():
            continue
        if cells[0] in MONTHS:
            months = [MONTHS.index(c) + 1 for c in cells]
            continue
        for column, cell in enumerate(cells):
            cell = cell.strip()
            if not cell:
                continue
            month = months[column]
            if cell.startswith(">>"):
                carried.add((month, cell.removeprefix(">>").strip()))
                continue
            period = None
            if cell.endswith(")") and "(Q" in cell:
                cell, period = cell[: cell.index(" (Q")], cell[cell.index("(Q") + 1 : -1]
            opens.add((month, SEED_TITLES[cell], period))
    return opens, carried


def test_the_seed_excerpt_is_verbatim() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed is not beside the project at {SEED}")
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    start = seed_lines.index("April\tMay\tJune\tJuly\tAugust\tSeptember")
    excerpt = (DATA / "seed_section7.txt").read_text(encoding="utf-8").splitlines()
    assert seed_lines[start : start + len(excerpt)] == excerpt


@pytest.mark.parametrize("fy", [2026, 2027, 2028])
def test_every_section_7_entry_is_planned_in_its_month_and_nothing_else_is(framework: Framework, fy: int) -> None:
    opens, carried = seed_calendar()
    s11_key = S11_BY_YEAR[s11_year(framework, FinancialYear(fy))]
    expected = {(m, s11_key if k == "s11" else k, p) for m, k, p in opens}
    # READING (schedules/sscp.yaml): ">> Practitioner Survey" in October is the survey's
    # second run of the year; ">> S11 activity" carries July's S11 window on.
    assert (10, "Practitioner Survey") in carried and (10, "S11 activity") in carried
    expected.add((10, "practitioner-survey", None))

    plan = plan_financial_year(framework, FinancialYear(fy))
    in_seed = set(SEED_TITLES.values()) | set(S11_BY_YEAR.values())
    planned = {(o.start.month, o.activity, o.period) for o in plan if o.activity in in_seed}
    assert planned == expected
    # Each entry once: no duplicates hidden by the set.
    assert len([o for o in plan if o.activity in in_seed]) == len(expected)


@pytest.mark.parametrize("fy", [2026, 2027, 2028])
def test_s11_window_spans_quarters_2_to_4(framework: Framework, fy: int) -> None:
    (s11,) = [o for o in plan_financial_year(framework, FinancialYear(fy)) if o.activity.startswith("s11-")]
    assert (s11.start, s11.end) == (date(fy, 7, 1), date(fy + 1, 3, 31))
    assert s11.start <= date(fy, 10, 1) <= s11.end  # the ">> S11 activity" in October
    section_11 = {k for k, a in framework.agencies.items() if a.section_11_duty}
    assert {a.key for a in s11.assignees} == section_11 | {"business-unit"}


def test_s11_rotation_over_two_cycles(framework: Framework) -> None:
    assert framework.document.section11.year_one == 2026
    rotation = []
    for fy in range(2025, 2032):
        (s11,) = [o.activity for o in plan_financial_year(framework, FinancialYear(fy)) if o.activity.startswith("s11-")]
        rotation.append(s11)
    assert rotation == [
        "s11-peer-review",          # 2025/26, the year before year one
        "s11-self-assessment",      # 2026/27 year one
        "s11-practitioner-survey",  # 2027/28 year two
        "s11-peer-review",          # 2028/29 year three
        "s11-self-assessment",
        "s11-practitioner-survey",
        "s11-peer-review",
    ]


def _changed_framework(tmp_path: Path, edit) -> Framework:  # type: ignore[no-untyped-def]
    root = Path(__file__).resolve().parents[2] / "schedules"
    data = yaml.safe_load((root / "sscp.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "example_agencies.yaml").write_text((root / "example_agencies.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_framework(path)


def test_year_one_is_a_setting(tmp_path: Path) -> None:
    def year_one_2027(data: dict) -> None:
        data["section11"]["year_one"] = 2027

    changed = _changed_framework(tmp_path, year_one_2027)
    assert [o.activity for o in plan_financial_year(changed, FinancialYear(2027)) if o.activity.startswith("s11-")] == ["s11-self-assessment"]
    assert [o.activity for o in plan_financial_year(changed, FinancialYear(2026)) if o.activity.startswith("s11-")] == ["s11-peer-review"]


def test_as_required_activities_are_never_planned(framework: Framework) -> None:
    as_required = {k for k, a in framework.activities.items() if a.cadence == "as-required"}
    assert as_required == {"rapid-review", "cspr", "thematic-review", "inspection"}
    for fy in (2026, 2027, 2028):
        assert not as_required & {o.activity for o in plan_financial_year(framework, FinancialYear(fy))}


def _by_key(plan: list[PlannedOccurrence]) -> dict[str, PlannedOccurrence]:
    keys = [o.key for o in plan]
    assert len(keys) == len(set(keys)), "occurrence keys must be unique"
    return {o.key: o for o in plan}


# (key, start, end, due): worked out by hand from the framework file and the bank holidays.
EXACT = {
    2026: [
        ("multi-agency-audit/2026-04", date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 30)),
        ("multi-agency-audit/2026-10", date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 30)),  # 31st a Saturday
        ("multi-agency-audit/2027-01", date(2027, 1, 1), date(2027, 1, 31), date(2027, 1, 29)),  # 31st a Sunday
        ("insight-visit/2026-05", date(2026, 5, 1), date(2026, 5, 31), date(2026, 5, 29)),  # 31st a Sunday
        ("cpc-quality-assurance/2026-08", date(2026, 8, 1), date(2026, 8, 31), date(2026, 8, 28)),  # 31st is a bank holiday
        ("safeguarding-conversation/2027-02", date(2027, 2, 1), date(2027, 2, 28), date(2027, 2, 26)),
        ("s11-self-assessment/2026-07", date(2026, 7, 1), date(2027, 3, 31), date(2027, 3, 31)),
        ("s175-audit/2027-01", date(2027, 1, 1), date(2027, 3, 31), date(2027, 3, 31)),
        ("yearly-report/2026-09", date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30)),
    ],
    2027: [
        ("rpd-annual-report/2027-05", date(2027, 5, 1), date(2027, 5, 31), date(2027, 5, 28)),  # 31st spring bank holiday
        ("multi-agency-audit/2027-10", date(2027, 10, 1), date(2027, 10, 31), date(2027, 10, 29)),
        ("mape/2027-11", date(2027, 11, 1), date(2027, 11, 30), date(2027, 11, 30)),
        ("safeguarding-conversation/2028-02", date(2028, 2, 1), date(2028, 2, 29), date(2028, 2, 29)),  # leap day
        ("s11-practitioner-survey/2027-07", date(2027, 7, 1), date(2028, 3, 31), date(2028, 3, 31)),
        ("cpc-quality-assurance/2027-08", date(2027, 8, 1), date(2027, 8, 31), date(2027, 8, 31)),
    ],
    2028: [
        ("s11-peer-review/2028-07", date(2028, 7, 1), date(2029, 3, 31), date(2029, 3, 29)),  # Good Friday 30 March 2029
        ("young-peoples-qa-panel/2029-03", date(2029, 3, 1), date(2029, 3, 31), date(2029, 3, 29)),
        ("multi-agency-audit/2028-07", date(2028, 7, 1), date(2028, 7, 31), date(2028, 7, 31)),
        ("practitioner-survey/2028-04", date(2028, 4, 1), date(2028, 4, 30), date(2028, 4, 28)),  # 30th a Sunday
        ("lado-annual-report/2028-09", date(2028, 9, 1), date(2028, 9, 30), date(2028, 9, 29)),
    ],
}


@pytest.mark.parametrize("fy", sorted(EXACT))
def test_exact_windows_and_due_dates(framework: Framework, fy: int) -> None:
    plan = _by_key(plan_financial_year(framework, FinancialYear(fy)))
    for key, start, end, due in EXACT[fy]:
        o = plan[key]
        assert (o.start, o.end, o.due) == (start, end, due), key


@pytest.mark.parametrize("fy", [2026, 2027, 2028])
def test_every_due_date_is_a_working_day_within_its_window(framework: Framework, fy: int) -> None:
    import holidays

    bank = holidays.country_holidays("GB", subdiv="ENG", years=[fy, fy + 1])
    for o in plan_financial_year(framework, FinancialYear(fy)):
        assert FinancialYear(fy).start <= o.start <= o.end <= FinancialYear(fy).end
        if o.kind == "meeting":
            assert o.due is None
            continue
        assert o.due is not None and o.start <= o.due <= o.end
        assert o.due.weekday() < 5 and o.due not in bank
        after = [o.due + timedelta(days=d) for d in range(1, (o.end - o.due).days + 1)]
        assert all(d.weekday() >= 5 or d in bank for d in after), f"{o.key}: a later working day exists in the window"


def test_counts_for_2027(framework: Framework) -> None:
    plan = plan_financial_year(framework, FinancialYear(2027))
    # 32 activity windows (4 audits, 4 dataset returns, 6 MAPEs, 3 insight visits, 2 each
    # of practitioner survey, focus groups and safeguarding conversations, 9 annual items)
    # and 34 meetings.
    assert len([o for o in plan if o.kind == "activity"]) == 32
    assert len([o for o in plan if o.kind == "meeting"]) == 34


def test_only_quarterly_items_carry_a_period(framework: Framework) -> None:
    plan = plan_financial_year(framework, FinancialYear(2027))
    audits = sorted((o.start, o.period) for o in plan if o.activity == "multi-agency-audit")
    assert [p for _, p in audits] == ["Q1", "Q2", "Q3", "Q4"]
    assert [o.period for o in plan if o.activity == "audit-subgroup"] == ["Q1", "Q2", "Q3", "Q4"]
    assert [o.period for o in plan if o.activity == "dataset-return"] == ["Q1", "Q2", "Q3", "Q4"]
    assert {o.period for o in plan if o.activity not in {"multi-agency-audit", "audit-subgroup", "dataset-return"}} == {None}


EXECUTIVE_2027 = [date(2027, 5, 11), date(2027, 7, 13), date(2027, 9, 14), date(2027, 11, 9), date(2028, 1, 11), date(2028, 3, 14)]


def test_executive_meets_on_the_second_tuesday_at_ten_whatever_the_clocks(framework: Framework) -> None:
    meetings = [o for o in plan_financial_year(framework, FinancialYear(2027)) if o.activity == "executive"]
    assert [m.start for m in meetings] == EXECUTIVE_2027
    for m in meetings:
        assert m.starts_at is not None and m.ends_at is not None
        assert m.starts_at.timetz().replace(tzinfo=None) == time(10, 0)
        summer = m.start.month in (5, 7, 9)
        assert m.starts_at.utcoffset() == timedelta(hours=1 if summer else 0)
        assert m.starts_at.astimezone(timezone.utc).hour == (9 if summer else 10)
        assert m.ends_at - m.starts_at == timedelta(hours=3)


def test_meetings_either_side_of_the_clock_changes(tmp_path: Path) -> None:
    """A body meeting on the last Monday: in March 2027 that is Easter Monday (moved to
    Tuesday 30th, two days after the clocks go forward); in October 2026 it is the 26th,
    the day after they go back."""

    def last_monday_body(data: dict) -> None:
        data["bodies"]["audit-subgroup"]["meetings"] = {
            "months": ["mar", "jun", "sep", "oct"], "day": {"week": -1, "weekday": "monday"}, "time": "10:00",
        }

    changed = _changed_framework(tmp_path, last_monday_body)
    meetings = {o.start.month: o for o in plan_financial_year(changed, FinancialYear(2026)) if o.activity == "audit-subgroup"}
    march = meetings[3]
    assert march.start == date(2027, 3, 30)
    assert march.starts_at == datetime(2027, 3, 30, 9, 0, tzinfo=timezone.utc)
    october = meetings[10]
    assert october.start == date(2026, 10, 26)  # clocks went back on Sunday 25 October 2026
    assert october.starts_at == datetime(2026, 10, 26, 10, 0, tzinfo=timezone.utc)
    september = meetings[9]
    assert september.starts_at == datetime(2026, 9, 28, 9, 0, tzinfo=timezone.utc)


def test_start_on_demand_uses_the_activitys_deadline_rule(framework: Framework) -> None:
    rr = start_on_demand(framework, "rapid-review", date(2026, 12, 18), reference="RR-2026-004")
    assert (rr.key, rr.start, rr.due, rr.end) == ("rapid-review/RR-2026-004", date(2026, 12, 18), date(2027, 1, 13), date(2027, 1, 13))
    assert rr.financial_year == 2026
    cspr = start_on_demand(framework, "cspr", date(2027, 8, 31), reference="CSPR-2027-001")
    assert cspr.due == date(2028, 2, 29)
    inspection = start_on_demand(framework, "inspection", date(2027, 6, 1))
    assert inspection.due is None and inspection.end == date(2027, 6, 1)
    visit = start_on_demand(framework, "insight-visit", date(2027, 6, 10))
    assert (visit.end, visit.due) == (date(2027, 6, 30), date(2027, 6, 30))


def test_start_on_demand_rejects_an_unknown_activity(framework: Framework) -> None:
    from qaframework.errors import UnknownActivityError

    with pytest.raises(UnknownActivityError, match="unknown activity 'rapid-reveiw'"):
        start_on_demand(framework, "rapid-reveiw", date(2027, 1, 1))


def test_json_contract(framework: Framework) -> None:
    (first,) = [o for o in plan_financial_year(framework, FinancialYear(2027)) if o.key == "multi-agency-audit/2027-07"]
    data = first.as_json()
    assert {"activity", "title", "start", "end", "due", "period", "assignees"} <= set(data)
    assert (data["activity"], data["start"], data["end"], data["due"], data["period"]) == (
        "multi-agency-audit", "2027-07-01", "2027-07-31", "2027-07-30", "Q2",
    )
    assert "audit-subgroup" in data["assignees"] and "avon-somerset-police" in data["assignees"]


def test_a_meeting_never_moves_into_the_next_month(tmp_path: Path) -> None:
    """The last Monday of May 2027 is the spring bank holiday (31 May): the meeting moves
    back to Friday 28 May rather than into June."""

    def last_monday_in_may(data: dict) -> None:
        data["bodies"]["audit-subgroup"]["meetings"] = {"months": ["may"], "day": {"week": -1, "weekday": "monday"}, "time": "10:00"}

    changed = _changed_framework(tmp_path, last_monday_in_may)
    (meeting,) = [o for o in plan_financial_year(changed, FinancialYear(2027)) if o.activity == "audit-subgroup"]
    assert meeting.start == date(2027, 5, 28)
