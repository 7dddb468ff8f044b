"""Check deadlines: mark overdue work, remind and escalate, refresh the dashboard.

Every working-day morning, after open-activities: tasks past their due date are marked
overdue; the reminders and escalations that fell due since the last run are queued and
sent as one digest per person; the business unit's day (the ``today`` artifact: what is
overdue, what falls due this week, what opened, the cases' next stages and the rejected
returns, as ``qaf today`` shows it), the compliance dashboard, the returns received,
outstanding and late, and the next 30 days of the calendar are published to the Prefect UI.
Each run is named after the day it checks (deadlines-2027-05-04). The ``today`` artifact is
the run's only one, so it is what its Artifacts tab shows (Prefect's UI orders a run's
artifacts at random); the dashboards are the artifacts of its subflow run
(dashboards-2027-05-04), and each is the latest of its key on the Artifacts page.
"""


from datetime import date, timedelta

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.deadlines import working_day_calendar
from tasks.dashboard import publish_compliance_dashboard, publish_today, publish_upcoming_calendar, read_today
from tasks.database import due_soon, mark_overdue, prepare_database, record_due, record_processed_through, watermark
from tasks.framework_file import load_framework_file
from tasks.findings import place_pending_findings
from tasks.learning_artifacts import publish_risk_register
from tasks.reminders import queue_due_reminders, send_reminders
from tasks.returns import publish_returns_dashboard
from tasks.run_names import london_today, parameters
from qaframework.run_names import day_run
from qaframework.financial_year import FinancialYear

JOB = "check-deadlines"
#: How far ahead "due soon" looks: the earliest reminder is 10 working days before.
DUE_SOON_WORKING_DAYS = 10


def run_name() -> str:
    """The run is named after the day it checks: deadlines-2027-05-04."""
    return day_run("deadlines", parameters(), london_today())


def dashboards_run_name() -> str:
    """The dashboards' subflow run is named after its day: dashboards-2027-05-04."""
    return day_run("dashboards", parameters(), london_today())


@flow(name="publish-dashboards", flow_run_name=dashboards_run_name)
def publish_dashboards(as_of: date) -> None:
    """Publish the compliance dashboard, the next 30 days of the calendar, the returns
    dashboard and the risk register as they stand on the day checked."""
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    zone = framework.document.partnership.timezone
    publish_compliance_dashboard(url, as_of, zone, list(framework.agencies))
    publish_upcoming_calendar(url, as_of, zone)
    publish_returns_dashboard(url, framework, as_of, FinancialYear.containing(as_of).start_year)
    publish_risk_register(url, framework, as_of)


@flow(name="check-deadlines", flow_run_name=run_name)
def check_deadlines(as_of: date | None = None) -> dict[str, object]:
    """Mark tasks past their due date overdue, list what falls due soon, and publish the dashboard.

    Args:
        as_of: The day to check deadlines for. Leave blank for today (London time).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    zone = framework.document.partnership.timezone
    today = as_of or today_in(zone)
    working_days = working_day_calendar(framework)
    if not working_days.is_working_day(today):
        logger.info("%s is not a working day: deadlines are checked on the next working day", today)
        return {"as_of": today.isoformat(), "skipped": "not a working day"}
    prepare_database(url)
    since = watermark(url, JOB)
    overdue = mark_overdue(url, today, f"prefect:{JOB}")
    horizon = working_days.add_working_days(today, DUE_SOON_WORKING_DAYS)
    soon = due_soon(url, today - timedelta(days=1), horizon)
    record_due(url, today, [c.task_id for c in overdue], [c.task_id for c in soon], f"prefect:{JOB}")
    queued = queue_due_reminders(url, framework, since, today)
    # Findings whose body had no meeting planned yet go onto its next meeting now.
    place_pending_findings(url, framework, today, f"prefect:{JOB}")
    # The business unit's day is this run's own artifact; the dashboards are its subflow's.
    view = read_today(url, framework, today)
    publish_today(view)
    publish_dashboards(today)
    record_processed_through(url, JOB, today)
    # Reminders go last: everything above is recorded even if the mail server is down, in
    # which case this task retries with backoff, the run fails where the business unit can
    # see it, and the next run sends what is still in the outbox.
    delivered = send_reminders(settings, framework, today)
    first_day = since + timedelta(days=1) if since and since < today else today
    logger.info("Processed %s to %s: %d tasks newly overdue; %d open tasks due by %s", first_day, today, len(overdue), len(soon), horizon)
    return {
        "as_of": today.isoformat(),
        "since": first_day.isoformat(),
        "newly_overdue": len(overdue),
        "due_soon": len(soon),
        "due_soon_through": horizon.isoformat(),
        "overdue": len(view["overdue"]),  # type: ignore[arg-type]
        "reminders_queued": queued,
        "emails_sent": delivered["sent"],
    }
