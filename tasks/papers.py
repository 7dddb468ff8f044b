"""Prefect tasks around meeting papers: which meetings' papers are due, building them
(files under the data folder, rows and notices in our database), and the markdown
artifact of each pack (without the free text people typed: everyone with access to the
Prefect UI sees it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from qaframework.framework import Framework
from qaframework.papers.building import PACK, build_papers
from qaframework.papers.schedule import papers_due_by
from qaframework.persistence.database import transaction
from qaframework.persistence.paper_facts import meeting_facts
from tasks.retrying import retry_transient


@task(name="meetings-with-papers-due", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def meetings_with_papers_due(database_url: str, framework: Framework, today: date) -> list[tuple[str, date]]:
    """(body, meeting day) of each meeting whose papers deadline has come and that is not
    held, cancelled or past."""
    with transaction(database_url) as session:
        return [(m.body, m.day) for m in papers_due_by(meeting_facts(session=session, framework=framework), today)]


@task(name="build-meeting-papers", retries=2, retry_delay_seconds=10, retry_condition_fn=retry_transient, cache_policy=NONE)
def build_meeting_papers(database_url: str, framework: Framework, data_dir: Path, body: str, day: date, as_of: date, actor: str) -> dict[str, object]:
    """Build the meeting's exception reports and pack once: a paper already built is left
    as it is (a re-run or a concurrent run builds nothing twice)."""
    with transaction(database_url) as session:
        built = build_papers(session=session, framework=framework, data_dir=data_dir, body=body, day=day, as_of=as_of, actor=actor, once=True)
    pack = next(p for p in built.papers if p.kind == PACK)
    if pack.new:
        create_markdown_artifact(
            key=f"papers-{body}-{day.isoformat()}", markdown=pack.markdown,
            description=f"{built.pack.title}: version {pack.stored.version}, {len(built.pack.agenda)} agenda items (cases by reference only; "
                        f"findings' and actions' own words are in the PDF and Word files)",
        )
    return {"body": body, "meeting": day.isoformat(), "built": built.built,
            "papers": [{"kind": p.kind, "body": p.body, "version": p.stored.version, "new": p.new} for p in built.papers]}
