"""The risk matrix as data: every one of the 25 cells of seed 003's Appendix A, read from
the seed itself, on SSCP's file; the example partnership's own matrix on its file; and
``qaf risk score`` refusing what is not a likelihood or an impact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from qaframework.framework import Framework, load_framework
from qaframework.learning.register import heat_map_rows
from qaframework.learning.risk import rate
from tests.partnerships.conftest import SHIPPED, Qaf, sqlite_only

SEED_003 = Path("/work/shared/seeds/003_0c235774e08354d2.txt")
if not SEED_003.exists():  # the seeds sit beside the project
    SEED_003 = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "003_0c235774e08354d2.txt"


def appendix_a() -> dict[str, object]:
    """Seed 003's Appendix A as it is printed: the likelihood and impact labels, the score
    of each (likelihood, impact) cell, the cell marked "Tolerance Level", and the key of
    colours to bands."""
    lines = SEED_003.read_text(encoding="utf-8").splitlines()
    start = lines.index("Strategic Risk overall ratings")
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("\t1 "))
    likelihood = dict((int(n), label) for n, label in (cell.split(" ", 1) for cell in lines[header].strip("\t").split("\t")))
    scores: dict[tuple[int, int], int] = {}
    impact: dict[int, str] = {}
    tolerance = None
    for line in lines[header + 1: header + 6]:
        label, *cells = line.split("\t")
        level, name = label.split(" ", 1)
        impact[int(level)] = name
        for l_level, cell in enumerate(cells, start=1):
            score = int(re.sub(r"<[^>]*>[^<]*</[^>]*>", "", cell).strip())
            scores[(l_level, int(level))] = score
            if "Tolerance Level" in cell:
                tolerance = score
    key_start = lines.index("Risk ratings key:")
    key = {}
    for line in lines[key_start + 1: key_start + 8]:
        if "\t" in line:
            colour, band = line.split("\t")
            key[colour.lower()] = band.removesuffix(" risks").lower()
    return {"likelihood": likelihood, "impact": impact, "scores": scores, "tolerance": tolerance, "key": key}


SEED = appendix_a()
SSCP = load_framework(SHIPPED["sscp"])
EXAMPLE = load_framework(SHIPPED["example"])


def test_the_seed_is_read_whole() -> None:
    assert len(SEED["scores"]) == 25 and set(SEED["scores"]) == {(l, i) for l in range(1, 6) for i in range(1, 6)}  # type: ignore[arg-type]
    assert SEED["tolerance"] == 13
    assert SEED["key"] == {"dark red": "critical", "red": "high", "amber": "medium-high", "yellow": "medium", "green": "low"}


@pytest.mark.parametrize(("likelihood", "impact"), sorted(SEED["scores"]))  # type: ignore[arg-type]
def test_each_cell_of_appendix_a_on_sscps_file(likelihood: int, impact: int) -> None:
    matrix = SSCP.document.risk_matrix
    expected = SEED["scores"][(likelihood, impact)]  # type: ignore[index]
    rating = rate(matrix, likelihood, impact)
    assert rating.score == expected
    # The band's colour and name agree with the seed's key of colours.
    assert SEED["key"][rating.colour] == rating.band  # type: ignore[index]
    assert rating.above_tolerance == (expected > SEED["tolerance"])  # type: ignore[operator]


def test_the_labels_and_tolerance_of_appendix_a() -> None:
    matrix = SSCP.document.risk_matrix
    assert matrix.likelihood == SEED["likelihood"] and matrix.impact == SEED["impact"]
    assert matrix.tolerance == SEED["tolerance"]
    # Not a product: the cells the issue names.
    assert (rate(matrix, 3, 3).score, rate(matrix, 5, 5).score, rate(matrix, 1, 5).score) == (13, 25, 15)


def test_the_heat_map_is_the_seeds_grid() -> None:
    grid = heat_map_rows(SSCP.document.risk_matrix, [{"reference": "F-2027-0007", "likelihood": 4, "impact": 2}])
    assert [row["impact"] for row in grid] == [f"{i} {SEED['impact'][i]}" for i in (5, 4, 3, 2, 1)]  # type: ignore[index]
    for row in grid:
        impact = int(row["impact"].split()[0])
        for likelihood in range(1, 6):
            cell = row[f"{likelihood} {SEED['likelihood'][likelihood]}"]  # type: ignore[index]
            assert cell.split()[0] == str(SEED["scores"][(likelihood, impact)])  # type: ignore[index]
    assert grid[3]["4 More likely than not"] == "12 medium: F-2027-0007"


def _raw_matrix(framework: Framework) -> dict:
    return yaml.safe_load(framework.source.read_text())["risk_matrix"]


@sqlite_only
@pytest.mark.parametrize("which", list(SHIPPED))
def test_qaf_risk_score_prints_each_cell_of_the_files_own_matrix(which: str, qaf: Qaf) -> None:
    framework = {"sscp": SSCP, "example": EXAMPLE}[which]
    raw = _raw_matrix(framework)
    bands = sorted(((b["lowest"], key, b["colour"]) for key, b in raw["bands"].items()), reverse=True)
    for impact in range(1, 6):
        for likelihood in range(1, 6):
            score = raw["scores"][impact][likelihood - 1]
            band, colour = next((key, colour) for lowest, key, colour in bands if score >= lowest)
            where = "above" if score > raw["tolerance"] else "within"
            code, out, err = qaf("risk", "score", str(likelihood), str(impact), "--framework", str(framework.source))
            assert code == 0, err
            assert out.startswith(f"{score} {band} ({colour}): {where} tolerance ({raw['tolerance']})"), out
            if which == "sscp":
                assert score == SEED["scores"][(likelihood, impact)]  # type: ignore[index]
    if which == "example":  # its own: a product scale, tolerance 12
        assert raw["scores"][3][2] == 9 and raw["tolerance"] == 12
    code, out, _ = qaf("risk", "score", "3", "3", "--framework", str(SSCP.source))
    assert out == "13 medium (yellow): within tolerance (13)\n"


_LIKELIHOODS = "(1 Unlikely, 2 Possible, 3 Likely, 4 More likely than not, 5 Probable)"
_IMPACTS = "(1 Insignificant, 2 Minor, 3 Moderate, 4 Significant, 5 Catastrophic)"


@sqlite_only
@pytest.mark.parametrize(("args", "says"), [
    (["3", "6"], f"the impact '6' is not a whole number from 1 to 5 {_IMPACTS}"),
    (["0", "3"], f"the likelihood '0' is not a whole number from 1 to 5 {_LIKELIHOODS}"),
    (["x", "3"], f"the likelihood 'x' is not a whole number from 1 to 5 {_LIKELIHOODS}"),
    (["3", "٣"], f"the impact '٣' is not a whole number from 1 to 5 {_IMPACTS}"),
    (["3", "3.0"], f"the impact '3.0' is not a whole number from 1 to 5 {_IMPACTS}"),
    (["3", ""], "argument IMPACT: is empty: give a value, or leave the option out"),
    (["33", "3"], f"the likelihood '33' is not a whole number from 1 to 5 {_LIKELIHOODS}"),
])
def test_qaf_risk_score_refuses_what_is_not_a_level(args: list[str], says: str, qaf: Qaf) -> None:
    """One exact line for each (on the default file, seed 003's labels), exit 2."""
    code, out, err = qaf("risk", "score", *args, "--framework", str(SSCP.source))
    assert (code, out, err) == (2, "", f"qaf: error: {says}\n")
