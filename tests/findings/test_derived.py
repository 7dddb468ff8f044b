"""Findings derived from accepted returns, on both shipped files and both databases: a
Section 11 standard Not met, a case-audit domain given the worst grade, a dataset
measure over its threshold. The same file again creates nothing; a corrected return
withdraws what it no longer shows (and showing it again reopens it); deriving the same
submission twice at once creates each finding once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import ReturnType
from qaframework.persistence.database import transaction
from qaframework.persistence.findings import derive_findings
from qaframework.persistence.learning_tables import Finding, FindingPlacement
from qaframework.persistence.tables import AuditLogEntry, ReturnSubmission
from qaframework.returns.validation import dataset_rows_expected, task_reference
from qaframework.yearly_plan import plan_financial_year
from tests.concurrency import at_once
from tests.partnerships.conftest import Qaf, plan_years, s11_years
from tests.returns.test_round_trip import fill_sheet

TEXT = "Minutes of the safeguarding committee"


def _return_type(partnership: Framework, kind: str) -> tuple[str, ReturnType]:
    return next((k, rt) for k, rt in partnership.document.returns.items() if rt.kind == kind)


def _task(partnership: Framework, rt: ReturnType, years: list[int]) -> str:
    """An agency task of the return type (for a dataset, one owing a measure with an alert)."""
    for year in years:
        for o in plan_financial_year(partnership, FinancialYear(year)):
            if o.activity not in rt.activities:
                continue
            for a in o.assignees:
                if a.kind != "agency":
                    continue
                if rt.kind == "dataset":
                    owed = dataset_rows_expected(rt, a.key, partnership.agencies[a.key].type, o.start)  # type: ignore[arg-type]
                    if not any(rt.measures[m].alert for m, _ in owed):  # type: ignore[union-attr]
                        continue
                return task_reference(o.key, a.key)
    raise AssertionError(f"no agency task for {rt.kind}")


def _import(qaf: Qaf, reference: str, name: str, fill: Any) -> str:
    code, _, err = qaf("returns", "template", reference, "--output", name)
    assert code == 0, err
    fill(Path(name))
    code, out, err = qaf("returns", "import", name)
    assert code == 0, (out, err)
    return out


def _findings(url: str) -> list[Finding]:
    with transaction(url) as session:
        return list(session.execute(select(Finding).order_by(Finding.id)).scalars())


def _s11_fill(rt: Any, not_met: set[tuple[str, str]]) -> Any:
    def fill(path: Path) -> None:
        fill_sheet(path, "Ratings", lambda r: {"Rating": "Not met" if (r["Domain"], r["Standard"]) in not_met else "Fully met", "Evidence": TEXT})
        fill_sheet(path, "Actions", rows=[{"Domain": d, "Standard": s, "Action": "Name a deputy lead", "Owner": "Head of Safeguarding",
                                           "Due": datetime(2028, 3, 1)} for d, s in sorted(not_met)])
    return fill


def test_a_standard_not_met_is_a_finding_and_a_corrected_return_withdraws_it(partnership_qaf: Qaf, database_url: str, partnership: Framework,
                                                                              tmp_path: Path) -> None:
    years = s11_years(partnership, 1)
    plan_years(partnership_qaf, years, FinancialYear(years[0]).start - timedelta(days=1))
    _, rt = _return_type(partnership, "s11-self-assessment")
    reference = _task(partnership, rt, years)
    agency = reference.rsplit("/", 1)[1]
    domain, spec = next(iter(rt.domains.items()))  # type: ignore[attr-defined]
    standards = list(spec.standards)
    out = _import(partnership_qaf, reference, "s11.xlsx", _s11_fill(rt, {(domain, s) for s in standards}))
    (finding,) = _findings(database_url)
    theme = domain if domain in partnership.document.themes else next(k for k, t in partnership.document.themes.items() if t == spec.name)
    assert (finding.kind, finding.theme, finding.agency_key, finding.source, finding.status) == ("area-for-improvement", theme, agency, "derived", "open")
    assert finding.title == f"Section 11: {spec.name} not met ({partnership.agencies[agency].name})"
    assert all(spec.standards[s] in finding.summary for s in standards) and finding.derivation_key.endswith(f":s11:{domain}")  # type: ignore[union-attr]
    assert finding.activity == reference.split("/")[0] and finding.reference.startswith("F-")
    # The same file again: received already, nothing new.
    code, out, err = partnership_qaf("returns", "import", "s11.xlsx")
    assert code == 0 and "received already" in out, err
    assert [f.id for f in _findings(database_url)] == [finding.id]
    # Corrected: every standard fully met. The finding is withdrawn, with the reason and the day.
    _import(partnership_qaf, reference, "s11-corrected.xlsx", _s11_fill(rt, set()))
    (withdrawn,) = _findings(database_url)
    assert (withdrawn.id, withdrawn.status) == (finding.id, "withdrawn")
    assert withdrawn.withdrawn_reason == f"version 2 of the return for {reference} no longer shows it" and withdrawn.withdrawn_on is not None
    # Corrected again, one standard not met: the same finding is reopened, not a new one.
    _import(partnership_qaf, reference, "s11-again.xlsx", _s11_fill(rt, {(domain, standards[0])}))
    (reopened,) = _findings(database_url)
    assert (reopened.id, reopened.status, reopened.withdrawn_on) == (finding.id, "open", None)
    assert spec.standards[standards[0]] in reopened.summary
    with transaction(database_url) as session:
        actions = [(a.action, a.subject) for a in session.execute(select(AuditLogEntry).where(AuditLogEntry.subject == finding.reference).order_by(AuditLogEntry.id)).scalars()]
    routes = partnership.activities[finding.activity].routes
    assert actions == [("finding-added", finding.reference)] + [("finding-placed", finding.reference)] * len(routes) + [
        ("finding-withdrawn", finding.reference), ("finding-reopened", finding.reference)]
    code, out, _ = partnership_qaf("findings", "list", "--json")
    assert '"source": "derived"' in out and '"status": "open"' in out


def test_the_worst_case_audit_grade_and_a_crossed_dataset_threshold_are_findings(partnership_qaf: Qaf, database_url: str, partnership: Framework,
                                                                                 tmp_path: Path) -> None:
    plan_years(partnership_qaf, [2027], date(2027, 4, 1))
    _, audit_rt = _return_type(partnership, "case-audit")
    reference = _task(partnership, audit_rt, [2027])
    worst, best = audit_rt.grades[-1], audit_rt.grades[0]  # type: ignore[union-attr]
    domains = list(audit_rt.domains)  # type: ignore[union-attr]
    case = audit_rt.case_number_example  # type: ignore[union-attr]
    _import(partnership_qaf, reference, "audit.xlsx", lambda path: fill_sheet(path, "Grades", rows=[
        {"Case number": case, "Domain": d, "Grade": worst if d == domains[-1] else best} for d in domains]))
    (audit_finding,) = _findings(database_url)
    name = audit_rt.domains[domains[-1]]  # type: ignore[union-attr]
    assert audit_finding.title == f"{audit_rt.title}: {name} graded {worst} ({partnership.agencies[reference.rsplit('/', 1)[1]].name})"
    assert case in audit_finding.summary and audit_finding.derivation_key.endswith(f":case-audit:{domains[-1]}")  # type: ignore[union-attr]
    assert audit_finding.theme in partnership.document.themes

    _, data_rt = _return_type(partnership, "dataset")
    reference = _task(partnership, data_rt, [2027])
    alerted = {k: m.alert for k, m in data_rt.measures.items() if m.alert}  # type: ignore[union-attr]

    def crossing(row: dict[str, Any]) -> dict[str, Any]:
        alert = alerted.get(row["Measure"])
        if alert is None:
            return {"Value": 10}
        return {"Value": min(100, alert.above + 1) if alert.above is not None else max(0, alert.below - 1)}

    _import(partnership_qaf, reference, "data.xlsx", lambda path: fill_sheet(path, "Values", crossing))
    derived = [f for f in _findings(database_url) if f.id != audit_finding.id]
    assert derived and {f.theme for f in derived} <= {a.theme for a in alerted.values()}
    assert all(f.derivation_key.split(":")[2] == "dataset" and f.derivation_key.split(":")[3] in alerted for f in derived)  # type: ignore[union-attr]
    assert all("set in the framework" in f.summary for f in derived)


def test_deriving_the_same_submission_twice_at_once_creates_each_finding_once(partnership_qaf: Qaf, database_url: str, partnership: Framework,
                                                                               tmp_path: Path) -> None:
    years = s11_years(partnership, 1)
    plan_years(partnership_qaf, years, FinancialYear(years[0]).start - timedelta(days=1))
    _, rt = _return_type(partnership, "s11-self-assessment")
    reference = _task(partnership, rt, years)
    not_met = {(d, next(iter(spec.standards))) for d, spec in rt.domains.items()}  # type: ignore[attr-defined]
    _import(partnership_qaf, reference, "s11.xlsx", _s11_fill(rt, not_met))
    first = [f.reference for f in _findings(database_url)]
    assert len(first) == len(rt.domains)  # type: ignore[attr-defined]
    with transaction(database_url) as session:
        submission_id = session.execute(select(ReturnSubmission.id).where(ReturnSubmission.status == "accepted")).scalar_one()
        # Forget what the import derived, to derive it again twice at once.
        session.execute(delete(FindingPlacement))
        session.execute(delete(Finding))

    def derive() -> Any:
        with transaction(database_url) as session:
            return derive_findings(session=session, framework=partnership, submission_id=submission_id, actor="test")

    results = at_once(derive)
    assert sorted(len(r.added) for r in results) == [0, len(rt.domains)]  # type: ignore[attr-defined]
    assert sorted(len(r.unchanged) for r in results) == [0, len(rt.domains)]  # type: ignore[attr-defined]
    findings = _findings(database_url)
    assert len(findings) == len(rt.domains) and len({f.derivation_key for f in findings}) == len(findings)  # type: ignore[attr-defined]
    assert len({f.reference for f in findings}) == len(findings)
    with transaction(database_url) as session:
        placements = session.execute(select(FindingPlacement.finding_id, FindingPlacement.route)).all()
    assert len(placements) == len(set(placements)) == len(findings) * len(partnership.activities[findings[0].activity].routes)
    again = derive()
    assert again.added == [] and sorted(again.unchanged) == sorted(f.reference for f in findings)
