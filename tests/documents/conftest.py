"""Fixtures for the document renderer: a small test paper (under ``templates/`` here,
extending the shipped ``papers/_base.html.j2``) rendered once, and readers of what we
emit (PDFium for the PDF's text, python-docx for Word)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as WordDocument

from qaframework.documents import html_to_docx, html_to_pdf, render_html
from tests.pdf_reading import page_texts

TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"
SAMPLE = "papers/sample.html.j2"

#: The sample paper's context: a pack for a subgroup with an ampersand in its name.
CONTEXT: dict[str, object] = {
    "body": "Quality & Performance",
    "meeting": date(2027, 7, 7),
    "originator": "Chair of the subgroup",
    "paper_no": "QP-2027-03",
    "created": "2027-07-06T09:00:00Z",
    "agenda": ["Welcome and apologies", "Minutes of the last meeting", "Exception reports"],
    "risks": [["Audit backlog", 16, "Audit subgroup"], ["Return rates | police", 15, "Business unit"]],
    "themes": [
        ("Voice of the child", ["Case CR-2027-001 lacked recorded views", "Two audits found good practice"]),
        ("Neglect", []),
    ],
    "actions": ["Refresh the neglect toolkit by Wednesday 1 September 2027"],
}
TITLE = "Quality & Performance papers, Wednesday 7 July 2027"


def sample(**changes: object) -> str:
    """The sample paper's HTML, with some context values changed."""
    return render_html(SAMPLE, {**CONTEXT, **changes}, templates=TEST_TEMPLATES)


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return page_texts(data)


def word(data: bytes) -> WordDocument:
    return Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def sample_html() -> str:
    return sample()


@pytest.fixture(scope="module")
def sample_pdf(sample_html: str) -> bytes:
    return html_to_pdf(sample_html)


@pytest.fixture(scope="module")
def sample_docx(sample_html: str) -> bytes:
    return html_to_docx(sample_html)
