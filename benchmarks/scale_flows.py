"""The scale benchmark's flows: each scheduled flow, in this process, on one Prefect test
server, against an empty flow on the same server (goal: within 2x).

Every run starts from a fresh copy of the morning's database with the watermarks the
previous morning left, so each repeat does the same day's work (and check-deadlines
writes its digests to the outbox folder: no SMTP server is set). Each figure is the best
of three: with Prefect's heartbeats on (as deployed), a run ends only when its heartbeat
thread next wakes, on a whole second from the run's start (an empty flow's 0.2 s of work
takes 1.1 s), so one run of a flow doing two seconds' work may take two seconds or three.
So check-deadlines is measured once more with heartbeats off: its own work, to the
millisecond, against an empty flow measured the same way.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from scale_setup import copy_database, previous_working_day
from qaframework.framework import load_framework
from qaframework.framework.yaml_reader import forget_parsed


def _fresh(source: str, target: Path, framework_file: Path, day: date) -> None:
    """The morning's database afresh, and the framework file to be parsed afresh, as in
    the new process a worker starts each run in."""
    copy_database(Path(source.removeprefix("sqlite:///")), target)
    previous = previous_working_day(load_framework(framework_file), day).isoformat()
    with closing(sqlite3.connect(target)) as db, db:
        for job in ("open-activities", "check-deadlines"):
            db.execute("INSERT OR REPLACE INTO run_watermark (job, processed_through, updated_at) VALUES (?, ?, ?)", (job, previous, f"{previous} 08:00:00.000000"))
    forget_parsed()


def bench_flows(folder: Path, framework_file: Path, source: str, day: date, repeats: int = 3) -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect import flow, task
    from prefect.testing.utilities import prefect_test_harness

    from flows.check_deadlines import check_deadlines
    from flows.open_activities import open_activities
    from flows.plan_year import plan_year
    from flows.prepare_meeting_papers import prepare_meeting_papers
    from flows.sweep_returns_inbox import sweep_returns_inbox

    @flow(name="empty")
    def empty() -> None:
        return None

    @task(name="nothing")
    def nothing() -> None:
        return None

    @flow(name="empty-with-twelve-tasks")
    def twelve_empty_tasks() -> None:
        for _ in range(12):  # about as many tasks as check-deadlines runs
            nothing()

    @flow(name="empty-subflow")
    def empty_subflow() -> None:
        return None

    @flow(name="empty-with-a-subflow")
    def with_a_subflow() -> None:
        # As check-deadlines runs its dashboards: each flow run, a subflow too, ends only
        # when its heartbeat thread next wakes.
        empty_subflow()

    target = folder / "flow-run.db"
    (folder / "inbox").mkdir(exist_ok=True)
    os.environ.update(
        QAF_DATABASE_URL=f"sqlite:///{target}", QAF_FRAMEWORK_FILE=str(framework_file),
        QAF_DATA_DIR=str(folder / "flow-data"), QAF_RETURNS_INBOX=str(folder / "inbox"),
    )
    flows = {
        "plan-year (a new year)": lambda: plan_year(financial_year="2040", as_of=day),
        "open-activities": lambda: open_activities(as_of=day),
        "check-deadlines": lambda: check_deadlines(as_of=day),
        "prepare-meeting-papers": lambda: prepare_meeting_papers(as_of=day),
        "sweep-returns-inbox": lambda: sweep_returns_inbox(as_of=day),
    }

    def timed(run, times: int = repeats, again: bool = False) -> float:  # type: ignore[no-untyped-def]
        """The best time of ``run`` on a fresh copy of the morning, or ``again`` on what
        its last run left (the framework file parsed afresh either way)."""
        best = float("inf")
        for _ in range(times):
            if again:
                forget_parsed()
            else:
                _fresh(source, target, framework_file, day)
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        return best

    with prefect_test_harness(server_startup_timeout=120):
        empty()  # the first run on a new server pays for its start-up
        baseline = timed(empty, 5)
        with_tasks = timed(twelve_empty_tasks, 3)
        nested = timed(with_a_subflow, 3)
        print(f"scheduled flows on {day:%a %d %b %Y} against an empty flow on the same Prefect test server (best of {repeats}, the empty ones of 5 and 3; no SMTP server, so digests go to .eml files)")
        print(f"    baseline, an empty flow                    {baseline * 1000:8.0f} ms")
        print(f"    an empty flow running 12 empty tasks       {with_tasks * 1000:8.0f} ms   ratio {with_tasks / baseline:6.1f}")
        print(f"    an empty flow running an empty subflow     {nested * 1000:8.0f} ms   ratio {nested / baseline:6.1f}   (check-deadlines' shape)")
        for name, run in flows.items():
            seconds = timed(run)
            print(f"    {name:<42} {seconds * 1000:8.0f} ms   ratio {seconds / baseline:6.1f}   (goal 2)")
            if name == "check-deadlines":  # the same morning again: its emails sent, what is left is the rest of the run
                again = timed(run, again=True)
                print(f"      {'of which the run without sending':<40} {again * 1000:8.0f} ms   ratio {again / baseline:6.1f}   (the same morning run again: nothing left to send)")
        # The same, without heartbeats: what the run's own work takes, not rounded up to the
        # heartbeat thread's next whole second (this is what a change to the code moves).
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            quiet = timed(empty, 5)
            work = timed(flows["check-deadlines"])
            print(f"    without heartbeats (not as deployed): an empty flow {quiet * 1000:.0f} ms, check-deadlines {work * 1000:.0f} ms   ratio {work / quiet:6.1f}")
