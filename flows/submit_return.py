"""Submit a return through the Prefect UI, for a partner agency's task.

The business unit starts this for one agency task (its reference, such as
multi-agency-audit/2027-04/avon-somerset-police). The run waits for a form typed to
that task's return, pre-filled with the agency, the period and the rows to answer. The
answer is checked exactly as a spreadsheet would be: accepted (the task is submitted, on
time or late) or rejected with every problem named, in which case the form is offered
again with the reasons. Either way the submission is kept, and the answer is deleted from
Prefect once it is in our database. The run is named after the task
(return-multi-agency-audit/2027-04/avon-somerset-police).
"""


import json
from typing import Any

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError, create_model

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from qaframework.form_fields import fixed
from qaframework.framework import Framework
from qaframework.returns.layout import LAYOUTS
from qaframework.returns.problems import describe
from qaframework.returns.templates import prefilled_rows
from qaframework.returns.validation import ReturnTask
from qaframework.run_names import subject_run
from tasks.cases import forget_form_answer, read_form_answer
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters
from tasks.returns import publish_returns_dashboard, read_return_task, receive, submissions_of_run

#: How long the form waits in the UI before the run expires (start another to answer later).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
#: A form is offered at most this many times in one run (a rejected answer brings it back).
ATTEMPTS = 3


def return_form(framework: Framework, task: ReturnTask) -> type[RunInput]:
    """A form typed to the task's return: the agency and the period fixed (each the only
    choice), and its tables as lists of rows."""
    rt_key, rt = framework.return_type_for(task.activity)  # type: ignore[misc]
    fields: dict[str, Any] = {
        "agency": fixed(task.agency_key, "The agency this return is from (filled in for you)"),
        "period": fixed(task.period_label, "The period it covers (filled in for you)"),
    }
    for spec in LAYOUTS[rt.kind]:
        help_text = "; ".join(f"{c.header}: {c.help}" for c in spec.data_columns())
        fields[spec.field] = (list[spec.row_model], Field(default_factory=list, description=f"{spec.sheet}. {help_text}"))  # type: ignore[name-defined]
    return create_model(f"{rt.kind.title().replace('-', '')}Form", __base__=RunInput, **fields)


def run_name() -> str:
    """The run is named after the task its return answers: return-multi-agency-audit/2027-04/AGENCY."""
    return subject_run("return", parameters().get("task"))


@flow(name="submit-return", persist_result=True, flow_run_name=run_name)
def submit_return(task: str) -> dict[str, object]:
    """Wait for a partner agency's return for one task, typed in the Prefect UI.

    Args:
        task: The agency task the return answers, e.g.
            multi-agency-audit/2027-04/avon-somerset-police (see qaf returns status --json).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    found = read_return_task(url, framework, task)
    rt_key, rt = framework.return_type_for(found.activity)  # type: ignore[misc]
    agency = framework.agencies.get(found.agency_key)
    agency_type = agency.type if agency else ""
    form = return_form(framework, found)
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    actor = f"prefect:submit-return:{run_id}"
    rows = prefilled_rows(rt, found, agency_type)
    prefilled = {spec.field: [{c.field: r[c.field] for c in spec.data_columns() if c.field in r} for r in rows.get(spec.field, [])]
                 for spec in LAYOUTS[rt.kind]}
    # A resumed run starts again from the top: what this run has already stored (in our
    # database, not in Prefect) says which attempt it is at.
    earlier = submissions_of_run(url, actor)
    for stored_attempt in range(1, len(earlier) + 1):
        # A run that stopped between storing an answer and deleting it from Prefect.
        forget_form_answer(run_id, f"suspended-return-{found.task_id}-{stored_attempt}-response")
    while not (earlier and earlier[-1].status == "accepted") and len(earlier) < ATTEMPTS:
        attempt = len(earlier) + 1
        reasons = "; ".join(describe(p) for p in earlier[-1].problems) if earlier else ""
        key = f"return-{found.task_id}-{attempt}"
        description = (f"{rt.title} from {agency.name if agency else found.agency_key} for {found.title} {found.period_label}"
                       + (f", due {found.due:%d %B %Y}" if found.due else "") + ". Fill in the rows, then press Resume: the return is "
                       "checked as a spreadsheet would be, and accepted (the task is submitted) or offered again with every "
                       "problem named. Never type a child's, family's or practitioner's name."
                       + (f"\n\nThe last answer was not accepted: {reasons}" if reasons else ""))
        try:
            answer = suspend_flow_run(
                wait_for_input=form.with_initial_data(description=description, agency=found.agency_key, period=found.period_label, **prefilled),
                timeout=FORM_TIMEOUT_SECONDS, key=key,
            )
            typed = answer.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
        except ValidationError:
            # The answer passed Prefect's schema but not the form's own checks (a field of
            # spaces): take it as typed, so it is checked, kept and answered like any
            # return. The error itself quotes the input and is never shown.
            typed = read_form_answer(run_id, f"suspended-{key}-response")
        body = {"return_type": rt_key, "task": found.reference, **{k: v for k, v in typed.items() if k != "period"},
                "answered_in": f"{run_id}/{attempt}"}
        # Stored first, then deleted from Prefect: if storing fails, the answer is still
        # there for the run's retry (the same key finds it), so nothing typed is lost.
        stored = receive(url, framework, json.dumps(body, sort_keys=True).encode(), f"form-{found.task_id}.json", "ui", actor, None, "form")
        forget_form_answer(run_id, f"suspended-{key}-response")
        if stored.status == "accepted":
            logger.info("Submission %d accepted as version %d of %s%s", stored.id, stored.version, found.reference, " (late)" if stored.late else "")
        else:
            # Problems name places and expectations only, never what was typed.
            logger.warning("Submission %d for %s rejected: %s", stored.id, found.reference,
                           "; ".join(describe(p) for p in stored.problems))
        earlier = submissions_of_run(url, actor)
    today = today_in(framework.document.partnership.timezone)
    publish_returns_dashboard(url, framework, today, FinancialYear.containing(today).start_year)
    last = earlier[-1]
    return {"task": found.reference, "submission": last.id, "status": last.status, "version": last.version, "late": last.late}
