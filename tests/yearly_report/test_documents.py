"""``qaf report yearly`` on a simulated year: the PDF (its text read with PDFium) and the Word
document (python-docx) hold the headings and the figures; the narrative files are
created once with their headings, never overwritten, merged into every version; a
re-assembly with nothing changed says the same; a year not ended is a DRAFT; nothing
that identifies a child, a family or a practitioner is in any output."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import docx
import pypdf

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.yearly_report.assembly import SECTIONS
from tests.partnerships.conftest import Qaf, sqlite_only
from tests.pdf_reading import pdf_text
from tests.yearly_report.conftest import Simulated

pytestmark = sqlite_only


def _docx_text(path: Path) -> tuple[list[str], str]:
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    cells = " | ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    return headings, " ".join(p.text for p in document.paragraphs) + " " + cells


def _build(partnership_qaf: Qaf, fy: int, *extra: str) -> dict:
    code, out, err = partnership_qaf("report", "yearly", "--fy", str(fy), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_pdf_and_word_hold_the_headings_and_figures(simulated: Simulated, partnership: Framework, partnership_qaf: Qaf, tmp_path: Path) -> None:
    fy = simulated.financial_year
    as_of = (FinancialYear(fy).end + timedelta(days=45)).isoformat()
    code, out, err = partnership_qaf("report", "yearly", "--fy", str(fy), "--as-of", as_of)
    assert code == 0, err
    assert "DRAFT" not in out and "version 1" in out
    narrative = tmp_path / ".qaf" / "reports" / "yearly" / f"{fy}-{(fy + 1) % 100:02d}" / "narrative"
    assert f"Narrative still empty (the report shows their headings only), in {narrative}: foreword.md" in out
    assert (narrative / "foreword.md").read_text(encoding="utf-8") == "# Foreword\n\n"
    built = _build(partnership_qaf, fy, "--as-of", as_of, "--if-changed")
    assert (built["version"], built["new"]) == (1, False), "nothing changed: with --if-changed the latest version stands"
    report = built["report"]
    pdf, (headings, word) = pdf_text(Path(built["files"]["pdf"])), _docx_text(Path(built["files"]["docx"]))
    for title in SECTIONS.values():
        assert title in pdf and title in headings
    assert "Foreword" in headings and "Sign-off and publication" in headings
    for section in report["sections"]:
        for figure in section["figures"]:
            row = f"{figure['label']} | {'' if figure['value'] is None else figure['value']}"
            assert row in word, row
    did = next(s for s in report["sections"] if s["key"] == "what-we-did")
    late = next(f for f in did["figures"] if f["key"] == "returns-late")
    assert f"Returns received late {late['value']}" in pdf
    assert "Returns on time, late and missing, by agency" in pdf
    assert partnership.agencies[simulated.late_agency].name in pdf
    for ref in (*simulated.cases, *simulated.routed):
        assert ref in pdf and ref in word
    # Accessible: a chart has its text alternative, and is an SVG drawn from the numbers.
    html = Path(built["files"]["html"]).read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', html)
    assert len(images) == sum(len(s["charts"]) for s in report["sections"]) > 5
    assert all(len(alt) > 40 for alt in images)


def test_narrative_is_merged_never_overwritten_and_a_rebuild_says_the_same(simulated: Simulated, partnership_qaf: Qaf, tmp_path: Path) -> None:
    fy = simulated.financial_year
    as_of = (FinancialYear(fy).end + timedelta(days=45)).isoformat()
    first = _build(partnership_qaf, fy, "--as-of", as_of)
    folder = Path(first["narrative"])
    (folder / "foreword.md").write_text("# Foreword\n\nA year in which every agency\nsent its returns.\n\n- more audits\n", encoding="utf-8")
    (folder / "commentary-impact.md").unlink()
    second = _build(partnership_qaf, fy, "--as-of", as_of)
    assert (second["version"], second["new"]) == (2, True)
    assert second["report"]["foreword"] == ["A year in which every agency sent its returns.", "- more audits"]
    assert "foreword" not in second["empty_narrative"] and "commentary-impact" in second["empty_narrative"]
    assert (folder / "foreword.md").read_text(encoding="utf-8").startswith("# Foreword\n\nA year in which")
    assert (folder / "commentary-impact.md").read_text(encoding="utf-8") == "# Commentary: Evidence of impact on children and families\n\n"
    assert "A year in which every agency sent its returns." in pdf_text(Path(second["files"]["pdf"]))
    third = _build(partnership_qaf, fy, "--as-of", as_of)
    assert third["version"] == 3 and third["new"] and third["report"] == second["report"]
    unchanged = _build(partnership_qaf, fy, "--as-of", as_of, "--if-changed")
    assert (unchanged["version"], unchanged["new"]) == (3, False)
    before, after = (Path(b["files"]["html"]) for b in (second, third))
    assert before.read_text(encoding="utf-8") == after.read_text(encoding="utf-8")
    assert pdf_text(Path(second["files"]["pdf"])) == pdf_text(Path(third["files"]["pdf"]))
    assert Path(second["files"]["docx"]).read_bytes() == Path(third["files"]["docx"]).read_bytes()
    assert Path(first["files"]["pdf"]).is_file(), "earlier versions are kept"


def test_a_year_not_ended_is_a_draft_and_says_so(simulated: Simulated, partnership_qaf: Qaf, tmp_path: Path) -> None:
    fy = simulated.financial_year
    as_of = (FinancialYear(fy).end - timedelta(days=10)).isoformat()
    output = tmp_path / "out"
    code, out, err = partnership_qaf("report", "yearly", "--fy", str(fy), "--as-of", as_of, "--output", str(output))
    assert code == 0, err
    assert out.startswith(f"DRAFT: {FinancialYear(fy)} has not ended (it ends on {FinancialYear(fy).end.isoformat()})")
    pdf = next(output.glob("*-v1.pdf"))
    text = pdf_text(pdf)
    assert text.count("DRAFT") >= 2 and "the record as it stood on" in text
    assert pypdf.PdfReader(pdf).metadata.title.endswith(f"yearly report {FinancialYear(fy)}")


def test_nothing_identifying_reaches_any_output(simulated: Simulated, partnership: Framework, partnership_qaf: Qaf) -> None:
    from qaframework.persistence.database import transaction
    from qaframework.yearly_report.building import build_from_facts, gather

    fy = simulated.financial_year
    built = _build(partnership_qaf, fy, "--as-of", (FinancialYear(fy).end + timedelta(days=45)).isoformat())
    outputs = [Path(built["files"]["html"]).read_text(encoding="utf-8"), pdf_text(Path(built["files"]["pdf"])),
               _docx_text(Path(built["files"]["docx"]))[1], json.dumps(built)]
    with transaction(simulated.url) as session:
        facts = gather(session=session, framework=partnership, financial_year=fy, as_of=FinancialYear(fy).end + timedelta(days=45))
    markdown = build_from_facts(partnership, facts, Path(built["narrative"]).parents[3]).markdown
    example = next(rt.case_number_example for rt in partnership.document.returns.values() if rt.kind == "case-audit")
    prefix = example.rsplit("-", 1)[0]
    for text in [*outputs, markdown]:
        assert prefix + "-" not in text, "case-audit case numbers are never shown"
        assert "100001" not in text and "A school" not in text, "schools are counted, never named"
        assert "Criteria considered by the panel" not in text, "a review's rationale stays in the case record"
    # The Prefect UI's copy leaves out what people typed: findings' titles, actions' wording.
    assert "Audit tools returned too late" not in markdown and "Publish the chronology guidance" not in markdown
    assert "Audit tools returned too late" in outputs[0] and "Audit tools returned too late" in outputs[1], "the report itself gives them"
    assert markdown.count("](data:image/svg+xml;base64,") == sum(len(s["charts"]) for s in built["report"]["sections"])
