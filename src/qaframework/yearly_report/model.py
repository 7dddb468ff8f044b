"""The yearly report as plain data: sections, each with its figures (stable keys), its
tables and its charts (each chart carrying the table of its numbers and a text
alternative). The template lays it out; the charts are drawn from it; the tests count
the record and compare with it. Nothing here is computed by the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = "None in the year."

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "caption": self.caption, "headers": list(self.headers), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class Chart:
    """A chart of ``series`` (name, one value per label) over ``labels``: ``bar``
    (grouped), ``stacked`` (stacked bars), ``hstacked`` (horizontal stacked bars) or ``line``. ``table`` holds the same numbers."""

    key: str
    title: str
    kind: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | int | None, ...]], ...]
    alt: str
    table: Table

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "labels": list(self.labels),
                "series": [[n, list(v)] for n, v in self.series], "alt": self.alt, "table": self.table.as_dict()}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float | str | None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    #: Lines of a bulleted list (e.g. findings, by theme), grouped under a subheading.
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The business unit's commentary (paragraphs), from its narrative file.
    narrative: tuple[str, ...] = ()

    def figure(self, key: str) -> int | float | str | None:
        return next(f.value for f in self.figures if f.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in (*self.tables, *(c.table for c in self.charts)) if t.key == key)

    @property
    def figure_rows(self) -> tuple[tuple[str, Cell], ...]:
        return tuple((f.label, f.value) for f in self.figures)

    @property
    def empty(self) -> bool:
        return not (self.figures or self.tables or self.charts or self.groups)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "figures": [f.as_dict() for f in self.figures],
                "tables": [t.as_dict() for t in self.tables], "charts": [c.as_dict() for c in self.charts],
                "groups": [[h, list(lines)] for h, lines in self.groups], "narrative": list(self.narrative)}


@dataclass(frozen=True)
class NarrativeBlock:
    """A narrative file's text: its key (the file's stem), heading and paragraphs."""

    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class YearlyReport:
    partnership: str
    financial_year: int
    year: str  # "2027/28"
    period: str  # "1 April 2027 to 31 March 2028"
    draft: bool
    as_of: str  # ISO date the record was read as of
    foreword: NarrativeBlock
    priorities: tuple[NarrativeBlock, ...]
    sections: tuple[Section, ...]
    sign_off: Table
    empty_narrative: tuple[str, ...] = field(default=())  # narrative files with no text yet

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(c for s in self.sections for c in s.charts)

    def as_dict(self) -> dict[str, Any]:
        return {"partnership": self.partnership, "financial_year": self.financial_year, "year": self.year, "period": self.period,
                "draft": self.draft, "as_of": self.as_of if self.draft else None,
                "foreword": list(self.foreword.paragraphs), "priorities": [[p.key, p.heading, list(p.paragraphs)] for p in self.priorities],
                "sections": [s.as_dict() for s in self.sections], "sign_off": self.sign_off.as_dict()}
