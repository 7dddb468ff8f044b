"""The daily run at scale: a 200-agency roster and about 100,000 tasks, every figure a
ratio against a baseline measured in the same run.

    .venv/bin/python benchmarks/scale.py            # everything (a few minutes)
    .venv/bin/python benchmarks/scale.py --no-flows # without the Prefect server

1. The daily path (open, mark overdue, queue reminders, assemble digests, dashboard
   tables) on three mornings (May, November, February), each against the bare indexed
   SQL selecting the same rows, with and without ten years of sent emails in the outbox:
   the cost must follow the day's work, not the history. Goal: within 3x.
2. Planning a year (the plan, the directory, the rows written) against a raw
   ``executemany`` of the same rows. Goal: within 2x.
3. Each scheduled flow against an empty flow on the same Prefect server (goal: 2x),
   see benchmarks/scale_flows.py.
4. The calendar feed of the agency with the most items, and the returns dashboard.

Each day's work runs in a transaction that is rolled back, so every repeat does the
same work; the figure is the best of the repeats (benchmarks/timing.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from qaframework.compliance import compliance_rows_from_counts, upcoming_markdown  # noqa: E402
from qaframework.financial_year import FinancialYear  # noqa: E402
from qaframework.persistence.database import make_engine  # noqa: E402
from qaframework.persistence.outbox import assemble_digests, queue_reminders  # noqa: E402
from qaframework.persistence.reporting import assignee_names, assignees_by_occurrence, calendar_items, compliance_counts  # noqa: E402
from qaframework.persistence.repository import sync_directory, write_plan  # noqa: E402
from qaframework.persistence.return_reports import return_task_facts  # noqa: E402
from qaframework.persistence.task_status import mark_overdue_tasks, open_started_tasks  # noqa: E402
from qaframework.returns.dashboard import returns_tables  # noqa: E402
from qaframework.yearly_plan import plan_financial_year  # noqa: E402
from scale_setup import DOMAIN, copy_database, add_sent_history, load, planned_database, previous_working_day, scaled_framework, state_before, years_for  # noqa: E402
from timing import best_of  # noqa: E402

#: Three busy mornings in the issue's months: the first working day after the quarter's
#: returns fell due (Tuesday 4 May after the bank holiday, Monday 1 November, Tuesday
#: 1 February), when the most reminders and escalations go out.
DAYS = (date(2027, 5, 4), date(2027, 11, 1), date(2028, 2, 1))
ACTIVE = "('open', 'overdue')"

BARE = {
    "open": "SELECT t.id FROM task t JOIN occurrence o ON o.id = t.occurrence_id WHERE t.status = 'planned' AND o.window_start <= :day",
    "overdue": "SELECT id FROM task WHERE status = 'open' AND due < :day",
    "queue reminders": f"SELECT t.id, t.assignee_kind, t.assignee_key, t.due, t.opened_on, o.activity FROM task t "
                       f"JOIN occurrence o ON o.id = t.occurrence_id WHERE t.status IN {ACTIVE} AND t.due IS NOT NULL",
    "assemble digests": "SELECT r.id, r.recipient, r.stage, t.status FROM reminder r JOIN task t ON t.id = r.task_id "
                        "WHERE r.email_id IS NULL AND r.status = 'pending' AND r.due_on <= :day",
    "dashboard tables": "SELECT assignee_kind, assignee_key, status, count(*) FROM task GROUP BY assignee_kind, assignee_key, status; "
                        "SELECT * FROM occurrence WHERE window_start BETWEEN :day AND :end OR due BETWEEN :day AND :end",
}


def _bare(session: Session, name: str, day: date) -> int:
    end = date.fromordinal(day.toordinal() + 30)
    count = 0
    for statement in BARE[name].split("; "):
        count += len(session.execute(text(statement), {"day": day, "end": end}).all())
    return count


def daily_steps(session: Session, framework, day: date) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """One morning's daily path, step by step, in ``session`` (the caller rolls back)."""
    zone = framework.document.partnership.timezone
    times: dict[str, float] = {}

    def step(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        fn()
        session.flush()
        times[name] = time.perf_counter() - start

    step("open", lambda: open_started_tasks(session=session, on=day, actor="bench"))
    step("overdue", lambda: mark_overdue_tasks(session=session, on=day, actor="bench"))
    since = previous_working_day(framework, day)  # the watermark the morning before left
    step("queue reminders", lambda: queue_reminders(session=session, framework=framework, since=since, today=day))
    step("assemble digests", lambda: assemble_digests(session=session, today=day, domain=DOMAIN))

    def dashboard() -> None:
        # As check-deadlines' dashboards do (tasks/dashboard.py): counted in SQL, the calendar's own holders.
        compliance_rows_from_counts(compliance_counts(session=session, zone=zone), assignee_names(session=session), always=list(framework.agencies))
        items = calendar_items(session=session, start=day, end=date.fromordinal(day.toordinal() + 30), zone=zone)
        assignees_by_occurrence(session=session, keys=[i.key for i in items])
        upcoming_markdown(items, day, 30)

    step("dashboard tables", dashboard)
    return times


def bench_daily(url: str, framework, day: date, label: str, repeats: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    best: dict[str, float] = {}
    bare: dict[str, float] = {}
    work: dict[str, int] = {}
    for _ in range(repeats):
        with Session(engine) as session:
            for name, seconds in daily_steps(session, framework, day).items():
                best[name] = min(best.get(name, seconds), seconds)
            work["reminders queued"] = session.execute(text("SELECT count(*) FROM reminder WHERE status = 'pending'")).scalar_one()
            work["emails to send"] = session.execute(text("SELECT count(*) FROM email_message WHERE status = 'pending'")).scalar_one()
            session.rollback()
    with Session(engine) as session:
        for name in BARE:
            bare[name] = best_of(lambda: _bare(session, name, day), repeats)
        sent = session.execute(text("SELECT count(*) FROM email_message WHERE status = 'sent'")).scalar_one()
    engine.dispose()
    total, total_bare = sum(best.values()), sum(bare.values())
    print(f"  {day:%a %d %b %Y}, {label} ({sent:,} sent emails in the outbox; the day's work: "
          f"{work['reminders queued']:,} reminders in {work['emails to send']:,} emails)")
    for name in BARE:
        print(f"    {name:<18} {best[name] * 1000:9.1f} ms   bare SQL {bare[name] * 1000:8.1f} ms   ratio {best[name] / bare[name]:6.1f}")
    print(f"    {'daily path':<18} {total * 1000:9.1f} ms   bare SQL {total_bare * 1000:8.1f} ms   ratio {total / total_bare:6.1f}   (goal 3)")
    return total, total_bare


def bench_planning(url: str, framework, year: int, repeats: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Planning a year not yet planned, against inserting the same rows with executemany."""
    engine = make_engine(url)
    plan = plan_financial_year(framework, FinancialYear(year))

    def ours() -> None:
        with Session(engine) as session:
            occurrences = plan_financial_year(framework, FinancialYear(year))
            sync_directory(session=session, framework=framework)
            write_plan(session=session, occurrences=occurrences, actor="bench", as_of=None)
            session.rollback()

    def raw() -> None:
        with Session(engine) as session:
            connection = session.connection()
            first = connection.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM occurrence").scalar_one()
            occurrence_rows = [
                (first + i, o.key, o.activity, o.kind, o.title, o.financial_year, o.period, o.start, o.end, o.due, o.starts_at, o.ends_at, "2027-03-01")
                for i, o in enumerate(plan)
            ]
            connection.exec_driver_sql(
                "INSERT INTO occurrence (id, key, activity, kind, title, financial_year, period, window_start, window_end, due, "
                "starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", occurrence_rows)
            task_rows = [
                (first + i, a.kind, a.key, o.due, "planned", "2027-03-01", "2027-03-01", "")
                for i, o in enumerate(plan) if o.due is not None for a in o.assignees
            ]
            connection.exec_driver_sql(
                "INSERT INTO task (occurrence_id, assignee_kind, assignee_key, due, status, created_at, updated_at, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", task_rows)
            session.rollback()

    domain = best_of(lambda: plan_financial_year(framework, FinancialYear(year)), repeats)
    mine, baseline = best_of(ours, repeats), best_of(raw, repeats)
    engine.dispose()
    tasks = sum(len(o.assignees) for o in plan if o.due is not None)
    print(f"planning FY {FinancialYear(year)}: {len(plan):,} occurrences and {tasks:,} tasks, into a database already holding the others")
    print(f"    raw executemany of the same rows     {baseline * 1000:8.1f} ms")
    print(f"    planning the year (all of it)        {mine * 1000:8.1f} ms   ratio {mine / baseline:6.2f}   (goal 2)")
    print(f"      of which the plan itself (no SQL)  {domain * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-flows", action="store_true", help="skip the Prefect flows (no server)")
    parser.add_argument("--days", type=int, default=len(DAYS), help="how many of the three mornings to measure")
    parser.add_argument("--keep", type=Path, help="build the databases in this folder and keep them (re-used when there)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = options.keep or Path(scratch)
        framework_file = scaled_framework(folder / "schedules")
        framework = load(framework_file)
        years = years_for(framework)
        base = f"sqlite:///{folder}/planned.db"
        started = time.perf_counter()
        if not (folder / "planned.db").exists():
            planned_database(base, framework, years)
        engine = make_engine(base)
        with engine.connect() as connection:
            tasks = connection.exec_driver_sql("SELECT count(*) FROM task").scalar_one()
        engine.dispose()
        print(f"{len(framework.agencies)} agencies, {tasks:,} tasks planned over FY {years[0]} to FY {years[-1]} "
              f"(set-up {time.perf_counter() - started:.0f} s)")
        print()
        print("daily path (each step against the bare SQL that selects the same rows)")
        for day in DAYS[: options.days]:
            fresh = str(folder / f"day-{day}.db")
            copy_database(folder / "planned.db", Path(fresh))
            url = f"sqlite:///{fresh}"
            state_before(url, framework, day)
            bench_daily(url, framework, day, "no sent history")
            history = str(folder / f"day-{day}-history.db")
            copy_database(Path(fresh), Path(history))
            emails, reminders = add_sent_history(f"sqlite:///{history}", day)
            bench_daily(f"sqlite:///{history}", framework, day, f"with {emails:,} emails / {reminders:,} reminders of history")
        print()
        bench_planning(base, framework, years[-1] + 1)
        print()
        last = f"sqlite:///{folder}/day-{DAYS[options.days - 1]}-history.db"
        from scale_reads import bench_feed, bench_returns_dashboard

        bench_feed(last, framework)
        print()
        bench_returns_dashboard(last, framework, DAYS[options.days - 1])
        if not options.no_flows:
            print()
            from scale_flows import bench_flows

            bench_flows(folder, framework_file, last, DAYS[options.days - 1])


if __name__ == "__main__":
    main()
