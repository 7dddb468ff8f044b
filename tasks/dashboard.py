"""Publishing the business unit's dashboard to the Prefect UI as artifacts.

Stable keys (``today``, ``compliance-dashboard``, ``calendar-next-30-days``) make the UI
keep one history of versions per artifact. Only agency and body names, counts, titles and
dates are published: never case details, nor what people typed.

The Prefect UI (3.8) lists a run's artifacts newest id first, and ids are random, so
neither the key nor the time orders them; the classic UI shows the artifacts a flow run
creates itself above those its tasks create. The ``today`` view is therefore published
by the flow itself (``publish_today``, not a task) and every other artifact by a task.
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from qaframework.compliance import compliance_rows_from_counts, upcoming_markdown
from qaframework.deadlines import working_day_calendar
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.reporting import assignee_names, assignees_by_occurrence, calendar_items, compliance_counts
from qaframework.persistence.today_facts import today_facts
from qaframework.today import today_markdown, today_view
from tasks.retrying import retry_transient

TODAY_KEY = "today"
COMPLIANCE_KEY = "compliance-dashboard"
CALENDAR_KEY = "calendar-next-30-days"


@task(name="read-today", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def read_today(database_url: str, framework: Framework, on: date) -> dict[str, object]:
    """The business unit's day as plain rows (``qaframework.today``), as ``qaf today --json`` shows it."""
    with transaction(database_url) as session:
        facts = today_facts(session=session, framework=framework, on=on)
    return today_view(facts, on, working_day_calendar(framework))


def publish_today(view: dict[str, object]) -> str:
    """The ``today`` artifact. Called from the flow, not from a task, so that it is the
    flow run's own artifact (the classic UI shows those above the tasks' ones) and, the
    dashboards being its subflow's, the only one on the run's page."""
    markdown = today_markdown(view)
    on = date.fromisoformat(str(view["as_of"]))
    counts = (len(view["overdue"]), len(view["due_this_week"]))  # type: ignore[arg-type]
    create_markdown_artifact(key=TODAY_KEY, markdown=markdown,
                             description=f"The business unit's day, {on:%d %B %Y}: {counts[0]} overdue, {counts[1]} due this week.")
    return markdown


@task(name="publish-compliance-dashboard", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_compliance_dashboard(database_url: str, on: date, zone: str, agencies: list[str]) -> list[dict[str, object]]:
    with transaction(database_url) as session:
        rows = compliance_rows_from_counts(compliance_counts(session=session, zone=zone), assignee_names(session=session), always=agencies)
    table = [r.as_dict() for r in rows]
    create_table_artifact(
        key=COMPLIANCE_KEY,
        table=table,
        description=f"Every task by agency and body, {on:%d %b %Y}: a survey is a task, not a return.",
    )
    return table


@task(name="publish-upcoming-calendar", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_upcoming_calendar(database_url: str, on: date, zone: str, days: int = 30) -> str:
    with transaction(database_url) as session:
        items = calendar_items(session=session, start=on, end=on + timedelta(days=days), zone=zone)
        names = assignee_names(session=session)
        holders = assignees_by_occurrence(session=session, keys=[i.key for i in items])
    for_whom = {key: [names.get(k, k) for _, k in sorted(held)] for key, held in holders.items()}
    markdown = upcoming_markdown(items, on, days, for_whom)
    create_markdown_artifact(key=CALENDAR_KEY, markdown=markdown, description=f"What opens, falls due or meets in the {days} days from {on:%d %B %Y}, and for whom.")
    return markdown
