"""The open reviews of the meeting papers, on both shipped files and both databases:
each open case by reference, its stages' exact due and done dates and their states as
of a day, equal to the stored stage rows; the stages at risk an exception report
raises; and nothing in them but references, the framework's words and dates.

Cases (the stage keys, titles and decisions are the framework's, never named here):

- RR-2026-001: the incident and the local authority's awareness on Monday 14 December
  2026, the Panel notified on Friday 18th. Across Christmas (bank holidays 25 and 28
  December, 1 January): notification due Monday 21 December, the rapid review and
  everything before the decision due Wednesday 13 January 2027.
- RR-2027-001: aware Monday 2 August 2027, notified Wednesday 4th; the rapid review,
  due Wednesday 25 August (15 working days), done on Tuesday 31st with its sign-off and
  the decision to hold the local review, whose completion is due 6 calendar months
  later, clamped to the end of February: 29 February 2028.
- RR-2027-002: decided on the same days with the decision that ends the case: closed.
- RR-2027-003: aware on 4 October 2027, after the day the papers are drawn up.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text

from qaframework.framework import Framework
from qaframework.papers.open_reviews import AWAITING_DECISION, ReviewLine, open_reviews, stages_at_risk
from qaframework.persistence.cases import open_case, record_stage
from qaframework.persistence.database import prepare, transaction
from qaframework.reviews.chain import CaseDates, stages_for

RATIONALE = "The criteria for a local review are met; the rationale stays in the case record."
CHRISTMAS = CaseDates(date(2026, 12, 14), date(2026, 12, 14), date(2026, 12, 18))
SUMMER = CaseDates(date(2027, 8, 2), date(2027, 8, 2), date(2027, 8, 4))
DECIDED = date(2027, 8, 31)
#: A branch stage's due date from a decision on 31 August 2027, by its rule's measure.
FROM_DECISION = {("working_days", 15): date(2027, 9, 21), ("working_days", 20): date(2027, 9, 28), ("calendar_months", 6): date(2028, 2, 29)}


def _review_decision(partnership: Framework) -> str:
    """The decision whose branch has a stage due 6 calendar months after it (the local review)."""
    chain = partnership.review_chain
    return next(d for d in chain.decisions for s in chain.stages.values()
                if s.branch == d and s.due and partnership.deadline_rules[s.due.rule].calendar_months == 6)


def _closing_decision(partnership: Framework) -> str:
    """The decision with no stages after it (no review)."""
    chain = partnership.review_chain
    return next(d for d in chain.decisions if not any(s.branch == d for s in chain.stages.values()))


def _decide(url: str, partnership: Framework, reference: str, decision: str) -> None:
    """Record every stage up to the decision, on 31 August 2027."""
    chain = partnership.review_chain
    for stage in stages_for(None, partnership):
        if stage.key == chain.notification_stage:
            continue
        form = {"decision": decision, "rationale": RATIONALE} if stage.kind == "decision" else {}
        with transaction(url) as session:
            record_stage(session=session, framework=partnership, reference=reference, stage=stage.key, done_on=DECIDED, actor="test", **form)


def _cases(url: str, partnership: Framework) -> list[str]:
    prepare(url)
    references = []
    for dates in (CHRISTMAS, SUMMER, SUMMER, CaseDates(date(2027, 10, 4), date(2027, 10, 4), None)):
        with transaction(url) as session:
            references.append(open_case(session=session, framework=partnership, dates=dates, opened_by_run=None, actor="test"))
    _decide(url, partnership, references[1], _review_decision(partnership))
    _decide(url, partnership, references[2], _closing_decision(partnership))
    return references


def _reviews(url: str, partnership: Framework, as_of: date, due_before: date | None = None) -> list[ReviewLine]:
    with transaction(url) as session:
        return open_reviews(session=session, framework=partnership, as_of=as_of, due_before=due_before)


def _rule(partnership: Framework, stage: str) -> tuple[str, int] | None:
    due = partnership.review_chain.stages[stage].due
    if due is None:
        return None
    rule = partnership.deadline_rules[due.rule]
    return next((n, getattr(rule, n)) for n in ("working_days", "calendar_days", "calendar_months") if getattr(rule, n) is not None)


def test_open_reviews_show_each_stage_s_exact_dates_by_reference_only(database_url: str, partnership: Framework) -> None:
    references = _cases(database_url, partnership)
    assert references == ["RR-2026-001", "RR-2027-001", "RR-2027-002", "RR-2027-003"]
    chain = partnership.review_chain
    before_decision = [s.key for s in stages_for(None, partnership)]
    decision = _review_decision(partnership)
    lines = _reviews(database_url, partnership, date(2027, 9, 30))
    assert [line.reference for line in lines] == ["RR-2026-001", "RR-2027-001"], "the closed case and the case not yet known are not listed"

    christmas, summer = lines
    assert (christmas.decision, christmas.decision_key) == (AWAITING_DECISION, None)
    assert [(s.stage, s.title) for s in christmas.stages] == [(k, chain.stages[k].title) for k in before_decision]
    assert [(s.due, s.done_on, s.state) for s in christmas.stages] == [
        (date(2026, 12, 21), date(2026, 12, 18), "on time"),
        *[(date(2027, 1, 13), None, "overdue")] * (len(before_decision) - 1),
    ]

    assert (summer.decision, summer.decision_key) == (chain.decisions[decision].title, decision)
    assert [s.stage for s in summer.stages] == [s.key for s in stages_for(decision, partnership)]
    dated = {s.stage: (s.due, s.done_on, s.state) for s in summer.stages}
    assert dated[before_decision[0]] == (date(2027, 8, 9), date(2027, 8, 4), "on time")
    for key in before_decision[1:]:
        assert dated[key] == (date(2027, 8, 25), DECIDED, "late"), key
    branch = [s for s in summer.stages if s.stage not in before_decision]
    assert branch and any(_rule(partnership, s.stage) == ("calendar_months", 6) for s in branch)
    for s in branch:
        rule = _rule(partnership, s.stage)
        due = FROM_DECISION[rule] if rule else None
        state = "open" if due is None or due >= date(2027, 9, 30) else "overdue"
        assert (s.due, s.done_on, s.state) == (due, None, state), (s.stage, rule)

    with transaction(database_url) as session:
        count = session.execute(text("SELECT COUNT(*) FROM review_case WHERE status = 'open' AND aware_date <= :d"), {"d": date(2027, 9, 30)}).scalar_one()
        stored = session.execute(text(
            "SELECT c.reference, s.stage, s.due, s.done_on FROM review_stage s JOIN review_case c ON c.id = s.case_id "
            "WHERE c.status = 'open' AND c.aware_date <= :d"), {"d": date(2027, 9, 30)}).all()
    assert count == len(lines)
    as_dates = {(r, k, date.fromisoformat(str(d)[:10]) if d else None, date.fromisoformat(str(x)[:10]) if x else None) for r, k, d, x in stored}
    assert as_dates == {(line.reference, s.stage, s.due, s.done_on) for line in lines for s in line.stages}


def test_a_stage_done_after_the_day_shows_as_not_done_and_the_decision_as_awaited(database_url: str, partnership: Framework) -> None:
    _cases(database_url, partnership)
    lines = _reviews(database_url, partnership, date(2027, 8, 30))
    assert [line.reference for line in lines] == ["RR-2026-001", "RR-2027-001", "RR-2027-002"], "both were open on 30 August"
    for line in lines[1:]:
        assert (line.decision, line.decision_key) == (AWAITING_DECISION, None)
        assert [s.stage for s in line.stages] == [s.key for s in stages_for(None, partnership)], "no branch before the decision"
        assert [(s.due, s.done_on, s.state) for s in line.stages[1:]] == [(date(2027, 8, 25), None, "overdue")] * (len(line.stages) - 1)


def test_stages_at_risk_are_those_overdue_or_due_before_the_next_meeting(database_url: str, partnership: Framework) -> None:
    _cases(database_url, partnership)
    christmas = [s.key for s in stages_for(None, partnership)][1:]
    titles = {k: s.title for k, s in partnership.review_chain.stages.items()}
    # The day before the rapid review is due, with the next meeting on Thursday 14 January.
    lines = _reviews(database_url, partnership, date(2027, 1, 12), due_before=date(2027, 1, 14))
    assert [line.reference for line in lines] == ["RR-2026-001"]
    assert [s.state for s in lines[0].stages] == ["on time"] + ["due before"] * len(christmas)
    risks = stages_at_risk(lines, before=date(2027, 1, 14), as_of=date(2027, 1, 12))
    assert [r.as_dict() for r in risks] == [
        {"reference": "RR-2026-001", "stage": k, "title": titles[k], "due": "2027-01-13", "state": "due before"} for k in sorted(christmas)]
    # Due on the day itself: neither overdue nor due before a meeting held that day.
    assert stages_at_risk(_reviews(database_url, partnership, date(2027, 1, 13)), before=date(2027, 1, 13), as_of=date(2027, 1, 13)) == []
    overdue = stages_at_risk(_reviews(database_url, partnership, date(2027, 1, 14)), before=date(2027, 1, 14), as_of=date(2027, 1, 14))
    assert [(r.stage, r.state) for r in overdue] == [(k, "overdue") for k in sorted(christmas)]
    # On 30 September 2027, before a meeting on 1 October: the Christmas case's stages are
    # overdue, and the summer case's branch stages due by then (none of the decision's own).
    later = stages_at_risk(_reviews(database_url, partnership, date(2027, 9, 30)), before=date(2027, 10, 1), as_of=date(2027, 9, 30))
    decision = _review_decision(partnership)
    branch = [s.key for s in stages_for(decision, partnership) if s.branch == decision]
    summer = sorted((FROM_DECISION[rule], key) for key in branch if (rule := _rule(partnership, key)) and FROM_DECISION[rule] < date(2027, 10, 1))
    assert summer, "a branch stage falls due within a month of the decision"
    assert [(r.reference, r.stage, r.due) for r in later] == [("RR-2026-001", k, date(2027, 1, 13)) for k in sorted(christmas)] + [
        ("RR-2027-001", k, due) for due, k in summer]
    assert {r.state for r in later} == {"overdue"}


def test_nothing_but_references_the_framework_s_words_and_dates(database_url: str, partnership: Framework) -> None:
    _cases(database_url, partnership)
    lines = [line.as_dict() for line in _reviews(database_url, partnership, date(2027, 9, 30), due_before=date(2027, 10, 1))]
    chain = partnership.review_chain
    allowed = ({"RR-2026-001", "RR-2027-001", AWAITING_DECISION, "on time", "late", "overdue", "due before", "open"}
               | set(chain.decisions) | {d.title for d in chain.decisions.values()} | set(chain.stages) | {s.title for s in chain.stages.values()})
    for line in json.loads(json.dumps(lines)):
        assert set(line) == {"reference", "decision", "decision_key", "stages"}
        for stage in line["stages"]:
            assert set(stage) == {"stage", "title", "due", "done_on", "state"}
            for field in ("due", "done_on"):
                assert stage[field] is None or date.fromisoformat(stage[field])
            assert {stage["stage"], stage["title"], stage["state"]} <= allowed
        assert {line["reference"], line["decision"]} <= allowed and line["decision_key"] in allowed | {None}
    assert RATIONALE not in json.dumps(lines)
