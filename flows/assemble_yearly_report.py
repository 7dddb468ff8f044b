"""Assemble the yearly report: when the yearly-report activity opens, for the financial
year just ended (Working Together 2023: the partners report at least once in every 12
months on what they did and how effective the arrangements were).

The report is built from the record (every figure a query), with the business unit's
narrative files merged in, as PDF, Word and HTML under the data folder; a new version
only when something changed. A year not yet ended is assembled marked DRAFT (and the run
says so). The Prefect UI shows its key figures and charts, each with its numbers, as a
markdown artifact.
"""

from datetime import date

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.yearly_report import assemble_report


@flow(name="assemble-yearly-report")
def assemble_yearly_report(financial_year: int | None = None, as_of: date | None = None) -> dict[str, object]:
    """Assemble the yearly report on a financial year.

    Args:
        financial_year: The year reported on, by the year it starts (2027 for 2027/28).
            Leave blank for the financial year just ended.
        as_of: The day the record is read as of. Leave blank for today (London time).
    """
    logger = get_run_logger()
    settings = Settings()
    framework = load_framework_file(settings.framework_file)
    prepare_database(settings.effective_database_url)
    today = as_of or today_in(framework.document.partnership.timezone)
    year = financial_year if financial_year is not None else FinancialYear.containing(today).start_year - 1
    result = assemble_report(settings.effective_database_url, framework, settings.data_dir, year, today)
    if result["draft"]:
        logger.warning("%s has not ended: the report is assembled from the record as of %s and marked DRAFT", FinancialYear(year), today)
    logger.info("yearly report %s: version %s%s", FinancialYear(year), result["version"], "" if result["new"] else " (unchanged)")
    if result["empty_narrative"]:
        logger.info("narrative files still empty: %s", ", ".join(str(s) for s in result["empty_narrative"]))  # type: ignore[union-attr]
    return result
