"""The pure view (``qaframework.today``): working days across Christmas and Easter, the
week's end, and the markdown whose tables carry exactly the rows' keys."""

from __future__ import annotations

from datetime import date

import pytest

from qaframework.today import CaseStage, OpenedOccurrence, OwedTask, RejectedReturn, TodayFacts, today_markdown, today_view
from qaframework.working_days import WorkingDayCalendar

WD = WorkingDayCalendar()


@pytest.mark.parametrize(("due", "on", "expected"), [
    (date(2027, 12, 24), date(2027, 12, 29), 1),  # Christmas Day and Boxing Day on a weekend: 27 and 28 December are bank holidays
    (date(2026, 12, 24), date(2026, 12, 29), 1),  # 25 December and the substitute day for Boxing Day, 28 December
    (date(2027, 3, 25), date(2027, 3, 30), 1),  # Good Friday 26 March and Easter Monday 29 March 2027
    (date(2027, 3, 26), date(2027, 3, 30), 1),  # due on Good Friday itself
    (date(2027, 10, 29), date(2027, 11, 1), 1),  # over the end of British Summer Time (31 October)
])
def test_working_days_overdue_skip_weekends_and_bank_holidays(due: date, on: date, expected: int) -> None:
    view = today_view(TodayFacts(owed=(OwedTask("a/2027-12/x", "Audit", "X", due),)), on, WD)
    assert [r["working_days_overdue"] for r in view["overdue"]] == [expected]  # type: ignore[attr-defined]
    assert view["due_this_week"] == []


def test_due_this_week_runs_to_sunday_and_not_beyond() -> None:
    owed = tuple(OwedTask(f"a/{d}/x", "Audit", "X", d) for d in (date(2027, 12, 22), date(2027, 12, 26), date(2027, 12, 27)))
    view = today_view(TodayFacts(owed=owed), date(2027, 12, 22), WD)
    assert [(r["due"], r["working_days_left"]) for r in view["due_this_week"]] == [("2027-12-22", 0), ("2027-12-26", 2)]  # type: ignore[attr-defined]
    assert view["week_ends"] == "2027-12-26"


def test_a_case_whose_next_due_date_is_not_known_yet() -> None:
    view = today_view(TodayFacts(cases=(CaseStage("RR-2027-004", "Panel decision", None),)), date(2027, 5, 4), WD)
    assert view["case_stages"] == [{"case": "RR-2027-004", "next_stage": "Panel decision", "due": None,
                                    "state": "due date not yet known", "working_days": None}]


def test_the_markdown_tables_have_the_json_keys_as_columns() -> None:
    facts = TodayFacts(
        owed=(OwedTask("a/2027-04/x", "Audit", "Agency | X", date(2027, 4, 30), "sent", date(2027, 5, 10)),),
        opened=(OpenedOccurrence("b/2027-05", "Visit", ("A", "B", "C", "D"), date(2027, 5, 31), date(2027, 5, 28)),),
        cases=(CaseStage("RR-2027-004", "Rapid review", date(2027, 5, 20)),),
        rejected=(RejectedReturn("a/2027-04/x", "Audit", "X", date(2027, 4, 30), 2, date(2027, 5, 4)),),
    )
    view = today_view(facts, date(2027, 5, 4), WD)
    markdown = today_markdown(view)
    assert markdown.startswith("# Today, Tuesday 04 May 2027\n\n1 overdue, 0 due this week, 1 opened today, 1 cases")
    for key in ("overdue", "opened", "case_stages", "rejected_returns"):
        header = "| " + " | ".join(view[key][0]) + " |"  # type: ignore[index]
        assert header in markdown, key
    assert "| a/2027-04/x | Audit | Agency / X | 2027-04-30 | 1 | sent | 2027-05-10 |" in markdown, "a | in a name cannot break the table"
    assert "| b/2027-05 | Visit | A, B and 2 more | 4 | 2027-05-31 | 2027-05-28 |" in markdown
    assert "Nothing else falls due this week." in markdown
