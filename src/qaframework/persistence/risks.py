"""The risk register in the database: rating a risk again, and the register itself.

A risk is a finding of kind ``risk``; each rating (likelihood and impact on the
framework's matrix) is a ``RiskRating`` row numbered 1, 2, ... and every one is kept, so
the register shows the trend since the last. The score, band and escalation come from
``qaframework.learning.risk``: the matrix is the framework file's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qaframework.errors import QAFrameworkError, excerpt
from qaframework.framework import Framework
from qaframework.learning.register import RiskFacts, register_rows
from qaframework.learning.risk import Rating, rate
from qaframework.persistence.learning_tables import Finding, RiskRating
from qaframework.persistence.repository import audit
from qaframework.untrusted import checked_text


class RiskError(QAFrameworkError):
    """A risk cannot be rated as asked (unknown finding, not a risk, withdrawn, a date
    before its last rating)."""


@dataclass(frozen=True)
class RatingRecorded:
    reference: str
    sequence: int
    rating: Rating
    rated_on: date


def risk_finding(*, session: Session, reference: str, for_update: bool = False) -> Finding:
    """The open risk finding ``reference`` names, or a RiskError saying why not."""
    checked_text(reference, field="the finding reference")
    query = select(Finding).where(Finding.reference == reference.strip())
    if for_update:
        query = query.with_for_update()
    finding = session.execute(query).scalar_one_or_none()
    if finding is None:
        raise RiskError(f"no finding {excerpt(reference)}: give a finding reference such as F-2027-0001 (see qaf risks or qaf findings list)")
    if finding.kind != "risk":
        raise RiskError(f"{finding.reference} is a finding of kind {finding.kind}, not a risk: only risks are rated")
    if finding.status != "open":
        raise RiskError(f"{finding.reference} is {finding.status}: a withdrawn finding is not rated")
    return finding


def rerate(*, session: Session, framework: Framework, finding_reference: str, likelihood: int, impact: int, on: date, actor: str,
           today: date) -> RatingRecorded:
    """Rate a risk again (or for the first time): a new rating, numbered after the last;
    every earlier one is kept. A rating dated after ``today`` (the partnership's, from
    the CLI or flow edge) is refused, and so is one dated before the risk's last one (the
    trend compares each rating with the one before)."""
    rating = rate(framework.document.risk_matrix, likelihood, impact)  # RatingError: outside 1 to 5
    if on > today:
        raise RiskError(f"a rating cannot be dated {on}: that is after today ({today}); give the day the risk was rated")
    # Locked on PostgreSQL, so two ratings at once are numbered one after the other.
    finding = risk_finding(session=session, reference=finding_reference, for_update=True)
    for _ in range(5):
        last = session.execute(
            select(RiskRating.sequence, RiskRating.rated_on).where(RiskRating.finding_id == finding.id).order_by(RiskRating.sequence.desc()).limit(1)  # type: ignore[attr-defined]
        ).first()
        if last is not None and on < last.rated_on:
            raise RiskError(f"{finding.reference} was last rated on {last.rated_on}: a new rating cannot be dated {on}, before it")
        sequence = (last.sequence if last else 0) + 1
        try:
            with session.begin_nested():
                session.add(RiskRating(finding_id=finding.id, sequence=sequence, likelihood=likelihood, impact=impact,  # type: ignore[arg-type]
                                       score=rating.score, band=rating.band, rated_on=on, actor=actor[:120]))
                session.flush()
        except IntegrityError:
            continue  # rated at the same moment by another process: this one comes after it
        audit(session=session, actor=actor, action="risk-rated", subject=finding.reference, detail={
            "sequence": sequence, "likelihood": likelihood, "impact": impact, "score": rating.score, "band": rating.band,
            "above_tolerance": rating.above_tolerance, "rated_on": on.isoformat(),
        })
        return RatingRecorded(finding.reference, sequence, rating, on)
    raise RiskError(f"{finding.reference}: could not record the rating, it was being rated by others at the same moment; try again")


def risk_facts(*, session: Session) -> list[RiskFacts]:
    """Every open risk with its ratings, oldest first."""
    findings = session.execute(select(Finding).where(Finding.kind == "risk", Finding.status == "open")).scalars().all()
    ratings: dict[int, list[tuple[int, int, date]]] = defaultdict(list)
    if findings:
        rows = session.execute(
            select(RiskRating.finding_id, RiskRating.likelihood, RiskRating.impact, RiskRating.rated_on)
            .where(RiskRating.finding_id.in_([f.id for f in findings]))  # type: ignore[attr-defined]
            .order_by(RiskRating.finding_id, RiskRating.sequence)
        ).all()
        for finding_id, likelihood, impact, rated_on in rows:
            ratings[finding_id].append((likelihood, impact, rated_on))
    return [RiskFacts(f.reference, f.title, f.theme, f.activity, tuple(ratings[f.id])) for f in findings]  # type: ignore[index]


def risk_register(*, session: Session, framework: Framework, above_tolerance: bool = False) -> list[dict[str, object]]:
    """The register as plain rows (see ``learning.register.REGISTER_KEYS``), highest
    score first; with ``above_tolerance`` only the risks reported to the top body."""
    doc = framework.document
    return register_rows(doc.risk_matrix, risk_facts(session=session), doc.themes, above_tolerance=above_tolerance)


def ratings_of(*, session: Session, finding_reference: str) -> list[RiskRating]:
    """Every rating of a risk, first to last."""
    finding = session.execute(select(Finding).where(Finding.reference == finding_reference)).scalar_one_or_none()
    if finding is None:
        return []
    return list(session.execute(select(RiskRating).where(RiskRating.finding_id == finding.id).order_by(RiskRating.sequence)).scalars())


def count_ratings(*, session: Session) -> int:
    return session.execute(select(func.count()).select_from(RiskRating)).scalar_one()
