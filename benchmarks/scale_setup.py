"""The data the scale benchmark runs on: a generated 200-agency roster, about 100,000
tasks over many planned years, a day's state as if every earlier morning had run, and
(optionally) a long history of sent emails in the outbox.

Everything here is set-up, not measured: bulk SQL writes what years of daily runs would
have left behind, quickly.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework, load_framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.outbox import assemble_digests, queue_reminders
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.yearly_plan import plan_financial_year

ROOT = Path(__file__).resolve().parents[1]
SCHEDULES = ROOT / "schedules"
AGENCIES = 200
TASKS = 100_000
DOMAIN = "bench.qaframework"


def scaled_framework(folder: Path, framework_file: str = "sscp.yaml", agencies: int = AGENCIES) -> Path:
    """A copy of a shipped framework whose roster holds ``agencies`` agencies: the shipped
    ones (so every key the framework names still exists) and numbered copies of them, each
    with its own contact address (a copy attends no meetings)."""
    source = SCHEDULES / framework_file
    document = yaml.safe_load(source.read_text())
    roster_name = document["partnership"]["roster"]
    roster = yaml.safe_load((SCHEDULES / roster_name).read_text())
    shipped = roster["agencies"]
    generated = dict(shipped)
    originals = list(shipped.items())
    n = 0
    while len(generated) < agencies:
        key, agency = originals[n % len(originals)]
        n += 1
        copy = {k: v for k, v in agency.items() if k != "attends"}
        copy["name"] = f"{agency['name']} (area {n})"
        local, _, domain = agency["contact"]["email"].partition("@")
        copy["contact"] = {"name": f"Example Contact {n}", "email": f"{local}-{n}@{domain}"}
        generated[f"{key}-{n:03d}"] = copy
    roster["agencies"] = generated
    folder.mkdir(parents=True, exist_ok=True)
    (folder / roster_name).write_text(yaml.safe_dump(roster, sort_keys=False))
    target = folder / framework_file
    shutil.copyfile(source, target)
    return target


def years_for(framework: Framework, tasks: int = TASKS, first_year: int = 2000) -> list[int]:
    """The financial years from ``first_year`` (the earliest the code plans) whose plans
    hold about ``tasks`` tasks: years before the measured mornings are history, years
    after them planned ahead."""
    per_year = sum(len(o.assignees) for o in plan_financial_year(framework, FinancialYear(2027)) if o.due is not None)
    count = max(1, round(tasks / per_year))
    return list(range(first_year, first_year + count))


def planned_database(url: str, framework: Framework, years: list[int]) -> None:
    prepare(url)
    with transaction(url) as session:
        sync_directory(session=session, framework=framework)
    for fy in years:
        with transaction(url) as session:
            write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(fy)), actor="bench")


def previous_working_day(framework: Framework, day: date) -> date:
    from qaframework.deadlines import working_day_calendar

    return working_day_calendar(framework).add_working_days(day, -1)


def _path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def state_before(url: str, framework: Framework, day: date) -> None:
    """Bring a freshly planned database to the evening before ``day``: every window started
    by the previous working day opened, what fell due before it returned (one task in 3
    due in the last 30 days still overdue, one in 25 of the older ones: the backlog), and that day's reminders queued, gathered and sent."""
    previous = previous_working_day(framework, day)
    with closing(sqlite3.connect(_path(url))) as db, db:
        db.execute(
            "UPDATE task SET status = 'open', opened_on = o.window_start, opened_at = o.window_start || ' 07:00:00.000000', "
            "updated_at = o.window_start || ' 07:00:00.000000' FROM occurrence o "
            "WHERE o.id = task.occurrence_id AND task.status = 'planned' AND o.window_start <= ?", (previous,))
        db.execute(
            "UPDATE task SET status = 'submitted', submitted_at = due || ' 12:00:00.000000' "
            "WHERE status = 'open' AND due < ? AND id % (CASE WHEN due >= ? THEN 3 ELSE 25 END) != 0",
            (previous, previous - timedelta(days=30)))
        db.execute("UPDATE task SET status = 'overdue' WHERE status = 'open' AND due < ?", (previous,))
    with transaction(url) as session:
        queue_reminders(session=session, framework=framework, since=None, today=previous)
        assemble_digests(session=session, today=previous, domain=DOMAIN)
    stamp = datetime.combine(previous, time(7, 30), timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    with closing(sqlite3.connect(_path(url))) as db, db:
        db.execute("UPDATE reminder SET status = 'sent' WHERE status = 'pending' AND email_id IS NOT NULL")
        db.execute("UPDATE email_message SET status = 'sent', sent_at = ?, attempts = 1 WHERE status = 'pending'", (stamp,))


def add_sent_history(url: str, before: date, years: int = 10) -> tuple[int, int]:
    """Years of sent digests: for every returned task due in the ``years`` before
    ``before``, four reminders (10, 5 and 1 days before, and on the day), each in its
    recipient's digest of that day, all sent. Returns (emails, reminders) added."""
    start = before - timedelta(days=365 * years)
    with closing(sqlite3.connect(_path(url))) as db, db:
        rows = db.execute(
            "SELECT t.id, t.due, a.contact_email FROM task t JOIN agency a ON a.key = t.assignee_key "
            "WHERE t.assignee_kind = 'agency' AND t.status = 'submitted' AND t.due >= ? AND t.due < ?",
            (start.isoformat(), before.isoformat())).fetchall()
        emails: dict[tuple[str, str], int] = {}
        next_id = (db.execute("SELECT coalesce(max(id), 0) FROM email_message").fetchone()[0]) + 1
        reminders = []
        for task_id, due, address in rows:
            due_day = date.fromisoformat(due)
            for stage, back in (("due-in-10", 14), ("due-in-5", 7), ("due-in-1", 1), ("due-today", 0)):
                day = (due_day - timedelta(days=back)).isoformat()
                if (address, day) not in emails:
                    emails[(address, day)] = next_id
                    next_id += 1
                reminders.append((task_id, stage, address, day, "sent", emails[(address, day)]))
        db.executemany(
            "INSERT INTO email_message (id, message_id, recipient, kind, digest_date, status, attempts, created_at, sent_at) "
            "VALUES (?, ?, ?, 'digest', ?, 'sent', 1, ?, ?)",
            [(i, f"<history.{i}@{DOMAIN}>", address, day, f"{day} 07:00:00.000000", f"{day} 07:31:00.000000")
             for (address, day), i in emails.items()])
        db.executemany(
            "INSERT OR IGNORE INTO reminder (task_id, stage, recipient, due_on, status, email_id) VALUES (?, ?, ?, ?, ?, ?)", reminders)
    return len(emails), len(reminders)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, including what is still in its WAL file."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def load(path: Path) -> Framework:
    return load_framework(path)
