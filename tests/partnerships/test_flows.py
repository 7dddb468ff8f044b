"""The scheduled flows under a real Prefect API, with QAF_FRAMEWORK_FILE naming each
partnership's file: plan its year, open its first windows, check their deadlines and
send the reminders to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest

from flows.check_deadlines import check_deadlines
from flows.open_activities import open_activities
from flows.plan_year import plan_year
from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.yearly_plan import plan_financial_year
from tests.flows.conftest import qaf_database  # noqa: F401 - the flows' database (the Prefect API is tests/conftest.py's)
from tests.partnerships.conftest import emails_of, sqlite_only
from tests.reminders.conftest import SmtpServer


@sqlite_only
def test_plan_open_and_check_the_partnerships_year(qaf_database: str, partnership: Framework, smtp: SmtpServer,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    for name, value in (("QAF_SMTP_HOST", "127.0.0.1"), ("QAF_SMTP_PORT", str(smtp.port)), ("QAF_SMTP_SECURITY", "none")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("QAF_EMAIL_FROM", raising=False)
    wd = working_day_calendar(partnership)
    year = FinancialYear(partnership.document.section11.year_one)
    plan = plan_financial_year(partnership, year)
    owed = [o for o in plan if o.due is not None]

    result = plan_year(str(year), as_of=year.start - timedelta(days=1))
    assert (result["occurrences_created"], result["tasks_created"]) == (len(plan), sum(len(o.assignees) for o in owed))
    again = plan_year(str(year.start_year), as_of=year.start - timedelta(days=1))
    assert (again["occurrences_created"], again["tasks_created"]) == (0, 0)

    day = wd.on_or_after(min(o.start for o in owed))
    opened = open_activities(day)
    started = [o for o in owed if o.start <= day and o.assignees]
    assert set(opened["occurrences"]) == {o.key for o in started}  # type: ignore[arg-type]
    assert opened["opened"] == sum(len(o.assignees) for o in started)

    checked_on = wd.add_working_days(min(o.due for o in started), 1)  # type: ignore[type-var]
    checked = check_deadlines(checked_on)
    assert checked["newly_overdue"] == sum(len(o.assignees) for o in started if o.due < checked_on) > 0  # type: ignore[operator]
    messages = smtp.mailbox.messages
    assert checked["emails_sent"] == len(messages) > 0
    unit = partnership.bodies[partnership.role("business_unit")].email
    assert {parseaddr(m["From"])[1] for m in messages} == {unit}
    assert {parseaddr(m["To"])[1] for m in messages} <= emails_of(partnership)
