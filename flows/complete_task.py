"""Mark a task done through the Prefect UI: the day, who did it (a role) and the evidence.

The business unit starts this for one task (its reference, OCCURRENCE/ASSIGNEE, as `qaf
tasks` lists it). The run waits for a form pre-filled with the task: the day it was
done, the role that did it (the holder's, to change if need be) and a short note of the
evidence. The answer is stored in our database and then deleted from Prefect. An answer
that is refused (a day in the future or before the task opened, a note that looks
identifying) is deleted too, never quoted, and the form is offered again with the
reason, at most three times. Tasks a return answers are closed by their return, not here.
The run is named after the task (task-focus-group/2027-07/ASSIGNEE).
"""


from datetime import date

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, ValidationError, create_model

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.form_fields import fixed
from qaframework.persistence.completion import NOTE_LENGTH, ROLE_LENGTH, TaskLine
from qaframework.persistence.tables import UNFINISHED
from qaframework.run_names import subject_run
from tasks.cases import forget_form_answer
from tasks.completion import attempts_of_run, complete, read_task, record_refused
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters

#: How long the form waits in the UI before the run expires (start another to answer later).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
#: A form is offered at most this many times in one run (a refused answer brings it back).
ATTEMPTS = 3
#: The form's field for each thing an answer can get wrong.
FIELDS = {"on": "done_on", "by": "done_by", "note": "evidence", "task": "reference"}


class TaskDone(RunInput):
    """Record that this task was done. Never type a name, a date of birth, an NHS number
    or a postcode."""

    reference: str = Field(description="The task (filled in for you)")
    done_on: date = Field(description="The day it was done (not in the future)")
    done_by: str = Field(description=f"Who did it: a role, never a name (at most {ROLE_LENGTH} characters)")
    evidence: str = Field(default="", description=f"A short note of the evidence, such as where the minutes or report are "
                                                  f"(at most {NOTE_LENGTH} characters). No names, dates of birth or postcodes.")


def task_form(line: TaskLine, role: str, today: date, reason: str = "") -> type[RunInput]:
    """The form for one task: its reference fixed (the only choice, so the UI shows it
    rather than a text box and Prefect refuses an answer naming another task), the day
    pre-filled with today and the role with the holder's, and a description saying what
    pressing Resume does."""
    description = (f"{line.title}: task {line.reference}" + (f", due {line.due:%d %B %Y}" if line.due else "")
                   + f" (opened {line.opened_on:%d %B %Y}). Check the day and the role, add a note of the evidence, then press "
                   "Resume: it records the task as done and stops its reminders. Never type a name, a date of birth, an NHS "
                   "number or a postcode." + (f"\n\nThe last answer was not recorded: {reason}" if reason else ""))
    form = create_model("TaskDone", __base__=TaskDone, __doc__=TaskDone.__doc__,  # type: ignore[call-overload]
                        reference=fixed(line.reference, "The task (filled in for you)"))
    return form.with_initial_data(description=description, done_by=role, done_on=today)  # type: ignore[no-any-return]


def run_name() -> str:
    """The run is named after its task: task-focus-group/2027-07/ASSIGNEE."""
    return subject_run("task", parameters().get("task"))


class TaskNotDone(RuntimeError):
    """No answer marked the task done; the message names the task only, never what was typed."""


@flow(name="complete-task", persist_result=True, flow_run_name=run_name)
def complete_task(task: str) -> dict[str, object]:
    """Wait for the form that marks one task done, and record it.

    Args:
        task: The task's reference, OCCURRENCE/ASSIGNEE as qaf tasks lists it, e.g.
            focus-group/2027-07/business-unit.
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    found = read_task(url, framework, task)
    line = found.line
    if found.refused:
        raise TaskNotDone(found.refused)
    if line.status == "closed" and line.done_on is not None:
        logger.info("%s was done on %s already", line.reference, line.done_on)
        return {"task": line.reference, "status": "done", "done_on": line.done_on.isoformat()}
    if line.status not in UNFINISHED:
        raise TaskNotDone(f"task {line.reference} is {line.status}: nothing is owed for it")
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    actor = f"prefect:complete-task:{run_id}"
    zone = framework.document.partnership.timezone
    # A resumed run starts again from the top: our database says which attempt it is at.
    attempts, done = attempts_of_run(url, line.reference, actor)
    for attempt in range(1, attempts + 1):  # a run that stopped between storing and deleting
        forget_form_answer(run_id, f"suspended-task-done-{line.task_id}-{attempt}-response")
    if done:
        return {"task": line.reference, "status": "done"}
    reason = ""
    while attempts < ATTEMPTS:
        key = f"task-done-{line.task_id}-{attempts + 1}"
        answer = None
        try:
            answer = suspend_flow_run(wait_for_input=task_form(line, found.role, today_in(zone), reason), timeout=FORM_TIMEOUT_SECONDS, key=key)
        except ValidationError:
            # It passed Prefect's schema but not the form's own: never read, never shown.
            reason = "the answer did not fit the form: give the day it was done as a date (YYYY-MM-DD) and the role as text"
        outcome = None
        if answer is not None:
            # Stored first, then deleted from Prefect, so a failure to store loses nothing.
            outcome = complete(url, framework, line.reference, answer.done_on, answer.done_by, answer.evidence, today_in(zone), actor)  # type: ignore[attr-defined]
            if outcome.reason is not None:
                reason = f"{FIELDS.get(outcome.field or '', outcome.field)}: {outcome.reason}"
        forget_form_answer(run_id, f"suspended-{key}-response")
        if outcome is not None and outcome.reason is None:
            logger.info("%s done on %s by %s%s", line.reference, outcome.done_on, outcome.done_by, "" if outcome.changed else " (already recorded)")
            return {"task": line.reference, "status": "done", "done_on": outcome.done_on.isoformat()}  # type: ignore[union-attr]
        record_refused(url, line.reference, actor, reason)
        logger.warning("%s: the answer was not recorded: %s", line.reference, reason)
        if outcome is not None and outcome.final:
            raise TaskNotDone(f"{line.reference}: {reason}")
        attempts += 1
    raise TaskNotDone(f"{line.reference}: no answer was recorded in {ATTEMPTS} attempts; start complete-task again for it")
