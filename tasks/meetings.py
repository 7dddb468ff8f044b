"""Prefect tasks around recording a meeting: thin wrappers over
qaframework.persistence.meetings, with retries for transient database errors only.

They take and return keys, references, dates and reasons; the decisions and actions
typed in the UI go from the form straight to the database and are then deleted from
Prefect. A reason never quotes what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from prefect import task
from prefect.cache_policies import NONE

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import MeetingRecord
from qaframework.persistence.meeting_minutes import counts_of, form_attempts, note_form_answer
from qaframework.persistence.meetings import (
    AgreedAction, MeetingError, MeetingRecordError, agreed_at, find_meeting, present_at, record_meeting,
)
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)
#: The form's name for each part of the record a refusal names.
FORM_FIELDS = {"decisions": "decisions, number", "actions": "actions, number"}


@dataclass(frozen=True)
class MeetingToRecord:
    """The meeting a record-meeting run is for, as its form shows it: planned day,
    whether it is recorded already (held, with whom; or cancelled), how many decisions
    and which actions it has; ``refused`` why it cannot be found, if it cannot."""

    key: str = ""
    occurrence_id: int = 0
    body_name: str = ""
    day: date | None = None
    status: str = "planned"  # planned | held | cancelled
    held_on: date | None = None
    attended: tuple[str, ...] = ()
    decisions: int = 0
    actions: tuple[str, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one answer came to: recorded (what it added), or refused with the reason."""

    status: str | None = None
    recorded: bool = False
    attended_added: tuple[str, ...] = ()
    decisions_added: int = 0
    actions_added: tuple[str, ...] = ()
    reason: str | None = None


@task(name="read-meeting-to-record", **DB)
def read_meeting(database_url: str, framework: Framework, body: str, day: date) -> MeetingToRecord:
    with transaction(database_url) as session:
        try:
            meeting = find_meeting(session=session, framework=framework, body=body, day=day)
        except MeetingError as exc:
            return MeetingToRecord(refused=str(exc))
        assert meeting.id is not None
        record = session.get(MeetingRecord, meeting.id)
        decisions, _ = counts_of(session=session, occurrence_ids=[meeting.id]).get(meeting.id, (0, 0))
        return MeetingToRecord(
            key=meeting.key, occurrence_id=meeting.id, body_name=framework.bodies[meeting.activity].name, day=meeting.window_start,
            status=record.status if record else "planned", held_on=record.held_on if record else None,
            attended=tuple(present_at(session=session, occurrence_id=meeting.id)), decisions=decisions,
            actions=tuple(a.reference for a in agreed_at(session=session, occurrence_id=meeting.id)),
        )


@task(name="record-meeting", **DB)
def record(database_url: str, framework: Framework, body: str, day: date, held: bool, held_on: date | None, attended: Sequence[str],
           decisions: Sequence[str], actions: Sequence[AgreedAction], today: date, actor: str) -> Outcome:
    """Record the answer (all of it or nothing) and note it, in one transaction."""
    try:
        with transaction(database_url) as session:
            done = record_meeting(session=session, framework=framework, body=body, meeting_day=day, held=held, held_on=held_on,
                                  attended=attended, decisions=decisions, actions=actions, today=today, actor=actor)
            note_form_answer(session=session, meeting_key=done.key, actor=actor, reason=None)
    except MeetingRecordError as exc:
        return Outcome(reason=exc.named(FORM_FIELDS))
    return Outcome(done.status, done.recorded, done.added, len(done.decisions_added), done.actions_added)


@task(name="record-refused-meeting", **DB)
def record_refused(database_url: str, meeting_key: str, actor: str, reason: str) -> None:
    """Note in the audit log that an answer was refused (the reason, never the answer)."""
    with transaction(database_url) as session:
        note_form_answer(session=session, meeting_key=meeting_key, actor=actor, reason=reason)


@task(name="meeting-form-attempts-of-run", **DB)
def attempts_of_run(database_url: str, meeting_key: str, actor: str) -> tuple[int, bool]:
    """How many answers this run has had for the meeting, and whether one was recorded."""
    with transaction(database_url) as session:
        return form_attempts(session=session, meeting_key=meeting_key, actor=actor)
