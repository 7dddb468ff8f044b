"""The risk register and its heat map, as plain rows: one set of facts for the CLI, its
``--json`` and the Prefect artifacts.

Pure assembly: the risks (each with every rating it has had, oldest first) and the
framework's matrix in, rows out. The trend is seed 003's: whether likelihood and impact
went up or down since the previous rating (▲ ▼ for likelihood, ▶ ◀ for impact).

>>> from datetime import date
>>> from qaframework.framework.learning import RiskMatrix
>>> m = RiskMatrix()
>>> risk = RiskFacts("F-2027-0001", "Too few audits", "culture-and-challenge", "multi-agency-audit",
...                  ((2, 4, date(2027, 5, 1)), (3, 4, date(2027, 9, 1))))
>>> row = register_rows(m, [risk], {})[0]
>>> row["score"], row["band"], row["above_tolerance"], row["trend"], row["ratings"]
(18, 'medium-high', True, '▲', 2)
>>> score_line(m, 3, 3)
'13 medium (yellow): within tolerance (13)'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from qaframework.framework.learning import SCALE, RiskMatrix
from qaframework.learning.risk import Rating, heat_map, rate, trend

#: Seed 003's trend markers: likelihood up or down, impact up or down.
TREND_SYMBOLS = {("likelihood", "up"): "▲", ("likelihood", "down"): "▼", ("impact", "up"): "▶", ("impact", "down"): "◀"}

#: The register's columns, in order (the artifact's and ``qaf risks --json``'s keys).
REGISTER_KEYS = (
    "reference", "title", "theme", "activity", "likelihood", "impact", "score", "band", "colour",
    "above_tolerance", "likelihood_trend", "impact_trend", "trend", "rated_on", "ratings",
)

#: The register's columns in the Prefect artifact: no title (free text stays in the
#: database and the CLI; the artifact is shown in the Prefect UI).
ARTIFACT_KEYS = tuple(k for k in REGISTER_KEYS if k != "title")


def artifact_rows(rows: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """The register's rows as the artifact publishes them: every column but the title.

    >>> artifact_rows([{"reference": "F-2027-0001", "title": "Too few audits", "score": 13}])
    [{'reference': 'F-2027-0001', 'score': 13}]
    """
    return [{k: v for k, v in row.items() if k in ARTIFACT_KEYS} for row in rows]


@dataclass(frozen=True)
class RiskFacts:
    """One risk finding and its ratings (likelihood, impact, day), oldest first."""

    reference: str
    title: str
    theme: str
    activity: str
    ratings: tuple[tuple[int, int, date], ...]


def score_line(matrix: RiskMatrix, likelihood: int, impact: int) -> str:
    """What ``qaf risk score`` prints: the score, its band and colour, and the tolerance."""
    r = rate(matrix, likelihood, impact)
    where = "above tolerance" if r.above_tolerance else "within tolerance"
    return f"{r.score} {r.band} ({r.colour}): {where} ({matrix.tolerance})"


def trend_symbols(moves: Mapping[str, str]) -> str:
    """Seed 003's markers for a trend: ``▲`` likelihood up, ``◀`` impact down; ``new``
    for a first rating, empty when nothing moved.

    >>> trend_symbols({"likelihood": "down", "impact": "up"})
    '▼ ▶'
    """
    if moves.get("likelihood") == "new":
        return "new"
    return " ".join(TREND_SYMBOLS[(name, moves[name])] for name in ("likelihood", "impact") if (name, moves[name]) in TREND_SYMBOLS)


def register_row(matrix: RiskMatrix, risk: RiskFacts, themes: Mapping[str, str]) -> dict[str, object]:
    """One risk's row: its current rating, the trend since the one before, and how many
    times it has been rated. A risk not rated yet has empty rating fields."""
    row: dict[str, object] = {
        "reference": risk.reference, "title": risk.title, "theme": themes.get(risk.theme, risk.theme), "activity": risk.activity,
    }
    if not risk.ratings:
        return {**row, **dict.fromkeys(REGISTER_KEYS[4:], None), "above_tolerance": False, "ratings": 0}
    ratings: list[Rating] = [rate(matrix, likelihood, impact) for likelihood, impact, _ in risk.ratings]
    current = ratings[-1]
    moves = trend(ratings[-2] if len(ratings) > 1 else None, current)
    return {
        **row, "likelihood": current.likelihood, "impact": current.impact, "score": current.score, "band": current.band,
        "colour": current.colour, "above_tolerance": current.above_tolerance, "likelihood_trend": moves["likelihood"],
        "impact_trend": moves["impact"], "trend": trend_symbols(moves), "rated_on": risk.ratings[-1][2].isoformat(),
        "ratings": len(ratings),
    }


def register_rows(matrix: RiskMatrix, risks: Iterable[RiskFacts], themes: Mapping[str, str], above_tolerance: bool = False) -> list[dict[str, object]]:
    """The register, highest score first (unrated risks last), then by reference; with
    ``above_tolerance`` only the risks the top body is told of."""
    rows = [register_row(matrix, r, themes) for r in risks]
    if above_tolerance:
        rows = [r for r in rows if r["above_tolerance"]]
    return sorted(rows, key=lambda r: (r["score"] is None, -int(r["score"] or 0), str(r["reference"])))  # type: ignore[call-overload]


def heat_map_rows(matrix: RiskMatrix, rows: Iterable[Mapping[str, object]]) -> list[dict[str, str]]:
    """Seed 003's "Current ratings" grid as table rows: impact 5 at the top, one column
    per likelihood, each cell "score band: references" (or "score band" when empty).

    >>> grid = heat_map_rows(RiskMatrix(), [{"reference": "F-2027-0001", "likelihood": 3, "impact": 3}])
    >>> grid[2]["impact"], grid[2]["3 Likely"]
    ('3 Moderate', '13 medium: F-2027-0001')
    >>> grid[0]["5 Probable"]
    '25 critical'
    """
    placed = [(str(r["reference"]), int(r["likelihood"]), int(r["impact"])) for r in rows if r.get("likelihood") is not None]  # type: ignore[call-overload]
    table = []
    for cells in heat_map(matrix, placed):
        impact = cells[0].impact
        row = {"impact": f"{impact} {matrix.impact[impact]}"}
        for cell in cells:
            label = f"{cell.score} {cell.band}"
            row[f"{cell.likelihood} {matrix.likelihood[cell.likelihood]}"] = f"{label}: {' '.join(cell.references)}" if cell.references else label
        table.append(row)
    return table


def heat_map_columns(matrix: RiskMatrix) -> list[str]:
    """The heat map's column keys: ``impact``, then each likelihood with its label."""
    return ["impact", *(f"{likelihood} {matrix.likelihood[likelihood]}" for likelihood in SCALE)]
