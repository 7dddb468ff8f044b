"""Prefect tasks around improvement actions: thin wrappers over
qaframework.persistence.actions, with retries for transient database errors only.

They take and return references, dates and judgements; a note typed in the UI goes
from the form straight to the database and is then deleted from Prefect.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NONE

from qaframework.errors import QAFrameworkError
from qaframework.framework import Framework
from qaframework.persistence.action_views import ActionView, action_view
from qaframework.persistence.actions import evaluate_action
from qaframework.persistence.audit_log import audit_lines
from qaframework.persistence.database import transaction
from qaframework.persistence.repository import audit
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@task(name="read-action", **DB)
def read_action(database_url: str, reference: str) -> ActionView:
    with transaction(database_url) as session:
        return action_view(session=session, reference=reference)


@task(name="record-evaluation", **DB)
def record_evaluation(database_url: str, framework: Framework, reference: str, judgement: str, on: date, note: str | None,
                      actor: str, today: date) -> tuple[ActionView | None, str]:
    """The action as evaluated, or None and the reason the answer was refused (a reason
    names fields and dates, never what was typed). ``today`` is the partnership's, as the
    flow saw it when the answer came. The same judgement on the same day as the latest
    records nothing and is not refused: the action is returned as it stands."""
    try:
        with transaction(database_url) as session:
            view, _ = evaluate_action(session=session, framework=framework, reference=reference, judgement=judgement, on=on,
                                      note=note, actor=actor, today=today)
            return view, ""
    except QAFrameworkError as exc:
        return None, str(exc)


@task(name="record-refused-evaluation", **DB)
def record_refused(database_url: str, reference: str, actor: str, reason: str) -> None:
    """Note in the audit log that a form's answer was refused (the reason only, never
    what was typed), so a resumed run knows which attempt it is at."""
    with transaction(database_url) as session:
        audit(session=session, actor=actor, action="action-evaluation-refused", subject=reference, detail={"reason": reason})


@task(name="attempts-of-run", **DB)
def attempts_of_run(database_url: str, zone: str, reference: str, actor: str) -> tuple[int, bool]:
    """How many answers this run has had (refused or recorded), and whether one was recorded."""
    with transaction(database_url) as session:
        lines = [line for line in audit_lines(session=session, zone=zone, subject=reference) if line.actor == actor]
    recorded = any(line.action == "action-evaluated" for line in lines)
    return sum(1 for line in lines if line.action in ("action-evaluated", "action-evaluation-refused")), recorded
