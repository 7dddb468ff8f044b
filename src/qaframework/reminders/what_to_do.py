"""What a reminder tells its reader to do about one item, by the kind of work it is.

- a task a return answers: fill in the attached template and send it back (to the
  returns address, else by replying; or into the shared returns folder when one is set);
- an improvement action: tell the business unit the day and the evidence; it is
  recorded with ``qaf actions done``;
- a review case's stage: the business unit records it (the case's form, or
  ``qaf rapid-review record``);
- any other task (an insight visit, a report, a meeting's work): what "done" means
  (it has taken place, as the framework describes it), and that the business unit
  records it (``qaf tasks done`` or the complete-task form in the Prefect UI).

Plain text, one sentence or a few, without names: the templates wrap and place it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qaframework.feeds.items import is_case_review
from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.persistence.outbox import DigestLine
from qaframework.reminders.attachments import takes_return
from qaframework.returns.templates import template_filename
from qaframework.returns.validation import task_reference


@dataclass(frozen=True)
class Audience:
    """Who reads the reminder, and what the partnership set up for returns."""

    business_unit: str  # the business unit's name
    is_business_unit: bool  # the reader is the business unit itself
    returns_address: str | None = None
    returns_folder: Path | None = None


def what_to_do(framework: Framework, line: DigestLine, audience: Audience, attached: set[str]) -> str:
    """The sentence(s) saying what to do about ``line``; ``attached`` are the file names
    of the templates the email carries."""
    reference = task_reference(line.occurrence_key, line.assignee_key)
    unit = audience.business_unit
    if takes_return(framework, line):
        found = framework.return_type_for(line.activity)
        title = found[1].title if found else "return"
        filename = template_filename(reference)
        if filename not in attached:
            return (f"Send your {title} by the due date. Its template could not be attached to this email: "
                    f"reply and the {unit} will send it to you.")
        where = f"email it to {audience.returns_address}" if audience.returns_address else "reply to this email with it attached"
        folder = f", or save it in the shared returns folder {audience.returns_folder / line.assignee_key}" if audience.returns_folder else ""
        return (f"Fill in the attached {filename} (the {title} template, already filled in with your agency, "
                f"the period and what to answer) and send it back: {where}{folder}. Keep the file as it is "
                f"(the About sheet and the grey key columns are read back); a return that cannot be accepted "
                f"comes back with what to correct.")
    if line.occurrence_key.startswith(f"{ACTION}/"):
        action = line.occurrence_key.split("/", 1)[1]
        if audience.is_business_unit:
            return f"When it is done, record the day and the evidence: qaf actions done {action} --on DATE --evidence TEXT."
        return (f"It is done when the change has been made. Tell the {unit} the day and what shows it was done "
                f"(the evidence, never a name); the {unit} records it and the reminders stop.")
    if is_case_review(framework, line.activity):
        case = line.occurrence_key.split("/", 2)[1]
        if audience.is_business_unit:
            return (f"Record the stage when it is done: the case's form in the Prefect UI (Resume on the run of case {case}), "
                    f"or qaf rapid-review record {case} STAGE --on DATE.")
        return f"Tell the {unit} when this stage of case {case} is done; the {unit} records it and the clock moves on."
    activity = framework.activities.get(line.activity)
    described = f" ({activity.description.rstrip('.')})" if activity and activity.description else ""
    if audience.is_business_unit:
        return (f"No return answers this. It is done when it has been carried out{described}. Record it then: "
                f"qaf tasks done {reference} --on DATE, or the complete-task form in the Prefect UI.")
    return (f"No return is sent for this. It is done when it has been carried out{described}. Tell the {unit} "
            f"the day it was done and what shows it (the evidence, never a name): the {unit} records it "
            f"as done, and the reminders stop.")
