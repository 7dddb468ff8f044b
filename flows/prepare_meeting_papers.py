"""Prepare meeting papers: every working day, the papers of each meeting whose papers
deadline has arrived.

Section 6's reporting lines: the bodies reporting by exception send their exception
reports by their parent body's papers deadline, and each body's pack holds its agenda, the
findings routed to it, the reports due to it, those exception reports, and (as its role
says) the data dashboard, the risks above tolerance, the actions due and the open
reviews. Each is built once, from the record at the deadline; its PDF goes to the chair
and the business unit with the day's papers email. `qaf papers BODY --meeting DATE`
builds a new version on demand.
"""

from datetime import date

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.deadlines import working_day_calendar
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.papers import build_meeting_papers, meetings_with_papers_due
from tasks.reminders import send_reminders

JOB = "prepare-meeting-papers"


def run_name() -> str:
    """The run is named after the day it prepares papers for: papers-2027-07-06."""
    from prefect.runtime import flow_run

    return f"papers-{flow_run.parameters.get('as_of') or today_in('Europe/London')}"


@flow(name=JOB, flow_run_name=run_name)
def prepare_meeting_papers(as_of: date | None = None) -> dict[str, object]:
    """Build the papers of every meeting whose papers deadline has come.

    Args:
        as_of: The day to prepare papers for. Leave blank for today (London time).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    today = as_of or today_in(framework.document.partnership.timezone)
    if not working_day_calendar(framework).is_working_day(today):
        logger.info("%s is not a working day: papers are prepared on working days", today)
        return {"as_of": today.isoformat(), "skipped": "not a working day"}
    prepare_database(url)
    built = [build_meeting_papers(url, framework, settings.data_dir, body, day, today, f"prefect:{JOB}")
             for body, day in meetings_with_papers_due(url, framework, today)]
    delivered = send_reminders(settings, framework, today)
    logger.info("%d meetings with papers due; %d papers built", len(built), sum(int(b["built"]) for b in built))  # type: ignore[call-overload]
    return {"as_of": today.isoformat(), "meetings": built, "emails_sent": delivered["sent"]}
