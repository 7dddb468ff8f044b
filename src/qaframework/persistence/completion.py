"""Finishing a task that no return answers: the day, who did it (a role) and the evidence.

Any task can be marked done except those something else finishes:

- an agency's task for an activity that takes a return: importing the return closes it
  (``qaf returns import``);
- an improvement action's task: ``qaf actions done``;
- a review case's stage: ``qaf rapid-review record``.

Marking a task done sets it ``closed`` with ``done_on``, ``done_by`` and ``evidence``,
in one guarded UPDATE (``WHERE status IN ('planned', 'open', 'overdue')``), so two
completions at once record one; the loser finds it done on the same day and changes
nothing. Reminders and escalations consider open and overdue tasks only, so none is
queued or sent for a task once it is done.

``done_by`` is a role, never a name. Left out, it is the role that holds the task: the
chair title of the body holding it (``Business Unit Manager``), or the named contact's
place in the agency (``named contact, Avon and Somerset Constabulary``). The evidence note
is short (at most :data:`NOTE_LENGTH` characters) and, like the role, refused if it
looks identifying (an NHS number, a date of birth, a postcode). No error quotes what was
typed for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session

from qaframework.errors import QAFrameworkError, UntrustedInputError, excerpt
from qaframework.framework import Framework
from qaframework.learning.identifying import identifying_reasons
from qaframework.persistence.learning_tables import ImprovementAction
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import UNFINISHED, AuditLogEntry, Occurrence, ReviewCase, Task, utc_now
from qaframework.returns.validation import split_task_reference, task_reference
from qaframework.untrusted import checked_text, parse_database_id

#: The evidence note, in characters.
NOTE_LENGTH = 500
#: The role, in characters (the column's width).
ROLE_LENGTH = 120
DONE = "task-done"
REFUSED = "task-done-refused"


class CompletionError(QAFrameworkError):
    """A task cannot be marked done as asked; nothing was written.

    ``field`` is what was wrong (``task``, ``on``, ``by`` or ``note``), so each edge names
    it its own way (``--on``, or the form's ``done_on``); ``reason`` never quotes typed
    text. ``final`` means no other answer would do (the task is cancelled, done on
    another day, or finished some other way), so a form is not offered again.
    """

    def __init__(self, field: str, reason: str, *, final: bool = False) -> None:
        self.field = field
        self.reason = reason
        self.final = final
        super().__init__(reason)


@dataclass(frozen=True)
class TaskLine:
    """A task as ``qaf tasks`` shows it (keys, dates and its own evidence note)."""

    task_id: int
    reference: str
    occurrence: str
    activity: str
    kind: str
    title: str
    assignee_kind: str
    assignee: str
    due: date | None
    status: str
    opened_on: date
    done_on: date | None
    done_by: str | None
    evidence: str

    def as_json(self) -> dict[str, object]:
        """The CLI's JSON for one task: the keys it always had, then the new ones."""
        return {
            "occurrence": self.occurrence, "activity": self.activity, "assignee": self.assignee,
            "due": self.due.isoformat() if self.due else None, "status": self.status,
            "reference": self.reference, "done_on": self.done_on.isoformat() if self.done_on else None,
            "done_by": self.done_by, "evidence": self.evidence or None,
        }


@dataclass(frozen=True)
class Completion:
    """What marking a task done came to: ``changed`` is False when it was done already,
    on that day (the role and note recorded then are kept)."""

    reference: str
    done_on: date
    done_by: str
    changed: bool


def _line(task: Task, occurrence: Occurrence) -> TaskLine:
    opened = min(occurrence.window_start, task.opened_on or occurrence.window_start)
    return TaskLine(
        task.id, task_reference(occurrence.key, task.assignee_key), occurrence.key, occurrence.activity, occurrence.kind,
        occurrence.title, task.assignee_kind, task.assignee_key, task.due, task.status, opened,
        task.done_on, task.done_by, task.evidence or "",
    )


def task_lines(*, session: Session, financial_year: int) -> list[TaskLine]:
    """Every task of a financial year, by due date, with its reference."""
    rows = session.execute(
        select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.financial_year == financial_year)
        .order_by(Task.due, Occurrence.key, Task.assignee_key)  # type: ignore[arg-type]
    ).all()
    return [_line(t, o) for t, o in rows]


def find_task(*, session: Session, reference: str) -> TaskLine:
    """The task ``reference`` names (``OCCURRENCE/ASSIGNEE``, as ``qaf tasks`` lists it, or
    a task id); a CompletionError if none does."""
    try:
        checked_text(reference, field="")
    except UntrustedInputError as exc:
        raise CompletionError("task", f"the task reference {exc.reason}") from None
    # Fresh from the database (populate_existing): a task finished a moment ago by another
    # transaction is seen as it is now, not as this session first loaded it.
    statement = (select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                 .execution_options(populate_existing=True))
    task_id = parse_database_id(reference)
    if task_id is not None:
        statement = statement.where(Task.id == task_id)
    else:
        occurrence_key, assignee = split_task_reference(reference)
        statement = statement.where(Occurrence.key == occurrence_key, Task.assignee_key == assignee)
    rows = session.execute(statement).all()
    if len(rows) != 1:
        raise CompletionError("task", f"no task has the reference {excerpt(reference)}: give OCCURRENCE/ASSIGNEE as qaf tasks lists it "
                                      "(an occurrence key, a slash, and the agency or body holding the task)", final=True)
    return _line(*rows[0])


def finished_elsewhere(*, session: Session, framework: Framework, line: TaskLine) -> str | None:
    """Why this task is not marked done here, and what finishes it; None if it is."""
    action = session.execute(select(ImprovementAction.reference).where(ImprovementAction.task_id == line.task_id)).scalar_one_or_none()
    if action is not None:
        return f"task {line.reference} is action {action}: mark it done with qaf actions done {action} --on DATE --evidence TEXT"
    if line.assignee_kind == "agency" and framework.return_type_for(line.activity) is not None:
        agency = framework.agencies.get(line.assignee)
        return (f"task {line.reference} is answered by {agency.name if agency else line.assignee}'s return: its return closes it "
                f"(qaf returns import FILE; qaf returns template {line.reference} writes the form to fill in)")
    parts = line.occurrence.split("/")
    if len(parts) == 3 and session.execute(select(ReviewCase.id).where(ReviewCase.reference == parts[1])).first() is not None:
        return f"task {line.reference} is a stage of case {parts[1]}: record it with qaf rapid-review record {parts[1]} {parts[2]} --on DATE"
    return None


def default_role(framework: Framework, line: TaskLine) -> str:
    """Who did it, when not said: the role that holds the task (never a name)."""
    if line.assignee_kind == "body":
        body = framework.bodies.get(line.assignee)
        role = (body.chair or body.name) if body else line.assignee
    else:
        agency = framework.agencies.get(line.assignee)
        role = f"named contact, {agency.name if agency else line.assignee}"
    return role[:ROLE_LENGTH]


def checked_role(value: str) -> str:
    """A role as typed: storable, not empty, at most ROLE_LENGTH characters, not identifying."""
    return _checked(value, "by", ROLE_LENGTH, "a role such as Business Unit Manager, never a name", required=True)


def checked_note(value: str | None) -> str:
    """An evidence note as typed (may be empty): storable, short, not identifying."""
    return _checked(value or "", "note", NOTE_LENGTH, "where the evidence is, such as minutes or a report", required=False)


def _checked(value: str, field: str, limit: int, expected: str, *, required: bool) -> str:
    try:
        text = checked_text(value, field="").strip()
    except UntrustedInputError as exc:
        raise CompletionError(field, exc.reason) from None
    if required and not text:
        raise CompletionError(field, f"is empty: give {expected}")
    if len(text) > limit:
        raise CompletionError(field, f"is {len(text)} characters long: at most {limit}")
    reasons = identifying_reasons(text)
    if reasons:
        raise CompletionError(field, reasons[0])
    return text


def complete_task(
    *, session: Session, framework: Framework, reference: str, done_on: date, today: date, actor: str,
    done_by: str | None = None, note: str | None = None,
) -> Completion:
    """Mark the task ``reference`` done on ``done_on`` (see the module's docstring).

    Refused (CompletionError, nothing written): an unknown reference, a task something
    else finishes, a cancelled or submitted task, one done on another day, a day after
    ``today`` or before the task opened, a role or note that is empty, too long or looks
    identifying. Done already on ``done_on``: nothing changes (``changed`` is False).
    """
    line = find_task(session=session, reference=reference)
    elsewhere = finished_elsewhere(session=session, framework=framework, line=line)
    if elsewhere:
        raise CompletionError("task", elsewhere, final=True)
    role = checked_role(done_by) if done_by is not None else default_role(framework, line)
    text = checked_note(note)
    if line.status not in UNFINISHED:
        return _already(line, done_on)
    if done_on > today:
        raise CompletionError("on", f"{done_on.isoformat()} is in the future (today is {today.isoformat()}): give the day it was done")
    if done_on < line.opened_on:
        raise CompletionError("on", f"task {line.reference} opened on {line.opened_on.isoformat()}: it cannot have been done on {done_on.isoformat()}, before it")
    now = utc_now()
    changed = session.execute(
        update(Task).where(Task.id == line.task_id, Task.status.in_(UNFINISHED))  # type: ignore[attr-defined]
        .values(status="closed", closed_at=now, done_on=done_on, done_by=role, evidence=text, updated_at=now)
        .returning(Task.id)
    ).scalar_one_or_none()
    if changed is None:  # finished a moment ago, perhaps by a completion at the same time
        return _already(find_task(session=session, reference=line.reference), done_on)
    audit(session=session, actor=actor, action=DONE, subject=line.reference,
          detail={"done_on": done_on.isoformat(), "done_by": role, "was": line.status, "activity": line.activity, "evidence": bool(text)})
    return Completion(line.reference, done_on, role, changed=True)


def _already(line: TaskLine, done_on: date) -> Completion:
    """A task that is no longer owed: the same completion again changes nothing."""
    if line.status == "closed" and line.done_on == done_on:
        return Completion(line.reference, done_on, line.done_by or "", changed=False)
    if line.status == "closed" and line.done_on is not None:
        raise CompletionError("on", f"task {line.reference} was done on {line.done_on.isoformat()}: it was not changed "
                                    "(a task is done once; its day is not rewritten)", final=True)
    if line.status == "cancelled":
        raise CompletionError("task", f"task {line.reference} was cancelled: nothing is owed for it", final=True)
    if line.status == "submitted":
        raise CompletionError("task", f"task {line.reference} was answered by a return: nothing more is owed for it", final=True)
    raise CompletionError("task", f"task {line.reference} is {line.status} already: it was not changed", final=True)


def record_refusal(*, session: Session, reference: str, actor: str, reason: str) -> None:
    """Note in the audit log that a form's answer was refused (the reason only, never what
    was typed), so a resumed run knows which attempt it is at."""
    audit(session=session, actor=actor, action=REFUSED, subject=reference, detail={"reason": reason})


def attempts_of(*, session: Session, reference: str, actor: str) -> tuple[int, bool]:
    """How many answers ``actor`` (one form run) has given for the task, and whether one
    marked it done."""
    actions = list(session.execute(
        select(AuditLogEntry.action).where(AuditLogEntry.actor == actor, AuditLogEntry.subject == reference,
                                           AuditLogEntry.action.in_((DONE, REFUSED)))  # type: ignore[attr-defined]
    ).scalars())
    return len(actions), DONE in actions
