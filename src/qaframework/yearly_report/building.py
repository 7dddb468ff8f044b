"""Build the yearly report on a financial year: gather the facts, read the narrative,
assemble, draw the charts, render one template to HTML, and file it with its PDF and
Word renderings as a version under the data folder (``reports/yearly/2027-28/``, or
another folder given).

Nothing is half-written: the facts, the narrative and all three renderings are made
before any file is written; the versions are written all-or-nothing by
:func:`qaframework.documents.write_versions`; the narrative files missing are created
(with their headings) only after the version is filed. Built again with nothing
changed, the latest version stands and nothing is written (``new`` is False), unless a
new version is asked for, whose files then say the same as the one before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from qaframework.documents import render_html, write_versions
from qaframework.documents.markdown_text import escape
from qaframework.documents.versions import WrittenDocument, latest_version
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.yearly_facts import yearly_facts
from qaframework.yearly_report.assembly import assemble, expected_narrative
from qaframework.yearly_report.charts import chart_urls
from qaframework.yearly_report.facts import YearlyFacts
from qaframework.yearly_report.model import Table, YearlyReport
from qaframework.yearly_report.narrative import create_missing, read_narrative

TEMPLATE = "report/yearly_report.html.j2"


def year_label(financial_year: int) -> str:
    """
    >>> year_label(2027), year_label(2099)
    ('2027-28', '2099-00')
    """
    return f"{financial_year}-{(financial_year + 1) % 100:02d}"


def year_folder(data_dir: Path, financial_year: int) -> Path:
    return Path(data_dir) / "reports" / "yearly" / year_label(financial_year)


def stem(financial_year: int) -> str:
    return f"yearly-report-{year_label(financial_year)}"


@dataclass(frozen=True)
class YearlyReportBuilt:
    report: YearlyReport
    written: WrittenDocument
    new: bool  # False: the latest version said the same, and stands
    narrative_folder: Path
    created_narrative: tuple[str, ...]
    markdown: str  # the Prefect UI's copy: figures, charts and their tables only


def render_report(report: YearlyReport, urls: dict[str, str] | None = None) -> str:
    """The report's HTML (the source of the PDF and the Word document)."""
    year = FinancialYear(report.financial_year)
    created = (date.fromisoformat(report.as_of) if report.draft else year.end).isoformat()
    return render_html(TEMPLATE, {"r": report, "charts": urls if urls is not None else chart_urls(report.charts), "created": created,
                                  "marking": "DRAFT" if report.draft else ""})


def _markdown_table(table: Table) -> str:
    def cell(value: object) -> str:
        return "" if value is None else escape(value.isoformat() if isinstance(value, date) else str(value))

    lines = [f"**{escape(table.caption)}**", "", "| " + " | ".join(escape(h) for h in table.headers) + " |",
             "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.rows]
    return "\n".join(lines) if table.rows else f"**{escape(table.caption)}**: {escape(table.empty)}"


def artifact_markdown(report: YearlyReport, urls: dict[str, str]) -> str:
    """For the Prefect UI: each section's key figures, and each chart (an image from its
    ``data:`` URL, with its text alternative) above the table of its numbers. No free
    text people typed (findings' titles, actions' wording) is included."""
    parts = [f"# {escape(report.partnership)}: yearly report {report.year}" + (" (DRAFT)" if report.draft else "")]
    if report.draft:
        parts.append(f"DRAFT: the year has not ended; the record as of {report.as_of}.")
    for s in report.sections:
        parts.append(f"## {escape(s.title)}")
        parts.append(_markdown_table(Table(f"{s.key}-figures", "Key figures", ("Figure", "Value"), s.figure_rows)))
        for c in s.charts:
            parts.append(f"![{escape(c.alt)}]({urls[c.key]})")
            parts.append(_markdown_table(c.table))
    return "\n\n".join(parts) + "\n"


def gather(*, session: Session, framework: Framework, financial_year: int, as_of: date) -> YearlyFacts:
    return yearly_facts(session=session, framework=framework, financial_year=financial_year, as_of=as_of)


def build_from_facts(framework: Framework, facts: YearlyFacts, data_dir: Path, output: Path | None = None,
                     new_version: bool = False) -> YearlyReportBuilt:
    """Assemble, render and file the report from facts gathered already."""
    folder = year_folder(data_dir, facts.financial_year)
    narrative_folder = folder / "narrative"
    files = expected_narrative(framework)
    report = assemble(framework, facts, read_narrative(narrative_folder, files))
    urls = chart_urls(report.charts)
    html = render_report(report, urls)
    target = Path(output) if output is not None else folder
    before = latest_version(target, stem(facts.financial_year))
    written = write_versions(target, stem(facts.financial_year), html, reuse_unchanged=not new_version)
    created = create_missing(narrative_folder, files)
    return YearlyReportBuilt(report, written, before is None or written.version != before.version, narrative_folder, tuple(created),
                             artifact_markdown(report, urls))


def build_yearly_report(*, session: Session, framework: Framework, data_dir: Path, financial_year: int, as_of: date,
                        output: Path | None = None, new_version: bool = False) -> YearlyReportBuilt:
    """Build the report on ``financial_year`` from the record as of ``as_of`` (a draft
    when the year has not ended by then). One line, nothing written, for a year with no
    plan or a narrative file that cannot be read."""
    facts = gather(session=session, framework=framework, financial_year=financial_year, as_of=as_of)
    return build_from_facts(framework, facts, data_dir, output, new_version)
