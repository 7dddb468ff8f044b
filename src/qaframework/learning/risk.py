"""Rating a risk on the framework's matrix, its trend, and the heat map of the register.

Pure functions of the matrix (seed 003's Appendix A by default) and the ratings.

>>> from qaframework.framework.learning import RiskMatrix
>>> m = RiskMatrix()
>>> rate(m, 3, 3).score, rate(m, 3, 3).band, rate(m, 3, 3).above_tolerance
(13, 'medium', False)
>>> rate(m, 1, 5).score, rate(m, 5, 5).band
(15, 'critical')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qaframework.errors import QAFrameworkError
from qaframework.framework.learning import SCALE, RiskMatrix


class RatingError(QAFrameworkError):
    """A likelihood or impact outside the matrix."""


@dataclass(frozen=True)
class Rating:
    likelihood: int
    impact: int
    score: int
    band: str
    band_name: str
    colour: str
    above_tolerance: bool

    def as_row(self) -> dict[str, object]:
        return {"likelihood": self.likelihood, "impact": self.impact, "score": self.score,
                "band": self.band, "band_name": self.band_name, "colour": self.colour,
                "above_tolerance": self.above_tolerance}


def band_of(matrix: RiskMatrix, score: int) -> str:
    """The key of the band a score falls in (bands are listed highest first)."""
    for key, band in matrix.bands.items():
        if score >= band.lowest:
            return key
    raise RatingError(f"score {score} is below every band of the risk matrix")


def rate(matrix: RiskMatrix, likelihood: int, impact: int) -> Rating:
    """The score, band and escalation of a likelihood and an impact, each 1 to 5."""
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise RatingError(f"the {name} must be a whole number from 1 to 5 ({', '.join(f'{k} {v}' for k, v in getattr(matrix, name).items())})")
    score = matrix.scores[impact][likelihood - 1]
    key = band_of(matrix, score)
    band = matrix.bands[key]
    return Rating(likelihood, impact, score, key, band.name, band.colour, score > matrix.tolerance)


def trend(previous: Rating | None, current: Rating) -> dict[str, str]:
    """How likelihood and impact moved since the previous rating: up, down, same, or new.

    >>> m = RiskMatrix()
    >>> trend(rate(m, 2, 4), rate(m, 3, 4))
    {'likelihood': 'up', 'impact': 'same'}
    """
    if previous is None:
        return {"likelihood": "new", "impact": "new"}

    def move(before: int, after: int) -> str:
        return "up" if after > before else "down" if after < before else "same"

    return {"likelihood": move(previous.likelihood, current.likelihood), "impact": move(previous.impact, current.impact)}


@dataclass(frozen=True)
class HeatMapCell:
    likelihood: int
    impact: int
    score: int
    band: str
    colour: str
    references: tuple[str, ...]


def heat_map(matrix: RiskMatrix, risks: Iterable[tuple[str, int, int]]) -> list[list[HeatMapCell]]:
    """The 5x5 grid of current ratings, impact 5 at the top, likelihood 1 to 5 left to
    right, with the reference of each risk in its cell (seed 003's "Current ratings")."""
    placed: dict[tuple[int, int], list[str]] = {}
    for reference, likelihood, impact in risks:
        placed.setdefault((likelihood, impact), []).append(reference)
    grid = []
    for impact in sorted(SCALE, reverse=True):
        row = []
        for likelihood in SCALE:
            score = matrix.scores[impact][likelihood - 1]
            key = band_of(matrix, score)
            row.append(HeatMapCell(likelihood, impact, score, key, matrix.bands[key].colour, tuple(sorted(placed.get((likelihood, impact), [])))))
        grid.append(row)
    return grid
