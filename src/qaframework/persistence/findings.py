"""Findings in the database: recorded by hand or from a sheet, derived from accepted
returns, withdrawn when a corrected return no longer shows them, and listed.

A finding belongs to an occurrence (by its key) or to a review case (by its reference
only), is numbered per financial year of the day it was recorded (``F-2027-0001``) and
is placed on its routes when it is recorded (:mod:`qaframework.persistence.finding_routes`).
Every change is in the audit log (``finding-added``, ``finding-withdrawn``,
``finding-reopened``, ``finding-updated``, ``finding-placed``).

Typed findings (``qaf findings add``, a sheet) have no natural key: the same finding
typed twice is two findings. A form's answer has one (``derivation_key``
``form:RUN:ATTEMPT``), so a replayed run returns the finding it recorded. Derived
findings have one (``derivation_key``, such as ``task:12:s11:leadership-and-governance``):
deriving the same return again, or twice at once, creates nothing new.

A finding is recorded on a day that is not in the future (``today``, which the edge
reads from the clock) and not before its occurrence opened (its ``window_start``) or
its case's service became aware (``aware_date``). Meetings and improvement actions are
not subjects: a meeting is where findings are reported, an action follows from one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.learning.derivation import DerivedFinding, derive
from qaframework.learning.finding_fields import CleanFinding, FindingEntry, check_fields
from qaframework.learning.risk import rate
from qaframework.learning.routing import routes_of
from qaframework.persistence.finding_routes import place_finding
from qaframework.persistence.learning_tables import Finding, FindingPlacement, MeetingRecord, RiskRating
from qaframework.persistence.references import FINDING_LOCK, hold_numbering_lock, insert_numbered
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import Occurrence, ReturnSubmission, ReviewCase, Task
from qaframework.returns.validation import task_reference


class FindingError(QAFrameworkError):
    """Findings refused, nothing written. ``problems`` are (entry index, field, what was
    expected), never quoting what was typed; the message is the first."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        _, where, reason = problems[0]
        super().__init__(f"{where}: {reason}")


class FindingDayError(FindingError):
    """The day recorded is in the future: one problem, of field ``recorded_on``, for
    every entry at once."""


@dataclass(frozen=True)
class Subject:
    occurrence_id: int | None
    occurrence_key: str | None
    case_reference: str | None
    activity: str
    #: The first day a finding can be recorded on it: the occurrence's window start, or
    #: the day the case's service became aware.
    opens_on: date | None = None


@dataclass(frozen=True)
class DerivationResult:
    submission_id: int | None  # the task's latest accepted submission, derived from
    added: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _cancelled(session: Session, occurrence_id: int) -> bool:
    """A meeting recorded as cancelled, or an occurrence whose every task was cancelled."""
    if session.execute(select(MeetingRecord.status).where(MeetingRecord.occurrence_id == occurrence_id)).scalar() == "cancelled":
        return True
    statuses = set(session.execute(select(Task.status).where(Task.occurrence_id == occurrence_id)).scalars())
    return statuses == {"cancelled"}


#: Occurrences that are not subjects of findings, and why.
_NOT_SUBJECTS = {
    "meeting": "is a meeting: findings are reported to meetings, not recorded on them; record the finding on the activity's "
               "occurrence it was learned in (such as mape/2027-05) or on a review case",
    "action": "is an improvement action: record the finding on the activity's occurrence it was learned in "
              "(such as mape/2027-05) or on a review case",
}


def case_activity(framework: Framework, decision: str | None) -> str:
    """The activity a case's findings belong to: its decision's, or the chain's own when
    the stored decision is no longer in the framework file."""
    try:
        return framework.review_chain.activity_of(decision)
    except KeyError:
        return framework.review_chain.activity


def resolve_subject(*, session: Session, framework: Framework, subject: str, kind: str = "either") -> Subject | str:
    """The occurrence (``kind`` occurrence) or review case (``case``) a finding belongs to,
    or why it cannot be used; ``either`` tries an occurrence key, then a case reference."""
    if kind in ("occurrence", "either"):
        found = session.execute(select(Occurrence.id, Occurrence.key, Occurrence.activity, Occurrence.kind, Occurrence.window_start)
                                .where(Occurrence.key == subject)).first()
        if found is not None:
            if found[3] in _NOT_SUBJECTS:
                return _NOT_SUBJECTS[found[3]]
            if _cancelled(session, found[0]):
                return "is a cancelled occurrence: nothing is learned from it; record the finding on the occurrence that took place"
            return Subject(found[0], found[1], None, found[2], found[4])
    if kind in ("case", "either"):
        case = session.execute(select(ReviewCase.reference, ReviewCase.decision, ReviewCase.aware_date).where(ReviewCase.reference == subject)).first()
        if case is not None:
            return Subject(None, None, case[0], case_activity(framework, case[1]), case[2])
    if kind == "occurrence":
        return "is not the key of any occurrence: see qaf calendar --json (key) or qaf tasks for occurrence keys, such as mape/2027-05"
    if kind == "case":
        return "is not the reference of any review case: see qaf cases for case references, such as RR-2027-004"
    return "is neither an occurrence key (such as mape/2027-05, see qaf calendar --json) nor a review case reference (such as RR-2027-004, see qaf cases)"


def check_day(recorded_on: date, today: date | None) -> None:
    """Refuse a day in the future (FindingDayError)."""
    if today is not None and recorded_on > today:
        raise FindingDayError([(0, "recorded_on", f"{recorded_on.isoformat()} is in the future (today is {today.isoformat()}): "
                                                  "a finding is recorded on or after the day it was learned")])


def check_entries(*, session: Session, framework: Framework, entries: Sequence[FindingEntry], subject_kind: str = "either",
                  recorded_on: date | None = None) -> tuple[list[tuple[CleanFinding, Subject]], list[tuple[int, str, str]]]:
    """Every entry checked (fields, then its occurrence or case, and that ``recorded_on``
    is not before it opened), nothing written."""
    clean: list[tuple[CleanFinding, Subject]] = []
    problems: list[tuple[int, str, str]] = []
    for index, entry in enumerate(entries):
        finding, found = check_fields(framework, entry)
        problems += [(index, f, r) for f, r in found]
        if any(f == "subject" for f, _ in found):
            continue
        subject = resolve_subject(session=session, framework=framework, subject=str(entry.subject).strip(), kind=subject_kind)
        if isinstance(subject, str):
            problems.append((index, "subject", subject))
            continue
        if recorded_on is not None and subject.opens_on is not None and recorded_on < subject.opens_on:
            what = (f"{subject.occurrence_key} opened on" if subject.occurrence_key
                    else f"the service became aware of {subject.case_reference} on")
            problems.append((index, "recorded_on", f"{recorded_on.isoformat()} is before {what} {subject.opens_on.isoformat()}: "
                                                   "a finding is recorded on or after that day"))
        elif finding is not None:
            clean.append((finding, subject))
    return clean, problems


def _insert(session: Session, framework: Framework, clean: CleanFinding | DerivedFinding, subject: Subject, recorded_on: date, source: str,
            actor: str, derivation_key: str | None = None, submission_id: int | None = None,
            rating: tuple[int, int] | None = None) -> Finding:
    fy = FinancialYear.containing(recorded_on).start_year
    finding = insert_numbered(
        session=session, model=Finding, prefix="F", financial_year=fy, lock_key=FINDING_LOCK,
        build=lambda reference, number: Finding(
            reference=reference, financial_year=fy, number=number, occurrence_id=subject.occurrence_id,
            case_reference=subject.case_reference, activity=subject.activity, agency_key=clean.agency, kind=clean.kind,
            theme=clean.theme, title=clean.title, summary=clean.summary, recorded_on=recorded_on, source=source,
            derivation_key=derivation_key, submission_id=submission_id, actor=actor[:120],
        ),
    )
    detail: dict[str, object] = {"source": source, "kind": clean.kind, "theme": clean.theme, "activity": subject.activity,
                                 "on": subject.occurrence_key or subject.case_reference, "recorded_on": recorded_on.isoformat()}
    if rating is not None:
        rated = rate(framework.document.risk_matrix, *rating)
        session.add(RiskRating(finding_id=finding.id, sequence=1, likelihood=rated.likelihood, impact=rated.impact, score=rated.score,  # type: ignore[arg-type]
                               band=rated.band, rated_on=recorded_on, actor=actor[:120]))
        detail.update(likelihood=rated.likelihood, impact=rated.impact, score=rated.score, band=rated.band)
    if derivation_key:
        detail["derivation_key"] = derivation_key
    audit(session=session, actor=actor, action="finding-added", subject=finding.reference, detail=detail)
    place_finding(session=session, framework=framework, finding=finding, actor=actor)
    return finding


def record_findings(*, session: Session, framework: Framework, entries: Sequence[FindingEntry], recorded_on: date, source: str,
                    actor: str, subject_kind: str = "either", today: date | None = None,
                    derivation_key: str | None = None) -> list[Finding]:
    """Record typed findings, all or none: every entry is checked first, and any problem
    raises FindingError (with every problem) before anything is written. ``today`` (the
    edge reads it from the clock, in the partnership's time zone) refuses a day in the
    future (FindingDayError). ``derivation_key``, for one entry, is its natural key: if
    a finding has it already, that finding is returned and nothing is written."""
    if derivation_key is not None:
        if len(entries) != 1:
            raise ValueError("a derivation_key names one finding")
        # Serialise with any other recording of the year before looking: two at once find each other's.
        hold_numbering_lock(session=session, lock_key=FINDING_LOCK + FinancialYear.containing(recorded_on).start_year)
        existing = session.execute(select(Finding).where(Finding.derivation_key == derivation_key)).scalar_one_or_none()
        if existing is not None:
            return [existing]
    check_day(recorded_on, today)
    clean, problems = check_entries(session=session, framework=framework, entries=entries, subject_kind=subject_kind, recorded_on=recorded_on)
    if problems:
        raise FindingError(problems)
    return [
        _insert(session, framework, finding, subject, recorded_on, source, actor, derivation_key=derivation_key,
                rating=(finding.likelihood, finding.impact) if finding.kind == "risk" else None)  # type: ignore[arg-type]
        for finding, subject in clean
    ]


def record_finding(*, session: Session, framework: Framework, entry: FindingEntry, recorded_on: date, source: str, actor: str,
                   subject_kind: str = "either", today: date | None = None, derivation_key: str | None = None) -> Finding:
    """Record one typed finding (see :func:`record_findings`)."""
    return record_findings(session=session, framework=framework, entries=[entry], recorded_on=recorded_on, source=source,
                           actor=actor, subject_kind=subject_kind, today=today, derivation_key=derivation_key)[0]


def london_day(framework: Framework, submission: ReturnSubmission) -> date:
    return submission.received_at.astimezone(ZoneInfo(framework.document.partnership.timezone)).date()


def derive_findings(*, session: Session, framework: Framework, submission_id: int, actor: str) -> DerivationResult:
    """Bring a task's derived findings in line with its latest accepted return: add what it
    shows, withdraw what it no longer shows, reopen what it shows again. Deriving again
    (or twice at once) changes nothing; a submission that is not the task's latest
    accepted one is derived from that latest one."""
    given = session.get(ReturnSubmission, submission_id)
    if given is None or given.task_id is None:
        return DerivationResult(None)
    latest = session.execute(
        select(ReturnSubmission).where(ReturnSubmission.task_id == given.task_id, ReturnSubmission.status == "accepted")
        .order_by(ReturnSubmission.version.desc()).limit(1)  # type: ignore[attr-defined]
    ).scalar_one_or_none()
    if latest is None or not latest.payload:
        return DerivationResult(None)
    task, occurrence = session.execute(
        select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id).where(Task.id == latest.task_id)  # type: ignore[arg-type]
    ).one()
    derived = derive(framework, json.loads(latest.payload))
    day = london_day(framework, latest)
    # Serialise derivation for the year before looking: two at once find each other's findings.
    hold_numbering_lock(session=session, lock_key=FINDING_LOCK + FinancialYear.containing(day).start_year)
    prefix = f"task:{task.id}:"
    existing = {f.derivation_key: f for f in session.execute(select(Finding).where(Finding.derivation_key.startswith(prefix))).scalars()}  # type: ignore[union-attr]
    subject = Subject(occurrence.id, occurrence.key, None, occurrence.activity)
    result = DerivationResult(latest.id)
    wanted = set()
    for d in derived:
        key = prefix + d.key
        wanted.add(key)
        found = existing.get(key)
        if found is None:
            result.added.append(_insert(session, framework, d, subject, day, "derived", actor, key, latest.id).reference)
            continue
        changed = (found.title, found.summary, found.theme) != (d.title, d.summary, d.theme)
        if found.status == "withdrawn":
            found.status, found.withdrawn_on, found.withdrawn_reason = "open", None, ""
            action = "finding-reopened"
            result.reopened.append(found.reference)
        elif changed:
            action = "finding-updated"
            result.updated.append(found.reference)
        else:
            result.unchanged.append(found.reference)
            continue
        found.title, found.summary, found.theme, found.submission_id = d.title, d.summary, d.theme, latest.id
        session.add(found)
        audit(session=session, actor=actor, action=action, subject=found.reference, detail={"submission": latest.id, "version": latest.version})
    for key, found in sorted(existing.items()):
        if key not in wanted and found.status == "open":
            found.status, found.withdrawn_on = "withdrawn", day
            found.withdrawn_reason = f"version {latest.version} of the return for {task_reference(occurrence.key, task.assignee_key)} no longer shows it"
            session.add(found)
            audit(session=session, actor=actor, action="finding-withdrawn", subject=found.reference,
                  detail={"submission": latest.id, "version": latest.version, "reason": found.withdrawn_reason, "on": day.isoformat()})
            result.withdrawn.append(found.reference)
    session.flush()
    return result


@dataclass(frozen=True)
class FindingLine:
    """A finding as it is listed: what, when, and where it was placed."""

    reference: str
    recorded_on: date
    financial_year: int
    kind: str
    theme: str
    title: str
    status: str
    source: str
    activity: str
    occurrence: str | None
    case: str | None
    agency: str | None
    risk: dict[str, object] | None
    placements: list[dict[str, object]]
    pending: list[str]
    withdrawn_on: date | None
    withdrawn_reason: str

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference, "recorded_on": self.recorded_on.isoformat(), "financial_year": str(FinancialYear(self.financial_year)),
            "kind": self.kind, "theme": self.theme, "title": self.title, "status": self.status, "source": self.source,
            "activity": self.activity, "occurrence": self.occurrence, "case": self.case, "agency": self.agency, "risk": self.risk,
            "placements": self.placements, "pending": self.pending,
            "withdrawn_on": self.withdrawn_on.isoformat() if self.withdrawn_on else None, "withdrawn_reason": self.withdrawn_reason or None,
        }


def list_findings(*, session: Session, framework: Framework, financial_year: int | None = None, route: str | None = None) -> list[FindingLine]:
    """Findings by reference, optionally of one financial year (of the day recorded) or
    placed on one route; with each placement (a meeting and its day, a report's year)."""
    zone = ZoneInfo(framework.document.partnership.timezone)
    statement = select(Finding).order_by(Finding.financial_year, Finding.number)
    if financial_year is not None:
        statement = statement.where(Finding.financial_year == financial_year)
    if route is not None:
        statement = statement.where(Finding.id.in_(select(FindingPlacement.finding_id).where(FindingPlacement.route == route)))  # type: ignore[union-attr]
    findings = session.execute(statement).scalars().all()
    ids = [f.id for f in findings]
    occurrences: dict[int, tuple[str, object]] = {}
    placements: dict[int, list[dict[str, object]]] = {}
    ratings: dict[int, RiskRating] = {}
    if ids:
        occurrences = {i: (k, s) for i, k, s in session.execute(select(Occurrence.id, Occurrence.key, Occurrence.starts_at).where(
            Occurrence.id.in_(select(FindingPlacement.occurrence_id).where(FindingPlacement.finding_id.in_(ids))) | Occurrence.id.in_(  # type: ignore[union-attr, attr-defined]
                [f.occurrence_id for f in findings if f.occurrence_id]))).all()}
        for p in session.execute(select(FindingPlacement).where(FindingPlacement.finding_id.in_(ids)).order_by(FindingPlacement.id)).scalars():  # type: ignore[attr-defined]
            key, starts = occurrences.get(p.occurrence_id, (None, None)) if p.occurrence_id else (None, None)
            day = starts.astimezone(zone).date().isoformat() if p.kind == "meeting" and starts is not None else None  # type: ignore[attr-defined]
            placements.setdefault(p.finding_id, []).append({"route": p.route, "kind": p.kind, "occurrence": key, "meeting_day": day,
                                                            "financial_year": str(FinancialYear(p.financial_year)) if p.financial_year else None})
        latest = select(RiskRating.finding_id, func.max(RiskRating.sequence).label("sequence")).where(RiskRating.finding_id.in_(ids)).group_by(RiskRating.finding_id).subquery()  # type: ignore[attr-defined]
        for r in session.execute(select(RiskRating).join(latest, (RiskRating.finding_id == latest.c.finding_id) & (RiskRating.sequence == latest.c.sequence))).scalars():  # type: ignore[arg-type]
            ratings[r.finding_id] = r
    lines = []
    for f in findings:
        placed = placements.get(f.id, [])  # type: ignore[arg-type]
        rating = ratings.get(f.id)  # type: ignore[arg-type]
        lines.append(FindingLine(
            f.reference, f.recorded_on, f.financial_year, f.kind, f.theme, f.title, f.status, f.source, f.activity,
            occurrences.get(f.occurrence_id, (None,))[0] if f.occurrence_id else None, f.case_reference, f.agency_key,  # type: ignore[arg-type]
            {"likelihood": rating.likelihood, "impact": rating.impact, "score": rating.score, "band": rating.band} if rating else None,
            placed, [r for r in routes_of(framework, f.activity) if r not in {p["route"] for p in placed}] if f.status == "open" else [],
            f.withdrawn_on, f.withdrawn_reason,
        ))
    return lines
