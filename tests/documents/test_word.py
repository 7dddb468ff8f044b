"""The editable Word document, read back with python-docx: real heading, list and
caption styles, a table whose header row repeats on each page, bold labels, the title in
the core properties, and no text lost."""

from __future__ import annotations

from datetime import datetime

from docx.oxml.ns import qn
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from qaframework.documents import html_to_docx
from tests.documents.conftest import TITLE, word


def _styled(data: bytes) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in word(data).paragraphs]


def test_headings_lists_and_labels_have_words_own_styles(sample_docx: bytes) -> None:
    assert _styled(sample_docx) == [
        ("Heading 1", TITLE),
        ("Normal", "Originator: Chair of the subgroup"),
        ("Normal", "Paper no: QP-2027-03"),
        ("Normal", "Submitted to: Quality & Performance"),
        ("Normal", "Meeting date: Wednesday 7 July 2027"),
        ("Heading 2", "Agenda"),
        ("List Number", "Welcome and apologies"),
        ("List Number", "Minutes of the last meeting"),
        ("List Number", "Exception reports"),
        ("Heading 2", "Risks above tolerance"),
        ("Caption", "Risks above tolerance"),
        ("Heading 3", "Findings"),
        ("List Bullet", "Voice of the child"),
        ("List Bullet 2", "Case CR-2027-001 lacked recorded views"),
        ("List Bullet 2", "Two audits found good practice"),
        ("List Bullet", "Neglect"),
        ("List Continue", "None"),
        ("Heading 4", "Recommendation"),
        ("Normal", "The Quality & Performance is asked to note the report and agree the actions."),
        ("Heading 2", "Actions"),
        ("List Bullet", "Refresh the neglect toolkit by Wednesday 1 September 2027"),
    ]


def test_labels_are_bold_and_emphasis_is_kept(sample_docx: bytes) -> None:
    paragraphs = word(sample_docx).paragraphs
    assert [(r.text, bool(r.bold)) for r in paragraphs[1].runs] == [
        ("Originator:", True), (" ", False), ("Chair of the subgroup", False)]
    recommendation = next(p for p in paragraphs if p.text.startswith("The Quality"))
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in recommendation.runs] == [
        ("The Quality & Performance is asked to ", False, False), ("note", False, True),
        (" the report and ", False, False), ("agree", True, False), (" the actions.", False, False)]
    theme = next(p for p in paragraphs if p.text == "Voice of the child")
    assert [bool(r.bold) for r in theme.runs] == [True]


def test_the_table_has_its_caption_above_and_a_repeating_bold_header_row(sample_docx: bytes) -> None:
    document = word(sample_docx)
    [table] = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Risk", "Rating", "Owner"],
        ["Audit backlog", "16", "Audit subgroup"],
        ["Return rates | police", "15", "Business unit"],
    ]
    flags = [row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
    assert flags == [True, False, False]
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not any(run.bold for cell in table.rows[1].cells for run in cell.paragraphs[0].runs)
    body = list(document.element.body.iterchildren())
    position = body.index(table._tbl)
    before = WordParagraph(body[position - 1], document._body)
    assert (before.style.name, before.text) == ("Caption", "Risks above tolerance")
    assert table.style.name == "Table Grid"


def test_the_core_properties_carry_the_title_language_and_date(sample_docx: bytes) -> None:
    core = word(sample_docx).core_properties
    assert (core.title, core.language, core.author) == (TITLE, "en-GB", "")
    assert core.created == core.modified
    assert core.created.replace(tzinfo=None) == datetime(2027, 7, 6, 9, 0)


def test_each_numbered_list_starts_again_at_one() -> None:
    data = html_to_docx("<title>Two lists</title><ol><li>a</li><li>b</li></ol><p>Between</p><ol><li>c</li></ol>")
    paragraphs = [p for p in word(data).paragraphs if p.style.name == "List Number"]
    numbers = [p._p.pPr.numPr.numId.val for p in paragraphs]
    assert numbers[0] == numbers[1] != numbers[2]
    numbering = word(data).part.numbering_part.element
    for number in {numbers[0], numbers[2]}:
        override = numbering.num_having_numId(number).lvlOverride_lst[0]
        assert (override.ilvl, override.startOverride.val) == (0, 1)


def test_nothing_outside_the_subset_is_lost_and_scripts_are_not_text() -> None:
    html = (
        "<html><head><title>Odd</title><style>p { color: red }</style></head><body>"
        "<custom-box>Kept <b>as</b> text</custom-box><section>Loose text<p>Para</p>tail</section>"
        "<script>alert('no')</script><figure><figcaption>Figure one</figcaption></figure>"
        "<table><tr><th>Only</th><th>Headers</th></tr><tr><td colspan='2'>Spans <br>two</td></tr></table>"
        "<ul><li>One<ol><li>Deep</li></ol></li></ul><h5>Five</h5></body></html>"
    )
    data = html_to_docx(html)
    assert _styled(data) == [
        ("Normal", "Kept as text"), ("Normal", "Loose text"), ("Normal", "Para"), ("Normal", "tail"),
        ("Caption", "Figure one"), ("List Bullet", "One"), ("List Number 2", "Deep"), ("Heading 5", "Five"),
    ]
    [table] = word(data).tables
    assert isinstance(table, WordTable)
    assert [[c.text for c in row.cells] for row in table.rows] == [["Only", "Headers"], ["Spans\ntwo", "Spans\ntwo"]]
    assert table.rows[1].cells[0]._tc is table.rows[1].cells[1]._tc  # merged, not two cells
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_the_same_html_gives_the_same_word_document(sample_html: str, sample_docx: bytes) -> None:
    again = html_to_docx(sample_html)
    assert [p.text for p in word(again).paragraphs] == [p.text for p in word(sample_docx).paragraphs]
    assert again == sample_docx
