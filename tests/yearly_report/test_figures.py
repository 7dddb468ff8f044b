"""Every section of the yearly report is present and has content on a simulated year,
and every figure equals a count made directly in the database (SQL here, the payloads'
JSON read here), on both shipped partnerships and both databases."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import bindparam, text

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.persistence.database import transaction
from qaframework.yearly_report.assembly import SECTIONS, assemble
from qaframework.persistence.yearly_facts import yearly_facts
from tests.yearly_report.conftest import Simulated


def _one(url: str, sql: str, **params: object) -> int:
    statement = text(sql)
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            statement = statement.bindparams(bindparam(name, expanding=True))
    with transaction(url) as session:
        return int(session.execute(statement, params).scalar_one() or 0)


def _payloads(url: str, fy: int, activities: list[str]) -> list[dict]:
    """The latest accepted payload of each of the year's agency tasks of ``activities``."""
    sql = text("""SELECT s.task_id, s.version, s.payload FROM return_submission s JOIN task t ON t.id = s.task_id
                  JOIN occurrence o ON o.id = t.occurrence_id
                  WHERE s.status = 'accepted' AND o.financial_year = :fy AND o.activity IN :activities""").bindparams(
        bindparam("activities", expanding=True))
    latest: dict[int, tuple[int, str]] = {}
    with transaction(url) as session:
        for task_id, version, payload in session.execute(sql, {"fy": fy, "activities": activities}).all():
            if task_id not in latest or version > latest[task_id][0]:
                latest[task_id] = (version, payload)
    return [json.loads(p) for _, p in latest.values()]


def test_every_section_has_content_and_every_figure_is_a_count(simulated: Simulated, partnership: Framework) -> None:
    url, fy = simulated.url, simulated.financial_year
    year = FinancialYear(fy)
    as_of = year.end + timedelta(days=45)
    with transaction(url) as session:
        report = assemble(partnership, yearly_facts(session=session, framework=partnership, financial_year=fy, as_of=as_of))
    assert [s.key for s in report.sections] == list(SECTIONS)
    assert [s.title for s in report.sections] == list(SECTIONS.values())
    assert [s.key for s in report.sections if s.empty] == []
    assert not report.draft
    settings = yearly_report_settings(partnership)
    planned = [k for k, a in partnership.activities.items() if a.cadence != "as-required"]
    returns = [a for rt in partnership.document.returns.values() for a in rt.activities]
    params = {"fy": fy, "start": year.start, "end": year.end, "as_of": as_of}

    did = report.section("what-we-did")
    assert did.figure("activities-planned") == _one(url, "SELECT count(*) FROM occurrence WHERE financial_year = :fy AND kind = 'activity' "
                                                         "AND activity IN :planned", fy=fy, planned=planned) > 0
    assert did.figure("activities-completed") == _one(url, """
        SELECT count(*) FROM occurrence o WHERE o.financial_year = :fy AND o.kind = 'activity' AND o.activity IN :planned
        AND EXISTS (SELECT 1 FROM task t WHERE t.occurrence_id = o.id AND t.status != 'cancelled')
        AND NOT EXISTS (SELECT 1 FROM task t WHERE t.occurrence_id = o.id AND t.status NOT IN ('submitted', 'closed', 'cancelled'))""",
                                                      fy=fy, planned=planned) > 0
    for key, status in (("meetings-held", "held"), ("meetings-cancelled", "cancelled")):
        assert did.figure(key) == _one(url, "SELECT count(*) FROM meeting_record r JOIN occurrence o ON o.id = r.occurrence_id "
                                            "WHERE o.financial_year = :fy AND r.status = :status", fy=fy, status=status) > 0
    agency_tasks = ("FROM task t JOIN occurrence o ON o.id = t.occurrence_id WHERE o.financial_year = :fy AND t.assignee_kind = 'agency' "
                    "AND o.activity IN :returns AND o.kind != 'action' AND t.status NOT IN ('cancelled', 'planned')")
    accepted = "EXISTS (SELECT 1 FROM return_submission s WHERE s.task_id = t.id AND s.status = 'accepted'{})"
    assert did.figure("returns-expected") == _one(url, f"SELECT count(*) {agency_tasks}", fy=fy, returns=returns) > 0
    assert did.figure("returns-late") == _one(url, f"SELECT count(*) {agency_tasks} AND {accepted.format(' AND s.late AND s.version = 1')}",
                                              fy=fy, returns=returns) > 0
    assert did.figure("returns-on-time") == _one(url, f"SELECT count(*) {agency_tasks} AND {accepted.format(' AND NOT s.late')}",
                                                 fy=fy, returns=returns) > 0
    assert did.figure("returns-missing") == _one(url, f"SELECT count(*) {agency_tasks} AND t.due < :as_of AND NOT {accepted.format('')}",
                                                 fy=fy, returns=returns, as_of=as_of) == 1
    timeliness = did.table("returns-timeliness")
    late_row = next(r for r in timeliness.rows if r[0] == partnership.agencies[simulated.late_agency].name)
    assert late_row[2] == 0 and late_row[3] == _one(url, f"SELECT count(*) {agency_tasks} AND t.assignee_key = :agency", fy=fy,
                                                     returns=returns, agency=simulated.late_agency)
    attended = _one(url, "SELECT count(*) FROM meeting_attendance a JOIN meeting_record r ON r.occurrence_id = a.occurrence_id "
                         "JOIN occurrence o ON o.id = a.occurrence_id WHERE o.financial_year = :fy AND r.status = 'held'", fy=fy)
    held_by_body = {b: _one(url, "SELECT count(*) FROM meeting_record r JOIN occurrence o ON o.id = r.occurrence_id WHERE "
                                 "o.financial_year = :fy AND r.status = 'held' AND o.activity = :body", fy=fy, body=b) for b in partnership.bodies}
    places = sum(held_by_body.get(b, 0) for a in partnership.agencies.values() for b in a.attends)
    assert did.figure("attendance-percent") == round(100 * attended / places, 1)

    chain = partnership.review_chain
    rapid = next(k for k, s in chain.stages.items() if s.due is not None and s.due.rule == chain.clocks.rapid_review)
    cases = "FROM review_stage s JOIN review_case c ON c.id = s.case_id WHERE c.financial_year = :fy AND s.stage = :stage"
    rr = report.section("reviews")
    assert rr.figure("cases-notified") == _one(url, f"SELECT count(*) {cases} AND s.done_on IS NOT NULL", fy=fy, stage=chain.notification_stage) == 2
    assert rr.figure("rapid-reviews-on-time") == _one(url, f"SELECT count(*) {cases} AND s.done_on <= s.due", fy=fy, stage=rapid) == 1
    local = settings.reviews
    assert local is not None
    assert rr.figure(f"decided-{local.decision}") == _one(url, "SELECT count(*) FROM review_case WHERE financial_year = :fy AND decision = :d",
                                                          fy=fy, d=local.decision) == 1
    assert rr.figure("local-reviews-on-time") == _one(url, f"SELECT count(*) {cases} AND s.done_on <= s.due", fy=fy, stage=local.completed) == 1
    assert rr.figure("local-reviews-published") == _one(url, f"SELECT count(*) {cases} AND s.done_on IS NOT NULL", fy=fy, stage=local.published) == 1
    assert [r[0] for r in rr.table("cases").rows] == list(simulated.cases)

    eff = report.section("effectiveness")
    for key, rt in partnership.document.returns.items():
        payloads = _payloads(url, fy, list(rt.activities))
        if rt.kind == "s11-self-assessment":
            assert eff.figure(f"s11-returns-{key}") == len(payloads) > 0
            assert eff.figure(f"s11-red-{key}") == sum(1 for p in payloads for r in p["ratings"] if r["rag"] == "Red") == 1
            greens = {row[0]: row[1] for row in eff.table(f"s11-{key}").rows}
            first = next(iter(rt.domains.values()))
            assert greens[first.name] == sum(1 for p in payloads for r in p["ratings"] if r["rag"] == "Green" and r["domain"] == next(iter(rt.domains)))
        elif rt.kind == "case-audit":
            assert eff.figure(f"cases-audited-{key}") == len({g["case_number"] for p in payloads for g in p["grades"]}) == 2
            table = eff.table(f"grades-{key}")
            assert sum(sum(r[1:]) for r in table.rows) == sum(len(p["grades"]) for p in payloads)
        elif rt.kind == "school-audit":
            assert eff.figure(f"schools-audited-{key}") == sum(len({s["school_urn"] for s in p["schools"]}) for p in payloads) > 0
    assert eff.figure("measures-with-figures") > 0

    impact = report.section("impact")
    done = "FROM improvement_action WHERE status = 'done' AND done_on BETWEEN :start AND :end"
    assert impact.figure("actions-completed") == _one(url, f"SELECT count(*) {done}", start=year.start, end=year.end) == 2
    assert impact.figure("judged-evidenced") == _one(url, f"SELECT count(*) FROM action_evaluation e JOIN improvement_action a ON a.id = e.action_id "
                                                          "WHERE e.judgement = 'evidenced' AND a.done_on BETWEEN :start AND :end",
                                                     start=year.start, end=year.end) == 1
    of_year = "(financial_year = :fy OR due BETWEEN :start AND :end OR done_on BETWEEN :start AND :end)"
    progress = report.section("little-progress")
    assert progress.figure("actions-overdue") == _one(url, f"SELECT count(*) FROM improvement_action WHERE status = 'open' AND due <= :end AND {of_year}",
                                                      **params) >= 1
    assert simulated.action_overdue in [r[0] for r in progress.table("overdue").rows]
    assert progress.figure("actions-dropped") == _one(url, f"SELECT count(*) FROM improvement_action WHERE status = 'dropped' AND {of_year}", **params) == 1
    assert progress.figure("risks-above-tolerance") == _one(url, """
        SELECT count(*) FROM finding f JOIN risk_rating r ON r.finding_id = f.id
        WHERE f.kind = 'risk' AND f.status = 'open' AND r.score > :tolerance
        AND r.sequence = (SELECT max(x.sequence) FROM risk_rating x WHERE x.finding_id = f.id)""",
                                                            tolerance=partnership.document.risk_matrix.tolerance) >= 1
    assert progress.figure("red-domains") == 1

    learning = report.section("learning")
    assert learning.figure("review-findings") == _one(url, "SELECT count(*) FROM finding WHERE financial_year = :fy AND status = 'open' "
                                                           "AND case_reference IS NOT NULL", fy=fy) == 1
    assert learning.figure("review-actions") == _one(url, f"SELECT count(*) FROM improvement_action WHERE case_reference IS NOT NULL AND {of_year}", **params)
    assert learning.groups[0][0] == f"Case {simulated.cases[0]}"

    voice = report.section("voice")
    assert voice.figure("voice-findings") == _one(url, "SELECT count(*) FROM finding WHERE financial_year = :fy AND status = 'open' "
                                                       "AND activity IN :voice", fy=fy, voice=settings.voice_activities) == 1
    assert voice.figure("voice-activities-completed") == voice.figure("voice-activities-planned") == 1

    assert report.section("training").figure("training-measures") == len(settings.training_measures)

    findings = report.section("findings")
    assert findings.figure("routed-findings") == _one(url, "SELECT count(*) FROM finding_placement p JOIN finding f ON f.id = p.finding_id "
                                                           "WHERE p.route = :route AND p.financial_year = :fy AND f.status = 'open'",
                                                      route=settings.activity, fy=fy) >= 3
    listed = " ".join(line for _, lines in findings.groups for line in lines)
    assert all(ref in listed for ref in simulated.routed)
    first_lines = [lines[0] for _, lines in findings.groups]
    assert any(simulated.routed[2] in line for line in first_lines), "a theme's risk comes first"
