"""Review cases in the database: opening one, recording its stages, and its tasks.

Every stage with a due date is also an occurrence with a task for the body that holds
it, so the reminders, escalations and feeds see review deadlines like any other work
(by case reference only). The case's state lives here, not in Prefect, so a lost or
expired flow run can be picked up where it stood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qaframework.errors import QAFrameworkError, excerpt
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.repository import audit, insert_ignoring_duplicates
from qaframework.persistence.tables import Occurrence, ReviewCase, ReviewStage, Task, utc_now
from qaframework.reviews.chain import CaseDates, due_dates, next_stage, stage_named, stages_for
from qaframework.untrusted import checked_text


class CaseError(QAFrameworkError):
    """A case or stage cannot be recorded as asked (unknown case, wrong order, bad date)."""


@dataclass(frozen=True)
class StageView:
    key: str
    title: str
    kind: str
    due: date | None
    done_on: date | None

    today: date | None = None

    @property
    def state(self) -> str:
        if self.done_on is None:
            return "overdue" if self.due is not None and self.today is not None and self.due < self.today else "open"
        if self.due is None or self.done_on <= self.due:
            return "on time"
        return "late"


@dataclass(frozen=True)
class CaseView:
    """A case as it may be shown anywhere: reference, dates and stages, no case details."""

    reference: str
    status: str
    decision: str | None
    aware: date
    notified: date | None
    stages: tuple[StageView, ...]
    next_stage: str | None


def _case(session: Session, reference: str) -> ReviewCase:
    case = session.execute(select(ReviewCase).where(ReviewCase.reference == reference)).scalar_one_or_none()
    if case is None:
        raise CaseError(f"no case {excerpt(reference)}: see qaf cases")
    return case


def open_case(*, session: Session, framework: Framework, dates: CaseDates, opened_by_run: str | None, actor: str) -> str:
    """Open a case and its first stages; returns its reference (RR-2027-004, numbered per
    financial year of awareness). Opening again from the same flow run returns the same case."""
    if opened_by_run:
        found = session.execute(select(ReviewCase.reference).where(ReviewCase.opened_by_run == opened_by_run)).scalar_one_or_none()
        if found:
            return found
    if dates.notified is not None and dates.notified < dates.aware:
        raise CaseError(f"the notification date {dates.notified} is before the date the local authority became aware ({dates.aware})")
    if dates.incident is not None and dates.incident > dates.aware:
        raise CaseError(f"the incident date {dates.incident} is after the date the local authority became aware ({dates.aware})")
    fy = FinancialYear.containing(dates.aware)
    if session.get_bind().dialect.name == "postgresql":
        # Numbers are per financial year: serialise allocation within the year.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x52520000 + fy.start_year})
    for _ in range(10):
        number = (session.execute(select(func.max(ReviewCase.number)).where(ReviewCase.financial_year == fy.start_year)).scalar() or 0) + 1
        reference = f"RR-{fy.start_year}-{number:03d}"
        try:
            with session.begin_nested():
                session.add(ReviewCase(
                    reference=reference, kind=framework.review_chain.activity, financial_year=fy.start_year, number=number,
                    incident_date=dates.incident, aware_date=dates.aware, notified_date=dates.notified,
                    opened_by_run=opened_by_run,
                ))
        except IntegrityError:
            continue  # another process took that number: take the next
        audit(session=session, actor=actor, action="case-opened", subject=reference)
        sync_stages(session=session, framework=framework, reference=reference)
        if dates.notified is not None:
            # The Panel has been notified already: that stage is done, on that day.
            record_stage(session=session, framework=framework, reference=reference, stage=framework.review_chain.notification_stage,
                         done_on=dates.notified, actor=actor)
        return reference
    raise CaseError("could not allocate a case reference: too many cases opened at once, try again")


def _done(session: Session, case: ReviewCase) -> dict[str, date]:
    rows = session.execute(select(ReviewStage.stage, ReviewStage.done_on).where(ReviewStage.case_id == case.id, ReviewStage.done_on.is_not(None))).all()  # type: ignore[union-attr]
    return {stage: done for stage, done in rows}


def sync_stages(*, session: Session, framework: Framework, reference: str) -> None:
    """Bring the case's stage rows, occurrences and tasks in line with its dates."""
    case = _case(session, reference)
    done = _done(session, case)
    dues = due_dates(framework, CaseDates(case.incident_date, case.aware_date, case.notified_date), done, case.decision)
    stages = stages_for(case.decision, framework)
    insert_ignoring_duplicates(session, ReviewStage, [{"case_id": case.id, "stage": s.key} for s in stages], ["case_id", "stage"])
    now = utc_now()
    for stage in stages:
        due = dues.get(stage.key)
        session.execute(update(ReviewStage).where(ReviewStage.case_id == case.id, ReviewStage.stage == stage.key).values(due=due))
        if due is None:
            continue
        activity = framework.review_chain.activity_of(stage.branch)
        key = f"{activity}/{reference}/{stage.key}"
        insert_ignoring_duplicates(session, Occurrence, [{
            "key": key, "activity": activity, "kind": "activity", "title": stage.title,
            "financial_year": case.financial_year, "period": None, "window_start": case.aware_date,
            "window_end": due, "due": due, "created_at": now,
        }], ["key"])
        session.execute(update(Occurrence).where(Occurrence.key == key).values(due=due, window_end=max(due, case.aware_date)))
        occurrence_id = session.execute(select(Occurrence.id).where(Occurrence.key == key)).scalar_one()
        insert_ignoring_duplicates(session, Task, [{
            "occurrence_id": occurrence_id, "assignee_kind": "body", "assignee_key": stage.holder, "due": due,
            "status": "open", "created_at": now, "updated_at": now, "opened_at": now, "opened_on": case.aware_date,
        }], ["occurrence_id", "assignee_kind", "assignee_key"])
        session.execute(update(Task).where(Task.occurrence_id == occurrence_id).values(due=due, updated_at=now))
        if stage.key in done:
            session.execute(
                update(Task).where(Task.occurrence_id == occurrence_id, Task.status.in_(("open", "overdue", "planned")))  # type: ignore[attr-defined]
                .values(status="closed", closed_at=now)
            )


def record_stage(
    *, session: Session, framework: Framework, reference: str, stage: str, done_on: date, actor: str,
    decision: str | None = None, rationale: str | None = None, signed_by: str | None = None,
) -> CaseView:
    """Record that the case's next stage was done. Recording the same again changes nothing."""
    case = _case(session, reference)
    chain = framework.review_chain
    spec = stage_named(framework, stage)
    if spec is None:
        raise CaseError(f"unknown stage {excerpt(stage)}: expected one of {', '.join(chain.stages)}")
    done = _done(session, case)
    if stage in done:
        if done[stage] != done_on or (spec.kind == "decision" and decision != case.decision):
            raise CaseError(f"{reference}: {stage} is already recorded as done on {done[stage]}; it was not changed")
        return case_view(session=session, framework=framework, reference=reference)
    expected = next_stage(case.decision, done, framework)
    if expected is None or expected.key != stage:
        raise CaseError(f"{reference}: the next stage is {expected.key if expected else 'none (the case is complete)'}, not {stage}")
    if done_on < case.aware_date:
        raise CaseError(f"{reference}: {stage} cannot be done on {done_on}, before the local authority became aware ({case.aware_date})")
    latest = max(done.values(), default=None)
    if latest is not None and done_on < latest:
        raise CaseError(f"{reference}: {stage} cannot be done on {done_on}, before the previous stage ({latest})")
    if spec.kind == "decision":
        if rationale is not None:
            rationale = checked_text(rationale, field="the rationale")
        if decision not in chain.decisions:
            raise CaseError(f"{reference}: the decision must be one of {', '.join(chain.decisions)}")
        if not (rationale or "").strip():
            raise CaseError(f"{reference}: a decision needs its rationale")
        case.decision, case.decision_rationale = decision, rationale or ""
        case.kind = chain.activity_of(decision)
    elif decision is not None:
        raise CaseError(f"{reference}: {stage} is not the decision stage ({chain.decision_stage}): give --decision only there")
    if spec.kind == "sign-off":
        if signed_by is not None and signed_by not in spec.signed_by:
            raise CaseError(f"{reference}: {stage} is signed off by one of: {'; '.join(spec.signed_by)}")
    elif signed_by is not None:
        raise CaseError(f"{reference}: {stage} is not a sign-off: give --signed-by only for one")
    if stage == chain.notification_stage and case.notified_date is None:
        case.notified_date = done_on
    session.add(case)
    session.flush()
    session.execute(
        update(ReviewStage).where(ReviewStage.case_id == case.id, ReviewStage.stage == stage)
        .values(done_on=done_on, signed_by=signed_by, recorded_at=utc_now())
    )
    audit(session=session, actor=actor, action="case-stage-recorded", subject=reference, detail={"stage": stage, "done_on": done_on.isoformat()})
    sync_stages(session=session, framework=framework, reference=reference)
    if next_stage(case.decision, _done(session, case), framework) is None:
        case.status = "closed"
        session.add(case)
        audit(session=session, actor=actor, action="case-closed", subject=reference)
    return case_view(session=session, framework=framework, reference=reference)


def case_view(*, session: Session, framework: Framework, reference: str, today: date | None = None) -> CaseView:
    """The case's stages; with ``today``, a stage past its due date shows as overdue."""
    case = _case(session, reference)
    rows = {r.stage: r for r in session.execute(select(ReviewStage).where(ReviewStage.case_id == case.id)).scalars()}
    stages = tuple(
        StageView(s.key, s.title, s.kind, rows[s.key].due if s.key in rows else None, rows[s.key].done_on if s.key in rows else None, today)
        for s in stages_for(case.decision, framework)
    )
    upcoming = next_stage(case.decision, {s.key: s.done_on for s in stages if s.done_on}, framework)
    return CaseView(case.reference, case.status, case.decision, case.aware_date, case.notified_date, stages, upcoming.key if upcoming else None)


def open_case_references(*, session: Session) -> list[str]:
    return list(session.execute(select(ReviewCase.reference).where(ReviewCase.status == "open").order_by(ReviewCase.reference)).scalars())
