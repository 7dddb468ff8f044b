"""The editable Word version of a rendered paper, made from its HTML.

The chair adds narrative to this copy, so its structure is Word's own: ``h1``-``h6`` are
"Heading 1"-"Heading 6" (the navigation pane and a table of contents find them), lists
are "List Bullet"/"List Number" paragraphs (nested lists one style level deeper, and each
numbered list starts again at 1), a table's caption is a "Caption" paragraph above it and
its header rows repeat at the top of every page, and a definition list is "Label: value"
lines with the label in bold. The core properties carry the paper's title, language and
dates, and the file itself is written with fixed timestamps, so the same HTML gives the
same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from typing import Protocol

from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from qaframework.documents.html_subset import (
    Block, Definitions, Heading, ItemList, Paragraph, ParsedDocument, Run, Runs, Table, parse,
)

#: Word's list styles go three levels deep; deeper lists use the third.
_LIST_DEPTH = 3
#: The date written into a zip member (zip cannot hold dates before 1980).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class _Container(Protocol):
    """The document body or a table cell: anything Word paragraphs can be added to."""

    def add_paragraph(self, text: str = "", style: object = None) -> WordParagraph: ...


def html_to_docx(html: str) -> bytes:
    """The Word document (.docx bytes) of a rendered paper; see the module docstring.

    >>> from docx import Document
    >>> word = Document(io.BytesIO(html_to_docx("<title>Pack</title><h2>Agenda</h2>")))
    >>> word.core_properties.title, [(p.style.name, p.text) for p in word.paragraphs]
    ('Pack', [('Heading 2', 'Agenda')])
    """
    parsed = parse(html)
    word = Document()
    _set_properties(word, parsed)
    _Writer(word).blocks(word, parsed.blocks)
    buffer = io.BytesIO()
    word.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _set_properties(word: WordDocument, parsed: ParsedDocument) -> None:
    core = word.core_properties
    core.title = parsed.title
    core.language = parsed.lang or "en-GB"
    core.author = parsed.author or ""
    core.last_modified_by = parsed.author or ""
    core.comments = ""
    core.revision = 1
    created = _date(parsed.created)
    modified = _date(parsed.modified) or created
    if created is not None:
        core.created = created
    if modified is not None:
        core.modified = modified
    normal = word.styles["Normal"]
    run_properties = normal.element.get_or_add_rPr()
    lang = run_properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_properties.append(lang)
    lang.set(qn("w:val"), parsed.lang or "en-GB")


def _date(value: str | None) -> datetime | None:
    """A ``dcterms`` date (``2027-07-01`` or ``2027-07-01T09:00:00Z``) as UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _fixed_zip(data: bytes) -> bytes:
    """The same .docx with every member dated 1980-01-01, so equal content gives equal
    bytes (python-docx stamps each member with the time it was saved)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


class _Writer:
    """Writes blocks into a Word document, keeping the numbering of ordered lists."""

    def __init__(self, word: WordDocument) -> None:
        self._word = word
        # Each style looked up by name once: python-docx searches every style for a name.
        self._styles: dict[str, object] = {}

    def _paragraph(self, container: _Container, style: str | None) -> WordParagraph:
        if style is None:
            return container.add_paragraph()
        if style not in self._styles:
            self._styles[style] = self._word.styles[style]
        return container.add_paragraph(style=self._styles[style])

    def blocks(self, container: _Container, blocks: tuple[Block, ...], depth: int = 0) -> None:
        for block in blocks:
            self.block(container, block, depth)

    def block(self, container: _Container, block: Block, depth: int = 0) -> None:
        if isinstance(block, Heading):
            add_runs(self._paragraph(container, f"Heading {block.level}"), block.runs)
        elif isinstance(block, Paragraph):
            style = "Caption" if block.caption else (f"List Continue{_suffix(depth)}" if depth else None)
            add_runs(self._paragraph(container, style), block.runs)
        elif isinstance(block, ItemList):
            self.item_list(container, block, depth + 1)
        elif isinstance(block, Table):
            self.table(container, block)
        elif isinstance(block, Definitions):
            for item in block.items:
                paragraph = self._paragraph(container, None)
                label = "".join(run.text for run in item.label).strip()
                if label:
                    paragraph.add_run(label if label.endswith(":") else f"{label}:").bold = True
                    if item.value:
                        paragraph.add_run(" ")
                add_runs(paragraph, item.value)

    def item_list(self, container: _Container, block: ItemList, depth: int) -> None:
        style = f"{'List Number' if block.ordered else 'List Bullet'}{_suffix(depth)}"
        number = self._restart(style) if block.ordered else None
        for item in block.items:
            if item.runs or not item.children:
                paragraph = self._paragraph(container, style)
                if number is not None:
                    _number(paragraph, number)
                add_runs(paragraph, item.runs)
            self.blocks(container, item.children, depth)

    def _restart(self, style: str) -> int:
        """A new numbering instance for one ordered list, so it starts at 1 rather than
        carrying on from the list before it (all "List Number" paragraphs otherwise
        share one counter)."""
        numbering = self._word.part.numbering_part.element
        style_number = self._word.styles[style].element.pPr.numPr.numId.val
        abstract = numbering.num_having_numId(style_number).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    def table(self, container: _Container, block: Table) -> None:
        if block.caption:
            add_runs(self._paragraph(container, "Caption"), block.caption)
        columns = block.columns
        rows = block.head + block.body
        if not columns or not rows:
            return
        table: WordTable = container.add_table(rows=len(rows), cols=columns)  # type: ignore[attr-defined]
        table.style = self._word.styles["Table Grid"]
        for index, row in enumerate(rows):
            word_row = table.rows[index]
            if index < len(block.head):
                _repeat_as_header(word_row._tr)
            column = 0
            for cell in row:
                target = word_row.cells[column]
                if cell.colspan > 1 and column + cell.colspan - 1 < columns:
                    target = target.merge(word_row.cells[column + cell.colspan - 1])
                add_runs(target.paragraphs[0], cell.runs, bold=index < len(block.head) or cell.header)
                column += cell.colspan


def _suffix(depth: int) -> str:
    level = min(max(depth, 1), _LIST_DEPTH)
    return "" if level == 1 else f" {level}"


def _number(paragraph: WordParagraph, number: int) -> None:
    properties = paragraph._p.get_or_add_pPr()
    numbering = properties.get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = number


def _repeat_as_header(tr: object) -> None:
    """Mark a table row as a header row Word repeats at the top of each page."""
    properties = tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def add_runs(paragraph: WordParagraph, runs: Runs, bold: bool = False) -> None:
    """Add text runs to a Word paragraph, bold and italic as in the HTML."""
    for run in runs:
        _add_run(paragraph, run, bold)


def _add_run(paragraph: WordParagraph, run: Run, bold: bool) -> None:
    if run.line_break:
        paragraph.add_run().add_break()
        return
    word_run = paragraph.add_run(run.text)
    if run.bold or bold:
        word_run.bold = True
    if run.italic:
        word_run.italic = True
