"""The scale benchmark's reads: one agency's calendar feed, and the returns dashboard."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlmodel import Session

from feeds import hand_written
from qaframework.feeds.catalog import FeedCatalog
from qaframework.feeds.rendering import FeedRenderer
from qaframework.framework import Framework
from qaframework.persistence.database import make_engine
from qaframework.persistence.reporting import assignee_names
from qaframework.persistence.return_reports import dashboard_return_facts
from qaframework.returns.dashboard import returns_tables
from qaframework.financial_year import FinancialYear
from timing import best_of

FEED_ROWS = (
    "SELECT o.key, o.title, o.kind, o.window_start, o.window_end, o.due, o.starts_at, o.ends_at FROM occurrence o "
    "WHERE o.id IN (SELECT occurrence_id FROM task WHERE assignee_kind = 'agency' AND assignee_key = :key)"
)


def bench_feed(url: str, framework: Framework, repeats: int = 5) -> None:
    """The agency with the most items: a refresh that finds nothing changed, and its feed
    rendered from nothing, against the bare SQL for its rows plus a hand-written formatter."""
    engine = make_engine(url)
    catalog = FeedCatalog(framework, engine, refresh_seconds=3600)
    first = best_of(catalog.refresh, 1)  # records every item's first version
    scopes = catalog._by_scope  # noqa: SLF001 - measuring internals
    scope = max((s for s in scopes if s.startswith("agency:")), key=lambda s: len(scopes[s]))
    entries = scopes[scope]
    items = [e[0] for e in entries]
    doc = framework.document

    def rows() -> None:
        with Session(engine) as session:
            session.execute(text(FEED_ROWS), {"key": scope.partition(":")[2]}).all()

    baseline = best_of(lambda: (rows(), hand_written(items)), repeats)
    render = best_of(lambda: FeedRenderer(doc.partnership.timezone, doc.feeds.refresh_interval_hours).render("Bench", "Bench", entries), 3)
    refresh = best_of(catalog.refresh, 3)
    served = best_of(lambda: catalog.feed(scope), repeats)
    total_items = sum(len(v) for v in scopes.values())
    engine.dispose()
    print(f"calendar feed of {scope} ({len(items):,} items; {total_items:,} items across {len(scopes)} feeds)")
    print(f"    baseline: bare SQL for its rows + hand-written formatter   {baseline * 1000:8.1f} ms")
    print(f"    its feed rendered from nothing (icalendar)                 {render * 1000:8.1f} ms   ratio {render / baseline:6.1f}")
    print(f"    a request once built (cached)                              {served * 1000:8.3f} ms   ratio {served / baseline:6.3f}")
    print(f"    background refresh, nothing changed (every feed)           {refresh * 1000:8.1f} ms   ratio {refresh / baseline:6.1f}")
    print(f"    first refresh, recording every item's version              {first * 1000:8.1f} ms")


EVERY_YEAR = (
    "SELECT t.*, o.* FROM task t JOIN occurrence o ON o.id = t.occurrence_id "
    "WHERE t.assignee_kind = 'agency' AND o.activity IN :activities AND o.kind != 'action' AND t.status != 'cancelled'"
)
#: The rows the dashboard shows: its financial year's (the Section 11 tables may show the
#: latest cycle's, a year or two before, which this baseline leaves out).
RETURN_ROWS = EVERY_YEAR + " AND o.financial_year = :year"


def bench_returns_dashboard(url: str, framework: Framework, day: date, repeats: int = 3) -> None:
    from sqlalchemy import bindparam

    engine = make_engine(url)
    activities = sorted({a for rt in framework.document.returns.values() for a in rt.activities})
    year = FinancialYear.containing(day).start_year

    def ours() -> None:
        with Session(engine) as session:
            facts = dashboard_return_facts(session=session, framework=framework, financial_year=year)
            returns_tables(facts, framework.document.returns, assignee_names(session=session), year, day)

    def bare() -> None:
        with Session(engine) as session:
            session.execute(text(RETURN_ROWS).bindparams(bindparam("activities", expanding=True)), {"activities": activities, "year": year}).all()
            session.execute(text("SELECT key, name FROM agency UNION ALL SELECT key, name FROM body")).all()

    with Session(engine) as session:
        rows = len(session.execute(text(EVERY_YEAR).bindparams(bindparam("activities", expanding=True)), {"activities": activities}).all())
    mine, baseline = best_of(ours, repeats), best_of(bare, repeats)
    engine.dispose()
    print(f"returns dashboard, FY {FinancialYear(year)} (out of {rows:,} return tasks in the database, every year)")
    print(f"    bare SQL selecting the same rows     {baseline * 1000:8.1f} ms")
    print(f"    the dashboard's tables               {mine * 1000:8.1f} ms   ratio {mine / baseline:6.1f}")
