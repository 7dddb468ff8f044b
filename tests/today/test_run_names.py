"""Every flow's run is named after what it is about, read back from the Prefect API: the
day, the year, the task, the action, the finding's subject, the meeting, the return's
task, the case (and, in tests/flows, the case's stage). Runs that refuse their input are
named too, so the failed run says what it was for."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from qaframework.framework import Framework
from qaframework.persistence.database import prepare
from tests.partnerships.conftest import sqlite_only

pytestmark = sqlite_only


@pytest.fixture
def flow_database(prefect_api: None, database_url: str, partnership: Framework, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QAF_RETURNS_INBOX", str(tmp_path / "inbox"))
    monkeypatch.delenv("QAF_SMTP_HOST", raising=False)
    prepare(database_url)
    return database_url


def name_of(state: Any) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name  # type: ignore[no-any-return]


def test_the_daily_and_yearly_jobs_are_named_after_their_day_and_year(flow_database: str) -> None:
    from flows.check_deadlines import check_deadlines
    from flows.open_activities import open_activities
    from flows.plan_year import plan_year
    from flows.sweep_returns_inbox import sweep_returns_inbox

    assert name_of(plan_year(2027, as_of=date(2027, 3, 1), return_state=True)) == "plan-2027/28"
    assert name_of(plan_year(as_of=date(2028, 3, 1), return_state=True)) == "plan-2028/29", "the default: the year after as_of's"
    assert name_of(open_activities(date(2027, 12, 29), return_state=True)) == "open-2027-12-29"
    assert name_of(check_deadlines(date(2027, 12, 25), return_state=True)) == "deadlines-2027-12-25", "named even on Christmas Day, when it skips"
    assert re.fullmatch(r"inbox-2027-05-04-\d{4}", name_of(sweep_returns_inbox(date(2027, 5, 4), return_state=True)))


def test_the_form_flows_are_named_after_their_subject_even_when_they_refuse_it(flow_database: str, partnership: Framework) -> None:
    from flows.complete_task import complete_task
    from flows.evaluate_action import evaluate_action
    from flows.rapid_review import rapid_review
    from flows.record_findings import record_findings
    from flows.record_meeting import record_meeting
    from flows.submit_return import submit_return

    body = next(iter(partnership.bodies))
    runs = {
        "task-nothing/2099-04/nobody": complete_task("nothing/2099-04/nobody", return_state=True),
        "evaluate-A-2099-0001": evaluate_action("A-2099-0001", return_state=True),
        "finding-nothing/2099-05": record_findings("nothing/2099-05", return_state=True),
        f"meeting-{body}-2099-06-08": record_meeting(body, date(2099, 6, 8), return_state=True),
        "return-nothing/2099-04/nobody": submit_return("nothing/2099-04/nobody", return_state=True),
        "case-RR-2099-999": rapid_review(date(2099, 1, 4), reference="RR-2099-999", return_state=True),
    }
    for expected, state in runs.items():
        assert state.is_failed(), (expected, state)
        assert name_of(state) == expected
