"""The markdown for the Prefect UI's artifact: exact GitHub-flavoured markdown for the
subset, with everything from the record escaped."""

from __future__ import annotations

from qaframework.documents import html_to_markdown


def test_the_sample_paper_in_markdown(sample_html: str) -> None:
    assert html_to_markdown(sample_html) == """\
# Quality & Performance papers, Wednesday 7 July 2027

**Originator:** Chair of the subgroup

**Paper no:** QP-2027-03

**Submitted to:** Quality & Performance

**Meeting date:** Wednesday 7 July 2027

## Agenda

1. Welcome and apologies
2. Minutes of the last meeting
3. Exception reports

## Risks above tolerance

**Risks above tolerance**

| Risk | Rating | Owner |
| --- | --- | --- |
| Audit backlog | 16 | Audit subgroup |
| Return rates \\| police | 15 | Business unit |

### Findings

- **Voice of the child**
  - Case CR-2027-001 lacked recorded views
  - Two audits found good practice
- **Neglect**

  None

#### Recommendation

The Quality & Performance is asked to *note* the report and **agree** the actions.

## Actions

- Refresh the neglect toolkit by Wednesday 1 September 2027
"""


def test_a_small_input_exactly() -> None:
    html = (
        "<h2>Risks</h2><p>Rated <strong>16 </strong>by the <em>Audit subgroup</em>.<br>See below.</p>"
        "<ol><li>First<ul><li>detail</li></ul></li><li>Second</li></ol>"
        "<table><caption>Returns</caption><tr><th>Agency</th><th>Late</th></tr>"
        "<tr><td>Police</td><td>2</td></tr><tr><td colspan='2'>Total 2</td></tr></table>"
        "<dl><dt>Submitted to</dt><dd>Board</dd><dt>Date:</dt><dd>Monday</dd><dd>Tuesday</dd></dl>"
        "<p><a href='https://example.org/pack'>The pack</a></p>"
    )
    assert html_to_markdown(html) == (
        "## Risks\n\n"
        "Rated **16** by the *Audit subgroup*.\\\nSee below.\n\n"
        "1. First\n   - detail\n2. Second\n\n"
        "**Returns**\n\n| Agency | Late |\n| --- | --- |\n| Police | 2 |\n| Total 2 |  |\n\n"
        "**Submitted to:** Board\n\n**Date:** Monday; Tuesday\n\n"
        "[The pack](<https://example.org/pack>)\n"
    )


def test_text_from_the_record_never_becomes_markup() -> None:
    html = (
        "<h2># not a heading</h2><p>&lt;script&gt;alert(1)&lt;/script&gt; *not bold* _x_ [link](http://x) `code` ~~s~~</p>"
        "<p>- not a list</p><p>1. not numbered</p><p>&amp;lt; stays &amp; Q&amp;P</p>"
        "<table><tr><th>A|B</th></tr><tr><td>x | y</td></tr></table>"
    )
    assert html_to_markdown(html) == (
        "## \\# not a heading\n\n"
        "\\<script\\>alert(1)\\</script\\> \\*not bold\\* \\_x\\_ \\[link\\](http://x) \\`code\\` \\~\\~s\\~\\~\n\n"
        "\\- not a list\n\n"
        "1\\. not numbered\n\n"
        "\\&lt; stays & Q&P\n\n"
        "| A\\|B |\n| --- |\n| x \\| y |\n"
    )


def test_nothing_in_nothing_out() -> None:
    assert html_to_markdown("<html><head><title>Empty</title></head><body> </body></html>") == ""
