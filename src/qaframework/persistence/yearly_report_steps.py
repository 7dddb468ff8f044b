"""Recording the yearly report's sign-offs and its publication.

The Independent Scrutineer and the top body each sign off a version of the report (a
role, never a name, and the day); recording the publication (the day and the web
address) finishes the yearly-report task of the business unit on the report's occurrence
(the activity's first occurrence opening after the year ends), through the same task
completion as ``qaf tasks done``. A sign-off also finishes its body's task there, when
that body holds one. Each step is recorded once: the same answer again changes nothing,
a different one is refused. Errors are one line naming the field (``--on``, ``--by``,
``--address``), never quoting what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session

from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.learning.identifying import identifying_reasons
from qaframework.persistence.completion import CompletionError, complete_task
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import Occurrence, Task
from qaframework.persistence.yearly_report_tables import STEPS, YearlyReportStep
from qaframework.untrusted import checked_text

SIGN_OFF_ROLES = ("independent_scrutiny", "top_body")
ADDRESS_LENGTH = 500
ROLE_LENGTH = 120


class YearlyReportError(QAFrameworkError):
    """A step of the yearly report cannot be recorded as asked; nothing was written."""


@dataclass(frozen=True)
class StepLine:
    step: str
    body: str
    day: date
    signed_by: str | None
    version: int | None
    address: str | None

    def as_dict(self) -> dict[str, object]:
        return {"step": self.step, "body": self.body, "day": self.day.isoformat(), "signed_by": self.signed_by,
                "version": self.version, "address": self.address}


def steps_of(*, session: Session, financial_year: int) -> dict[str, StepLine]:
    """The steps recorded for a year's report, by step."""
    rows = session.execute(select(YearlyReportStep).where(YearlyReportStep.financial_year == financial_year)).scalars()
    return {r.step: StepLine(r.step, r.body, r.day, r.signed_by, r.version, r.address) for r in rows}


def report_occurrence(*, session: Session, framework: Framework, financial_year: int) -> Occurrence | None:
    """The yearly-report activity's occurrence reporting on the year (planned or not)."""
    activity = yearly_report_settings(framework).activity
    return session.execute(
        select(Occurrence).where(Occurrence.activity == activity, Occurrence.window_start > FinancialYear(financial_year).end)
        .order_by(Occurrence.window_start).limit(1)
    ).scalar_one_or_none()


def _finish_task(session: Session, framework: Framework, financial_year: int, body: str, day: date, role: str, note: str,
                 today: date, actor: str) -> str | None:
    occurrence = report_occurrence(session=session, framework=framework, financial_year=financial_year)
    if occurrence is None:
        return None
    task = session.execute(select(Task).where(Task.occurrence_id == occurrence.id, Task.assignee_kind == "body",
                                              Task.assignee_key == body)).scalar_one_or_none()
    if task is None or task.status == "cancelled":
        return None
    reference = f"{occurrence.key}/{body}"
    try:
        complete_task(session=session, framework=framework, reference=reference, done_on=day, today=today, actor=actor,
                      done_by=role, note=note)
    except CompletionError as exc:
        raise YearlyReportError(f"--on: {exc.reason}") from None
    return reference


def _check_day(day: date, today: date, financial_year: int) -> None:
    if day > today:
        raise YearlyReportError(f"--on: {day.isoformat()} is in the future (today is {today.isoformat()}): give the day it happened")
    if day <= FinancialYear(financial_year).end:
        raise YearlyReportError(f"--on: {day.isoformat()} is within {FinancialYear(financial_year)}: the report on a year is signed "
                                "off and published after the year ends")


def _store(session: Session, row: YearlyReportStep, same: tuple[object, ...]) -> bool:
    existing = session.execute(select(YearlyReportStep).where(YearlyReportStep.financial_year == row.financial_year,
                                                              YearlyReportStep.step == row.step)).scalar_one_or_none()
    if existing is not None:
        if (existing.day, existing.signed_by, existing.address) == same:
            return False
        raise YearlyReportError(f"--on: the {row.step.replace('_', ' ')} step of {FinancialYear(row.financial_year)} was recorded on "
                                f"{existing.day.isoformat()} already: a step is recorded once")
    session.add(row)
    session.flush()
    return True


def record_sign_off(*, session: Session, framework: Framework, financial_year: int, role: str, signed_by: str | None, day: date,
                    version: int | None, today: date, actor: str) -> bool:
    """Record the sign-off of the body playing ``role`` (independent_scrutiny or
    top_body). True if it was new; False if the same sign-off was recorded already."""
    if role not in SIGN_OFF_ROLES:
        raise YearlyReportError(f"--by: expected one of {', '.join(SIGN_OFF_ROLES)} (the role whose body signs off)")
    _check_day(day, today, financial_year)
    body = framework.role(role)  # type: ignore[arg-type]
    signer = (signed_by or framework.bodies[body].chair or framework.bodies[body].name).strip()
    if not signer or len(signer) > ROLE_LENGTH or identifying_reasons(signer):
        raise YearlyReportError(f"--signed-by: expected a role of at most {ROLE_LENGTH} characters, never a name")
    checked_text(signer, field="--signed-by")
    new = _store(session, YearlyReportStep(financial_year=financial_year, step=role, body=body, day=day, signed_by=signer,
                                           version=version, actor=actor), (day, signer, None))
    if new:
        _finish_task(session, framework, financial_year, body, day, signer, "Yearly report signed off", today, actor)
        audit(session=session, actor=actor, action="yearly-report-signed-off", subject=str(FinancialYear(financial_year)),
              detail={"role": role, "body": body, "day": day.isoformat(), "version": version})
    return new


def checked_address(address: str) -> str:
    """An https (or http) web address of at most 500 characters."""
    value = checked_text(address.strip(), field="--address")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(value) > ADDRESS_LENGTH or any(c.isspace() for c in value):
        raise YearlyReportError(f"--address: expected the web address it was published at, such as https://example.org/yearly-report "
                                f"(at most {ADDRESS_LENGTH} characters)")
    return value


def record_publication(*, session: Session, framework: Framework, financial_year: int, day: date, address: str, today: date,
                       actor: str) -> tuple[bool, str | None]:
    """Record the publication and finish the business unit's yearly-report task. Refused
    before both sign-offs are recorded. Returns (new, the task finished or None)."""
    url = checked_address(address)
    _check_day(day, today, financial_year)
    signed = steps_of(session=session, financial_year=financial_year)
    missing = [r for r in SIGN_OFF_ROLES if r not in signed]
    if missing:
        raise YearlyReportError(f"--on: {FinancialYear(financial_year)}'s report is not signed off by {', '.join(framework.role(r) for r in missing)} "  # type: ignore[arg-type]
                                "yet: record the sign-offs first (qaf report sign-off)")
    late = [r for r in SIGN_OFF_ROLES if signed[r].day > day]
    if late:
        raise YearlyReportError(f"--on: {day.isoformat()} is before the sign-off of {framework.role(late[0])}: publish after signing off")  # type: ignore[arg-type]
    business_unit = framework.role("business_unit")
    new = _store(session, YearlyReportStep(financial_year=financial_year, step=STEPS[2], body=business_unit, day=day, address=url,
                                           actor=actor), (day, None, url))
    task = None
    if new:
        task = _finish_task(session, framework, financial_year, business_unit, day, framework.bodies[business_unit].chair or business_unit,
                            "Yearly report published on the website", today, actor)
        audit(session=session, actor=actor, action="yearly-report-published", subject=str(FinancialYear(financial_year)),
              detail={"day": day.isoformat(), "task": task})
    return new, task
