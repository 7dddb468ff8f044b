"""A review case through every decision branch of each partnership's chain: stages in
order, each a task for the body playing the stage's role, due dates by the chain's rules,
closed when its branch is done; and once through ``qaf rapid-review``."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from qaframework.deadlines import deadline
from qaframework.framework import Framework
from qaframework.persistence.cases import CaseError, case_view, open_case, record_stage
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.tables import ReviewCase
from qaframework.reviews.chain import CaseDates, Stage, decisions, due_dates, next_stage, stages, stages_for
from tests.partnerships.conftest import Qaf, sqlite_only, stored_tasks
from tests.reminders.conftest import free_port

#: Friday 8 January 2027 the incident, Monday 11 January the local authority knew.
DATES = CaseDates(date(2027, 1, 8), date(2027, 1, 11), None)
RATIONALE = "The criteria are met; the rationale stays in the case record."


def _clock_start(partnership: Framework) -> date:
    by_incident = partnership.document.serious_incident.clock_starts_at == "incident"
    return DATES.incident if by_incident and DATES.incident else DATES.aware  # type: ignore[return-value]


def _form(stage: Stage, decision: str) -> dict[str, str]:
    """What the stage's form needs besides its date."""
    if stage.kind == "sign-off":
        return {"signed_by": stage.signed_by[0]}
    if stage.kind == "decision":
        return {"decision": decision, "rationale": RATIONALE}
    return {}


def _done_on(partnership: Framework, stage: Stage, done: dict[str, date], decided: str | None) -> date:
    """The day to record the stage: its due date, or the day the stage before it was done
    if that is later (or the stage has no due date)."""
    due = due_dates(partnership, DATES, done, decided)[stage.key]
    return max([DATES.aware, *done.values(), *([due] if due else [])])


def _stage_tasks(url: str, reference: str) -> dict[str, tuple[str, str, str, date | None, str]]:
    return {o.key.rsplit("/", 1)[1]: (o.activity, t.assignee_kind, t.assignee_key, t.due, t.status)
            for t, o in stored_tasks(url) if f"/{reference}/" in o.key}


def _check(url: str, partnership: Framework, reference: str, done: dict[str, date], decided: str | None) -> None:
    """Due dates as the chain's rules give them; a task for each dated stage, held by the
    body playing its role, closed once done."""
    chain = partnership.review_chain
    expected = due_dates(partnership, DATES, done, decided)
    with transaction(url) as session:
        view = case_view(session=session, framework=partnership, reference=reference)
    assert {s.key: s.due for s in view.stages} == expected
    assert {s.key: s.done_on for s in view.stages if s.done_on} == done
    tasks = _stage_tasks(url, reference)
    assert set(tasks) == {k for k, due in expected.items() if due is not None}
    for key, (activity, kind, holder, due, status) in tasks.items():
        spec = chain.stages[key]
        assert (activity, kind, holder, due) == (chain.activity_of(spec.branch), "body", partnership.role(spec.holder), expected[key]), key
        assert status == ("closed" if key in done else "open"), key


def test_a_case_follows_every_decision_branch_of_the_chain(database_url: str, partnership: Framework) -> None:
    prepare(database_url)
    chain = partnership.review_chain
    first = chain.notification_stage
    assert decisions(partnership) == list(chain.decisions)
    for decision in decisions(partnership):
        with transaction(database_url) as session:
            reference = open_case(session=session, framework=partnership, dates=DATES, opened_by_run=None, actor="test")
        path = stages_for(decision, partnership)
        assert path[0].key == first
        with transaction(database_url) as session:
            view = case_view(session=session, framework=partnership, reference=reference)
        assert view.stages[0].due == deadline(partnership, chain.stages[first].due.rule, _clock_start(partnership))  # type: ignore[union-attr]

        done: dict[str, date] = {}
        decided: str | None = None
        for i, stage in enumerate(path):
            _check(database_url, partnership, reference, done, decided)
            assert next_stage(decided, done, partnership) == stage
            done_on = _done_on(partnership, stage, done, decided)
            off_path = [s for s in stages(partnership) if s not in path] if decided else []
            with transaction(database_url) as session:
                for other in path[i + 1:] + off_path:
                    with pytest.raises(CaseError, match=f"the next stage is {stage.key}, not {other.key}"):
                        record_stage(session=session, framework=partnership, reference=reference, stage=other.key,
                                     done_on=done_on, actor="test", **_form(other, decision))
                if stage.kind == "sign-off":
                    with pytest.raises(CaseError, match="signed off by one of"):
                        record_stage(session=session, framework=partnership, reference=reference, stage=stage.key,
                                     done_on=done_on, actor="test", signed_by="Someone not on the list")
            with transaction(database_url) as session:
                view = record_stage(session=session, framework=partnership, reference=reference, stage=stage.key,
                                    done_on=done_on, actor="test", **_form(stage, decision))
            done[stage.key] = done_on
            decided = decision if stage.kind == "decision" else decided
            assert view.status == ("closed" if i == len(path) - 1 else "open"), (decision, stage.key)
            assert view.next_stage == (path[i + 1].key if i + 1 < len(path) else None)

        _check(database_url, partnership, reference, done, decided)
        with transaction(database_url) as session:
            case = session.execute(select(ReviewCase).where(ReviewCase.reference == reference)).scalar_one()
        assert (case.status, case.decision, case.kind) == ("closed", decision, chain.activity_of(decision))


@sqlite_only
def test_a_case_through_the_cli(partnership_qaf: Qaf, database_url: str, partnership: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QAF_PREFECT_PORT", str(free_port()))  # no Prefect answers there
    longest = max(decisions(partnership), key=lambda d: len(stages_for(d, partnership)))
    path = stages_for(longest, partnership)
    code, out, err = partnership_qaf("rapid-review", "start", "--aware", DATES.aware.isoformat(), "--incident", DATES.incident.isoformat())  # type: ignore[union-attr]
    assert code == 0, err
    found = re.search(r"Opened case ([A-Z]+-[0-9]{4}-[0-9]{3})\.", out)
    assert found, out
    reference = found.group(1)
    assert "Prefect is not running for this installation" in out

    decision_stage = next(s for s in path if s.kind == "decision")
    code, _, err = partnership_qaf("rapid-review", "record", reference, decision_stage.key, "--on", DATES.aware.isoformat(),
                                   "--decision", longest, "--rationale", RATIONALE)
    assert code == 2 and f"the next stage is {path[0].key}, not {decision_stage.key}" in err

    done: dict[str, date] = {}
    for stage in path:
        on = _done_on(partnership, stage, done, longest)
        form = [f"--{name.replace('_', '-')}={value}" for name, value in _form(stage, longest).items()]
        code, out, err = partnership_qaf("rapid-review", "record", reference, stage.key, "--on", on.isoformat(), *form)
        assert code == 0, (stage.key, err)
        done[stage.key] = on
    assert f"{reference}  closed, decision {longest}" in out
    code, out, err = partnership_qaf("cases")
    assert code == 0 and "0 open cases." in out, err
    holders = {key: holder for key, (_, _, holder, _, _) in _stage_tasks(database_url, reference).items()}
    dated = [s.key for s in path if due_dates(partnership, DATES, done, longest)[s.key] is not None]
    assert holders == {key: partnership.role(partnership.review_chain.stages[key].holder) for key in dated}
