"""Documents people use: each paper rendered from one Jinja2 template to HTML, and from
that HTML to an accessible PDF, an editable Word document and markdown for the Prefect
UI, filed as numbered versions that are never overwritten.

``render_html`` makes the HTML; ``html_to_pdf``, ``html_to_docx`` and
``html_to_markdown`` convert it; ``write_versions`` files a version's three files.
"""

from qaframework.documents.errors import DocumentError
from qaframework.documents.rendering import (
    LANGUAGE, TEMPLATES, WrittenDocument, display, html_to_docx, html_to_markdown, html_to_pdf,
    latest_version, render_html, write_versions,
)

__all__ = [
    "LANGUAGE", "TEMPLATES", "DocumentError", "WrittenDocument", "display", "html_to_docx",
    "html_to_markdown", "html_to_pdf", "latest_version", "render_html", "write_versions",
]
