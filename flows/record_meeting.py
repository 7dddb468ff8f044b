"""Record a meeting after it happened, through the Prefect UI: held or cancelled, the
agencies present (the dataset's attendance measure counts them), the decisions, and the
actions agreed, each of which becomes an action with an owner and a due date, reminded
and escalated like any other.

The business unit starts this with the body's key and the meeting's planned day. The run
waits for a form pre-filled with the meeting: held (ticked), the day it was held (its
planned day) and the agencies already recorded as present, to tick from the roster;
decisions and actions are typed afresh (nothing already recorded is shown again or
removed; typing one again adds nothing). The answer is stored in our database, all of
it or nothing, and then deleted from Prefect. An answer that is refused (a day in the
future, an action due before the meeting, text that looks identifying, a cancelled
meeting recorded held) is deleted too, never quoted, and the form is offered again with
the reason, at most three times. The run is named after the meeting
(meeting-BODY-2027-06-08).
"""


from datetime import date
from typing import Literal

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field, ValidationError, create_model

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.framework import Framework
from qaframework.persistence.meetings import AgreedAction
from qaframework.run_names import meeting_run
from tasks.cases import forget_form_answer
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.run_names import parameters
from tasks.meetings import MeetingToRecord, attempts_of_run, read_meeting, record, record_refused

#: How long the form waits in the UI before the run expires (start another to answer later).
FORM_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
#: A form is offered at most this many times in one run (a refused answer brings it back).
ATTEMPTS = 3
NEVER = "Never type a name, a date of birth, an NHS number or a postcode."


class MeetingRecordForm(RunInput):
    """Record what happened at this meeting. Never type a name, a date of birth, an NHS
    number or a postcode."""

    held: bool = Field(default=True, description="Ticked: the meeting was held. Unticked: it was cancelled (then leave the rest empty)")
    decisions: list[str] = Field(default_factory=list, description="The decisions taken, one each, in a few words (at most 2000 characters each)")


def meeting_form(framework: Framework, meeting: MeetingToRecord) -> type[RunInput]:
    """The form for the meeting, with the roster's agencies and the owners (agencies and
    bodies) as choices, pre-filled with the meeting's day and who is recorded present."""
    agencies = tuple(framework.agencies)
    owners = (*framework.agencies, *framework.bodies)
    action = create_model(  # type: ignore[call-overload]
        "ActionAgreed", __base__=BaseModel, __doc__="An action agreed: what must change, who owns it, and by when.",
        what=(str, Field(description="What must change, in a few words (at most 2000 characters)")),
        owner=(Literal[owners], Field(description="Who owns it: an agency or a body")),  # type: ignore[valid-type]
        due=(date, Field(description="The day it is due (on or after the day the meeting was held)")),
    )
    return create_model(  # type: ignore[call-overload, no-any-return]
        "MeetingRecordForm", __base__=MeetingRecordForm, __doc__=MeetingRecordForm.__doc__,
        held_on=(date, Field(default=meeting.held_on or meeting.day, description="The day it was held (not in the future)")),
        attended=(list[Literal[agencies]], Field(  # type: ignore[valid-type]
            default=list(meeting.attended), description="The agencies represented at the meeting: "
            + "; ".join(f"{key}: {a.name}" for key, a in framework.agencies.items()))),
        actions=(list[action], Field(default_factory=list, description="The actions agreed, each with its owner and due date")),  # type: ignore[valid-type]
    )


def _description(meeting: MeetingToRecord, reason: str) -> str:
    """What the form is for, what is recorded already, and what pressing Resume does."""
    already = ""
    if meeting.status == "held":
        already = (f"\n\nRecorded already: held on {meeting.held_on:%d %B %Y}, {len(meeting.attended)} agencies present, "
                   f"{meeting.decisions} decisions, {len(meeting.actions)} actions agreed"
                   + (f" ({', '.join(meeting.actions)})" if meeting.actions else "")
                   + ". Type only what is new: nothing recorded is removed, and one typed again is not added twice.")
    return (f"The {meeting.body_name} meeting planned for {meeting.day:%d %B %Y} ({meeting.key}). Pressing Resume records it, "
            "all of it or nothing: held on the day given, with the agencies ticked present, its decisions, and the actions agreed "
            "(each becomes an action for its owner, with a reference, reminded until it is done); or, with held unticked, "
            f"cancelled. {NEVER}{already}" + (f"\n\nThe last answer was not recorded: {reason}" if reason else ""))


class MeetingNotRecorded(RuntimeError):
    """No answer recorded the meeting; the message names the meeting only, never what was typed."""


def run_name() -> str:
    """The run is named after the body and the meeting's planned day: meeting-BODY-2027-06-08."""
    return meeting_run(parameters())


@flow(name="record-meeting", persist_result=True, flow_run_name=run_name)
def record_meeting(body: str, meeting: date) -> dict[str, object]:
    """Wait for the form that records one meeting (held or cancelled, who was present,
    its decisions and the actions agreed), and record it.

    Args:
        body: The body's key, e.g. as qaf meetings list shows it.
        meeting: The meeting's planned day (any day of its month finds it).
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    prepare_database(url)
    found = read_meeting(url, framework, body, meeting)
    if found.refused:
        raise MeetingNotRecorded(found.refused)
    if found.status == "cancelled":
        logger.info("%s was recorded as cancelled already", found.key)
        return {"meeting": found.key, "status": "cancelled"}
    run_id = get_run_context().flow_run.id  # type: ignore[union-attr]
    actor = f"prefect:record-meeting:{run_id}"
    zone = framework.document.partnership.timezone
    # A resumed run starts again from the top: our database says which attempt it is at.
    attempts, done = attempts_of_run(url, found.key, actor)
    for attempt in range(1, attempts + 1):  # a run that stopped between storing and deleting
        forget_form_answer(run_id, f"suspended-meeting-{found.occurrence_id}-{attempt}-response")
    if done:
        return {"meeting": found.key, "status": "recorded"}
    form = meeting_form(framework, found)
    reason = ""
    while attempts < ATTEMPTS:
        key = f"meeting-{found.occurrence_id}-{attempts + 1}"
        answer = None
        try:
            answer = suspend_flow_run(wait_for_input=form.with_initial_data(description=_description(found, reason)),
                                      timeout=FORM_TIMEOUT_SECONDS, key=key)
        except ValidationError:
            # It passed Prefect's schema but not the form's own: never read, never shown.
            reason = ("the answer did not fit the form: give the day it was held as a date (YYYY-MM-DD), and each action's "
                      "what, owner and due date")
        outcome = None
        if answer is not None:
            held: bool = answer.held  # type: ignore[attr-defined]
            agreed = [AgreedAction(a.what, a.owner, a.due) for a in answer.actions]  # type: ignore[attr-defined]
            # Stored first, then deleted from Prefect, so a failure to store loses nothing.
            outcome = record(url, framework, body, found.day, held, answer.held_on if held else None,  # type: ignore[attr-defined]
                             list(answer.attended), list(answer.decisions), agreed, today_in(zone), actor)  # type: ignore[attr-defined]
            reason = outcome.reason or ""
        forget_form_answer(run_id, f"suspended-{key}-response")
        if outcome is not None and outcome.reason is None:
            logger.info("%s recorded %s: %d agencies added, %d decisions added, actions agreed %s", found.key, outcome.status,
                        len(outcome.attended_added), outcome.decisions_added, ", ".join(outcome.actions_added) or "none")
            return {"meeting": found.key, "status": outcome.status, "decisions_added": outcome.decisions_added,
                    "actions_added": list(outcome.actions_added)}
        record_refused(url, found.key, actor, reason)
        logger.warning("%s: the answer was not recorded: %s", found.key, reason)
        attempts += 1
    raise MeetingNotRecorded(f"{found.key}: no answer was recorded in {ATTEMPTS} attempts; start record-meeting again for it")
