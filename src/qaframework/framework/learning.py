"""What the partnership learns, as data: the themes findings are filed under and the risk
matrix risks are rated on.

The default matrix is seed 003's Appendix A: a 5x5 grid of scores that is not
likelihood times impact (likelihood 3, impact 3 scores 13; likelihood 1, impact 5
scores 15), five bands, and a tolerance of 13 above which a risk is reported to the top
body (13 itself is monitored, not escalated). Partnerships use their own: all of it is
in the framework file.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from qaframework.framework.base import Key, Strict

#: Section 11's six domains and the three business-plan priorities of section 8.
DEFAULT_THEMES: dict[str, str] = {
    "leadership-and-governance": "Leadership and governance",
    "performance-and-outcomes": "Performance and outcomes",
    "commissioning-and-quality": "Commissioning and quality",
    "priorities-and-partnerships": "Priorities and partnerships",
    "resource-and-workforce-management": "Resource and workforce management",
    "culture-and-challenge": "Culture and challenge",
    "safe-start-to-life": "Safe start to life",
    "safe-in-the-community": "Safe in the community",
    "positive-mental-health": "Positive mental health and emotional wellbeing",
}

SCALE = (1, 2, 3, 4, 5)


class RiskBand(Strict):
    name: str = Field(min_length=1, max_length=40)
    #: The colour the band is shown in (seed 003: dark red, red, amber, yellow, green).
    colour: str = Field(min_length=1, max_length=20)
    #: The lowest score in the band; the band runs up to the next band's lowest.
    lowest: int = Field(ge=1, le=25)


def _seed_003_bands() -> dict[str, RiskBand]:
    return {
        "critical": RiskBand(name="Critical", colour="dark red", lowest=23),
        "high": RiskBand(name="High", colour="red", lowest=19),
        "medium-high": RiskBand(name="Medium-high", colour="amber", lowest=14),
        "medium": RiskBand(name="Medium", colour="yellow", lowest=8),
        "low": RiskBand(name="Low", colour="green", lowest=1),
    }


class RiskMatrix(Strict):
    """Likelihood and impact from 1 to 5, the score of each cell, its bands and the
    tolerance (risks scoring above it go to the top body)."""

    likelihood: dict[int, str] = Field(default_factory=lambda: {
        1: "Unlikely", 2: "Possible", 3: "Likely", 4: "More likely than not", 5: "Probable"})
    impact: dict[int, str] = Field(default_factory=lambda: {
        1: "Insignificant", 2: "Minor", 3: "Moderate", 4: "Significant", 5: "Catastrophic"})
    #: Impact -> the scores for likelihood 1 to 5 (seed 003, Appendix A).
    scores: dict[int, list[int]] = Field(default_factory=lambda: {
        5: [15, 19, 22, 24, 25],
        4: [10, 14, 18, 21, 23],
        3: [6, 9, 13, 17, 20],
        2: [3, 5, 8, 12, 16],
        1: [1, 2, 4, 7, 11],
    })
    #: Bands by key, highest first.
    bands: dict[Key, RiskBand] = Field(default_factory=_seed_003_bands)
    tolerance: int = Field(default=13, ge=1, le=25)

    @model_validator(mode="after")
    def _complete(self) -> "RiskMatrix":
        for name in ("likelihood", "impact"):
            if sorted(getattr(self, name)) != list(SCALE):
                raise ValueError(f"{name}: name each level from 1 to 5")
        if sorted(self.scores) != list(SCALE) or any(len(row) != 5 for row in self.scores.values()):
            raise ValueError("scores: give five scores (likelihood 1 to 5) for each impact from 1 to 5")
        cells = [s for row in self.scores.values() for s in row]
        if any(not 1 <= s <= 25 for s in cells):
            raise ValueError("scores: every score is from 1 to 25")
        lowest = [b.lowest for b in self.bands.values()]
        if lowest != sorted(lowest, reverse=True) or len(set(lowest)) != len(lowest):
            raise ValueError("bands: list the bands highest first, each with a different lowest score")
        if min(lowest) > min(cells):
            raise ValueError(f"bands: the lowest band must start at {min(cells)} or below, so every score has a band")
        return self
