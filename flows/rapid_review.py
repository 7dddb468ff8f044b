"""Run a serious incident's statutory clock chain, from notification to published review.

Started from the UI with the case's dates, by `qaf rapid-review start`, or by the
`qaf.serious-incident.notified` event. Each stage is recorded through a form in the
Prefect UI: the run suspends until someone fills it in (no process waits meanwhile).
The case lives in our database, so `qaf rapid-review resume REF` picks up a case whose
run expired or was lost, at the stage where it stood. The run is named after the case
and the stage it waits for (case-RR-2027-004-panel-notification), never anything more.
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
from qaframework.form_fields import fixed as fixed_field
from qaframework.run_names import case_run
from qaframework.persistence.cases import CaseError
from qaframework.framework import Framework
from qaframework.reviews.chain import CaseDates, Stage, stage_named
from tasks.cases import forget_form_answer, open_or_find_case, publish_case_stages, read_case, record
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters, rename_run

#: How long a stage's form waits in the UI before the run expires (the case does not:
#: `qaf rapid-review resume` starts a new run where it stood).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 200


STAGE_HELP = "The stage this form records (filled in for you: the only choice)"


class StageDone(RunInput):
    """Record the day this stage was done. Do not type names or case details anywhere."""

    stage: str = Field(description=STAGE_HELP)
    done_on: date = Field(description="The day this stage was done (today unless you change it)")


class SignedOff(RunInput):
    """Record a sign-off. Do not type names or case details anywhere."""

    stage: str = Field(description=STAGE_HELP)
    signed_off_on: date = Field(description="The day it was signed off (today unless you change it)")
    signed_by: str = Field(description="Who signed it off (their role)")


class Decision(RunInput):
    """The decision after the rapid review. The rationale is kept in the case record only."""

    stage: str = Field(description=STAGE_HELP)
    decision: str = Field(description="The outcome of the rapid review")
    decided_on: date = Field(description="The day the decision was made (today unless you change it)")
    rationale: str = Field(min_length=1, description="Why: kept in the case record, not in Prefect. No names.")


#: The date field each kind of form records, pre-filled with today.
DAY_FIELD = {"sign-off": "signed_off_on", "decision": "decided_on"}
#: What pressing Resume does, for each kind of form.
ON_RESUME = {"sign-off": "records the sign-off on the day given, by the role chosen",
             "decision": "records the decision on the day given, with its rationale (kept in the case record only)"}


def form_for(framework: Framework, stage: Stage) -> type[RunInput]:
    """The stage's form, with the choices the framework file gives it: who may sign it
    off, or the decisions. Its ``stage`` is fixed: the stage's key is its only choice."""
    fixed = {"stage": fixed_field(stage.key, STAGE_HELP)}
    if stage.kind == "sign-off":
        return create_model(  # type: ignore[call-overload, no-any-return]
            "SignedOff", __base__=SignedOff, __doc__=SignedOff.__doc__, **fixed,
            signed_by=(Literal[tuple(stage.signed_by)], Field(description="Who signed it off (their role)")),  # type: ignore[valid-type]
        )
    if stage.kind == "decision":
        chain = framework.review_chain
        choices = "; ".join(f"{key}: {d.title}" for key, d in chain.decisions.items())
        return create_model(  # type: ignore[call-overload, no-any-return]
            "Decision", __base__=Decision, __doc__=Decision.__doc__, **fixed,
            decision=(Literal[tuple(chain.decisions)], Field(description=choices)),  # type: ignore[valid-type]
        )
    return create_model("StageDone", __base__=StageDone, __doc__=StageDone.__doc__, **fixed)  # type: ignore[call-overload, no-any-return]


def stage_form(framework: Framework, stage: Stage, reference: str, due: date | None, today: date) -> type[RunInput]:
    """The form the run waits for: fixed to the stage, its day pre-filled with today, and
    a description saying what the form is for and what pressing Resume does."""
    does = ON_RESUME.get(stage.kind, "records this stage as done on the day given")
    description = (f"{reference}: {stage.title} (due {due or 'not yet known'}). Fill in the form, then press Resume: it {does}, "
                   "and the case moves on to its next stage. Never type a name or case detail.")
    return form_for(framework, stage).with_initial_data(description=description, **{DAY_FIELD.get(stage.kind, "done_on"): today})


class CaseAnswerRejected(RuntimeError):
    """A form's answer could not be recorded; the case stands where it was. The message
    names the case and stage only, never what was typed."""


def run_name() -> str:
    """The run is named after its case (case-RR-2027-004), or case-new until the case is
    opened; the flow adds the stage it waits for as it goes."""
    return case_run(parameters().get("reference"))


@flow(name="rapid-review", persist_result=True, flow_run_name=run_name)
def rapid_review(
    aware: date,
    notified: date | None = None,
    incident: date | None = None,
    reference: str | None = None,
) -> dict[str, object]:
    """Open a case (or continue one) and take it through its statutory stages.

    Args:
        aware: The day the local authority became aware of the serious incident (starts
            the 5-working-day Panel notification clock). For a case being continued
            (reference given), the case's own dates stand.
        notified: The day the National Panel was notified, if it has been (starts the
            15-working-day rapid review clock).
        incident: The day of the incident, if known (used when the partnership's clock
            starts at the incident).
        reference: An existing case to continue, e.g. RR-2027-004 (qaf rapid-review resume
            fills it in). Leave blank to open a new case with the dates above.
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    zone = framework.document.partnership.timezone
    if not reference:
        reference = open_or_find_case(url, framework, CaseDates(incident, aware, notified), str(run_id))
    view = read_case(url, framework, reference)
    while view.next_stage is not None:
        publish_case_stages(view)
        stage = next(s for s in view.stages if s.key == view.next_stage)
        rename_run(run_id, case_run(reference, stage.key))
        logger.info("%s: waiting for %s (due %s)", reference, stage.key, stage.due)
        key = f"{reference.lower()}-{stage.key}"
        form = stage_form(framework, stage_named(framework, stage.key), reference, stage.due, today_in(zone))  # type: ignore[arg-type]
        try:
            answer = suspend_flow_run(wait_for_input=form, timeout=FORM_TIMEOUT_SECONDS, key=key)
        except ValidationError:
            raise CaseAnswerRejected(f"{reference}: the answer for {stage.key} was not valid; run qaf rapid-review resume {reference} to answer again") from None
        finally:
            # The answer is in hand (or unusable): it must not stay in Prefect, where a
            # rationale could describe the case.
            forget_form_answer(run_id, f"suspended-{key}-response")
        if answer.stage != stage.key:  # type: ignore[union-attr]
            raise CaseAnswerRejected(f"{reference}: an answer for {answer.stage} arrived while {stage.key} was awaited; run qaf rapid-review resume {reference}")  # type: ignore[union-attr]
        try:
            if isinstance(answer, Decision):
                view = record(url, framework, reference, stage.key, answer.decided_on, answer.decision, answer.rationale, None)
            elif isinstance(answer, SignedOff):
                view = record(url, framework, reference, stage.key, answer.signed_off_on, None, None, answer.signed_by)
            else:
                view = record(url, framework, reference, stage.key, answer.done_on, None, None, None)  # type: ignore[union-attr]
        except CaseError as exc:
            raise CaseAnswerRejected(f"{exc}; run qaf rapid-review resume {reference} to answer again") from None
    publish_case_stages(view)
    rename_run(run_id, case_run(reference, "complete"))
    logger.info("%s is complete", reference)
    return {"reference": reference, "status": view.status, "decision": view.decision}
