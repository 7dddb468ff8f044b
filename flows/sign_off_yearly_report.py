"""Sign off and publish the yearly report through the Prefect UI.

The business unit starts this for a financial year. The run waits for the Independent
Scrutineer's sign-off, then the top body's, each a form (the day and the signer's role,
never a name), then for the publication (the day and the web address), which finishes the
yearly-report task. A step recorded already (here or with `qaf report sign-off` /
`qaf report published`) is skipped. Each answer is stored in our database and then
deleted from Prefect; a refused answer is deleted too and the form offered again with
the reason, at most three times per step. Reminders and escalation chase the
yearly-report task like any other until it is done.
"""

from datetime import date

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from tasks.cases import forget_form_answer
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.yearly_report import publish, read_steps, record_refused, refusals, sign_off

FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
ATTEMPTS = 3
SIGN_OFFS = ("independent_scrutiny", "top_body")


class YearlyReportSignOff(RunInput):
    """Record that the yearly report was signed off. A role, never a name."""

    signed_on: date = Field(description="The day it was signed off (after the year ended, not in the future)")
    signed_by: str = Field(description="Who signed: a role, such as the chair's title; never a name (at most 120 characters)")


class YearlyReportPublished(RunInput):
    """Record that the yearly report was published: this finishes the yearly-report task."""

    published_on: date = Field(description="The day it was published (after both sign-offs)")
    address: str = Field(description="The web address it was published at, https://...")


class YearlyReportNotSignedOff(RuntimeError):
    """No answer recorded a step; the message names the step only, never what was typed."""


def _ask(form: type[RunInput], initial: dict[str, object], description: str, key: str) -> tuple[RunInput | None, str]:
    try:
        return suspend_flow_run(wait_for_input=form.with_initial_data(description=description, **initial), timeout=FORM_TIMEOUT_SECONDS,
                                key=key), ""  # type: ignore[return-value]
    except ValidationError:
        return None, "the answer did not fit the form: give the day as a date (YYYY-MM-DD) and the rest as text"


def _key(financial_year: int, step: str, attempt: int) -> str:
    """A form's key (Prefect's keys are lowercase letters, digits and dashes)."""
    return f"yearly-report-{financial_year}-{step.replace('_', '-')}-{attempt}"


@flow(name="sign-off-yearly-report")
def sign_off_yearly_report(financial_year: int) -> dict[str, object]:
    """Wait for the yearly report's sign-offs and its publication, and record them.

    Args:
        financial_year: The year reported on, by the year it starts (2027 for 2027/28).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    zone = framework.document.partnership.timezone
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    actor = f"prefect:sign-off-yearly-report:{run_id}"
    year = FinancialYear(financial_year)
    steps = (*SIGN_OFFS, "published")
    for step in steps:
        if step in read_steps(url, financial_year):
            continue
        # A resumed run starts again from the top: our database says which attempt it is at.
        done = refusals(url, financial_year, step, actor)
        for attempt in range(1, done + 1):  # answers a run stopped before deleting
            forget_form_answer(run_id, f"suspended-{_key(financial_year, step, attempt)}-response")
        reason = ""
        for attempt in range(done + 1, ATTEMPTS + 1):
            key = _key(financial_year, step, attempt)
            if step in SIGN_OFFS:
                body = framework.bodies[framework.role(step)]  # type: ignore[arg-type]
                description = (f"Sign-off of the yearly report on {year} by {body.name}. A role, never a name."
                               + (f"\n\nThe last answer was not recorded: {reason}" if reason else ""))
                answer, reason = _ask(YearlyReportSignOff, {"signed_on": today_in(zone), "signed_by": body.chair or body.name}, description, key)
                outcome = sign_off(url, framework, settings.data_dir, financial_year, step, answer.signed_by, answer.signed_on,  # type: ignore[attr-defined]
                                   today_in(zone), actor) if answer is not None else None
            else:
                description = (f"Publication of the yearly report on {year}: the day and the web address."
                               + (f"\n\nThe last answer was not recorded: {reason}" if reason else ""))
                answer, reason = _ask(YearlyReportPublished, {"published_on": today_in(zone), "address": "https://"}, description, key)
                outcome = publish(url, framework, financial_year, answer.published_on, answer.address, today_in(zone), actor) \
                    if answer is not None else None  # type: ignore[attr-defined]
            if outcome is not None and outcome.reason is None:
                forget_form_answer(run_id, f"suspended-{key}-response")
                logger.info("yearly report %s: %s recorded", year, step.replace("_", " "))
                break
            reason = outcome.reason if outcome is not None else reason
            record_refused(url, financial_year, step, actor, reason)
            forget_form_answer(run_id, f"suspended-{key}-response")
            logger.warning("yearly report %s: the answer for %s was not recorded: %s", year, step.replace("_", " "), reason)
        else:
            raise YearlyReportNotSignedOff(f"yearly report {year}: no answer recorded {step.replace('_', ' ')} in {ATTEMPTS} attempts")
    return {"financial_year": str(year), "steps": read_steps(url, financial_year)}
