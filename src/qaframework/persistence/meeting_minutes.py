"""What a held meeting decided and the actions it agreed: its minutes, as the record keeps
them (``qaf meetings record`` and the ``record-meeting`` form write them through
``persistence.meetings.record_meeting``).

A decision is known within its meeting by its text (spaces collapsed): recording the same
text again adds nothing; each new one takes the meeting's next number. An agreed action
is an improvement action (``persistence/actions.py``: an occurrence and a task for its
owner, reminded and escalated like any other) with ``agreed_at_occurrence_id`` naming the
meeting; within its meeting it is known by what (spaces collapsed), owner and due date,
so recording the same action again adds nothing, whatever has happened to it since.

The next meeting's papers list the actions agreed at the previous one and where they
stand (``agreed_at``). Text is checked before anything is written: not empty, not too
long, storable and not identifying; a refusal names the field (and which one, counting
from 1) and never quotes the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from qaframework.errors import UntrustedInputError
from qaframework.framework import Framework
from qaframework.learning.identifying import IdentifyingTextError
from qaframework.persistence.actions import MAX_TEXT, create_action, refuse_identifying
from qaframework.persistence.learning_tables import ImprovementAction, MeetingDecision
from qaframework.persistence.meeting_errors import MeetingRecordError
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from qaframework.untrusted import checked_text

#: A decision's text, in characters (an action's ``what`` has the actions' own limit).
DECISION_LENGTH = MAX_TEXT
#: Audit actions of the record-meeting form: an answer recorded, an answer refused.
FORM_RECORDED = "meeting-form-recorded"
FORM_REFUSED = "meeting-form-refused"


@dataclass(frozen=True)
class AgreedAction:
    """An action agreed at a meeting: what must change, its owner (an agency or body key)
    and the day it is due (on or after the day the meeting was held)."""

    what: str
    owner: str
    due: date


@dataclass(frozen=True)
class AgreedActionLine:
    """An action agreed at a meeting and where it stands, as the next meeting's papers
    list it: ``overdue`` is open past its due date (by ``today``, or as check-deadlines
    marked its task)."""

    reference: str
    what: str
    owner_kind: str  # agency | body
    owner: str
    due: date
    status: str  # open | done | dropped
    overdue: bool
    done_on: date | None

    def as_dict(self) -> dict[str, object]:
        return {"reference": self.reference, "what": self.what, "owner_kind": self.owner_kind, "owner": self.owner,
                "due": self.due.isoformat(), "status": self.status, "overdue": self.overdue,
                "done_on": self.done_on.isoformat() if self.done_on else None}


def same_text(text: str) -> str:
    """The text as identity compares it: spaces collapsed.

    >>> same_text("  Audit  the referrals\\nagain ")
    'Audit the referrals again'
    """
    return " ".join(text.split())


def checked_minute(value: str, field: str, item: int, limit: int = MAX_TEXT) -> str:
    """A decision's or an action's text to store (stripped), or MeetingRecordError naming
    the field and which item: empty, too long, not storable or identifying."""
    if not isinstance(value, str) or not value.strip():
        raise MeetingRecordError(field, "is empty: say it in a few words (no names)", item=item)
    try:
        text = checked_text(value, field="").strip()
    except UntrustedInputError as exc:
        raise MeetingRecordError(field, exc.reason, item=item) from None
    if len(text) > limit:
        raise MeetingRecordError(field, f"is {len(text)} characters long: at most {limit}", item=item)
    try:
        refuse_identifying(text, "")
    except IdentifyingTextError as exc:
        raise MeetingRecordError(field, exc.reason, item=item) from None
    return text


def decisions_of(*, session: Session, occurrence_id: int) -> list[str]:
    """The decisions recorded for the meeting, by number."""
    return list(session.execute(
        select(MeetingDecision.text).where(MeetingDecision.occurrence_id == occurrence_id).order_by(MeetingDecision.number)
    ).scalars())


def add_decisions(*, session: Session, meeting: Occurrence, decisions: Iterable[str], actor: str) -> tuple[int, ...]:
    """Record the decisions (checked text) not yet recorded for the meeting; the new ones'
    numbers. The caller holds the meeting's record locked (see ``record_meeting``)."""
    assert meeting.id is not None
    known = {same_text(t) for t in decisions_of(session=session, occurrence_id=meeting.id)}
    highest = session.execute(select(func.max(MeetingDecision.number)).where(MeetingDecision.occurrence_id == meeting.id)).scalar() or 0
    added: list[int] = []
    for text in decisions:
        if same_text(text) in known:
            continue
        known.add(same_text(text))
        highest += 1
        session.add(MeetingDecision(occurrence_id=meeting.id, number=highest, text=text, actor=actor[:120]))
        added.append(highest)
    if added:
        session.flush()
        audit(session=session, actor=actor, action="meeting-decisions-added", subject=meeting.key, detail={"numbers": added})
    return tuple(added)


def _agreed(session: Session, occurrence_id: int) -> list[ImprovementAction]:
    return list(session.execute(
        select(ImprovementAction).where(ImprovementAction.agreed_at_occurrence_id == occurrence_id)
        .order_by(ImprovementAction.financial_year, ImprovementAction.number)
    ).scalars())


def add_agreed_actions(*, session: Session, framework: Framework, meeting: Occurrence, actions: Iterable[AgreedAction], on: date,
                       actor: str) -> tuple[str, ...]:
    """Make an improvement action of each agreed action (checked) not yet agreed at the
    meeting, owned by its owner, its task opening on ``on`` (the day the meeting was
    held); the new ones' references. The caller holds the meeting's record locked."""
    assert meeting.id is not None
    known = {(same_text(a.what), a.owner_key, a.due) for a in _agreed(session, meeting.id)}
    added: list[str] = []
    for agreed in actions:
        identity = (same_text(agreed.what), agreed.owner, agreed.due)
        if identity in known:
            continue
        known.add(identity)
        made = create_action(session=session, framework=framework, what=agreed.what, owner=agreed.owner, due=agreed.due, on=on,
                             activity=meeting.activity, actor=actor, agreed_at_occurrence_id=meeting.id)
        added.append(made.reference)
    if added:
        audit(session=session, actor=actor, action="meeting-actions-agreed", subject=meeting.key, detail={"actions": added})
    return tuple(added)


def agreed_at(*, session: Session, occurrence_id: int, today: date | None = None) -> list[AgreedActionLine]:
    """The actions agreed at the meeting, by reference, and where each stands: open, done
    (and the day) or dropped; open ones past their due date on ``today`` (or marked
    overdue by check-deadlines) are overdue."""
    actions = _agreed(session, occurrence_id)
    statuses = dict(session.execute(
        select(Task.id, Task.status).where(Task.id.in_([a.task_id for a in actions if a.task_id]))  # type: ignore[union-attr]
    ).all()) if actions else {}
    return [AgreedActionLine(
        reference=a.reference, what=a.what, owner_kind=a.owner_kind, owner=a.owner_key, due=a.due, status=a.status,
        overdue=a.status == "open" and ((today is not None and a.due < today) or statuses.get(a.task_id) == "overdue"),
        done_on=a.done_on,
    ) for a in actions]


def counts_of(*, session: Session, occurrence_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """For each meeting: (decisions recorded, actions agreed); meetings with neither are left out."""
    ids = list(occurrence_ids)
    if not ids:
        return {}
    decisions = dict(session.execute(select(MeetingDecision.occurrence_id, func.count()).where(MeetingDecision.occurrence_id.in_(ids))  # type: ignore[attr-defined]
                                     .group_by(MeetingDecision.occurrence_id)).tuples().all())
    actions = dict(session.execute(select(ImprovementAction.agreed_at_occurrence_id, func.count())
                                   .where(ImprovementAction.agreed_at_occurrence_id.in_(ids))  # type: ignore[union-attr]
                                   .group_by(ImprovementAction.agreed_at_occurrence_id)).tuples().all())
    return {oid: (decisions.get(oid, 0), actions.get(oid, 0)) for oid in ids if oid in decisions or oid in actions}


def note_form_answer(*, session: Session, meeting_key: str, actor: str, reason: str | None) -> None:
    """Note in the audit log that a record-meeting form's answer was recorded (``reason``
    None) or refused (the reason only, never what was typed), so a resumed run knows
    which attempt it is at."""
    audit(session=session, actor=actor, action=FORM_REFUSED if reason else FORM_RECORDED, subject=meeting_key,
          detail={"reason": reason} if reason else {})


def form_attempts(*, session: Session, meeting_key: str, actor: str) -> tuple[int, bool]:
    """How many answers ``actor`` (one form run) has given for the meeting, and whether
    one was recorded."""
    actions = list(session.execute(
        select(AuditLogEntry.action).where(AuditLogEntry.actor == actor, AuditLogEntry.subject == meeting_key,
                                           AuditLogEntry.action.in_((FORM_RECORDED, FORM_REFUSED)))  # type: ignore[attr-defined]
    ).scalars())
    return len(actions), FORM_RECORDED in actions
