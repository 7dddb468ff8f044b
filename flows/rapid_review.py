"""Run a serious incident's statutory clock chain, from notification to published review.

Started from the UI with the case's dates, by `qaf rapid-review start`, or by the
`qaf.serious-incident.notified` event. Each stage is recorded through a form in the
Prefect UI: the run suspends until someone fills it in (no process waits meanwhile).
The case lives in our database, so `qaf rapid-review resume REF` picks up a case whose
run expired or was lost, at the stage where it stood.
"""


from datetime import date
from typing import Literal

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError, create_model

from qaframework.config import Settings
from qaframework.persistence.cases import CaseError
from qaframework.framework import Framework
from qaframework.reviews.chain import CaseDates, Stage, stage_named
from tasks.cases import forget_form_answer, open_or_find_case, publish_case_stages, read_case, record
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file

#: How long a stage's form waits in the UI before the run expires (the case does not:
#: `qaf rapid-review resume` starts a new run where it stood).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 200


class StageDone(RunInput):
    """Record the day this stage was done. Do not type names or case details anywhere."""

    stage: str = Field(description="The stage this form records (filled in for you)")
    done_on: date = Field(description="The day this stage was done")


class SignedOff(RunInput):
    """Record a sign-off. Do not type names or case details anywhere."""

    stage: str = Field(description="The stage this form records (filled in for you)")
    signed_off_on: date = Field(description="The day it was signed off")
    signed_by: str = Field(description="Who signed it off (their role)")


class Decision(RunInput):
    """The decision after the rapid review. The rationale is kept in the case record only."""

    stage: str = Field(description="The stage this form records (filled in for you)")
    decision: str = Field(description="The outcome of the rapid review")
    decided_on: date = Field(description="The day the decision was made")
    rationale: str = Field(min_length=1, description="Why: kept in the case record, not in Prefect. No names.")


def form_for(framework: Framework, stage: Stage) -> type[RunInput]:
    """The stage's form, with the choices the framework file gives it: who may sign it
    off, or the decisions."""
    if stage.kind == "sign-off":
        return create_model(  # type: ignore[call-overload, no-any-return]
            "SignedOff", __base__=SignedOff, __doc__=SignedOff.__doc__,
            signed_by=(Literal[stage.signed_by], Field(description="Who signed it off (their role)")),  # type: ignore[valid-type]
        )
    if stage.kind == "decision":
        chain = framework.review_chain
        choices = "; ".join(f"{key}: {d.title}" for key, d in chain.decisions.items())
        return create_model(  # type: ignore[call-overload, no-any-return]
            "Decision", __base__=Decision, __doc__=Decision.__doc__,
            decision=(Literal[tuple(chain.decisions)], Field(description=choices)),  # type: ignore[valid-type]
        )
    return StageDone


class CaseAnswerRejected(RuntimeError):
    """A form's answer could not be recorded; the case stands where it was. The message
    names the case and stage only, never what was typed."""


@flow(name="rapid-review", persist_result=True)
def rapid_review(
    aware: date | None = None,
    notified: date | None = None,
    incident: date | None = None,
    reference: str | None = None,
) -> dict[str, object]:
    """Open a case (or continue one) and take it through its statutory stages.

    Args:
        aware: The day the local authority became aware of the serious incident (starts
            the 5-working-day Panel notification clock).
        notified: The day the National Panel was notified, if it has been (starts the
            15-working-day rapid review clock).
        incident: The day of the incident, if known (used when the partnership's clock
            starts at the incident).
        reference: An existing case to continue, e.g. RR-2027-004. Leave blank to open a
            new case with the dates above.
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    if reference is None:
        if aware is None:
            raise ValueError("give the day the local authority became aware (aware), or the reference of a case to continue")
        reference = open_or_find_case(url, framework, CaseDates(incident, aware, notified), str(run_id))
    view = read_case(url, framework, reference)
    while view.next_stage is not None:
        publish_case_stages(view)
        stage = next(s for s in view.stages if s.key == view.next_stage)
        logger.info("%s: waiting for %s (due %s)", reference, stage.key, stage.due)
        key = f"{reference.lower()}-{stage.key}"
        form = form_for(framework, stage_named(framework, stage.key)).with_initial_data(  # type: ignore[arg-type]
            description=f"{reference}: {stage.title} (due {stage.due or 'not yet known'}). Never type a name or case detail.",
            stage=stage.key,
        )
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
    logger.info("%s is complete", reference)
    return {"reference": reference, "status": view.status, "decision": view.decision}
