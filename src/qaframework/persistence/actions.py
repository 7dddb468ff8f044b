"""Improvement actions: what must change, who owns it, by when, and whether it worked.

An action comes from a finding, a review case's recommendations (by case reference
only) or a Section 11 standard not fully met (``persistence/s11_actions.py``). To the
rest of the system it is a task: each action has an occurrence (kind ``action``, key
``action/A-2027-0001``, of the activity its finding belongs to, or the review chain's
activity for a case) and a task for its owner, opened at once, so the reminder and
escalation policy, the owner's digest and calendar feed and the compliance dashboard
treat it like any other work.

An action is open, then done (with the day and evidence: its task is closed) or dropped
(with the reason: its task is cancelled). The body playing the ``action_evaluation``
role judges done actions (evidenced, partly evidenced, not evidenced); every judgement
is kept, and a done action with none is on that body's next agenda: its next planned
meeting whose papers deadline is on or after the day the action was done. Every change
is in the audit log.

Days: done, dropped and evaluated on a day that is neither after today (``today`` comes
from the CLI or flow edge, in the partnership's time zone) nor before the action was
added. The occurrence's title is the reference and the owner's name only: the action's
free text (``what``) never leaves its record (it would otherwise reach digests, the
calendar feeds and the upcoming-calendar artifact).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session

from qaframework.errors import excerpt
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.learning.identifying import check_not_identifying
from qaframework.persistence.action_views import ActionError, ActionView, action_view, find_action
from qaframework.persistence.learning_tables import JUDGEMENTS, ActionEvaluation, Finding, ImprovementAction
from qaframework.persistence.references import ACTION_LOCK, insert_numbered
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import UNFINISHED, Occurrence, ReviewCase, Task, utc_now
from qaframework.untrusted import checked_text

#: An action's what, evidence, reason or note, in characters.
MAX_TEXT = 2000


def checked_field(value: str | None, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """Text to store: storable, not empty (when required), not too long, and not
    identifying. Errors name the field and what is wrong, never quoting the text."""
    if value is None or not value.strip():
        if required:
            raise ActionError(f"{field} is empty: say it in a few words (no names)")
        return ""
    text = checked_text(value, field=field).strip()
    if len(text) > limit:
        raise ActionError(f"{field} is {len(text)} characters long: at most {limit}")
    refuse_identifying(text, field)
    return text


def refuse_identifying(text: str, field: str) -> None:
    """Refuse text that looks as if it identifies a child or family (an NHS number, a
    date of birth, a postcode), by the findings' own rules (IdentifyingTextError)."""
    check_not_identifying(text, field=field)


def owner_kind_of(framework: Framework, owner: str) -> str:
    """``agency`` or ``body``: which the key names in the framework's files."""
    if owner in framework.agencies:
        return "agency"
    if owner in framework.bodies:
        return "body"
    raise ActionError(f"the owner {excerpt(owner)} is not an agency or body of the partnership: expected one of "
                      f"{', '.join(sorted(framework.agencies))}; or a body: {', '.join(sorted(framework.bodies))}")


def short_title(reference: str, owner_name: str) -> str:
    """The action's title wherever tasks are listed (digests, calendar feeds, the
    upcoming-calendar artifact, the dashboard): its reference and its owner's name from
    the framework, never its free text, which may say more than it should.

    >>> short_title("A-2027-0001", "Somerset Council")
    'Action A-2027-0001 for Somerset Council'
    """
    return f"Action {reference} for {owner_name}"[:200]


def owner_name(framework: Framework, owner: str) -> str:
    """The name the framework's files give an agency or body (the key if neither)."""
    found = framework.agencies.get(owner) or framework.bodies.get(owner)
    return found.name if found else owner


def case_activity(framework: Framework, decision: str | None) -> str:
    """The activity a case's findings and actions belong to: its decision's branch, as for
    findings (``review_chain.activity_of``); the chain's own activity when the stored
    decision is not one the framework file knows (any more)."""
    chain = framework.review_chain
    if decision is not None and decision not in chain.decisions:
        return chain.activity
    return chain.activity_of(decision)


def _refuse_day(action: ImprovementAction, added: date | None, on: date, today: date, what: str) -> None:
    """A day an action is done, dropped or evaluated: not after today, not before it was added."""
    if on > today:
        raise ActionError(f"{action.reference} cannot be {what} on {on}: that is after today ({today}); give the day it was {what}")
    if added is not None and on < added:
        raise ActionError(f"{action.reference} was added on {added}: it cannot be {what} on {on}, before it")


def _added_on(session: Session, action: ImprovementAction) -> date | None:
    """The day the action was added (its task opened)."""
    row = session.execute(select(Task.opened_on, Occurrence.window_start).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                          .where(Task.id == action.task_id)).first()
    if row is None:
        return None
    return row[0] or row[1]


def create_action(
    *, session: Session, framework: Framework, what: str, owner: str, due: date, on: date, activity: str, actor: str,
    finding_id: int | None = None, case_reference: str | None = None, submission_id: int | None = None,
    source_key: str | None = None, agreed_at_occurrence_id: int | None = None,
) -> ImprovementAction:
    """Write the action, its occurrence and its owner's task (open at once). The text
    is already checked. Numbered in the financial year of ``on``. ``agreed_at_occurrence_id``
    is the meeting at which it was agreed, if it was (``qaf meetings record``)."""
    owner_kind = owner_kind_of(framework, owner)
    fy = FinancialYear.containing(on).start_year
    now = utc_now()

    def build(reference: str, number: int) -> ImprovementAction:
        return ImprovementAction(
            reference=reference, financial_year=fy, number=number, finding_id=finding_id, case_reference=case_reference,
            submission_id=submission_id, source_key=source_key, what=what, owner_kind=owner_kind, owner_key=owner,
            due=due, status="open", actor=actor[:120], agreed_at_occurrence_id=agreed_at_occurrence_id,
        )

    action = insert_numbered(session=session, model=ImprovementAction, prefix="A", financial_year=fy, lock_key=ACTION_LOCK, build=build)
    occurrence = Occurrence(
        key=f"action/{action.reference}", activity=activity, kind=ACTION, title=short_title(action.reference, owner_name(framework, owner)),
        financial_year=fy, period=None, window_start=min(on, due), window_end=due, due=due,
    )
    session.add(occurrence)
    session.flush()
    task = Task(occurrence_id=occurrence.id, assignee_kind=owner_kind, assignee_key=owner, due=due, status="open",  # type: ignore[arg-type]
                created_at=now, updated_at=now, opened_at=now, opened_on=on)
    session.add(task)
    session.flush()
    action.task_id = task.id
    session.add(action)
    session.flush()
    source = ("finding" if finding_id else "case" if case_reference else "return" if submission_id
              else "meeting" if agreed_at_occurrence_id else "none")
    audit(session=session, actor=actor, action="action-added", subject=action.reference, detail={
        "owner": owner, "due": due.isoformat(), "source": source, "activity": activity, "task": f"action/{action.reference}/{owner}",
        **({"case": case_reference} if case_reference else {}), **({"submission": submission_id} if submission_id else {}),
    })
    return action


def add_action(
    *, session: Session, framework: Framework, what: str, owner: str, due: date, actor: str, on: date,
    finding_reference: str | None = None, case_reference: str | None = None,
) -> str:
    """Add an action to a finding or a review case; returns its reference (A-2027-0001).
    ``on`` is the day it is added (its task opens that day); it is due on ``due``."""
    if (finding_reference is None) == (case_reference is None):
        raise ActionError("an action belongs to a finding or to a review case: give one of them (--finding F-2027-0001 or --case RR-2027-004)")
    text = checked_field(what, "what")
    owner_kind_of(framework, owner)
    if due < on:
        raise ActionError(f"the due date {due} is before the day the action is added ({on}): give a due date on or after it")
    if finding_reference is not None:
        checked_text(finding_reference, field="the finding reference")
        finding = session.execute(select(Finding).where(Finding.reference == finding_reference.strip())).scalar_one_or_none()
        if finding is None:
            raise ActionError(f"no finding {excerpt(finding_reference)}: give a finding reference such as F-2027-0001 (see qaf findings list)")
        if finding.status != "open":
            raise ActionError(f"{finding.reference} is {finding.status}: a withdrawn finding carries no new actions")
        action = create_action(session=session, framework=framework, what=text, owner=owner, due=due, on=on,
                               activity=finding.activity, actor=actor, finding_id=finding.id)
    else:
        checked_text(case_reference or "", field="the case reference")
        case = session.execute(select(ReviewCase).where(ReviewCase.reference == (case_reference or "").strip())).scalar_one_or_none()
        if case is None:
            raise ActionError(f"no case {excerpt(case_reference)}: give a case reference such as RR-2027-004 (see qaf cases)")
        action = create_action(session=session, framework=framework, what=text, owner=owner, due=due, on=on,
                               activity=case_activity(framework, case.decision), actor=actor, case_reference=case.reference)
    return action.reference


def action_of_task(*, session: Session, task_id: int) -> str | None:
    """The reference of the action whose task this is, if it is one: such a task is
    finished with ``complete_action`` (``qaf actions done``), not as a plain task."""
    return session.execute(select(ImprovementAction.reference).where(ImprovementAction.task_id == task_id)).scalar_one_or_none()


def complete_action(*, session: Session, reference: str, on: date, evidence: str, actor: str, today: date) -> ActionView:
    """Mark an open action done on ``on`` with its evidence, and close its task (so the
    reminders stop). Recording the same again changes nothing; two at once record one.
    ``on`` is neither after ``today`` nor before the action was added."""
    action = find_action(session, reference)
    text = checked_field(evidence, "the evidence")
    _refuse_day(action, _added_on(session, action), on, today, "done")
    now = utc_now()
    done = session.execute(
        update(ImprovementAction).where(ImprovementAction.id == action.id, ImprovementAction.status == "open")
        .values(status="done", done_on=on, evidence=text, updated_at=now).returning(ImprovementAction.id)
    ).first()
    if done is None:  # done or dropped meanwhile, perhaps by a run at the same moment
        session.refresh(action)
        if action.status == "done" and action.done_on == on and action.evidence == text:
            return action_view(session=session, reference=action.reference)
        if action.status == "done":
            raise ActionError(f"{action.reference} is already done (on {action.done_on}): it was not changed")
        raise ActionError(f"{action.reference} was dropped ({action.dropped_reason or 'no reason given'}): a dropped action cannot be done")
    session.execute(
        update(Task).where(Task.id == action.task_id, Task.status.in_(UNFINISHED))  # type: ignore[attr-defined]
        .values(status="closed", closed_at=now, done_on=on, done_by=action.owner_key, evidence=text, updated_at=now)
    )
    audit(session=session, actor=actor, action="action-done", subject=action.reference, detail={"done_on": on.isoformat(), "owner": action.owner_key})
    return action_view(session=session, reference=action.reference)


def drop_action(*, session: Session, reference: str, reason: str, on: date, actor: str, today: date) -> ActionView:
    """Drop an open action, with the reason; its task is cancelled. A done action is
    evaluated, not dropped. ``on`` is neither after ``today`` nor before the action was added."""
    action = find_action(session, reference)
    text = checked_field(reason, "the reason")
    _refuse_day(action, _added_on(session, action), on, today, "dropped")
    if action.status == "dropped" and action.dropped_reason == text:
        return action_view(session=session, reference=action.reference)
    if action.status != "open":
        raise ActionError(f"{action.reference} is {action.status}" + (f" (on {action.done_on})" if action.done_on else "")
                          + ": only an open action can be dropped")
    if not drop_open_action(session=session, action=action, reason=text, on=on, actor=actor):
        raise ActionError(f"{action.reference} changed while it was being dropped: look at it again (qaf actions list)")
    return action_view(session=session, reference=action.reference)


def drop_open_action(*, session: Session, action: ImprovementAction, reason: str, on: date, actor: str) -> bool:
    """Drop an open action and cancel its task; False if it was no longer open."""
    now = utc_now()
    dropped = session.execute(
        update(ImprovementAction).where(ImprovementAction.id == action.id, ImprovementAction.status == "open")
        .values(status="dropped", dropped_reason=reason, updated_at=now).returning(ImprovementAction.id)
    ).first()
    if dropped is None:
        return False
    session.execute(update(Task).where(Task.id == action.task_id, Task.status.in_(UNFINISHED)).values(status="cancelled", updated_at=now))  # type: ignore[attr-defined]
    audit(session=session, actor=actor, action="action-dropped", subject=action.reference, detail={"on": on.isoformat(), "reason": reason})
    session.refresh(action)
    return True


def reopen_dropped_action(*, session: Session, action: ImprovementAction, why: str, actor: str) -> bool:
    """Open a dropped action again (its task too); False if it was not dropped."""
    now = utc_now()
    opened = session.execute(
        update(ImprovementAction).where(ImprovementAction.id == action.id, ImprovementAction.status == "dropped")
        .values(status="open", dropped_reason="", updated_at=now).returning(ImprovementAction.id)
    ).first()
    if opened is None:
        return False
    session.execute(update(Task).where(Task.id == action.task_id, Task.status == "cancelled").values(status="open", updated_at=now))
    audit(session=session, actor=actor, action="action-reopened", subject=action.reference, detail={"why": why})
    session.refresh(action)
    return True


def evaluate_action(*, session: Session, framework: Framework, reference: str, judgement: str, on: date, actor: str, today: date,
                    note: str | None = None) -> tuple[ActionView, bool]:
    """Record the Action Plan Evaluation group's judgement of a done action. Every
    judgement is kept; the latest stands. ``on`` is neither after ``today`` nor before
    the action was added or done. The same judgement on the same day as the latest one
    records nothing (the second value is False: nothing was recorded)."""
    if judgement not in JUDGEMENTS:
        raise ActionError(f"the judgement {excerpt(judgement)} is not one of {', '.join(JUDGEMENTS)}")
    action = find_action(session, reference)
    text = checked_field(note, "the note", required=False)
    if action.status != "done":
        raise ActionError(f"{action.reference} is {action.status}: only a done action is evaluated (mark it done first: qaf actions done)")
    _refuse_day(action, _added_on(session, action), on, today, "evaluated")
    if action.done_on is not None and on < action.done_on:
        raise ActionError(f"{action.reference} was done on {action.done_on}: it cannot be evaluated on {on}, before it")
    latest = session.execute(select(ActionEvaluation).where(ActionEvaluation.action_id == action.id)
                             .order_by(ActionEvaluation.id.desc()).limit(1)).scalar_one_or_none()  # type: ignore[union-attr]
    if latest is not None and (latest.judgement, latest.evaluated_on) == (judgement, on):
        return action_view(session=session, reference=action.reference), False
    session.add(ActionEvaluation(action_id=action.id, judgement=judgement, evaluated_on=on, note=text, actor=actor[:120]))  # type: ignore[arg-type]
    session.flush()
    audit(session=session, actor=actor, action="action-evaluated", subject=action.reference,
          detail={"judgement": judgement, "evaluated_on": on.isoformat(), "by": framework.role("action_evaluation")})
    return action_view(session=session, reference=action.reference), True


