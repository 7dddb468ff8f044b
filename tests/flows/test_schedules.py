"""The schedules in prefect.yaml, evaluated by Prefect's own schedule code, across both
2027 clock changes (28 March and 31 October)."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parents[2]


def schedule(name: str):  # type: ignore[no-untyped-def]
    from prefect.server.schemas.schedules import RRuleSchedule

    (deployment,) = [d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"] if d["name"] == name]
    (spec,) = deployment["schedules"]
    assert spec["rrule"].startswith("DTSTART:"), "every RRULE has an explicit local DTSTART"
    assert spec["timezone"] == "Europe/London"
    return RRuleSchedule(rrule=spec["rrule"], timezone=spec["timezone"])


def next_runs(name: str, after: datetime, n: int) -> list[datetime]:
    return [d.astimezone(timezone.utc) for d in asyncio.run(schedule(name).get_dates(n=n, start=after))]


@pytest.mark.parametrize(
    ("name", "after", "expected_utc"),
    [
        # Spring forward, Sunday 28 March 2027 (Easter weekend): Friday in GMT, Monday in BST.
        ("open-activities", datetime(2027, 3, 26, 0, 0, tzinfo=timezone.utc),
         [datetime(2027, 3, 26, 7, 0, tzinfo=timezone.utc), datetime(2027, 3, 29, 6, 0, tzinfo=timezone.utc), datetime(2027, 3, 30, 6, 0, tzinfo=timezone.utc)]),
        # Fall back, Sunday 31 October 2027.
        ("open-activities", datetime(2027, 10, 29, 0, 0, tzinfo=timezone.utc),
         [datetime(2027, 10, 29, 6, 0, tzinfo=timezone.utc), datetime(2027, 11, 1, 7, 0, tzinfo=timezone.utc), datetime(2027, 11, 2, 7, 0, tzinfo=timezone.utc)]),
        ("check-deadlines", datetime(2027, 3, 26, 0, 0, tzinfo=timezone.utc),
         [datetime(2027, 3, 26, 7, 30, tzinfo=timezone.utc), datetime(2027, 3, 29, 6, 30, tzinfo=timezone.utc), datetime(2027, 3, 30, 6, 30, tzinfo=timezone.utc)]),
        ("check-deadlines", datetime(2027, 10, 29, 0, 0, tzinfo=timezone.utc),
         [datetime(2027, 10, 29, 6, 30, tzinfo=timezone.utc), datetime(2027, 11, 1, 7, 30, tzinfo=timezone.utc), datetime(2027, 11, 2, 7, 30, tzinfo=timezone.utc)]),
        ("plan-year", datetime(2027, 1, 1, tzinfo=timezone.utc),
         [datetime(2027, 3, 1, 6, 0, tzinfo=timezone.utc), datetime(2028, 3, 1, 6, 0, tzinfo=timezone.utc)]),
    ],
)
def test_next_run_times_across_the_2027_clock_changes(name: str, after: datetime, expected_utc: list[datetime]) -> None:
    assert next_runs(name, after, len(expected_utc)) == expected_utc


@pytest.mark.parametrize("name", ["plan-year", "open-activities", "check-deadlines"])
def test_no_run_between_one_and_two_in_the_morning_and_never_at_weekends(name: str) -> None:
    runs = next_runs(name, datetime(2027, 1, 1, tzinfo=timezone.utc), 400)
    for run in runs:
        local = run.astimezone(LONDON)
        assert not time(1, 0) <= local.time() < time(2, 0), local
        if name != "plan-year":
            assert local.weekday() < 5, local
    daily = {run.astimezone(LONDON).time() for run in runs}
    assert len(daily) == 1, f"{name} drifts with the clocks: {daily}"


def test_check_deadlines_runs_after_open_activities() -> None:
    after = datetime(2027, 6, 1, tzinfo=timezone.utc)
    assert next_runs("open-activities", after, 1)[0] < next_runs("check-deadlines", after, 1)[0]


def test_the_inbox_is_swept_every_quarter_hour_from_seven_to_quarter_to_eight_london_time() -> None:
    # Across the spring-forward night (Sunday 28 March 2027): same local times both days.
    runs = [r.astimezone(LONDON) for r in next_runs("sweep-returns-inbox", datetime(2027, 3, 27, 0, 0, tzinfo=timezone.utc), 104)]
    days: dict[object, list[time]] = {}
    for run in runs:
        days.setdefault(run.date(), []).append(run.time())
    saturday, sunday = days[datetime(2027, 3, 27).date()], days[datetime(2027, 3, 28).date()]
    assert saturday == sunday and len(sunday) == 52
    assert (sunday[0], sunday[1], sunday[-1]) == (time(7, 0), time(7, 15), time(19, 45))
    assert runs[52].utcoffset().total_seconds() == 3600 and runs[0].utcoffset().total_seconds() == 0
