"""The PDF people circulate: a rendered paper printed by WeasyPrint as PDF/UA-1.

Tagged PDF (PDF/UA-1) keeps the HTML's structure, so a screen reader finds the headings,
lists and table headers; the ``<title>`` becomes the PDF's title and the page language
its ``/Lang``. Nothing outside the HTML is fetched while printing.
"""

from __future__ import annotations

from typing import Any

from qaframework.documents.errors import DocumentError
from qaframework.documents.html_subset import parse

#: The language every paper is written in, when its HTML does not say.
LANGUAGE = "en-GB"


def _fetcher() -> Any:
    """WeasyPrint's fetcher for papers: nothing outside the HTML is loaded (no network,
    no local files), so a paper cannot leak or depend on anything but its own text.
    Images and fonts a template needs go inline as ``data:`` URLs. (WeasyPrint is
    imported when a PDF is made: it takes most of a second, which every run and command
    that makes none would pay.)"""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """The accessible PDF of a rendered paper: PDF/UA-1 (tagged), with the ``<title>`` as
    its title and the page's language (en-GB when the HTML gives none). The same HTML
    gives the same bytes: WeasyPrint writes no clock time, and the dates it does write
    come from ``<meta name="dcterms.created">`` and ``dcterms.modified``.

    Raises DocumentError when the HTML has no ``<title>``: PDF/UA needs one.
    """
    parsed = parse(html)
    if not parsed.title:
        raise DocumentError("the document has no <title>: a paper's PDF needs one to be accessible (extend papers/_base.html.j2)")
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_fetcher()).render(pdf_variant="pdf/ua-1")
    if not document.metadata.lang:
        document.metadata.lang = LANGUAGE
    return document.write_pdf(pdf_variant="pdf/ua-1")
