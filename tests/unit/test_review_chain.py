"""The statutory clock chain's due dates, worked out by hand over Christmas, Easter and
February month ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from qaframework.framework import Framework
from qaframework.reviews.chain import CaseDates, due_dates, next_stage, stages_for


def dues(framework: Framework, aware: date, notified: date | None, done: dict[str, date] | None = None, decision: str | None = None) -> dict[str, date | None]:
    return due_dates(framework, CaseDates(None, aware, notified), done or {}, decision)


@pytest.mark.parametrize(
    ("aware", "notified", "panel", "review"),
    [
        # Before Christmas 2026: 25 and 28 December (Boxing Day substitute) and 1 January.
        (date(2026, 12, 14), date(2026, 12, 18), date(2026, 12, 21), date(2027, 1, 13)),
        (date(2026, 12, 21), date(2026, 12, 23), date(2026, 12, 30), date(2027, 1, 18)),
        # Christmas 2027 falls on a Saturday: 27 and 28 December and 3 January are off.
        (date(2027, 12, 21), date(2027, 12, 23), date(2027, 12, 30), date(2028, 1, 18)),
        # Before Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (date(2027, 3, 24), date(2027, 3, 25), date(2027, 4, 2), date(2027, 4, 19)),
        (date(2027, 3, 19), date(2027, 3, 22), date(2027, 3, 30), date(2027, 4, 14)),
        # Before Easter 2028: Good Friday 14 April, Easter Monday 17 April; 1 May bank holiday.
        (date(2028, 4, 12), date(2028, 4, 13), date(2028, 4, 21), date(2028, 5, 9)),
    ],
)
def test_panel_notification_and_rapid_review_due_dates(framework: Framework, aware: date, notified: date, panel: date, review: date) -> None:
    found = dues(framework, aware, notified)
    assert (found["panel-notification"], found["rapid-review"], found["executive-sign-off"], found["decision"]) == (panel, review, review, review)


def test_without_a_notification_date_the_panel_stage_done_date_starts_the_review_clock(framework: Framework) -> None:
    assert dues(framework, date(2026, 12, 14), None)["rapid-review"] is None
    assert dues(framework, date(2026, 12, 14), None, {"panel-notification": date(2026, 12, 18)})["rapid-review"] == date(2027, 1, 13)


@pytest.mark.parametrize(
    ("decided", "completion"),
    [(date(2027, 8, 31), date(2028, 2, 29)), (date(2026, 8, 31), date(2027, 2, 28)), (date(2027, 1, 13), date(2027, 7, 13))],
)
def test_a_cspr_is_due_six_calendar_months_after_the_decision(framework: Framework, decided: date, completion: date) -> None:
    found = dues(framework, date(2027, 7, 1), date(2027, 7, 5), {"decision": decided}, "cspr")
    assert found["cspr-completed"] == found["publication"] == found["executive-sign-off-cspr"] == completion


def test_the_clock_can_start_at_the_incident(framework: Framework) -> None:
    settings = framework.document.serious_incident.model_copy(update={"clock_starts_at": "incident"})
    incident_first = replace(framework, document=framework.document.model_copy(update={"serious_incident": settings}))
    dates = CaseDates(date(2027, 1, 4), date(2027, 1, 11), None)
    assert due_dates(framework, dates, {}, None)["panel-notification"] == date(2027, 1, 18)
    assert due_dates(incident_first, dates, {}, None)["panel-notification"] == date(2027, 1, 11)


def test_the_chain_branches_on_the_decision() -> None:
    assert [s.key for s in stages_for(None)] == ["panel-notification", "rapid-review", "executive-sign-off", "decision"]
    assert [s.key for s in stages_for("cspr")][4:] == [
        "panel-endorsement", "author-commissioned", "cspr-completed", "scrutineer-sign-off", "executive-sign-off-cspr", "publication",
    ]
    assert [s.key for s in stages_for("thematic-review")][4:] == ["thematic-completed"]
    done = {s.key: date(2027, 1, 1) for s in stages_for("no-review")}
    assert next_stage("no-review", done) is None
    assert next_stage("cspr", done).key == "panel-endorsement"  # type: ignore[union-attr]
