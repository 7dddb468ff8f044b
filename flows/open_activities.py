"""Open the activities whose window has started, and give their assignees their tasks.

Every working-day morning: make sure the plan of each financial year since the last
successful run exists, then open every planned task whose window has started. A run
after downtime opens everything the missed runs would have opened, once. Each run is
named after its day (open-2027-07-01).
"""


from datetime import date, timedelta

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from tasks.database import open_started, prepare_database, record_processed_through, watermark, write_year_plan
from tasks.framework_file import load_framework_file
from tasks.run_names import london_today, parameters
from qaframework.run_names import day_run

JOB = "open-activities"


def run_name() -> str:
    """The run is named after the day it opens activities for: open-2027-07-01."""
    return day_run("open", parameters(), london_today())


@flow(name="open-activities", flow_run_name=run_name)
def open_activities(as_of: date | None = None) -> dict[str, object]:
    """Open every activity window that has started, creating and opening its tasks.

    Args:
        as_of: The day to open activities for. Leave blank for today (London time).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    today = as_of or today_in(framework.document.partnership.timezone)
    if not working_day_calendar(framework).is_working_day(today):
        logger.info("%s is not a working day: nothing opened; the next working-day run catches up", today)
        return {"as_of": today.isoformat(), "opened": 0, "skipped": "not a working day"}
    prepare_database(url)
    since = watermark(url, JOB)
    first_day = since + timedelta(days=1) if since and since < today else today
    for fy in FinancialYear.spanning(first_day, today):
        write_year_plan(url, framework, fy.start_year, f"prefect:{JOB}", first_day)
    opened = open_started(url, today, f"prefect:{JOB}")
    record_processed_through(url, JOB, today)
    logger.info("Opened %d tasks across %d occurrences (processed %s to %s)", len(opened), len({c.occurrence_key for c in opened}), first_day, today)
    return {"as_of": today.isoformat(), "since": first_day.isoformat(), "opened": len(opened), "occurrences": sorted({c.occurrence_key for c in opened})}
