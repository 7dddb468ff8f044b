"""Feed speed, measured against baselines taken in the same run.

    .venv/bin/python benchmarks/feeds.py

1. A cached feed request over HTTP on loopback, against serving the very same bytes as a
   static file from the same kind of server (Starlette + uvicorn): the ratio shows what
   the secret check and cache lookup cost.
2. Rebuilding a 2,000-event feed after one event changed, against a minimal hand-written
   formatter producing all 2,000 events: the ratio shows how much of icalendar's cost
   (16-26x such a formatter when rendering everything) the per-event cache removes. A
   cold icalendar render of all 2,000 is printed too.
3. The whole refresh path of the feed server (re-read the database, record item
   versions, rebuild the one feed whose item changed), against the same hand-written
   formatter on the same events. The feed server does this in a background thread, so
   requests never wait for it.

Ratios below 1 mean faster than the baseline.
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402

from qaframework.feeds.catalog import FeedCatalog  # noqa: E402
from qaframework.feeds.items import FeedItem  # noqa: E402
from qaframework.feeds.rendering import FeedRenderer, ItemVersion  # noqa: E402
from qaframework.feeds.server import create_app  # noqa: E402
from qaframework.financial_year import FinancialYear  # noqa: E402
from qaframework.framework import load_framework  # noqa: E402
from qaframework.persistence.database import make_engine, prepare, transaction  # noqa: E402
from qaframework.persistence.repository import sync_directory, write_plan  # noqa: E402
from qaframework.persistence.subscriptions import issue_subscription  # noqa: E402
from qaframework.yearly_plan import plan_financial_year  # noqa: E402
from timing import best_of  # noqa: E402 - benchmarks/ is on the path when run as a script

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2027, 1, 1, tzinfo=timezone.utc)




def synthetic_items(n: int) -> list[FeedItem]:
    items = []
    for i in range(n):
        day = date(2027, 4, 1) + timedelta(days=i % 365)
        if i % 3 == 0:
            start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)
            items.append(FeedItem(f"meeting/{i}@bench", f"Meeting {i}", f"Meeting number {i}.", start, start + timedelta(hours=2), frozenset({"partnership"}), False))
        else:
            items.append(FeedItem(f"window/{i}@bench", f"Activity {i}", f"Activity window number {i}.", day, day + timedelta(days=1), frozenset({"partnership"})))
    return items


def hand_written(items: list[FeedItem]) -> bytes:
    """The minimal formatter the issue compares against: f-strings, no escaping or folding."""
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    for it in items:
        if isinstance(it.start, datetime):
            s = f"DTSTART;TZID=Europe/London:{it.start:%Y%m%dT%H%M%S}\r\nDTEND;TZID=Europe/London:{it.end:%Y%m%dT%H%M%S}\r\n"
        else:
            s = f"DTSTART;VALUE=DATE:{it.start:%Y%m%d}\r\nDTEND;VALUE=DATE:{it.end:%Y%m%d}\r\n"
        out.append(f"BEGIN:VEVENT\r\nUID:{it.uid}\r\nDTSTAMP:20270101T000000Z\r\nSEQUENCE:0\r\nSUMMARY:{it.summary}\r\n{s}END:VEVENT\r\n")
    out.append("END:VCALENDAR\r\n")
    return "".join(out).encode()


def bench_rendering(n: int = 2000) -> None:
    items = synthetic_items(n)
    entries = [(it, ItemVersion(0, STAMP, False), it.content_hash()) for it in items]
    baseline = best_of(lambda: hand_written(items))
    cold = best_of(lambda: FeedRenderer("Europe/London", 4).render("Bench", "Bench", entries), repeats=3)
    renderer = FeedRenderer("Europe/London", 4)
    renderer.render("Bench", "Bench", entries)  # warm the per-event cache
    changed_item = replace(items[n // 2], summary="Moved meeting")
    changed = list(entries)
    changed[n // 2] = (changed_item, ItemVersion(1, STAMP, False), changed_item.content_hash())
    rebuild = best_of(lambda: renderer.render("Bench", "Bench", changed))
    print(f"rendering {n} events")
    print(f"  baseline, hand-written formatter, all events:   {baseline * 1000:8.2f} ms")
    print(f"  icalendar, cold, all events:                    {cold * 1000:8.2f} ms   ratio {cold / baseline:6.2f}")
    print(f"  rebuild after one event changed (cached blocks): {rebuild * 1000:8.2f} ms   ratio {rebuild / baseline:6.2f}")


def _serve(app, port: int) -> uvicorn.Server:  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_http(requests: int = 300) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        framework = load_framework(ROOT / "schedules" / "sscp.yaml")
        prepare(url)
        with transaction(url) as session:
            sync_directory(session=session, framework=framework)
            for fy in (2026, 2027, 2028):
                write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(fy)), actor="bench")
            issued = issue_subscription(session=session, scope="partnership", label="bench", actor="bench", key=b"benchmark-key-of-32-bytes-length")
        catalog = FeedCatalog(framework, make_engine(url), refresh_seconds=3600)
        body = catalog.feed("partnership").body
        static_dir = Path(folder) / "static"
        static_dir.mkdir()
        (static_dir / "feed.ics").write_bytes(body)
        feed_server = _serve(create_app(catalog), feed_port := _port())
        static_server = _serve(StaticFiles(directory=static_dir), static_port := _port())
        try:
            with httpx.Client() as client:
                def run(address: str) -> list[float]:
                    samples = []
                    for _ in range(requests):
                        start = time.perf_counter()
                        response = client.get(address)
                        samples.append(time.perf_counter() - start)
                        assert response.status_code == 200 and len(response.content) == len(body)
                    return samples

                feed_address = f"http://127.0.0.1:{feed_port}{issued.path}"
                static_address = f"http://127.0.0.1:{static_port}/feed.ics"
                run(feed_address), run(static_address)  # warm up both
                cached = statistics.median(run(feed_address))
                static = statistics.median(run(static_address))
        finally:
            feed_server.should_exit = static_server.should_exit = True
        print(f"serving a {len(body):,}-byte partnership feed over HTTP on loopback ({requests} requests, median)")
        print(f"  baseline, the same bytes as a static file:      {static * 1000:8.2f} ms")
        print(f"  cached feed request (secret check + cache):     {cached * 1000:8.2f} ms   ratio {cached / static:6.2f}")


def bench_refresh() -> None:
    from sqlalchemy import select, update

    from qaframework.persistence.tables import Occurrence

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/refresh.db"
        framework = load_framework(ROOT / "schedules" / "sscp.yaml")
        prepare(url)
        with transaction(url) as session:
            sync_directory(session=session, framework=framework)
            for fy in range(2026, 2036):
                write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(fy)), actor="bench")
        catalog = FeedCatalog(framework, make_engine(url), refresh_seconds=3600)
        catalog.refresh()
        body = catalog.feed("partnership").body
        events = body.count(b"BEGIN:VEVENT")
        items = [e[0] for e in catalog._by_scope["partnership"]]  # noqa: SLF001 - measuring internals
        baseline = best_of(lambda: hand_written(items))
        shift = [0]

        def one_change_then_refresh() -> None:
            shift[0] += 1
            with transaction(url) as session:
                meeting = session.execute(select(Occurrence).where(Occurrence.key == "executive/2027-05")).scalar_one()
                session.execute(update(Occurrence).where(Occurrence.id == meeting.id).values(
                    starts_at=meeting.starts_at + timedelta(minutes=1), ends_at=meeting.ends_at + timedelta(minutes=1)))
            catalog.refresh()
            catalog.feed("partnership")

        refresh = best_of(one_change_then_refresh, repeats=5)
        print(f"refreshing the partnership feed from the database ({events} events)")
        print(f"  baseline, hand-written formatter, all events:   {baseline * 1000:8.2f} ms")
        print(f"  re-read + versions + rebuild after one change:  {refresh * 1000:8.2f} ms   ratio {refresh / baseline:6.2f}")


if __name__ == "__main__":
    bench_rendering()
    bench_refresh()
    bench_http()
