"""Record a finding through the Prefect UI, for an occurrence or a review case.

The business unit starts this with the occurrence key (such as mape/2027-05) or the
case reference (such as RR-2027-004). The run waits for a form: title, summary, kind,
theme, the agency it is about and, for a risk, its likelihood and impact. The answer is
recorded in our database (which places it on the activity's routes), the attempt noted,
and then the answer is deleted from Prefect (a summary is not Prefect's to keep): a
database failure before that loses nothing, and a replayed run, which reads the same
answer again, finds the finding it recorded (its natural key is the run and attempt)
instead of recording it twice. A day in the future, or before the occurrence opened
(or the case's service became aware), is refused like any other answer. An answer that is refused
(identifying text, a theme not in the framework) is not kept anywhere: the form is
offered again with the reasons, which never quote what was typed. The run is named after
the occurrence or case (finding-mape/2027-05, finding-RR-2027-004).
"""

from datetime import date
from typing import Literal, Optional

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError, create_model

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.run_names import subject_run
from qaframework.framework import Framework
from qaframework.learning.finding_fields import KINDS, SUMMARY_LENGTH, TITLE_LENGTH
from tasks.cases import forget_form_answer, read_form_answer
from tasks.database import prepare_database
from tasks.findings import form_key, note_attempt, read_attempts, read_subject, record_typed
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters

#: How long the form waits in the UI before the run expires.
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 30
#: A refused answer brings the form back, at most this many times in one run.
ATTEMPTS = 3
ACTOR = "prefect:record-findings"


class FindingForm(RunInput):
    """One finding. Never type a child's, family's or practitioner's name, a date of
    birth, an NHS number or a postcode."""

    title: str = Field(description=f"What was learned, in a few words (at most {TITLE_LENGTH} characters)")
    summary: str = Field(description=f"A short summary (at most {SUMMARY_LENGTH} characters)")
    recorded_on: date = Field(description="The day it was recorded")
    likelihood: Optional[int] = Field(default=None, description="For a risk: 1 to 5")
    impact: Optional[int] = Field(default=None, description="For a risk: 1 to 5")


def finding_form(framework: Framework) -> type[RunInput]:
    """The form, with the framework's kinds, themes and agencies as choices."""
    themes = tuple(framework.document.themes)
    agencies = tuple(framework.agencies)
    return create_model(  # type: ignore[call-overload, no-any-return]
        "FindingForm", __base__=FindingForm, __doc__=FindingForm.__doc__,
        kind=(Literal[tuple(KINDS)], Field(description="; ".join(f"{k}: {v}" for k, v in KINDS.items()))),  # type: ignore[valid-type]
        theme=(Literal[themes], Field(description="; ".join(f"{k}: {v}" for k, v in framework.document.themes.items()))),  # type: ignore[valid-type]
        agency=(Optional[Literal[agencies]], Field(default=None, description="The agency it is about, if one")),  # type: ignore[valid-type]
    )


def run_name() -> str:
    """The run is named after what the finding belongs to: finding-mape/2027-05."""
    return subject_run("finding", parameters().get("subject"))


@flow(name="record-findings", persist_result=True, flow_run_name=run_name)
def record_findings(subject: str) -> dict[str, object]:
    """Wait for one finding, typed in the Prefect UI, and record it.

    Args:
        subject: The occurrence key (e.g. mape/2027-05, see qaf calendar --json) or the
            review case reference (e.g. RR-2027-004) the finding belongs to.
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    found = read_subject(url, framework, subject)
    on = found.occurrence_key or found.case_reference
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    form = finding_form(framework)
    zone = framework.document.partnership.timezone
    today = today_in(zone)
    # A resumed run starts again from the top: the notes it kept say which form it is at.
    earlier = read_attempts(run_id)
    for noted in range(1, len(earlier) + 1):  # a run that stopped between noting and deleting
        forget_form_answer(run_id, f"suspended-finding-{noted}-response")
    while len(earlier) < ATTEMPTS and not (earlier and earlier[-1].get("reference")):
        attempt = len(earlier) + 1
        key = f"finding-{attempt}"
        reasons = "; ".join(earlier[-1]["problems"]) if earlier else ""  # type: ignore[arg-type]
        description = (f"A finding on {on}. Fill in the form, then press Resume: it records the finding, which goes to "
                       "every body on the activity's routes (a risk is rated from its likelihood and impact). Never type a "
                       "name, a date of birth, an NHS number or a postcode."
                       + (f"\n\nThe last answer was not recorded: {reasons}" if reasons else ""))
        try:
            answer = suspend_flow_run(wait_for_input=form.with_initial_data(description=description, recorded_on=today),
                                      timeout=FORM_TIMEOUT_SECONDS, key=key)
            typed = answer.model_dump(mode="json")  # type: ignore[attr-defined]
        except ValidationError:
            # Passed Prefect's schema but not the form's model: checked like any answer
            # (the error itself quotes the input and is never shown).
            typed = read_form_answer(run_id, f"suspended-{key}-response")
        try:
            recorded_on = date.fromisoformat(str(typed.get("recorded_on")))
        except ValueError:
            recorded_on = None
        if recorded_on is None:
            outcome: dict[str, object] = {"problems": ["recorded_on: expected a real date, such as 2027-06-30"]}
        else:
            # The attempt's natural key: a run replayed before its note returns the same finding.
            outcome = record_typed(url, framework, on, typed, recorded_on, today_in(zone), ACTOR, form_key(run_id, attempt))
        note_attempt(run_id, attempt, outcome)
        # Stored (or refused) and noted first, then deleted from Prefect: a failure before
        # this loses nothing, and a replay reads the same answer again.
        forget_form_answer(run_id, f"suspended-{key}-response")
        if outcome.get("reference"):
            logger.info("Recorded %s on %s", outcome["reference"], on)
        else:
            logger.warning("The answer for %s was not recorded: %s", on, "; ".join(outcome["problems"]))  # type: ignore[arg-type]
        earlier = read_attempts(run_id)
    last = earlier[-1]
    return {"subject": on, "reference": last.get("reference"), "status": "recorded" if last.get("reference") else "not recorded"}
