"""The HTML our paper templates emit, read into plain blocks for Word and markdown.

A paper is rendered once, to HTML, from its Jinja2 template; the Word document and the
markdown artifact are made from that HTML, so every rendering says the same thing. This
module reads the controlled subset those templates use into a few frozen blocks:
headings (``h1``-``h6``), paragraphs (``p``, ``figcaption``), lists (``ul``/``ol``/``li``,
nested), tables (``caption``, ``thead``/``tbody``/``tfoot``, ``th``/``td``, ``colspan``)
and definition lists (``dl``/``dt``/``dd``). Inside them, ``strong``/``b`` are bold,
``em``/``i`` italic, ``a`` keeps its address and ``br`` breaks the line. Sectioning
elements (``div``, ``section``, ``header``...) are read through. Anything else keeps its
text, as a paragraph of its own, so no text is ever lost; ``script``, ``style`` and the
``head`` are not document text and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Union

import lxml.html
from lxml.html import HtmlElement

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CONTAINERS = frozenset({
    "body", "div", "section", "article", "main", "header", "footer", "nav", "aside",
    "figure", "blockquote", "address", "details", "summary", "form", "fieldset",
})
INLINE = frozenset({
    "span", "a", "strong", "b", "em", "i", "u", "code", "small", "abbr", "time", "mark",
    "sub", "sup", "q", "cite", "data", "var", "kbd", "samp", "s", "del", "ins", "br",
    "wbr", "label", "bdi", "bdo", "img",
})
BOLD = frozenset({"strong", "b", "th"})
ITALIC = frozenset({"em", "i", "cite", "var"})
#: Elements that are not document text.
SKIPPED = frozenset({"head", "script", "style", "template", "noscript", "hr"})
BLOCKS = frozenset({"p", "figcaption", "ul", "ol", "li", "table", "dl", "pre"}) | set(HEADINGS) | CONTAINERS

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Run:
    """A stretch of text with one formatting; ``line_break`` is a ``<br>``."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None
    line_break: bool = False


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    runs: Runs


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``caption`` for a figure's caption."""

    runs: Runs
    caption: bool = False


@dataclass(frozen=True)
class ListItem:
    """One ``li``: its first paragraph, then what follows it (nested lists, paragraphs)."""

    runs: Runs
    children: tuple[Block, ...] = ()


@dataclass(frozen=True)
class ItemList:
    ordered: bool
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class Cell:
    runs: Runs
    header: bool = False
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    """A table: its caption, the header rows (``thead``, or leading rows of ``th`` only)
    and the other rows."""

    caption: Runs
    head: tuple[tuple[Cell, ...], ...]
    body: tuple[tuple[Cell, ...], ...]

    @property
    def columns(self) -> int:
        return max((sum(cell.colspan for cell in row) for row in self.head + self.body), default=0)


@dataclass(frozen=True)
class Definition:
    """A ``dt`` and its ``dd`` (several ``dd`` are joined with "; ")."""

    label: Runs
    value: Runs


@dataclass(frozen=True)
class Definitions:
    items: tuple[Definition, ...]


Block = Union[Heading, Paragraph, ItemList, Table, Definitions]


@dataclass(frozen=True)
class ParsedDocument:
    """A rendered paper read back: its title, language, dates and blocks."""

    title: str
    lang: str | None
    created: str | None
    modified: str | None
    author: str | None
    blocks: tuple[Block, ...]


def plain(runs: Runs) -> str:
    """The text of some runs, with line breaks as spaces."""
    return "".join(" " if run.line_break else run.text for run in runs).strip()


def parse(html: str) -> ParsedDocument:
    """Read a rendered paper into blocks (see the module's docstring for the subset).

    >>> doc = parse("<html><head><title>Pack</title></head><body><h1>Pack</h1><p>A <b>b</b></p></body></html>")
    >>> doc.title, [type(block).__name__ for block in doc.blocks], plain(doc.blocks[1].runs)
    ('Pack', ['Heading', 'Paragraph'], 'A b')
    """
    root = lxml.html.document_fromstring(html or "<html></html>")
    title = _SPACE.sub(" ", root.findtext(".//title") or "").strip()
    meta = {m.get("name", "").lower(): m.get("content") for m in root.iter("meta") if m.get("name")}
    body = root.find("body")
    blocks = tuple(_blocks(body)) if body is not None else ()
    return ParsedDocument(
        title=title, lang=root.get("lang"), created=meta.get("dcterms.created"),
        modified=meta.get("dcterms.modified"), author=meta.get("author"), blocks=blocks,
    )


def _tag(node: object) -> str | None:
    """An element's lower-case tag, or None for comments and processing instructions."""
    tag = getattr(node, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def _has_blocks(element: HtmlElement) -> bool:
    return any(_tag(node) in BLOCKS for node in element.iterdescendants())


class _Pending:
    """Inline content gathered between blocks, flushed as a paragraph."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def flush(self, out: list[Block]) -> None:
        runs = tidy(self.runs)
        if runs:
            out.append(Paragraph(runs))
        self.runs = []


def _blocks(element: HtmlElement) -> list[Block]:
    """The blocks inside a sectioning element (or any element read as one)."""
    out: list[Block] = []
    pending = _Pending()
    if element.text:
        pending.runs.append(Run(element.text))
    for child in element:
        tag = _tag(child)
        if tag is None or tag in SKIPPED:
            pass
        elif tag in INLINE:
            pending.runs.extend(_inline(child, Run("")))
        elif tag in BLOCKS or _has_blocks(child):
            pending.flush(out)
            out.extend(_block(child, tag))
        else:  # unknown: its text, as a paragraph of its own
            pending.flush(out)
            pending.runs.extend(_inline(child, Run("")))
            pending.flush(out)
        if child.tail:
            pending.runs.append(Run(child.tail))
    pending.flush(out)
    return out


def _block(element: HtmlElement, tag: str) -> list[Block]:
    if tag in HEADINGS:
        runs = tidy(_content(element))
        return [Heading(HEADINGS[tag], runs)] if runs else []
    if tag in ("p", "pre"):
        runs = tidy(_content(element))
        return [Paragraph(runs)] if runs else []
    if tag in ("figcaption", "caption"):
        runs = tidy(_content(element))
        return [Paragraph(runs, caption=True)] if runs else []
    if tag in ("ul", "ol"):
        return [_list(element, ordered=tag == "ol")]
    if tag == "li":  # a stray li outside a list: a one-item list
        return [ItemList(False, (_item(element),))]
    if tag == "table":
        return [_table(element)]
    if tag == "dl":
        return [_definitions(element)]
    return _blocks(element)  # a container, or an unknown element holding blocks


def _list(element: HtmlElement, ordered: bool) -> ItemList:
    items: list[ListItem] = []
    for child in element:
        tag = _tag(child)
        if tag == "li":
            items.append(_item(child))
        elif tag is not None and tag not in SKIPPED:  # text outside an li still shows
            for block in _block(child, tag) if tag in BLOCKS else [Paragraph(tidy(_inline(child, Run(""))))]:
                items.append(ListItem(block.runs, ()) if isinstance(block, Paragraph) else ListItem((), (block,)))
    return ItemList(ordered, tuple(item for item in items if item.runs or item.children))


def _item(element: HtmlElement) -> ListItem:
    blocks = _blocks(element)
    if blocks and isinstance(blocks[0], Paragraph):
        return ListItem(blocks[0].runs, tuple(blocks[1:]))
    return ListItem((), tuple(blocks))


def _rows(element: HtmlElement) -> list[tuple[str, HtmlElement]]:
    """Every ``tr`` of a table with the section it is in (thead, tbody or tfoot)."""
    rows: list[tuple[str, HtmlElement]] = []
    for child in element:
        tag = _tag(child)
        if tag == "tr":
            rows.append(("tbody", child))
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend((tag, tr) for tr in child if _tag(tr) == "tr")
    return rows


def _table(element: HtmlElement) -> Table:
    caption: Runs = ()
    for child in element:
        if _tag(child) == "caption":
            caption = tidy(_content(child))
    head: list[tuple[Cell, ...]] = []
    body: list[tuple[Cell, ...]] = []
    rows = _rows(element)
    has_thead = any(section == "thead" for section, _ in rows)
    for section, tr in rows:
        row = tuple(_cell(td) for td in tr if _tag(td) in ("td", "th"))
        if not row:
            continue
        leading_headers = not has_thead and not body and all(cell.header for cell in row)
        (head if section == "thead" or leading_headers else body).append(row)
    return Table(caption, tuple(head), tuple(body))


def _cell(element: HtmlElement) -> Cell:
    try:
        span = max(1, min(int(element.get("colspan", "1")), 64))
    except ValueError:
        span = 1
    header = _tag(element) == "th"
    return Cell(tidy(_content(element, Run("", bold=header))), header=header, colspan=span)


def _definitions(element: HtmlElement) -> Definitions:
    pairs: list[tuple[Runs, list[Runs]]] = []
    nodes = [n for child in element for n in ([child] if _tag(child) != "div" else list(child))]
    for node in (n for n in nodes if _tag(n) in ("dt", "dd")):
        runs = tidy(_content(node))
        if _tag(node) == "dt":
            pairs.append((runs, []))
        elif pairs:
            pairs[-1][1].append(runs)
        else:
            pairs.append(((), [runs]))
    items = []
    for label, values in pairs:
        joined: list[Run] = []
        for index, value in enumerate(v for v in values if v):
            if index:
                joined.append(Run("; "))
            joined.extend(value)
        items.append(Definition(label, tuple(joined)))
    return Definitions(tuple(items))


def _content(element: HtmlElement, style: Run = Run("")) -> list[Run]:
    """Everything inside an element as inline runs; blocks inside it (a ``p`` in a
    cell) are kept apart by line breaks."""
    runs: list[Run] = []
    if element.text:
        runs.append(replace(style, text=element.text))
    for child in element:
        tag = _tag(child)
        if tag is not None and tag not in SKIPPED:
            if tag in BLOCKS or tag in ("dt", "dd"):
                if runs:
                    runs.append(replace(style, text="", line_break=True))
                runs.extend(_content(child, style))
                runs.append(replace(style, text="", line_break=True))
            else:
                runs.extend(_inline(child, style))
        if child.tail:
            runs.append(replace(style, text=child.tail))
    return runs


def _inline(element: HtmlElement, style: Run) -> list[Run]:
    tag = _tag(element)
    if tag == "br":
        return [replace(style, text="", line_break=True)]
    if tag == "img":
        alt = element.get("alt") or ""
        return [replace(style, text=alt)] if alt else []
    inner = replace(
        style,
        bold=style.bold or tag in BOLD,
        italic=style.italic or tag in ITALIC,
        href=element.get("href") if tag == "a" and element.get("href") else style.href,
    )
    return _content(element, inner)


def tidy(runs: list[Run]) -> Runs:
    """Collapse white space as a browser would (across runs), drop empty runs, merge
    neighbours with the same formatting, and trim line breaks at either end.

    >>> [r.text for r in tidy([Run("  Hello "), Run(" world ", bold=True), Run("  !")])]
    ['Hello ', 'world ', '!']
    """
    out: list[Run] = []
    at_space = True  # at the start of a line, leading white space goes
    for run in runs:
        if run.line_break:
            if out and out[-1].text.endswith(" "):
                out[-1] = replace(out[-1], text=out[-1].text[:-1])
            out.append(run)
            at_space = True
            continue
        text = _SPACE.sub(" ", run.text)
        if at_space:
            text = text.lstrip(" ")
        if not text:
            continue
        at_space = text.endswith(" ")
        previous = out[-1] if out else None
        if previous and not previous.line_break and (previous.bold, previous.italic, previous.href) == (run.bold, run.italic, run.href):
            out[-1] = replace(previous, text=previous.text + text)
        else:
            out.append(replace(run, text=text))
    while out and out[-1].line_break:
        out.pop()
    while out and out[0].line_break:
        out.pop(0)
    # remove doubled breaks (a block ending and the next starting)
    cleaned: list[Run] = []
    for run in out:
        if run.line_break and cleaned and cleaned[-1].line_break:
            continue
        cleaned.append(run)
    if cleaned and cleaned[-1].text.endswith(" "):
        cleaned[-1] = replace(cleaned[-1], text=cleaned[-1].text.rstrip(" "))
        if not cleaned[-1].text:
            cleaned.pop()
    return tuple(cleaned)
