"""The markdown version of a rendered paper, for the Prefect UI's artifact.

GitHub-flavoured markdown made from the paper's HTML: ``#`` headings, paragraphs,
``-``/``1.`` lists (nested lists indented under their item), pipe tables with the header
row (a table's caption as a bold line above it) and "**Label:** value" lines for a
definition list. Text from the record is escaped, so a ``|``, ``*`` or ``<script>`` in a
title shows as those characters and never becomes markup. Prefect is not imported here:
the task that publishes the artifact passes this text on.
"""

from __future__ import annotations

import re

from qaframework.documents.html_subset import (
    Block, Cell, Definitions, Heading, ItemList, Paragraph, Run, Runs, Table, parse, plain,
)

#: ASCII punctuation that is markup anywhere in a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
#: An ``&`` that would start a character reference (``&lt;``, ``&#60;``).
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
#: What makes a line a heading, list item, quote or rule when it starts one.
_LINE_START = re.compile(r"^(#|[-+=]|(\d+)([.)]))")


def html_to_markdown(html: str) -> str:
    """The markdown of a rendered paper; see the module docstring.

    >>> print(html_to_markdown("<h1>Pack</h1><p>Item <b>one</b> | two</p><ul><li>a</li></ul>"), end="")
    # Pack
    <BLANKLINE>
    Item **one** \\| two
    <BLANKLINE>
    - a
    """
    parts = [_block(block) for block in parse(html).blocks]
    text = "\n\n".join(part for part in parts if part)
    return f"{text}\n" if text else ""


def escape(text: str) -> str:
    r"""Text shown as itself in markdown.

    >>> escape("<script> | *x* & Q&P &amp;")
    '\\<script\\> \\| \\*x\\* & Q&P \\&amp;'
    >>> escape("1. not a list")
    '1\\. not a list'
    """
    text = _ENTITY.sub(r"\\&", _SPECIAL.sub(r"\\\1", text))
    match = _LINE_START.match(text)
    if match:
        if match.group(2):
            text = f"{match.group(2)}\\{match.group(3)}{text[match.end():]}"
        else:
            text = f"\\{text}"
    return text


def _block(block: Block, indent: str = "") -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {escape(plain(block.runs))}"
    if isinstance(block, Paragraph):
        return inline(block.runs, indent)
    if isinstance(block, ItemList):
        return _list(block, indent)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Definitions):
        lines = []
        for item in block.items:
            label = plain(item.label)
            value = inline(item.value, indent)
            if label:
                label = label if label.endswith(":") else f"{label}:"
                lines.append(f"**{escape(label)}** {value}".rstrip())
            else:
                lines.append(value)
        return f"\n\n{indent}".join(lines)
    return ""  # pragma: no cover - every block kind is handled above


def _list(block: ItemList, indent: str) -> str:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}." if block.ordered else "-"
        inner = indent + " " * (len(marker) + 1)
        lines.append(f"{indent}{marker} {inline(item.runs, inner)}".rstrip())
        for child in item.children:
            text = _block(child, inner)
            if isinstance(child, ItemList):
                lines.append(text)
            elif text:
                lines.append(f"\n{inner}{text}")
    return "\n".join(lines)


def _table(block: Table) -> str:
    lines: list[str] = []
    if block.caption:
        lines.append(f"**{escape(plain(block.caption))}**\n")
    columns = block.columns
    if not columns:
        return "\n".join(lines).strip()
    rows = [_cells(row, columns) for row in block.head + block.body]
    header, body = (rows[0], rows[1:])
    lines.append(_row(header))
    lines.append(_row(["---"] * columns))
    lines.extend(_row(row) for row in body)
    return "\n".join(lines)


def _cells(row: tuple[Cell, ...], columns: int) -> list[str]:
    texts: list[str] = []
    for cell in row:
        texts.append(escape(plain(cell.runs)))
        texts.extend([""] * (cell.colspan - 1))
    return (texts + [""] * columns)[:columns]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def inline(runs: Runs, indent: str = "") -> str:
    """Runs as markdown: bold as ``**``, italic as ``*``, links as ``[text](address)``,
    a ``<br>`` as a hard line break."""
    out: list[str] = []
    for run in runs:
        out.append(f"\\\n{indent}" if run.line_break else _styled(run))
    return "".join(out)


def _styled(run: Run) -> str:
    core = run.text.strip(" ")
    if not core:
        return run.text
    lead = " " if run.text.startswith(" ") else ""
    trail = " " if run.text.endswith(" ") else ""
    text = escape(core)
    if run.href and run.href.startswith(("https://", "http://", "mailto:")):
        text = f"[{text}](<{run.href.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>)"
    if run.italic:
        text = f"*{text}*"
    if run.bold:
        text = f"**{text}**"
    return f"{lead}{text}{trail}"
