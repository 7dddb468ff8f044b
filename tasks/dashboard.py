"""Publishing the business unit's dashboard to the Prefect UI as artifacts.

Stable keys (``compliance-dashboard``, ``calendar-next-30-days``) make the UI keep one
history of versions per artifact. Only agency and body names, counts, titles and dates
are published: never case details.
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from qaframework.compliance import compliance_rows, upcoming_markdown
from qaframework.persistence.database import transaction
from qaframework.persistence.reporting import assignee_names, calendar_items, task_facts
from tasks.retrying import retry_transient

COMPLIANCE_KEY = "compliance-dashboard"
CALENDAR_KEY = "calendar-next-30-days"


@task(name="publish-compliance-dashboard", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_compliance_dashboard(database_url: str, on: date, zone: str, agencies: list[str]) -> list[dict[str, object]]:
    with transaction(database_url) as session:
        rows = compliance_rows(task_facts(session=session, zone=zone), assignee_names(session=session), always=agencies)
    table = [r.as_dict() for r in rows]
    create_table_artifact(
        key=COMPLIANCE_KEY,
        table=table,
        description=f"Tasks open, submitted, overdue and submitted late, per agency and body, as of {on:%d %B %Y}.",
    )
    return table


@task(name="publish-upcoming-calendar", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_upcoming_calendar(database_url: str, on: date, zone: str, days: int = 30) -> str:
    with transaction(database_url) as session:
        items = calendar_items(session=session, start=on, end=on + timedelta(days=days), zone=zone)
    markdown = upcoming_markdown(items, on, days)
    create_markdown_artifact(key=CALENDAR_KEY, markdown=markdown, description=f"What opens, falls due or meets in the {days} days from {on:%d %B %Y}.")
    return markdown
