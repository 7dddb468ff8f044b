"""The papers of a simulated year: the exact agenda, risks travelling up the reporting
lines, the documents read back with PDF and Word readers, rebuilding, and privacy."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import docx
import pypdf
import pytest
from sqlalchemy import func, select

from qaframework.framework import Framework, load_framework
from qaframework.learning.identifying import identifying_reasons
from qaframework.papers.remit import reporting_by_exception
from qaframework.persistence.database import transaction
from qaframework.persistence.paper_tables import MeetingPaper, PaperNotice
from tests.conftest import FRAMEWORK_FILE
from tests.papers.conftest import YEAR, Recorded, build, record_may_and_june
from tests.pdf_reading import pdf_text

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join([p.text for p in document.paragraphs] + cells).split())


def test_the_exact_agenda_of_the_executive_july_meeting(database_url: str, tmp_path: Path) -> None:
    framework = load_framework(FRAMEWORK_FILE)
    recorded = record_may_and_june(database_url, framework)
    assert (recorded.meeting.day, recorded.meeting.papers_due) == (date(2027, 7, 13), date(2027, 7, 6))
    built = build(database_url, framework, tmp_path, recorded.meeting)
    assert [(i.number, i.title) for i in built.pack.agenda] == [
        (1, "Welcome, introductions and apologies"),
        (2, "Minutes of the previous meeting"),
        (3, "Exception report of the Quality & Performance subgroup (QP27/02)"),
        (4, "Exception report of the Learning & Improvement subgroup (LI27/02)"),
        (5, "Findings for the meeting"),
        (6, "Risks above tolerance"),
        (7, "Actions overdue or due before the next meeting"),
        (8, "Open rapid reviews and CSPRs"),
        (9, "Any other business"),
        (10, "Date of the next meeting: Tuesday 14 September 2027"),
    ]
    pack = built.pack
    # May's finding and June's risks were recorded after May's papers deadline (4 May):
    # they are on July's meeting.
    assert sorted(f.reference for g in pack.findings for f in g.findings) == sorted([recorded.finding, recorded.high_risk, recorded.tolerance_risk])
    assert [r.reference for r in pack.risks] == [recorded.high_risk]
    assert [a.reference for a in pack.actions_due] == [recorded.action]
    assert [c.reference for c in pack.reviews] == [recorded.case]
    qp, li = pack.exception_reports
    assert qp.reporting_period == "Wednesday 5 May 2027 to Tuesday 6 July 2027"
    assert {g.rule: [i.reference for i in g.items] for g in qp.key_issues if g.items} == {
        "risks-above-tolerance": [recorded.high_risk], "actions-overdue": [recorded.action]}
    # Notified on 15 June (the Panel notification is done): the rapid review, its sign-off
    # and the decision are due on 6 July (day 15). L&I oversees reviews, whoever holds a stage.
    (stages,) = [g for g in li.key_issues if g.items]
    assert stages.rule == "statutory-stages-at-risk"
    assert [(i.reference, i.text) for i in stages.items] == [
        (recorded.case, "Rapid review completed and sent to the National Panel: due Tuesday 6 July 2027, not done yet (SSCP Business Unit)."),
        (recorded.case, "Executive sign-off of the rapid review: due Tuesday 6 July 2027, not done yet (SSCP Executive)."),
        (recorded.case, "Decision: CSPR, no review or thematic review: due Tuesday 6 July 2027, not done yet (SSCP Executive)."),
    ]


def _items(report: object) -> set[str]:
    return {i.reference for g in report.key_issues for i in g.items}  # type: ignore[attr-defined]


def test_a_risk_above_tolerance_travels_up_and_one_at_the_tolerance_goes_nowhere(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    recorded = record_may_and_june(database_url, partnership)
    built = build(database_url, partnership, tmp_path, recorded.meeting)
    reports = {r.body: r for r in built.pack.exception_reports}
    assert set(reports) == set(reporting_by_exception(partnership, partnership.role("top_body")))
    # Recorded for a body in the child's remit, it is in the child's exception report in
    # the top body's pack, and among the pack's risks above tolerance.
    assert recorded.high_risk in _items(reports[recorded.child])
    assert recorded.high_risk in {r.reference for r in built.pack.risks}
    # At the tolerance: in no exception report and not among the risks above it.
    assert all(recorded.tolerance_risk not in _items(r) for r in reports.values())
    assert recorded.tolerance_risk not in {r.reference for r in built.pack.risks}
    # The child's own meeting before the top body's: its papers hold the grandchild's
    # risk too when the grandchild reports to it by exception, and always among its risks.
    child_meeting = next(m for m in _meetings(database_url, partnership) if m.body == recorded.child and m.papers_due >= recorded.risk_day)
    child_pack = build(database_url, partnership, tmp_path, child_meeting).pack
    assert recorded.high_risk in {r.reference for r in child_pack.risks}
    assert recorded.tolerance_risk not in {r.reference for r in child_pack.risks}


def _meetings(url: str, framework: Framework) -> list:  # type: ignore[type-arg]
    from qaframework.persistence.paper_facts import meeting_facts

    with transaction(url) as session:
        return meeting_facts(session=session, framework=framework)


def test_the_pdf_and_the_word_document_hold_the_items(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    recorded = record_may_and_june(database_url, partnership)
    built = build(database_url, partnership, tmp_path, recorded.meeting)
    pack = next(p for p in built.papers if p.kind == "pack")
    pdf, word = pack.stored.file(tmp_path, "pdf"), pack.stored.file(tmp_path, "docx")
    assert pdf.parent == tmp_path / "papers" / recorded.meeting.body / recorded.meeting.day.isoformat()
    assert pdf.name == "pack-v1.pdf"
    for text in (pdf_text(pdf), docx_text(word)):
        for reference in (recorded.finding, recorded.high_risk, recorded.action, recorded.case):
            assert reference in text
        assert "Agenda" in text and "Few strategy meetings include health" in text
        for report in built.pack.exception_reports:
            assert report.paper_number in text and "Key issues for consideration" in text
    document = docx.Document(str(word))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Agenda" in headings and "Risks above tolerance" in headings
    risk_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Risk")
    assert [c.text for c in risk_table.rows[0].cells] == ["Risk", "What", "Score", "Band", "Rated", "Trend"]
    assert risk_table.rows[1].cells[0].text == recorded.high_risk
    reader = pypdf.PdfReader(pdf)
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in reader.trailer["/Root"], "a tagged (accessible) PDF"
    # Each exception report is also its own paper, in the same folder.
    own = [p for p in built.papers if p.kind == "exception-report" and p.body == recorded.child][0]
    assert recorded.high_risk in pdf_text(own.stored.file(tmp_path, "pdf"))


def test_building_twice_with_nothing_new_gives_the_same_content_as_a_new_version(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    recorded = record_may_and_june(database_url, partnership)
    first = build(database_url, partnership, tmp_path, recorded.meeting)
    second = build(database_url, partnership, tmp_path, recorded.meeting)
    assert [p.stored.version for p in first.papers] == [1] * len(first.papers)
    assert [p.stored.version for p in second.papers] == [2] * len(second.papers)
    assert [p.stored.content_hash for p in first.papers] == [p.stored.content_hash for p in second.papers]
    for a, b in zip(first.papers, second.papers):
        assert pdf_text(a.stored.file(tmp_path, "pdf")) == pdf_text(b.stored.file(tmp_path, "pdf"))
        assert docx_text(a.stored.file(tmp_path, "docx")) == docx_text(b.stored.file(tmp_path, "docx"))
        assert a.stored.file(tmp_path, "html").read_text() == b.stored.file(tmp_path, "html").read_text()
    # The scheduled build ("once") builds nothing when a version stands.
    third = build(database_url, partnership, tmp_path, recorded.meeting, once=True)
    assert third.built == 0 and [p.stored.version for p in third.papers] == [2] * len(third.papers)
    with transaction(database_url) as session:
        assert session.execute(select(func.count()).select_from(MeetingPaper)).scalar_one() == 2 * len(first.papers)
        # Each version tells the chair and the business unit once.
        assert session.execute(select(func.count()).select_from(PaperNotice)).scalar_one() == sum(
            len({partnership.bodies[p.body].email, partnership.bodies[partnership.role("business_unit")].email} - {None}) for p in first.papers) * 2
    # Something new (a finding for the meeting) changes the next version.
    from tests.actions.conftest import make_finding
    from tests.papers.conftest import activity_for

    occurrence, day = activity_for(partnership, {recorded.meeting.body}, recorded.meeting.papers_due)
    assert day == recorded.meeting.papers_due
    make_finding(database_url, partnership, occurrence, on=day, title="Health attend half the strategy meetings")
    fourth = build(database_url, partnership, tmp_path, recorded.meeting)
    pack = [p for p in fourth.papers if p.kind == "pack"][0]
    assert pack.stored.version == 3 and pack.stored.content_hash != [p for p in first.papers if p.kind == "pack"][0].stored.content_hash
    assert "Health attend half the strategy meetings" in pdf_text(pack.stored.file(tmp_path, "pdf"))


def test_no_paper_identifies_a_child_and_the_ui_copy_has_no_typed_text(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    recorded = record_may_and_june(database_url, partnership)
    built = build(database_url, partnership, tmp_path, recorded.meeting)
    for paper in built.papers:
        for text in (pdf_text(paper.stored.file(tmp_path, "pdf")), docx_text(paper.stored.file(tmp_path, "docx")),
                     paper.stored.file(tmp_path, "html").read_text(), paper.markdown):
            # Papers carry dates of meetings and deadlines; nothing else the checks for
            # identifying text look for (an NHS number, a postcode, birth wording).
            assert [r for r in identifying_reasons(text) if "which could be a date of birth" not in r] == []
            # A case by its reference only: not the day the local authority became aware.
            assert "14 June 2027" not in text
        # The Prefect UI's copy names findings and actions by reference, not their words.
        assert "Audit tools returned too late" not in paper.markdown and "Share the audit timetable" not in paper.markdown
    pack = next(p for p in built.papers if p.kind == "pack")
    assert recorded.high_risk in pack.markdown and recorded.case in pack.markdown
    assert recorded.case in pdf_text(pack.stored.file(tmp_path, "pdf")), "the PDF's text was read (the checks above are not vacuous)"
    content = json.dumps(built.pack.as_dict())
    assert recorded.case in content and "aware" not in content
