"""Feeds issued with ``qaf feeds issue``, served over real HTTP and read with icalendar:
each audience sees what the partnership's file says it should, and case deadlines reach
only the case-deadline audience, by reference."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import icalendar
import pytest
from sqlalchemy import select, update

from qaframework.deadlines import working_day_calendar
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import Occurrence, ReviewCase
from qaframework.reviews.chain import CaseDates, due_dates
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year
from tests.feeds.conftest import CANARY, catalog, clock  # noqa: F401 - fixtures over this module's `planned`
from tests.feeds.parsers import by_icalendar
from tests.feeds.test_feed_server import server  # noqa: F401 - the feed server over real HTTP
from tests.partnerships.conftest import Qaf, feed_domain, stored_tasks


def _year(partnership: Framework) -> FinancialYear:
    return FinancialYear(partnership.document.section11.year_one)


def _case_dates(partnership: Framework) -> CaseDates:
    wd = working_day_calendar(partnership)
    aware = wd.on_or_after(_year(partnership).start + timedelta(days=70))
    return CaseDates(aware - timedelta(days=2), aware, wd.add_working_days(aware, 2))


@pytest.fixture
def planned(database_url: str, partnership: Framework) -> str:
    """The cycle's first year planned with every task, and a review case opened with
    private notes that must never reach a feed."""
    prepare(database_url)
    year = _year(partnership)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
        write_plan(session=session, occurrences=plan_financial_year(partnership, year), actor="test", as_of=year.start)
        reference = open_case(session=session, framework=partnership, dates=_case_dates(partnership), opened_by_run=None, actor="test")
        session.execute(update(ReviewCase).where(ReviewCase.reference == reference).values(private_notes=CANARY))
    return database_url


def _uid(partnership: Framework, kind: str, occurrence: PlannedOccurrence | Occurrence) -> str:
    return f"{kind}/{occurrence.key}@{feed_domain(partnership)}"


def _ids(data: bytes) -> set[str]:
    return set(by_icalendar(data))


def test_each_feed_shows_its_audience_what_the_file_gives_it(partnership_qaf: Qaf, planned: str, server: str, partnership: Framework) -> None:
    def fetch(key: str) -> bytes:
        code, out, err = partnership_qaf("feeds", "issue", key)
        assert code == 0, err
        found = re.search(r"/feeds/[^/\s]+/[^/\s]+\.ics", out)
        assert found, out
        response = httpx.get(server + found.group(0), timeout=30)
        assert response.status_code == 200
        return response.content

    plan = plan_financial_year(partnership, _year(partnership))
    held: dict[str, set[str]] = {}
    for task, occurrence in stored_tasks(planned):
        if task.assignee_kind == "agency":
            held.setdefault(task.assignee_key, set()).add(occurrence.key)
    agency = max(held, key=lambda k: (bool(partnership.agencies[k].attends), len(held[k])))
    feeds = {f"body:{key}": fetch(key) for key in partnership.bodies}
    feeds["partnership"] = fetch("partnership")
    feeds[f"agency:{agency}"] = fetch(agency)

    with transaction(planned) as session:
        reference = session.execute(select(ReviewCase.reference)).scalar_one()
        stages = [o for o in session.execute(select(Occurrence)).scalars() if f"/{reference}/" in o.key]
    case_uids = {_uid(partnership, "due", o) for o in stages}
    dues = due_dates(partnership, _case_dates(partnership), {}, None)
    assert len(case_uids) == sum(1 for d in dues.values() if d is not None) > 0

    _check_planned_work(partnership, plan, feeds, agency, held[agency], case_uids)
    _check_case_deadlines(partnership, feeds, reference, case_uids, set(dues.values()))


def _check_planned_work(partnership: Framework, plan: list[PlannedOccurrence], feeds: dict[str, bytes], agency: str,
                        agency_work: set[str], case_uids: set[str]) -> None:
    windows = [o for o in plan if o.kind == "activity"]
    meetings = [o for o in plan if o.kind == "meeting"]
    unit = partnership.role("business_unit")

    # The business unit's feed and the partnership's: every planned window on its dates.
    for scope in (f"body:{unit}", "partnership"):
        reading = by_icalendar(feeds[scope])
        for o in windows:
            start, end, status, _ = reading[_uid(partnership, "window", o)]
            assert (start, end, status) == (o.start.isoformat(), (o.end + timedelta(days=1)).isoformat(), "CONFIRMED"), scope
        assert {_uid(partnership, "meeting", o) for o in meetings} <= set(reading), scope

    # The agency: its tasks' activities and the meetings of the bodies it attends, no more.
    attends = set(partnership.agencies[agency].attends)
    mine = [o for o in windows if o.key in agency_work]
    expected = ({_uid(partnership, "window", o) for o in mine} | {_uid(partnership, "due", o) for o in mine if o.due}
                | {_uid(partnership, "meeting", o) for o in meetings if o.activity in attends})
    assert mine and _ids(feeds[f"agency:{agency}"]) == expected

    # Every other body: its meetings and their papers, the reports it owes the body it
    # reports to, and the activities it holds tasks for.
    for key, body in partnership.bodies.items():
        if key == unit:
            continue
        its_work = [o for o in windows if ("body", key) in {(a.kind, a.key) for a in o.assignees}]
        expected = ({_uid(partnership, kind, o) for o in meetings if o.activity == key for kind in ("meeting", "papers")}
                    | {f"report/{key}/{o.key}@{feed_domain(partnership)}" for o in meetings if o.activity == body.reports_to}
                    | {_uid(partnership, "window", o) for o in its_work} | {_uid(partnership, "due", o) for o in its_work if o.due})
        assert _ids(feeds[f"body:{key}"]) - case_uids == expected, key


def _check_case_deadlines(partnership: Framework, feeds: dict[str, bytes], reference: str, case_uids: set[str], dues: set[date | None]) -> None:
    """Only the audience's bodies see them, known by the case reference alone."""
    audience = {f"body:{b}" for b in partnership.case_deadline_audience}
    assert audience < set(feeds)
    for scope, data in feeds.items():
        assert CANARY.encode() not in data, scope
        reading = by_icalendar(data)
        assert case_uids & set(reading) == (case_uids if scope in audience else set()), scope
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            if str(event["UID"]) in case_uids:
                assert str(event["SUMMARY"]).startswith(reference) and reference in str(event["DESCRIPTION"])
                assert date.fromisoformat(reading[str(event["UID"])][0]) in dues


def test_a_meeting_recorded_as_cancelled_is_cancelled_in_the_feeds_with_its_papers(planned: str, partnership: Framework) -> None:
    """Before, a meeting recorded as cancelled stayed CONFIRMED in every partner's calendar."""
    from qaframework.feeds.catalog import FeedCatalog
    from qaframework.feeds.items import PARTNERSHIP, body_scope
    from qaframework.persistence.database import make_engine
    from qaframework.persistence.meetings import record_cancelled
    from tests.feeds.conftest import Clock

    year = _year(partnership)
    meeting = next(o for o in plan_financial_year(partnership, year) if o.kind == "meeting" and o.activity in partnership.bodies)
    body = meeting.activity  # a meeting occurrence is its body's
    other = next(o for o in plan_financial_year(partnership, year) if o.kind == "meeting" and o.key != meeting.key)
    engine = make_engine(planned)
    clock = Clock()
    try:
        catalog = FeedCatalog(partnership, engine, refresh_seconds=0, clock=clock)
        before = by_icalendar(catalog.feed(PARTNERSHIP).body)
        uids = {_uid(partnership, kind, meeting) for kind in ("meeting", "papers")} & set(before)
        assert _uid(partnership, "meeting", meeting) in uids and {before[u][2] for u in uids} == {"CONFIRMED"}
        clock.now += timedelta(days=1)
        with transaction(planned) as session:
            record_cancelled(session=session, framework=partnership, body=body, meeting_day=meeting.start, actor="test")
        after = by_icalendar(catalog.feed(PARTNERSHIP).body)
        assert {u: after[u][2:] for u in uids} == {u: ("CANCELLED", 1) for u in uids}
        assert after[_uid(partnership, "meeting", other)][2] == "CONFIRMED", "the other meetings stand"
        body_feed = by_icalendar(catalog.feed(body_scope(body)).body)
        assert body_feed[_uid(partnership, "meeting", meeting)][2] == "CANCELLED"
    finally:
        engine.dispose()
