"""The PDF people circulate: read back with pypdf, it has the paper's text in order, one
page per page of content with "Page N of M" footers, is tagged PDF/UA-1 with its title
and language, fetches nothing from outside and comes out the same twice."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from qaframework.documents import DocumentError, html_to_pdf
from tests.documents.conftest import TITLE, pdf_text, sample


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_pdf_holds_the_papers_text_in_reading_order(sample_pdf: bytes) -> None:
    pages = pdf_text(sample_pdf)
    assert len(pages) == 1
    lines = _lines(pages[0])
    body = lines[lines.index("Originator Chair of the subgroup"):lines.index("Refresh the neglect toolkit by Wednesday 1 September 2027") + 1]
    assert body == [
        "Originator Chair of the subgroup",
        "Paper no QP-2027-03",
        "Submitted to Quality & Performance",
        "Meeting date Wednesday 7 July 2027",
        "Agenda",
        "Welcome and apologies",
        "Minutes of the last meeting",
        "Exception reports",
        "Risks above tolerance",
        "Risks above tolerance",
        "Risk Rating Owner",
        "Audit backlog 16 Audit subgroup",
        "Return rates | police 15 Business unit",
        "Findings",
        "Voice of the child",
        "Case CR-2027-001 lacked recorded views",
        "Two audits found good practice",
        "Neglect",
        "None",
        "Recommendation",
        "The Quality & Performance is asked to note the report and agree the actions.",
        "Actions",
        "Refresh the neglect toolkit by Wednesday 1 September 2027",
    ]
    assert " ".join(lines[: lines.index("Originator Chair of the subgroup")]) == TITLE
    assert lines[-1] == f"{TITLE} Page 1 of 1"


def _structure_types(node: object, found: list[str]) -> list[str]:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            found.append(str(node["/S"]))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            _structure_types(kid, found)
    return found


def test_the_pdf_is_tagged_pdf_ua_with_its_title_and_language(sample_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(sample_pdf))
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en-GB"
    assert reader.metadata.title == TITLE
    assert reader.metadata["/CreationDate"] == "D:20270706090000Z"
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp
    types = _structure_types(catalog["/StructTreeRoot"], [])
    assert types.count("/H1") == 1 and types.count("/H2") == 3
    assert (types.count("/H3"), types.count("/H4")) == (1, 1)
    assert (types.count("/Table"), types.count("/Caption"), types.count("/TH"), types.count("/TD")) == (1, 1, 3, 6)


def test_a_long_table_runs_over_pages_and_every_page_is_numbered_and_marked() -> None:
    rows = [[f"Risk {number:03d}", 14, "Audit subgroup"] for number in range(1, 121)]
    pages = pdf_text(html_to_pdf(sample(risks=rows, marking="OFFICIAL-SENSITIVE")))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert _lines(text)[-1] == f"{TITLE} Page {number} of {len(pages)}"
        assert _lines(text).count("OFFICIAL-SENSITIVE") == 1
    # the header row is printed again at the top of the table on every later page
    assert all("Risk Rating Owner" in _lines(text) for text in pages[1:-1])
    every_row = [line for text in pages for line in _lines(text) if line.startswith("Risk 0") or line.startswith("Risk 1")]
    assert every_row == [f"Risk {number:03d} 14 Audit subgroup" for number in range(1, 121)]


def test_the_same_html_gives_the_same_pdf(sample_html: str, sample_pdf: bytes) -> None:
    """Same text, pages and metadata. (Not always the same bytes: without HarfBuzz's
    subsetter WeasyPrint subsets fonts with fontTools, whose output can differ between
    runs in one process.)"""
    again = [html_to_pdf(sample_html) for _ in range(2)]
    first = PdfReader(io.BytesIO(sample_pdf))
    for data in again:
        assert pdf_text(data) == pdf_text(sample_pdf)
        assert dict(PdfReader(io.BytesIO(data)).metadata) == dict(first.metadata)


def test_a_paper_without_a_title_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"^the document has no <title>: a paper's PDF needs one"):
        html_to_pdf("<html lang='en-GB'><body><p>No title</p></body></html>")


def test_a_paper_without_a_language_is_marked_en_gb() -> None:
    data = html_to_pdf("<html><head><title>Untitled language</title></head><body><p>Text</p></body></html>")
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/Lang"] == "en-GB"


def test_printing_fetches_nothing_from_outside_the_html(tmp_path) -> None:
    requests: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    secret = tmp_path / "secret.css"
    secret.write_text("p::after { content: 'LEAKED' }", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        html = (
            f"<html lang='en-GB'><head><title>Fetching</title><link rel='stylesheet' href='{url}/style.css'>"
            f"<link rel='stylesheet' href='{secret.as_uri()}'></head>"
            f"<body><p>Text</p><img src='{url}/logo.png' alt='Logo'></body></html>"
        )
        pages = pdf_text(html_to_pdf(html))
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []
    assert "LEAKED" not in pages[0] and "Text" in pages[0]
