"""The yearly report's charts, drawn as SVG by pygal from the report's own numbers
(each :class:`qaframework.yearly_report.model.Chart` carries its table and text
alternative). The SVG is made self-contained and the same on every run: no script, no
comments (pygal stamps the date), and the chart's id taken from its key rather than a
random one, so a report assembled twice with nothing changed is the same document. It
is embedded as a ``data:`` URL: the PDF renderer fetches nothing else, and the Prefect
UI's markdown shows it as an image."""

from __future__ import annotations

import base64
import re

from qaframework.yearly_report.model import Chart

#: Colour-blind-safe colours (Okabe-Ito); a RAG chart's series get their own colours.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
RAG = {"Green": "#1a7f37", "Amber": "#d4a017", "Red": "#c0392b"}
_STYLE = dict(font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif", background="white", plot_background="white",
              foreground="#222", foreground_strong="#111", foreground_subtle="#666", title_font_size=16, label_font_size=11,
              legend_font_size=12, major_label_font_size=11)
#: Each chart kind's pygal class (pygal is imported when a chart is drawn).
_KINDS = {"bar": "Bar", "stacked": "StackedBar", "line": "Line", "hstacked": "HorizontalStackedBar"}


def _clean(svg: str, key: str) -> str:
    ident = re.search(r'id="(chart-[0-9a-f-]+)"', svg)
    if ident:
        svg = svg.replace(ident.group(1), f"chart-{re.sub(r'[^A-Za-z0-9-]', '-', key)}")
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)


def chart_svg(chart: Chart) -> str:
    """The chart as a self-contained SVG document (text)."""
    import pygal
    from pygal.style import Style

    names = [n for n, _ in chart.series]
    horizontal = chart.kind.startswith("h")
    colours = tuple(RAG[n] for n in names) if names and all(n in RAG for n in names) else PALETTE
    drawing = getattr(pygal, _KINDS[chart.kind])(
        js=[], disable_xml_declaration=True, width=720, explicit_size=True, legend_at_bottom=True,
        height=max(300, 140 + 30 * len(chart.labels)) if horizontal else 360, legend_at_bottom_columns=min(len(names), 4) or 1,
        show_legend=len(names) > 1, x_label_rotation=0 if horizontal or len(chart.labels) <= 4 else 25,
        truncate_label=45, truncate_legend=-1,
        print_values=False, style=Style(colors=colours, **_STYLE), include_x_axis=True, show_y_guides=True,
    )
    drawing.title = chart.title
    drawing.x_labels = list(chart.labels)
    for name, values in chart.series:
        drawing.add(name, list(values))
    return _clean(drawing.render(is_unicode=True), chart.key)


def data_url(svg: str) -> str:
    """``data:image/svg+xml;base64,...`` of an SVG document."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def chart_urls(charts: tuple[Chart, ...]) -> dict[str, str]:
    """Each chart's data URL, by the chart's key."""
    return {c.key: data_url(chart_svg(c)) for c in charts}
