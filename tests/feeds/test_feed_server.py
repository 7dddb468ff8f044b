"""The feed server over real HTTP on loopback (uvicorn in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from qaframework.feeds.catalog import FeedCatalog
from qaframework.feeds.server import create_app
from qaframework.persistence.database import transaction
from qaframework.persistence.subscriptions import IssuedFeed, issue_subscription, revoke_subscription
from qaframework.persistence.tables import FeedSubscription


KEY = b"k" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(catalog: FeedCatalog, planned: str) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(catalog), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "the feed server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def _issue(url: str, scope: str) -> IssuedFeed:
    with transaction(url) as session:
        return issue_subscription(session=session, scope=scope, label="test", actor="test", key=KEY)


def test_a_feed_is_served_with_validators_and_answers_304(server: str, planned: str) -> None:
    feed = _issue(planned, "agency:avon-somerset-police")
    response = httpx.get(server + feed.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.text.startswith("BEGIN:VCALENDAR\r\n")
    etag, last_modified = response.headers["etag"], response.headers["last-modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    again = httpx.get(server + feed.path, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    assert httpx.get(server + feed.path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert httpx.get(server + feed.path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    older = format_datetime(response_time_minus_a_day(last_modified), usegmt=True)
    assert httpx.get(server + feed.path, headers={"If-Modified-Since": older}).status_code == 200


def response_time_minus_a_day(http_date: str):  # type: ignore[no-untyped-def]
    from datetime import timedelta
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(http_date) - timedelta(days=1)


def test_unknown_wrong_and_revoked_secrets_get_the_same_plain_404(server: str, planned: str) -> None:
    feed = _issue(planned, "partnership")
    assert httpx.get(server + feed.path).status_code == 200
    wrong_secret = f"/feeds/{feed.public_id}/{'A' * len(feed.secret)}.ics"
    unknown_id = f"/feeds/0000000000000000/{feed.secret}.ics"
    no_suffix = f"/feeds/{feed.public_id}/{feed.secret}"
    answers = [httpx.get(server + path) for path in (wrong_secret, unknown_id, no_suffix, "/feeds/x/y.ics")]
    with transaction(planned) as session:
        revoke_subscription(session=session, public_id=feed.public_id, actor="test")
    answers.append(httpx.get(server + feed.path))
    assert {(a.status_code, a.text, a.headers["content-type"]) for a in answers} == {(404, "Not found\n", "text/plain; charset=utf-8")}


def test_anything_but_exactly_a_feed_url_gets_the_same_404_and_never_a_redirect(server: str, planned: str) -> None:
    """Issue #11: /feeds/ID/SECRET.ics/ was a 307 built from the Host header, for unknown ids too."""
    feed = _issue(planned, "partnership")
    near_misses = [
        feed.path + "/", feed.path + "//", f"/feeds/{feed.public_id}/{feed.secret}.ics/x", f"/feeds/{feed.public_id}//{feed.secret}.ics",
        f"/feeds/0000000000000000/{feed.secret}.ics/", "/feeds/0000000000000000/x.ics/", "/health/", "/feeds/%00/x.ics",
        f"/feeds/{feed.public_id}/{feed.secret}%00.ics", f"/feeds/{feed.public_id.upper()}/{feed.secret}.ics",
        f"/feeds/{feed.public_id}/{feed.secret}.ics%2F", "/feeds/" + "a" * 5000 + "/b.ics", f"/feeds/{feed.public_id}/%ff.ics",
    ]
    headers = {"Host": "evil.example"}
    answers = [httpx.get(server + path, headers=headers) for path in near_misses]
    answers += [httpx.post(server + feed.path), httpx.request("DELETE", server + feed.path), httpx.put(server + feed.path + "/")]
    assert {(a.status_code, a.text, a.headers["content-type"]) for a in answers} == {(404, "Not found\n", "text/plain; charset=utf-8")}
    assert not [a for a in answers if "location" in a.headers]
    assert httpx.get(server + feed.path, headers=headers).status_code == 200, "the exact URL still works"


def test_one_agencys_secret_never_yields_another_agencys_items(server: str, planned: str) -> None:
    police = httpx.get(server + _issue(planned, "agency:avon-somerset-police").path).text
    csc = httpx.get(server + _issue(planned, "agency:somerset-csc").path).text
    assert "UID:window/mape/2027-05@sscp.qaframework" in csc and "window/mape/" not in police
    assert "X-WR-CALNAME:SSCP QA calendar: Avon and Somerset Constabulary" in police
    assert "Children's Social Care" not in police


def test_only_a_hash_of_the_secret_is_stored(planned: str) -> None:
    feed = _issue(planned, "body:executive")
    with transaction(planned) as session:
        row = session.execute(select(FeedSubscription).where(FeedSubscription.public_id == feed.public_id)).scalar_one()
    assert feed.secret not in row.secret_hash and len(row.secret_hash) == 64
    assert len(feed.secret) >= 43  # 256 bits in URL-safe base64


def test_secrets_differ_per_subscription_and_per_key(planned: str) -> None:
    from qaframework.feeds.secrets import derive_secret

    first, second = _issue(planned, "partnership"), _issue(planned, "partnership")
    assert first.public_id != second.public_id and first.secret != second.secret
    assert derive_secret(b"another key of thirty-two bytes!", first.public_id) != first.secret


def test_other_paths_get_the_same_404(server: str) -> None:
    answers = [httpx.get(server + path) for path in ("/feeds/a/b/c.ics", "/nothing", "/feeds/", "/feeds/a/b.ics")]
    assert {(a.status_code, a.text) for a in answers} == {(404, "Not found\n")}


def test_if_modified_since_gets_the_new_feed_after_a_change(server: str, planned: str, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import delete

    from qaframework.persistence.tables import Occurrence, Task

    feed = _issue(planned, "agency:swast")
    first = httpx.get(server + feed.path)
    clock.now += timedelta(days=1)
    with transaction(planned) as session:
        occurrence = session.execute(select(Occurrence.id).where(Occurrence.key == "multi-agency-audit/2027-10")).scalar_one()
        session.execute(delete(Task).where(Task.occurrence_id == occurrence, Task.assignee_key == "swast"))
    changed = httpx.get(server + feed.path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert changed.headers["last-modified"] != first.headers["last-modified"]
