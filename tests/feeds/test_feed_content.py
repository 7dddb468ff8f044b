"""Feeds that real calendar clients read the same way: three parsers agree on every
event, the headers and time zone are what Outlook and Thunderbird need, feeds are stable
byte for byte, and private case details never appear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from qaframework.feeds.catalog import FeedCatalog
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import Occurrence, Task
from tests.feeds.conftest import CANARY, REFERENCE, Clock
from tests.feeds.parsers import by_icaljs, by_icalendar, by_vobject, icaljs_available

SCOPES = ["partnership", "agency:avon-somerset-police", "agency:somerset-csc", "body:executive", "body:business-unit", "body:quality-performance"]


@pytest.fixture(scope="module")
def icaljs() -> None:
    reason = icaljs_available()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("scope", SCOPES)
def test_three_parsers_agree_on_every_event(catalog: FeedCatalog, scope: str, icaljs: None) -> None:
    body = catalog.feed(scope).body
    readings = [by_icalendar(body), by_vobject(body), by_icaljs(body)]
    assert readings[0], "the feed has events"
    assert readings[0] == readings[1] == readings[2]


def test_meetings_either_side_of_both_clock_changes(catalog: FeedCatalog, icaljs: None) -> None:
    body = catalog.feed("partnership").body
    for reading in (by_icalendar(body), by_vobject(body), by_icaljs(body)):
        # 2026: clocks go back on 25 October. QA group, third Tuesday, 10:00 local.
        assert reading["meeting/quality-assurance-group/2026-10@sscp.qaframework"][:2] == ("2026-10-20T09:00:00Z", "2026-10-20T11:00:00Z")
        assert reading["meeting/quality-assurance-group/2026-12@sscp.qaframework"][:2] == ("2026-12-15T10:00:00Z", "2026-12-15T12:00:00Z")
        # 2027: clocks go forward on 28 March. Executive, second Tuesday, 10:00 local.
        assert reading["meeting/executive/2027-03@sscp.qaframework"][:2] == ("2027-03-09T10:00:00Z", "2027-03-09T13:00:00Z")
        assert reading["meeting/quality-assurance-group/2027-04@sscp.qaframework"][:2] == ("2027-04-20T09:00:00Z", "2027-04-20T11:00:00Z")
        # 2027: clocks go back on 31 October; Q&P meets on Wednesday 3 November.
        assert reading["meeting/quality-performance/2027-11@sscp.qaframework"][:2] == ("2027-11-03T10:00:00Z", "2027-11-03T12:00:00Z")
        assert reading["meeting/quality-assurance-group/2027-10@sscp.qaframework"][:2] == ("2027-10-19T09:00:00Z", "2027-10-19T11:00:00Z")
        # All-day window: exclusive end.
        assert reading["window/multi-agency-audit/2027-10@sscp.qaframework"][:2] == ("2027-10-01", "2027-11-01")


def test_headers_and_time_zone_are_what_clients_need(catalog: FeedCatalog, framework: Framework) -> None:
    text = catalog.feed("agency:avon-somerset-police").body.decode("utf-8")
    lines = text.split("\r\n")
    for expected in ("VERSION:2.0", "METHOD:PUBLISH", "X-WR-TIMEZONE:Europe/London",
                     "REFRESH-INTERVAL;VALUE=DURATION:PT4H", "X-PUBLISHED-TTL:PT4H",
                     "NAME:SSCP QA calendar: Avon and Somerset Constabulary",
                     "X-WR-CALNAME:SSCP QA calendar: Avon and Somerset Constabulary"):
        assert expected in lines, expected
    assert any(line.startswith("PRODID:") for line in lines)
    assert text.count("BEGIN:VTIMEZONE") == 1
    zone = text[text.index("BEGIN:VTIMEZONE"): text.index("END:VTIMEZONE")]
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in zone and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in zone
    assert "RDATE" not in zone
    assert "DTSTART;TZID=Europe/London:20270511T100000" in lines
    assert "DTSTART;VALUE=DATE:20271001" in lines and "DTEND;VALUE=DATE:20271101" in lines
    for forbidden in ("ATTENDEE", "ORGANIZER", "VALARM", "mailto:"):
        assert forbidden not in text
    for agency in framework.agencies.values():
        assert agency.contact.email not in text and agency.contact.name not in text
    assert text.endswith("END:VCALENDAR\r\n")


def test_each_agency_sees_its_own_work_and_meetings_only(catalog: FeedCatalog) -> None:
    police = catalog.feed("agency:avon-somerset-police").body.decode()
    csc = catalog.feed("agency:somerset-csc").body.decode()
    assert "UID:window/mape/2027-05@sscp.qaframework" in csc  # MAPEs are CSC's tasks
    assert "window/mape/" not in police
    assert "UID:window/multi-agency-audit/2027-10@sscp.qaframework" in police
    assert "UID:meeting/executive/2027-05@sscp.qaframework" in police  # it attends the Executive
    assert "meeting/action-plan-evaluation/" not in police  # it does not attend APE
    assert "papers/" not in police, "papers deadlines are for the body and the business unit"


def test_bodies_see_papers_and_the_reports_they_owe(catalog: FeedCatalog) -> None:
    executive = catalog.feed("body:executive").body.decode()
    qp = catalog.feed("body:quality-performance").body.decode()
    # Papers for the Executive of Tuesday 11 May 2027: five working days before, over
    # the early May bank holiday (3 May): Tuesday 4 May.
    assert "DTSTART;VALUE=DATE:20270504" in _event(executive, "papers/executive/2027-05@sscp.qaframework")
    assert "UID:report/quality-performance/executive/2027-05@sscp.qaframework" in qp
    assert "Exception report due to SSCP Executive" in qp


def test_case_deadlines_only_by_reference_and_only_for_the_business_unit_and_executive(catalog: FeedCatalog) -> None:
    feeds = {scope: catalog.feed(scope).body.decode() for scope in SCOPES}
    for scope, text in feeds.items():
        assert CANARY not in text and "Jayden" not in text
        shown = REFERENCE in text
        assert shown == (scope in {"body:executive", "body:business-unit"}), scope
    assert f"SUMMARY:{REFERENCE}: Serious Incident / Rapid Review due" in feeds["body:executive"]
    # 15 working days from Monday 22 March 2027, over Easter (26 and 29 March).
    assert "DTSTART;VALUE=DATE:20270414" in _event(feeds["body:executive"], f"due/rapid-review/{REFERENCE}@sscp.qaframework")


def test_unchanged_data_gives_byte_identical_feeds(planned: str, framework: Framework, clock: Clock) -> None:
    from qaframework.persistence.database import make_engine

    first = FeedCatalog(framework, make_engine(planned), refresh_seconds=0, clock=clock).feed("partnership")
    clock.now += timedelta(days=3)
    second = FeedCatalog(framework, make_engine(planned), refresh_seconds=0, clock=clock).feed("partnership")
    assert first.body == second.body and first.etag == second.etag
    assert first.last_modified == second.last_modified


def _event(text: str, uid: str) -> str:
    start = text.rindex("BEGIN:VEVENT", 0, text.index(f"UID:{uid}"))
    return text[start: text.index("END:VEVENT", start)]


def test_a_moved_meeting_keeps_its_uid_and_goes_up_a_sequence(catalog: FeedCatalog, planned: str, clock: Clock) -> None:
    uid = "meeting/executive/2027-05@sscp.qaframework"
    before = catalog.feed("partnership")
    assert "SEQUENCE:0" in _event(before.body.decode(), uid)
    clock.now += timedelta(days=1)
    with transaction(planned) as session:
        meeting = session.execute(select(Occurrence).where(Occurrence.key == "executive/2027-05")).scalar_one()
        session.execute(update(Occurrence).where(Occurrence.key == "executive/2027-05").values(
            starts_at=meeting.starts_at + timedelta(hours=4), ends_at=meeting.ends_at + timedelta(hours=4)))
    after = catalog.feed("partnership")
    event = _event(after.body.decode(), uid)
    assert "SEQUENCE:1" in event and "DTSTART;TZID=Europe/London:20270511T140000" in event
    assert "LAST-MODIFIED:20270302T090000Z" in event and "DTSTAMP:20270302T090000Z" in event
    assert after.etag != before.etag and after.last_modified > before.last_modified
    untouched = "meeting/executive/2027-07@sscp.qaframework"
    assert _event(after.body.decode(), untouched) == _event(before.body.decode(), untouched)


def test_a_removed_item_is_published_cancelled_then_dropped(catalog: FeedCatalog, planned: str, clock: Clock) -> None:
    uid = "window/multi-agency-audit/2027-10@sscp.qaframework"
    assert "STATUS:CONFIRMED" in _event(catalog.feed("agency:swast").body.decode(), uid)
    clock.now += timedelta(days=1)
    with transaction(planned) as session:
        occurrence_id = session.execute(select(Occurrence.id).where(Occurrence.key == "multi-agency-audit/2027-10")).scalar_one()
        session.execute(delete(Task).where(Task.occurrence_id == occurrence_id, Task.assignee_key == "swast"))
    cancelled = _event(catalog.feed("agency:swast").body.decode(), uid)
    assert "STATUS:CANCELLED" in cancelled and "SEQUENCE:1" in cancelled
    # Still confirmed for the agencies that keep the task.
    assert "STATUS:CONFIRMED" in _event(catalog.feed("agency:avon-somerset-police").body.decode(), uid)
    clock.now += timedelta(days=31)
    assert uid not in catalog.feed("agency:swast").body.decode()


def test_a_removed_meeting_is_cancelled_in_its_own_zone_for_every_parser(catalog: FeedCatalog, planned: str, clock: Clock, icaljs: None) -> None:
    uid = "meeting/executive/2027-05@sscp.qaframework"
    catalog.feed("partnership")
    clock.now += timedelta(days=1)
    with transaction(planned) as session:
        session.execute(delete(Occurrence).where(Occurrence.key == "executive/2027-05"))
    body = catalog.feed("partnership").body
    event = _event(body.decode(), uid)
    assert "STATUS:CANCELLED" in event and "SEQUENCE:1" in event
    assert "DTSTART;TZID=Europe/London:20270511T100000" in event
    readings = [by_icalendar(body), by_vobject(body), by_icaljs(body)]
    assert readings[0] == readings[1] == readings[2]
    assert readings[0][uid] == ("2027-05-11T09:00:00Z", "2027-05-11T12:00:00Z", "CANCELLED", 1)


def test_last_modified_never_goes_back_when_cancelled_items_age_out(catalog: FeedCatalog, planned: str, clock: Clock) -> None:
    catalog.feed("partnership")
    clock.now += timedelta(days=1)
    with transaction(planned) as session:
        session.execute(delete(Occurrence).where(Occurrence.key == "executive/2027-05"))
    cancelled = catalog.feed("partnership")
    clock.now += timedelta(days=31)
    aged_out = catalog.feed("partnership")
    assert aged_out.body != cancelled.body
    assert aged_out.last_modified > cancelled.last_modified


def test_an_agency_that_left_the_roster_still_gets_its_feed(catalog: FeedCatalog, planned: str, framework: Framework, clock: Clock) -> None:
    from dataclasses import replace

    from qaframework.persistence.repository import sync_directory

    catalog.feed("agency:swast")
    clock.now += timedelta(days=1)
    agencies = {k: v for k, v in framework.agencies.items() if k != "swast"}
    with transaction(planned) as session:
        sync_directory(session=session, framework=replace(framework, roster=framework.roster.model_copy(update={"agencies": agencies})))
    text = catalog.feed("agency:swast").body.decode()
    assert "X-WR-CALNAME:SSCP QA calendar: South Western Ambulance Service NHS Foundation Trust" not in text
    assert "STATUS:CANCELLED" in _event(text, "window/multi-agency-audit/2027-10@sscp.qaframework")
