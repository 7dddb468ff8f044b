"""Evaluate a done action in the Prefect UI: did it make a difference?

The Action Plan Evaluation group (the body playing the framework's ``action_evaluation``
role) judges each done action: evidenced, partly evidenced or not evidenced. Start this
for one action reference (such as A-2027-0001; `qaf actions list --status
awaiting-evaluation` lists them); the run waits for a form pre-filled with the action.
The answer is stored in our database and then deleted from Prefect. An answer that is
refused (a day after today or before the action was done, a note that looks identifying) is deleted
too, never quoted, and the form is offered again with the reason. The run is named after
the action (evaluate-A-2027-0001).
"""


from datetime import date
from typing import Literal

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError, create_model

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.form_fields import fixed
from qaframework.run_names import subject_run
from tasks.actions import attempts_of_run, read_action, record_evaluation, record_refused
from tasks.cases import forget_form_answer
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters

#: How long the form waits in the UI before the run expires (start another to answer later).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
#: A form is offered at most this many times in one run (a refused answer brings it back).
ATTEMPTS = 3


class Evaluation(RunInput):
    """The Action Plan Evaluation group's judgement of a done action. Never type a name,
    date of birth or postcode."""

    reference: str = Field(description="The action (filled in for you)")
    judgement: Literal["evidenced", "partly-evidenced", "not-evidenced"] = Field(
        description="Did the action make a difference? evidenced, partly-evidenced or not-evidenced")
    evaluated_on: date = Field(description="The day the group evaluated it")
    note: str = Field(default="", description="A short note (optional). No names, dates of birth or postcodes.")


def evaluation_form(reference: str, description: str, today: date) -> type[RunInput]:
    """The form for one action: its reference fixed (the only choice), the day pre-filled
    with today."""
    form = create_model("Evaluation", __base__=Evaluation, __doc__=Evaluation.__doc__,  # type: ignore[call-overload]
                        reference=fixed(reference, "The action (filled in for you)"))
    return form.with_initial_data(description=description, evaluated_on=today)  # type: ignore[no-any-return]


def run_name() -> str:
    """The run is named after its action: evaluate-A-2027-0001."""
    return subject_run("evaluate", parameters().get("reference"))


class EvaluationNotRecorded(RuntimeError):
    """No answer could be recorded; the message names the action only, never what was typed."""


@flow(name="evaluate-action", persist_result=True, flow_run_name=run_name)
def evaluate_action(reference: str) -> dict[str, object]:
    """Wait for the Action Plan Evaluation group's judgement of one done action.

    Args:
        reference: The action to evaluate, e.g. A-2027-0001 (see qaf actions list --status awaiting-evaluation).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    view = read_action(url, reference)
    if view.status != "done":
        raise EvaluationNotRecorded(f"{view.reference} is {view.status}: only a done action is evaluated (mark it done first)")
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    actor = f"prefect:evaluate-action:{run_id}"
    zone = framework.document.partnership.timezone
    body = framework.bodies[framework.role("action_evaluation")].name
    # A resumed run starts again from the top: our database says which attempt it is at.
    attempts, recorded = attempts_of_run(url, zone, view.reference, actor)
    if recorded:
        for attempt in range(1, attempts + 1):  # a run that stopped between storing and deleting
            forget_form_answer(run_id, f"suspended-evaluate-{view.reference.lower()}-{attempt}-response")
        return {"reference": view.reference, "status": "evaluated"}
    reason = ""
    while attempts < ATTEMPTS:
        key = f"evaluate-{view.reference.lower()}-{attempts + 1}"
        description = (f"{body}: evaluate {view.reference} (owner {view.owner}, due {view.due:%d %B %Y}, done {view.done_on:%d %B %Y}). "  # type: ignore[union-attr]
                       "Choose the judgement and check the day, then press Resume: it records the evaluation. Never type a "
                       "name, date of birth or postcode." + (f"\n\nThe last answer was not recorded: {reason}" if reason else ""))
        answer = None
        try:
            answer = suspend_flow_run(wait_for_input=evaluation_form(view.reference, description, today_in(zone)),
                                      timeout=FORM_TIMEOUT_SECONDS, key=key)
        except ValidationError:
            # It passed Prefect's schema but not the form's own: never read, never shown.
            reason = "the answer was not a complete evaluation: choose a judgement and give the day"
        if answer is not None and answer.reference.strip() != view.reference:
            answer, reason = None, f"the form is for {view.reference}: leave the action as it was filled in"
        stored = None
        if answer is not None:
            # Stored first, then deleted from Prefect, so a failure to store loses nothing.
            # Today as the answer arrives (the form may wait for weeks), in the partnership's zone.
            stored, reason = record_evaluation(url, framework, view.reference, answer.judgement, answer.evaluated_on, answer.note or None, actor,
                                               today_in(zone))
        forget_form_answer(run_id, f"suspended-{key}-response")
        if stored is not None:
            logger.info("%s evaluated %s on %s (evaluation %d)", view.reference, stored.judgement, stored.evaluated_on, stored.evaluations)
            return {"reference": view.reference, "status": "evaluated", "judgement": stored.judgement, "evaluations": stored.evaluations}
        record_refused(url, view.reference, actor, reason)
        logger.warning("%s: the answer was not recorded: %s", view.reference, reason)
        attempts += 1
    raise EvaluationNotRecorded(f"{view.reference}: no answer was recorded in {ATTEMPTS} attempts; start evaluate-action again for it")
