"""Forms a person can fill in, read from their JSON schemas on each shipped framework
file: fields filled in for the user have one choice, dates are pre-filled with today,
each form says what pressing Resume does; run parameters: plan-year takes 2027 as well
as 2027/28 (through a real deployment), rapid-review marks ``aware`` required."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from qaframework.framework import Framework
from qaframework.reviews.chain import stage_named, stages_for


def _validate(parameters: dict[str, object], flow: object) -> list[str]:
    from prefect.utilities.schema_tools.validation import build_error_obj, is_valid_schema, validate

    schema = flow.parameters.model_dump()  # type: ignore[attr-defined]
    is_valid_schema(schema)
    errors = validate(parameters, schema, raise_on_error=False)
    return [e.message for e in errors] if not build_error_obj(errors)["valid"] else []


def test_each_review_stage_form_has_its_stage_fixed_today_filled_in_and_says_what_resume_does(partnership: Framework) -> None:
    from flows.rapid_review import DAY_FIELD, form_for, stage_form

    today = date(2027, 12, 24)
    stages = {s.key: s for s in stages_for(None, partnership)}
    for decision in partnership.review_chain.decisions:
        stages.update({s.key: s for s in stages_for(decision, partnership)})
    assert len(stages) >= 3
    for key in stages:
        stage = stage_named(partnership, key)
        schema = stage_form(partnership, stage, "RR-2027-004", date(2028, 1, 14), today).model_json_schema()
        fixed = schema["properties"]["stage"]
        assert (fixed.get("enum", [fixed.get("const")]), fixed["default"]) == ([key], key), key
        assert schema["properties"][DAY_FIELD.get(stage.kind, "done_on")]["default"] == "2027-12-24"
        assert "stage" not in schema.get("required", [])
        description = stage_form(partnership, stage, "RR-2027-004", date(2028, 1, 14), today)._description
        assert "RR-2027-004" in description and "then press Resume: it records" in description and "due 2028-01-14" in description
        form = form_for(partnership, stage)
        with pytest.raises(ValueError):
            form.model_validate({"stage": f"{key}-other", **{f: "2027-12-24" for f in ("done_on", "signed_off_on", "decided_on")}})


def test_the_return_form_fixes_the_agency_and_period(partnership: Framework) -> None:
    from flows.submit_return import return_form
    from qaframework.persistence.returns import as_return_task
    from qaframework.persistence.tables import Occurrence, Task
    from tests.completion.conftest import return_task

    reference, occurrence, agency = return_task(partnership)
    task = as_return_task(Task(id=1, assignee_kind="agency", assignee_key=agency, due=occurrence.due, status="open", occurrence_id=1),
                          Occurrence(key=occurrence.key, activity=occurrence.activity, kind=occurrence.kind, title=occurrence.title,
                                     financial_year=2027, period=occurrence.period, window_start=occurrence.start,
                                     window_end=occurrence.end, due=occurrence.due))
    properties = return_form(partnership, task).model_json_schema()["properties"]
    assert (properties["agency"]["enum"], properties["agency"]["default"]) == ([agency], agency)
    assert (properties["period"]["enum"], properties["period"]["default"]) == ([task.period_label], task.period_label)


def test_the_evaluation_form_fixes_the_action_and_prefills_today() -> None:
    from flows.evaluate_action import evaluation_form

    schema = evaluation_form("A-2027-0001", "Evaluate A-2027-0001", date(2027, 12, 29)).model_json_schema()
    assert (schema["properties"]["reference"]["enum"], schema["properties"]["evaluated_on"]["default"]) == (["A-2027-0001"], "2027-12-29")


def test_the_task_form_says_what_resume_does() -> None:
    from flows.complete_task import task_form
    from qaframework.persistence.completion import TaskLine

    line = TaskLine(1, "focus-group/2027-07/unit", "focus-group/2027-07", "focus-group", "activity", "Focus group", "body", "unit",
                    date(2027, 7, 30), "open", date(2027, 7, 1), None, None, "")
    form = task_form(line, "Business unit manager", date(2027, 7, 30))
    assert "then press Resume: it records the task as done and stops its reminders" in form._description  # type: ignore[attr-defined]
    properties = form.model_json_schema()["properties"]
    assert (properties["done_on"]["default"], properties["done_by"]["default"]) == ("2027-07-30", "Business unit manager")


def test_rapid_review_marks_aware_required_and_plan_year_takes_a_number() -> None:
    from flows.plan_year import plan_year
    from flows.rapid_review import rapid_review

    schema = rapid_review.parameters.model_dump()
    assert "aware" in schema["required"]
    assert "null" not in str(schema["properties"]["aware"])
    assert _validate({"notified": "2027-03-25"}, rapid_review), "a run without aware is refused"
    assert _validate({"aware": "2027-03-24"}, rapid_review) == []
    for value in (2027, "2027", "2027/28"):
        assert _validate({"financial_year": value}, plan_year) == [], value
    fy = plan_year.parameters.model_dump()["properties"]["financial_year"]
    assert fy["default"] == "next" and "null" not in str(fy)


@pytest.fixture(scope="module")
def served_plan_year(prefect_api: None) -> Iterator[None]:
    from flows.plan_year import plan_year
    from tests.flows.runner import served

    with served(plan_year, "plan-year"):
        yield


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_plan_year_deployment_takes_2027_as_a_number(served_plan_year: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.deployments import run_deployment

    from tests.flows.runner import wait_for

    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    run = run_deployment("plan-year/plan-year", parameters={"financial_year": 2027, "as_of": "2027-03-01"}, timeout=0)
    finished = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED" and finished.name == "plan-2027/28"
    from sqlalchemy import func, select

    from qaframework.persistence.database import transaction
    from qaframework.persistence.tables import Occurrence

    with transaction(database_url) as session:
        years = dict(session.execute(select(Occurrence.financial_year, func.count()).group_by(Occurrence.financial_year)).all())
    assert set(years) == {2027} and years[2027] > 0
