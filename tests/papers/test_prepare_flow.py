"""The prepare-meeting-papers flow under the session's Prefect API: on the day a
meeting's papers are due it builds them once, publishes the pack's artifact, and emails
the PDFs (through the outbox, to a real SMTP server on loopback) to the chair and the
business unit; run again, it builds and sends nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import select

from qaframework.framework import load_framework
from qaframework.persistence.database import transaction
from qaframework.persistence.paper_tables import MeetingPaper
from tests.conftest import FRAMEWORK_FILE
from tests.papers.conftest import record_may_and_june
from tests.reminders.conftest import SmtpServer

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def artifact(key: str) -> dict:  # type: ignore[type-arg]
    response = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter",
                          json={"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 5}, timeout=30)
    response.raise_for_status()
    return {"versions": response.json()}


def test_papers_are_built_once_on_their_deadline_and_emailed(database_url: str, tmp_path: Path, smtp: SmtpServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.prepare_meeting_papers import prepare_meeting_papers

    framework = load_framework(FRAMEWORK_FILE)
    recorded = record_may_and_june(database_url, framework)
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    monkeypatch.setenv("QAF_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("QAF_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("QAF_SMTP_SECURITY", "none")

    # The day before the Executive's deadline its papers are not built yet.
    before = prepare_meeting_papers(date(2027, 7, 5))
    unit = framework.bodies[framework.role("business_unit")].email
    earlier = len(smtp.mailbox.to(unit))  # the 5 July run's papers (meetings whose deadline came first)
    assert ("executive" not in {m["body"] for m in before["meetings"]})  # type: ignore[union-attr]
    result = prepare_meeting_papers(recorded.meeting.papers_due)
    executive = [m for m in result["meetings"] if m["body"] == framework.role("top_body")]  # type: ignore[union-attr]
    assert executive and executive[0]["built"] == 3  # two exception reports and the pack
    pack = tmp_path / "data" / "papers" / "executive" / "2027-07-13" / "pack-v1.pdf"
    assert pack.is_file()

    chair = framework.bodies[framework.role("top_body")].email
    to_chair = smtp.mailbox.to(chair)
    to_chair = [m for m in to_chair if "papers ready" in m["Subject"]]
    assert len(to_chair) == 1
    files = {part.get_filename(): part.get_payload(decode=True) for part in to_chair[0].walk() if part.get_filename()}
    # The chair is sent the pack (the exception reports are in it, and go to their own chairs).
    assert list(files) == ["pack-v1.pdf"] and files["pack-v1.pdf"] == pack.read_bytes()
    assert to_chair[0]["Subject"] == "SSCP QA: papers ready for SSCP Executive 13 July 2027"
    # One papers email for all the day's papers (its digest of reminders is another email).
    (to_unit,) = [m for m in smtp.mailbox.to(unit)[earlier:] if "papers ready" in m["Subject"]]
    unit_files = [part.get_filename() for part in to_unit.walk() if part.get_filename()]
    assert unit_files.count("pack-v1.pdf") == sum(int(m["built"] > 0) for m in result["meetings"])  # type: ignore[union-attr]
    assert {"exception-report-quality-performance-v1.pdf", "exception-report-learning-improvement-v1.pdf"} <= set(unit_files)

    again = prepare_meeting_papers(recorded.meeting.papers_due)
    assert all(m["built"] == 0 for m in again["meetings"])  # type: ignore[union-attr]
    assert again["emails_sent"] == 0 and len([m for m in smtp.mailbox.to(chair) if "papers ready" in m["Subject"]]) == 1
    with transaction(database_url) as session:
        versions = session.execute(select(MeetingPaper.version).where(MeetingPaper.body == "executive")).scalars().all()
    assert versions == [1]

    (published,) = artifact("papers-executive-2027-07-13")["versions"]
    assert "Exception report of the Quality & Performance subgroup (QP27/02)" in published["data"]
    assert recorded.high_risk in published["data"] and "Audit tools returned too late" not in published["data"]
