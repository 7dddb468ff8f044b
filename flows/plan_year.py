"""Plan a financial year: every activity window, meeting and task, from the framework.

Runs every 1 March for the financial year that starts in April, and on demand for any
year. Planning is idempotent: a second run creates nothing new.
"""


from datetime import date

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from tasks.database import prepare_database, write_year_plan
from tasks.findings import place_pending_findings
from tasks.framework_file import load_framework_file
from tasks.run_names import london_today, parameters
from qaframework.run_names import plan_run

#: The default: the financial year after today's (what the 1 March schedule plans).
NEXT = "next"


def run_name() -> str:
    """The run is named after the year it plans: plan-2027/28."""
    return plan_run(parameters(), london_today())


@flow(name="plan-year", log_prints=False, flow_run_name=run_name)
def plan_year(financial_year: str | int = NEXT, as_of: date | None = None) -> dict[str, int | str]:
    """Write a financial year's occurrences and tasks to the database.

    Args:
        financial_year: The financial year to plan, by the year it starts: 2027 or
            2027/28. "next" (the default) plans the financial year after today's, as
            the 1 March schedule does.
        as_of: The day the plan is written as of: windows that closed before it get no
            tasks. Leave blank for today (London time).
    """
    logger = get_run_logger()
    settings = Settings()
    framework = load_framework_file(settings.framework_file)
    today = as_of or today_in(framework.document.partnership.timezone)
    chosen = str(financial_year).strip()
    fy = FinancialYear.containing(today).next() if chosen in ("", NEXT) else FinancialYear.parse(chosen)
    prepare_database(settings.effective_database_url)
    result = write_year_plan(settings.effective_database_url, framework, fy.start_year, "prefect:plan-year", today)
    # The new year's meetings can now take the findings that were waiting for them.
    place_pending_findings(settings.effective_database_url, framework, today, "prefect:plan-year")
    logger.info(
        "Planned %s: %d occurrences and %d tasks created, %d and %d already existed",
        fy, result.occurrences_created, result.tasks_created, result.occurrences_existing, result.tasks_existing,
    )
    return {
        "financial_year": str(fy),
        "occurrences_created": result.occurrences_created,
        "tasks_created": result.tasks_created,
        "occurrences_existing": result.occurrences_existing,
        "tasks_existing": result.tasks_existing,
    }
