"""Rendering a paper: one Jinja2 template to HTML, and that HTML to an accessible PDF.

Every document people use (a meeting's pack, an exception report, the yearly report) is
one template under ``templates/`` extending ``papers/_base.html.j2``. The HTML it renders
is the document: the PDF is printed from it here by WeasyPrint as PDF/UA-1 (tagged, so a
screen reader finds the headings and table headers, with the ``<title>`` and the page
language in its metadata), and ``qaframework.documents.word`` and
``qaframework.documents.markdown_text`` convert the same HTML to Word and markdown.
Values from the record are escaped by the template engine, so text typed into a finding
or an action can never become markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2 import TemplateNotFound as _TemplateNotFound

from qaframework.documents.errors import DocumentError
from qaframework.documents.markdown_text import html_to_markdown
from qaframework.documents.pdf import LANGUAGE, html_to_pdf
from qaframework.documents.versions import WrittenDocument, latest_version, write_versions
from qaframework.documents.word import html_to_docx
from qaframework.reminders.emails import long_date

#: The repository's templates folder (papers live in ``templates/papers/``).
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"

__all__ = [
    "LANGUAGE", "TEMPLATES", "WrittenDocument", "display", "html_to_docx", "html_to_markdown",
    "html_to_pdf", "latest_version", "render_html", "write_versions",
]


def display(value: object) -> str:
    """A value as a paper shows it: dates in words, nothing for None, Yes/No for flags.

    >>> display(date(2027, 7, 7)), display(None), display(True), display(13)
    ('Wednesday 7 July 2027', '', 'Yes', '13')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{long_date(value.date())}, {value:%H:%M}"
    if isinstance(value, date):
        return long_date(value)
    return str(value)


def _environment(folder: Path) -> Environment:
    """Templates come from ``folder`` first, then the shipped ``templates/``, so a
    template kept elsewhere (a partnership's own, a test's) still extends the shipped
    ``papers/_base.html.j2`` and imports its macros."""
    search = [str(folder)] if folder.resolve() == TEMPLATES else [str(folder), str(TEMPLATES)]
    env = Environment(
        loader=FileSystemLoader(search), undefined=StrictUndefined, autoescape=True,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.filters["display"] = display
    return env


def render_html(template_name: str, context: Mapping[str, object], templates: Path = TEMPLATES) -> str:
    """The HTML of one document: ``template_name`` (a path under ``templates``, such as
    ``papers/meeting_pack.html.j2``; the shipped folder is searched after it) rendered
    with ``context``. Every value is escaped;
    a name the template uses but the context lacks is an error, not an empty gap."""
    try:
        template = _environment(templates).get_template(template_name)
    except _TemplateNotFound as error:
        raise DocumentError(f"no document template {template_name!r} in {templates}: add it there, extending papers/_base.html.j2") from error
    return template.render(**context)
