"""Rendering a paper from its template: values are escaped in every format, a missing
value is an error, the shipped macros give tables, front matter and lists, and a paper
for either shipped partnership names its bodies from the framework file."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from qaframework.documents import (
    DocumentError, display, html_to_docx, html_to_markdown, html_to_pdf, render_html,
)
from qaframework.framework import load_framework
from tests.documents.conftest import CONTEXT, TEST_TEMPLATES, pdf_text, sample, word

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"sscp": ROOT / "schedules" / "sscp.yaml", "example": ROOT / "schedules" / "example_partnership.yaml"}
HOSTILE = "<script>alert('x')</script> | **bold** <b>b</b>"


def test_the_base_layout_gives_a_titled_english_page(sample_html: str) -> None:
    assert sample_html.startswith("<!DOCTYPE html>\n<html lang=\"en-GB\">")
    assert "<title>Quality &amp; Performance papers, Wednesday 7 July 2027</title>" in sample_html
    assert '<meta name="dcterms.created" content="2027-07-06T09:00:00Z">' in sample_html
    assert re.search(r"@page \{\s*size: A4;\s*margin: 2cm", sample_html)
    assert 'counter(page) " of " counter(pages)' in sample_html
    assert '<th scope="col">Risk</th>' in sample_html


def test_values_from_the_record_never_become_markup_in_any_format() -> None:
    html = sample(body=HOSTILE, agenda=[HOSTILE])
    assert "<script>" not in html and "<b>b</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | **bold** &lt;b&gt;b&lt;/b&gt;" in html
    assert HOSTILE in [p.text for p in word(html_to_docx(html)).paragraphs]
    markdown = html_to_markdown(html)
    assert "1. \\<script\\>alert('x')\\</script\\> \\| \\*\\*bold\\*\\* \\<b\\>b\\</b\\>\n" in markdown
    assert "<script>" not in markdown
    assert HOSTILE in pdf_text(html_to_pdf(html))[0].replace("\n", " ")


def test_a_value_the_template_needs_but_the_context_lacks_is_an_error() -> None:
    context = {key: value for key, value in CONTEXT.items() if key != "paper_no"}
    with pytest.raises(UndefinedError, match="'paper_no' is undefined"):
        render_html("papers/sample.html.j2", context, templates=TEST_TEMPLATES)


def test_an_unknown_template_is_one_line_saying_where_to_add_it() -> None:
    with pytest.raises(DocumentError, match=r"^no document template 'papers/missing.html.j2' in .*: add it there, extending papers/_base.html.j2$"):
        render_html("papers/missing.html.j2", CONTEXT, templates=TEST_TEMPLATES)


def test_the_shipped_macros(tmp_path: Path) -> None:
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "macros_only.html.j2").write_text(
        '{% extends "papers/_base.html.j2" %}{% import "papers/_macros.html.j2" as m %}'
        "{% block title %}Macros{% endblock %}"
        "{% block front_matter %}{{ m.front_matter(pairs) }}{% endblock %}"
        '{% block content %}{{ m.table("Late returns", ["Agency", "Due"], rows, empty="No return is late.") }}'
        '{{ m.table("Empty", ["A"], [], empty="No return is missing.") }}'
        '{{ m.items(entries) }}{{ m.items([], empty="No actions.") }}{% endblock %}',
        encoding="utf-8",
    )
    html = render_html("papers/macros_only.html.j2", {
        "pairs": {"Paper no": "QA-1", "Meeting date": date(2027, 6, 9), "Signed": None},
        "rows": [["Police", date(2027, 5, 28)]], "entries": ["one", True],
    }, templates=tmp_path)
    assert html_to_markdown(html) == (
        "# Macros\n\n**Paper no:** QA-1\n\n**Meeting date:** Wednesday 9 June 2027\n\n**Signed:**\n\n"
        "**Late returns**\n\n| Agency | Due |\n| --- | --- |\n| Police | Friday 28 May 2027 |\n\n"
        "No return is missing.\n\n- one\n- Yes\n\nNo actions.\n"
    )
    assert '<p class="empty">No return is missing.</p>' in html
    assert 'name="dcterms.created"' not in html  # no date given, none invented


def test_display_shows_values_as_a_paper_does() -> None:
    assert display(datetime(2027, 7, 7, 10, 0)) == "Wednesday 7 July 2027, 10:00"
    assert [display(v) for v in (date(2026, 12, 28), None, False, 0, "text")] == [
        "Monday 28 December 2026", "", "No", "0", "text"]


@pytest.mark.parametrize("shipped", list(SHIPPED), ids=list(SHIPPED))
def test_a_paper_names_the_partnerships_own_bodies(shipped: str) -> None:
    framework = load_framework(SHIPPED[shipped])
    top = framework.bodies[framework.role("top_body")].name
    unit = framework.bodies[framework.role("business_unit")].name
    html = sample(body=top, originator=unit)
    paragraphs = [p.text for p in word(html_to_docx(html)).paragraphs]
    assert paragraphs[:3] == [f"{top} papers, Wednesday 7 July 2027", f"Originator: {unit}", "Paper no: QP-2027-03"]
    assert f"**Submitted to:** {top}\n" in html_to_markdown(html)
