"""Actions from a Section 11 self-assessment: each standard not fully met carries one.

The return already says what will be done, the owner's role and the due date (its
Actions sheet); accepting it makes each such action an action of the agency, so it is
chased, escalated and evaluated like any other. Each is known by a ``source_key``
(the task, the standard and what the row says), so deriving again from the same return,
or from a correction that repeats it, creates nothing new, while a corrected return
drops (``superseded by version N``) the open actions that it no longer carries, and
opens again one it carries once more. Done actions stay done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import S11SelfAssessmentType
from qaframework.learning.identifying import identifying_reasons
from qaframework.persistence.action_views import ActionError
from qaframework.persistence.actions import MAX_TEXT, create_action, drop_open_action, reopen_dropped_action
from qaframework.persistence.learning_tables import ImprovementAction
from qaframework.persistence.references import ACTION_LOCK, hold_numbering_lock
from qaframework.persistence.tables import Occurrence, ReturnSubmission, Task

SUPERSEDED = "superseded by version"


@dataclass(frozen=True)
class DerivedActions:
    """What deriving did: action references created, kept, dropped and opened again."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Wanted:
    source_key: str
    what: str
    due: date


def source_key(task_id: int, domain: str, standard: str, action: str, owner: str, due: str) -> str:
    """The key of an action derived from a task's return: its standard and what it says.

    >>> source_key(12, "culture-and-challenge", "escalation", "Relaunch the policy", "Head of Safeguarding", "2027-09-30")
    's11/12/culture-and-challenge/escalation/5dc44f0045c5'
    """
    digest = hashlib.sha256(f"{action}\x00{owner}\x00{due}".encode()).hexdigest()[:12]
    return f"s11/{task_id}/{domain}/{standard}/{digest}"


def _what(action: str, owner: str, domain: str, standard: str) -> str:
    what = f"{' '.join(action.split())} (owner: {' '.join(owner.split())})"[:MAX_TEXT]
    if identifying_reasons(what):
        # Never stored or shown outside the return itself: the business unit reads it there.
        return f"Section 11 action for {domain} / {standard}: its wording looked identifying, see the return"
    return what


def wanted_actions(payload: dict, task_id: int) -> list[_Wanted]:
    """The actions an accepted self-assessment carries: its Actions rows for a standard
    rated Partially met or Not met (a row for a fully met standard, or for no standard,
    stays in the return but is not chased)."""
    rated = {(r.get("domain"), r.get("standard")): r.get("rating") for r in payload.get("ratings", [])}
    found: dict[str, _Wanted] = {}
    for row in payload.get("actions", []):
        domain, standard = row.get("domain"), row.get("standard")
        if not domain or not standard or rated.get((domain, standard)) in (None, "Fully met"):
            continue
        action, owner, due = str(row.get("action", "")), str(row.get("owner", "")), str(row.get("due", ""))
        key = source_key(task_id, domain, standard, action, owner, due)
        found[key] = _Wanted(key, _what(action, owner, domain, standard), date.fromisoformat(due))
    return list(found.values())


def derive_actions(*, session: Session, framework: Framework, submission_id: int, actor: str) -> DerivedActions:
    """Make the actions of an accepted Section 11 self-assessment (see the module's
    docstring). Any other submission (rejected, another return type, superseded by a
    later accepted version) derives nothing, so this may be called for every accepted
    return."""
    submission = session.get(ReturnSubmission, submission_id)
    if submission is None:
        raise ActionError(f"no submission {submission_id}: see qaf returns list")
    spec = framework.document.returns.get(submission.return_type or "")
    if (submission.status != "accepted" or spec is None or not isinstance(spec, S11SelfAssessmentType) or submission.task_id is None
            or submission.agency_key not in framework.agencies or not submission.payload):
        return DerivedActions()
    on = submission.received_at.astimezone(ZoneInfo(framework.document.partnership.timezone)).date()
    # The lock numbering actions takes, taken first: two derivations at once are one after
    # the other, and the second sees what the first made.
    hold_numbering_lock(session=session, lock_key=ACTION_LOCK + FinancialYear.containing(on).start_year)
    newer = session.execute(select(ReturnSubmission.id).where(
        ReturnSubmission.task_id == submission.task_id, ReturnSubmission.status == "accepted", ReturnSubmission.version > submission.version,
    ).limit(1)).first()
    if newer is not None:
        return DerivedActions()  # a later version stands
    activity = session.execute(
        select(Occurrence.activity).join(Task, Task.occurrence_id == Occurrence.id).where(Task.id == submission.task_id)  # type: ignore[arg-type]
    ).scalar_one()
    wanted = wanted_actions(json.loads(submission.payload), submission.task_id)
    prefix = f"s11/{submission.task_id}/"
    existing = {a.source_key: a for a in session.execute(
        select(ImprovementAction).where(ImprovementAction.source_key.startswith(prefix))  # type: ignore[union-attr]
    ).scalars()}
    result = DerivedActions()
    for w in wanted:
        action = existing.get(w.source_key)
        if action is None:
            made = create_action(session=session, framework=framework, what=w.what, owner=submission.agency_key, due=w.due, on=on,  # type: ignore[arg-type]
                                 activity=activity, actor=actor, submission_id=submission.id, source_key=w.source_key)
            result.created.append(made.reference)
        elif action.status == "dropped" and action.dropped_reason.startswith(SUPERSEDED):
            reopen_dropped_action(session=session, action=action, why=f"carried again by version {submission.version}", actor=actor)
            result.reopened.append(action.reference)
        else:
            result.kept.append(action.reference)
    still = {w.source_key for w in wanted}
    for key, action in sorted(existing.items()):
        if key not in still and action.status == "open":
            if drop_open_action(session=session, action=action, reason=f"{SUPERSEDED} {submission.version}", on=on, actor=actor):
                result.dropped.append(action.reference)
    return result
