"""Build a meeting's papers: gather the record, assemble the pack and the exception
reports it holds, render each from its template, and file each as a new version under the
data folder (``papers/BODY/MEETING-DATE/``) with its notices for the outbox.

A version is claimed by its database row before its files are written, in one
transaction: a builder that finds the version taken builds nothing (``once``) or takes
the next (on demand). A crash before the commit leaves at most files of a version nobody
holds, which the next build of that version writes over.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from qaframework.documents import html_to_docx, html_to_markdown, html_to_pdf, render_html
from qaframework.framework import Framework
from qaframework.papers.exception_report import ExceptionReport
from qaframework.papers.facts import MeetingFacts, RecordFacts
from qaframework.papers.pack import MeetingPack, meeting_pack
from qaframework.papers.tables import pack_rows
from qaframework.persistence.meetings import MeetingError, find_meeting
from qaframework.persistence.paper_facts import record_facts
from qaframework.persistence.papers import StoredPaper, built_versions, next_version, record_paper

PACK = "pack"
EXCEPTION_REPORT = "exception-report"
SUFFIXES = ("html", "pdf", "docx")


@dataclass(frozen=True)
class BuiltPaper:
    kind: str
    body: str
    stored: StoredPaper
    new: bool  # False: an earlier version stood and nothing was built (``once``)
    markdown: str


@dataclass(frozen=True)
class PapersBuilt:
    pack: MeetingPack
    papers: tuple[BuiltPaper, ...]

    @property
    def built(self) -> int:
        return sum(1 for p in self.papers if p.new)


def content_hash(content: dict[str, object]) -> str:
    """SHA-256 of a paper's plain data: equal for a rebuild with nothing new."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def meeting_of(facts: RecordFacts, occurrence: str, body: str, day: date) -> MeetingFacts:
    """The body's meeting on ``day`` (one line when ``day`` is not its day)."""
    for m in facts.meetings:
        if m.key == occurrence:
            if m.day != day:
                raise MeetingError(f"--meeting: the {body} meets on {m.day.isoformat()}, not {day.isoformat()}: give the meeting's day")
            return m
    raise MeetingError(f"--meeting: {body} has no meeting on {day.isoformat()}")


def _file_one(session: Session, framework: Framework, data_dir: Path, occurrence_id: int, occurrence: str, kind: str, body: str,
              template: str, context: Callable[[bool], dict[str, object]], content: dict[str, object], as_of: date,
              paper_number: str | None, folder: str, stem: str, recipients: list[str], actor: str, once: bool) -> BuiltPaper:
    # The Prefect UI's copy: the same template, without the free text people typed.
    markdown = html_to_markdown(render_html(template, context(True)))
    if once:
        standing = [p for p in built_versions(session=session, occurrence_id=occurrence_id, kind=kind) if p.body == body]
        if standing:  # built already: nothing to render for the files
            return BuiltPaper(kind, body, standing[-1], False, markdown)
    html = render_html(template, context(False))
    pdf, docx = html_to_pdf(html), html_to_docx(html)
    for _ in range(5):
        version = next_version(session=session, occurrence_id=occurrence_id, kind=kind, body=body)
        with session.begin_nested():
            stored = record_paper(session=session, occurrence_id=occurrence_id, occurrence=occurrence, kind=kind, body=body, version=version,
                                  as_of=as_of, paper_number=paper_number, content_hash=content_hash(content), folder=folder, stem=stem,
                                  recipients=recipients, actor=actor)
        if stored is None:
            if once:
                taken = [p for p in built_versions(session=session, occurrence_id=occurrence_id, kind=kind) if p.body == body]
                return BuiltPaper(kind, body, taken[-1], False, markdown)
            continue
        for suffix, data in zip(SUFFIXES, (html.encode(), pdf, docx)):
            _write(stored.file(data_dir, suffix), data)
        return BuiltPaper(kind, body, stored, True, markdown)
    raise MeetingError(f"the {kind} of {occurrence} was being built by others at the same moment: try again")


def _recipients(framework: Framework, body: str) -> list[str]:
    found = [framework.bodies[body].email, framework.bodies[framework.role("business_unit")].email]
    return [r for r in dict.fromkeys(found) if r]


def build_papers(*, session: Session, framework: Framework, data_dir: Path, body: str, day: date, as_of: date, actor: str,
                 once: bool = False) -> PapersBuilt:
    """Build the papers of the ``body``'s meeting on ``day`` from the record as of
    ``as_of``: the exception reports of the bodies reporting to it by exception, then its
    pack. ``once``: build each only if no version of it exists yet (the scheduled run)."""
    occurrence = find_meeting(session=session, framework=framework, body=body, day=day)
    assert occurrence.id is not None
    facts = record_facts(session=session, framework=framework, as_of=as_of)
    meeting = meeting_of(facts, occurrence.key, body, day)
    pack = meeting_pack(framework, facts, meeting)
    folder = f"papers/{body}/{meeting.day.isoformat()}"
    partnership = framework.document.partnership.name
    papers: list[BuiltPaper] = []
    report: ExceptionReport
    for report in pack.exception_reports:
        content = report.as_dict()
        papers.append(_file_one(session, framework, data_dir, occurrence.id, occurrence.key, EXCEPTION_REPORT, report.body,
                                "papers/exception_report.html.j2",
                                lambda ui, report=report: {"r": report, "partnership": partnership, "created": as_of.isoformat(), "ui": ui},  # type: ignore[misc]
                                content, as_of,
                                report.paper_number, folder, f"exception-report-{report.body}", _recipients(framework, report.body), actor, once))
    content = pack.as_dict()
    papers.append(_file_one(session, framework, data_dir, occurrence.id, occurrence.key, PACK, body, "papers/meeting_pack.html.j2",
                            lambda ui: {"p": pack, "partnership": partnership, "created": as_of.isoformat(), "ui": ui, "rows": pack_rows(framework, content, ui)},
                            content, as_of, None,
                            folder, "pack", _recipients(framework, body), actor, once))
    return PapersBuilt(pack, tuple(papers))
