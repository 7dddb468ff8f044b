"""Prefect tasks around returns: thin wrappers over qaframework.persistence.returns and the
inbox folder, with retries for transient database errors only.

Receiving is idempotent (one row per task and content), so a retried or repeated task
stores nothing twice. Artifacts carry agency names, activity titles, counts and colours:
never a return's content.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE

from qaframework.errors import UntrustedInputError
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.reporting import assignee_names
from qaframework.persistence.return_reports import SubmissionLine, dashboard_return_facts, submissions
from qaframework.persistence.returns import StoredSubmission, find_return_task, receive_return
from qaframework.financial_year import FinancialYear
from qaframework.returns.dashboard import ARTIFACT_DESCRIPTIONS, for_the_ui, returns_tables
from qaframework.returns.documents import MAX_BYTES
from qaframework.returns.inbox import InboxFile, claim, file_away, ignored_entries, waiting_files
from qaframework.returns.validation import ReturnTask
from qaframework.untrusted import read_untrusted_head
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@task(name="read-return-task", **DB)
def read_return_task(database_url: str, framework: Framework, reference: str) -> ReturnTask:
    with transaction(database_url) as session:
        return find_return_task(session=session, framework=framework, reference=reference)


@task(name="receive-return", **DB)
def receive(database_url: str, framework: Framework, data: bytes, filename: str, source: str, actor: str,
            agency_hint: str | None = None, file_format: str | None = None, received_at: datetime | None = None,
            size: int | None = None) -> StoredSubmission:
    with transaction(database_url) as session:
        return receive_return(session=session, framework=framework, data=data, filename=filename, source=source,
                              actor=actor, agency_hint=agency_hint, file_format=file_format, received_at=received_at, size=size)


@task(name="submissions-of-run", **DB)
def submissions_of_run(database_url: str, actor: str) -> list[SubmissionLine]:
    with transaction(database_url) as session:
        return submissions(session=session, actor=actor, oldest_first=True)


@task(name="list-inbox", cache_policy=NONE)
def list_inbox(inbox: Path, agencies: list[str], settle_seconds: float) -> list[InboxFile]:
    return waiting_files(inbox, set(agencies), settle_seconds)


@task(name="claim-inbox-file", retries=2, retry_delay_seconds=5, cache_policy=NONE)
def claim_inbox_file(inbox: Path, item: InboxFile) -> InboxFile | None:
    return claim(inbox, item)


@task(name="count-ignored-inbox-entries", cache_policy=NONE)
def count_ignored(inbox: Path, agencies: list[str]) -> int:
    return ignored_entries(inbox, set(agencies))


@task(name="read-inbox-file", retries=2, retry_delay_seconds=5, cache_policy=NONE)
def read_inbox_file(item: InboxFile) -> tuple[bytes, int] | None:
    """The file's bytes (only as far as the size limit: a larger file is refused unread)
    and its size; None if another sweep has already taken it."""
    try:
        return read_untrusted_head(item.path, limit=MAX_BYTES, what="inbox file")
    except UntrustedInputError:
        if not item.path.exists():
            return None
        raise


@task(name="file-away", retries=2, retry_delay_seconds=5, cache_policy=NONE)
def move_received(inbox: Path, item: InboxFile, status: str, submission_id: int, on: date) -> str | None:
    moved = file_away(inbox, item, status, submission_id, on)
    return str(moved) if moved else None


@task(name="publish-returns-dashboard", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_returns_dashboard(database_url: str, framework: Framework, on: date, financial_year: int) -> dict[str, list[dict[str, object]]]:
    """Returns received, outstanding and late per agency and per activity, and the Section
    11 self-assessment's Red / Amber / Green by domain, as table artifacts (with markers
    and totals rows, ``for_the_ui``); returns the rows as ``qaf returns status`` shows them."""
    with transaction(database_url) as session:
        facts = dashboard_return_facts(session=session, framework=framework, financial_year=financial_year)
        names = assignee_names(session=session)
    tables = returns_tables(facts, framework.document.returns, names, financial_year, on)
    for key, table in tables.items():
        year = f", FY {FinancialYear(financial_year)}, {on:%d %b %Y}" if key.startswith("returns-") else f", {on:%d %b %Y}"
        create_table_artifact(key=key, table=for_the_ui(key, table) or [{"note": "nothing yet"}], description=f"{ARTIFACT_DESCRIPTIONS[key]}{year}.")
    return tables
