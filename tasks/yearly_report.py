"""Prefect tasks around the yearly report: thin wrappers over
qaframework.yearly_report.building and qaframework.persistence.yearly_report_steps, with
retries for transient database errors only.

The report's markdown artifact holds each section's key figures and each chart (an
image from its ``data:`` URL, with its text alternative) above the table of its numbers:
no findings' titles or actions' wording (free text people typed), no case detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.yearly_report_steps import YearlyReportError, record_publication, record_sign_off, steps_of
from qaframework.yearly_report.building import build_yearly_report, stem, year_folder, year_label
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@task(name="assemble-yearly-report", **DB)
def assemble_report(database_url: str, framework: Framework, data_dir: Path, financial_year: int, as_of: date) -> dict[str, object]:
    """Assemble the report (a new version only if something changed) and show it in the UI."""
    with transaction(database_url) as session:
        built = build_yearly_report(session=session, framework=framework, data_dir=data_dir, financial_year=financial_year, as_of=as_of)
    report = built.report
    create_markdown_artifact(
        key=f"yearly-report-{year_label(financial_year)}", markdown=built.markdown,
        description=f"Yearly report {report.year}{' (DRAFT)' if report.draft else ''}, version {built.written.version}: key figures "
                    "and charts, each with the table of its numbers (findings' and actions' own words are in the PDF and Word files)",
    )
    return {"financial_year": report.year, "draft": report.draft, "version": built.written.version, "new": built.new,
            "pdf": str(built.written.pdf), "empty_narrative": list(report.empty_narrative)}


@task(name="read-yearly-report-steps", **DB)
def read_steps(database_url: str, financial_year: int) -> dict[str, str]:
    """The steps recorded for the year's report: step -> the day."""
    with transaction(database_url) as session:
        return {k: s.day.isoformat() for k, s in steps_of(session=session, financial_year=financial_year).items()}


@dataclass(frozen=True)
class StepOutcome:
    changed: bool = False
    reason: str | None = None  # refused: one line naming the field, never quoting typed text
    task: str | None = None


def _latest(data_dir: Path, financial_year: int) -> int | None:
    from qaframework.documents.versions import latest_version

    found = latest_version(year_folder(data_dir, financial_year), stem(financial_year))
    return found.version if found else None


@task(name="record-yearly-report-sign-off", **DB)
def sign_off(database_url: str, framework: Framework, data_dir: Path, financial_year: int, role: str, signed_by: str, day: date,
             today: date, actor: str) -> StepOutcome:
    try:
        with transaction(database_url) as session:
            changed = record_sign_off(session=session, framework=framework, financial_year=financial_year, role=role, signed_by=signed_by,
                                      day=day, version=_latest(data_dir, financial_year), today=today, actor=actor)
    except YearlyReportError as exc:
        return StepOutcome(reason=str(exc))
    return StepOutcome(changed)


@task(name="record-yearly-report-publication", **DB)
def publish(database_url: str, framework: Framework, financial_year: int, day: date, address: str, today: date, actor: str) -> StepOutcome:
    try:
        with transaction(database_url) as session:
            changed, finished = record_publication(session=session, framework=framework, financial_year=financial_year, day=day,
                                                   address=address, today=today, actor=actor)
    except YearlyReportError as exc:
        return StepOutcome(reason=str(exc))
    return StepOutcome(changed, task=finished)


REFUSED = "yearly-report-step-refused"


@task(name="record-yearly-report-refusal", **DB)
def record_refused(database_url: str, financial_year: int, step: str, actor: str, reason: str) -> None:
    """Keep that an answer was refused (the reason only, never the answer), so a resumed
    run knows which attempt it is at."""
    from qaframework.persistence.repository import audit

    with transaction(database_url) as session:
        audit(session=session, actor=actor, action=REFUSED, subject=f"{financial_year}/{step}", detail={"reason": reason})


@task(name="count-yearly-report-refusals", **DB)
def refusals(database_url: str, financial_year: int, step: str, actor: str) -> int:
    from sqlalchemy import func, select

    from qaframework.persistence.tables import AuditLogEntry

    with transaction(database_url) as session:
        return int(session.execute(select(func.count()).select_from(AuditLogEntry).where(
            AuditLogEntry.action == REFUSED, AuditLogEntry.subject == f"{financial_year}/{step}", AuditLogEntry.actor == actor)).scalar_one())
