"""The open reviews of the meeting papers (for the bodies in the ``review_oversight`` and
``top_body`` roles): each open rapid review and the review that followed its decision,
by case reference only, with every stage's title, due date, done date and state as of
a day. :func:`stages_at_risk` picks the stages an exception report raises.

Nothing but references, decisions and stage titles (the framework's words) and dates:
no case details ever enter a paper.

Readings:

- A case is listed when the local authority became aware of it on or before ``as_of``
  and it was open that day: open in the record, or closed by a stage done after
  ``as_of``. A stage done after ``as_of`` shows as not yet done, and a decision taken
  after it as awaited (with none of its branch's stages).
- A stage's state: **on time** (done by its due date, or done with no due date),
  **late** (done after it), **overdue** (not done, due before ``as_of``), **due before**
  (not done, due on or after ``as_of`` and before ``due_before``, when that day is
  given: the body's next meeting), else **open** (including a stage whose clock has not
  started, which has no due date yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.persistence.cases import case_view
from qaframework.persistence.tables import ReviewCase, ReviewStage

AWAITING_DECISION = "awaiting decision"
ON_TIME, LATE, OVERDUE, DUE_BEFORE, OPEN = "on time", "late", "overdue", "due before", "open"


def stage_state(due: date | None, done_on: date | None, as_of: date, due_before: date | None = None) -> str:
    """The state of a stage as of a day (see the module's readings).

    >>> d = date(2027, 1, 13)
    >>> stage_state(d, date(2027, 1, 13), d), stage_state(d, date(2027, 1, 14), date(2027, 1, 20)), stage_state(None, date(2027, 1, 1), d)
    ('on time', 'late', 'on time')
    >>> stage_state(d, None, date(2027, 1, 14)), stage_state(d, None, d), stage_state(d, None, d, date(2027, 1, 14))
    ('overdue', 'open', 'due before')
    >>> stage_state(d, date(2027, 1, 20), date(2027, 1, 14)), stage_state(None, None, d, date(2027, 2, 1))
    ('overdue', 'open')
    """
    if done_on is not None and done_on <= as_of:
        return ON_TIME if due is None or done_on <= due else LATE
    if due is None:
        return OPEN
    if due < as_of:
        return OVERDUE
    if due_before is not None and due < due_before:
        return DUE_BEFORE
    return OPEN


@dataclass(frozen=True)
class StageLine:
    """One stage of a case: the framework's key and title, its dates and its state."""

    stage: str
    title: str
    due: date | None
    done_on: date | None
    state: str

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "title": self.title, "due": self.due.isoformat() if self.due else None,
                "done_on": self.done_on.isoformat() if self.done_on else None, "state": self.state}


@dataclass(frozen=True)
class ReviewLine:
    """One open case by its reference: the decision taken (its title in the framework,
    or "awaiting decision") and every stage on its path."""

    reference: str
    decision: str
    decision_key: str | None
    stages: tuple[StageLine, ...]

    def as_dict(self) -> dict[str, Any]:
        """Its fields by name, the stages as theirs."""
        return {**self.__dict__, "stages": [s.as_dict() for s in self.stages]}


@dataclass(frozen=True)
class StageAtRisk:
    """A stage not done that is overdue, or due before a given day (the next meeting)."""

    reference: str
    stage: str
    title: str
    due: date
    state: str  # overdue | due before

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "stage": self.stage, "title": self.title, "due": self.due.isoformat(), "state": self.state}


def open_reviews(*, session: Session, framework: Framework, as_of: date, due_before: date | None = None) -> list[ReviewLine]:
    """Every open case known by ``as_of``, ordered by reference, with its stages' due
    and done dates and their states as of that day (see the module's readings)."""
    chain = framework.review_chain
    lines = []
    for reference in _open_on(session, as_of):
        view = case_view(session=session, framework=framework, reference=reference)
        decided = view.decision is not None and any(
            s.key == chain.decision_stage and s.done_on is not None and s.done_on <= as_of for s in view.stages)
        stages = tuple(
            StageLine(s.key, s.title, s.due, s.done_on if s.done_on is not None and s.done_on <= as_of else None,
                      stage_state(s.due, s.done_on, as_of, due_before))
            for s in view.stages
            if decided or not _on_a_branch(framework, s.key)
        )
        title = chain.decisions[view.decision].title if decided and view.decision in chain.decisions else AWAITING_DECISION
        lines.append(ReviewLine(view.reference, title, view.decision if decided else None, stages))
    return sorted(lines, key=lambda line: line.reference)


def _open_on(session: Session, as_of: date) -> list[str]:
    """The references of the cases open on a day: known by then, and not yet closed (a
    case closes when its last stage is done, so one closed later has a stage done since)."""
    done_since = select(ReviewStage.case_id).where(ReviewStage.done_on > as_of)  # type: ignore[operator]
    statement = (
        select(ReviewCase.reference)
        .where(ReviewCase.aware_date <= as_of, or_(ReviewCase.status == "open", ReviewCase.id.in_(done_since)))  # type: ignore[union-attr]
        .order_by(ReviewCase.reference)
    )
    return list(session.execute(statement).scalars())


def _on_a_branch(framework: Framework, stage: str) -> bool:
    spec = framework.review_chain.stages.get(stage)
    return spec is not None and spec.branch is not None


def stages_at_risk(lines: Iterable[ReviewLine], before: date, as_of: date) -> list[StageAtRisk]:
    """The stages not done by ``as_of`` that are overdue on ``as_of`` or due before
    ``before``, in order of due date then reference: what an exception report raises."""
    found = []
    for line in lines:
        for s in line.stages:
            if s.due is None or (s.done_on is not None and s.done_on <= as_of):
                continue
            if s.due < as_of:
                found.append(StageAtRisk(line.reference, s.stage, s.title, s.due, OVERDUE))
            elif s.due < before:
                found.append(StageAtRisk(line.reference, s.stage, s.title, s.due, DUE_BEFORE))
    return sorted(found, key=lambda s: (s.due, s.reference, s.stage))
