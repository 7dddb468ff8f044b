"""The risk register on a real database: rating a risk again keeps every rating, the
register shows the current rating and the trend as seed 003 does, ``--above-tolerance``
lists only what goes to the top body, and bad input writes nothing."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import update

from qaframework.framework import Framework
from qaframework.learning.risk import rate
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import Finding
from qaframework.persistence.risks import ratings_of
from tests.actions.conftest import Qaf, counts, first_activity_occurrence, make_finding


def _above_and_within(framework: Framework) -> tuple[tuple[int, int], tuple[int, int]]:
    """A (likelihood, impact) above the file's tolerance and one within it."""
    matrix = framework.document.risk_matrix
    cells = [(l, i) for l in range(1, 6) for i in range(1, 6)]
    above = next(c for c in cells if rate(matrix, *c).above_tolerance)
    within = next(c for c in cells if not rate(matrix, *c).above_tolerance and c[0] > 1)
    return above, within


def test_rerating_keeps_every_rating_and_the_register_shows_the_trend(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, activity = first_activity_occurrence(partnership)
    matrix = partnership.document.risk_matrix
    risk = make_finding(planned, partnership, subject, kind="risk", likelihood=2, impact=4, title="Too few practitioners audited")
    other = make_finding(planned, partnership, subject, kind="risk", likelihood=1, impact=1, title="Late dataset returns")

    code, out, err = cli("risks", "rate", risk, "--likelihood", "3", "--impact", "4", "--on", "2027-09-01")
    assert code == 0, err
    assert out.startswith(f"{risk} rated likelihood 3, impact 4 on 2027-09-01: {rate(matrix, 3, 4).score} {rate(matrix, 3, 4).band}")
    assert "trend ▲ (rating 2)" in out
    code, out, err = cli("risks", "rate", risk, "--likelihood", "3", "--impact", "2", "--on", "2027-12-01")
    assert code == 0 and "trend ◀ (rating 3)" in out, (out, err)

    with transaction(planned) as session:
        ratings = ratings_of(session=session, finding_reference=risk)
    assert [(r.sequence, r.likelihood, r.impact, r.rated_on) for r in ratings] == [
        (1, 2, 4, date(2027, 5, 4)), (2, 3, 4, date(2027, 9, 1)), (3, 3, 2, date(2027, 12, 1))]
    assert [r.score for r in ratings] == [rate(matrix, 2, 4).score, rate(matrix, 3, 4).score, rate(matrix, 3, 2).score]

    code, out, err = cli("risks", "--json")
    assert code == 0, err
    report = json.loads(out)
    rows = {r["reference"]: r for r in report["risk-register"]}
    current = rate(matrix, 3, 2)
    assert rows[risk] == {
        "reference": risk, "title": "Too few practitioners audited", "theme": next(iter(partnership.document.themes.values())),
        "activity": activity, "likelihood": 3, "impact": 2, "score": current.score, "band": current.band, "colour": current.colour,
        "above_tolerance": current.above_tolerance, "likelihood_trend": "same", "impact_trend": "down", "trend": "◀",
        "rated_on": "2027-12-01", "ratings": 3,
    }
    assert (rows[other]["trend"], rows[other]["ratings"]) == ("new", 1)
    grid = {row["impact"].split()[0]: row for row in report["risk-heat-map"]}
    assert [row["impact"].split()[0] for row in report["risk-heat-map"]] == ["5", "4", "3", "2", "1"]
    cell = grid["2"][f"3 {matrix.likelihood[3]}"]
    assert cell == f"{current.score} {current.band}: {risk}"
    assert grid["1"][f"1 {matrix.likelihood[1]}"].endswith(f": {other}")

    code, out, err = cli("risks")
    assert code == 0 and risk in out and "Current ratings" in out, err


def test_above_tolerance_lists_only_what_goes_to_the_top_body(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    (al, ai), (wl, wi) = _above_and_within(partnership)
    high = make_finding(planned, partnership, subject, kind="risk", likelihood=al, impact=ai)
    low = make_finding(planned, partnership, subject, kind="risk", likelihood=wl, impact=wi)
    code, out, err = cli("risks", "--above-tolerance", "--json")
    assert code == 0, err
    assert [r["reference"] for r in json.loads(out)["risk-register"]] == [high]
    # Re-rated within tolerance, it leaves the list; the other, re-rated above, joins it.
    assert cli("risks", "rate", high, "--likelihood", str(wl), "--impact", str(wi), "--on", "2027-06-01")[0] == 0
    assert cli("risks", "rate", low, "--likelihood", str(al), "--impact", str(ai), "--on", "2027-06-01")[0] == 0
    code, out, _ = cli("risks", "--above-tolerance")
    assert low in out and high not in out
    top = partnership.bodies[partnership.role("top_body")].name
    assert f"reported to the {top}" in out


def test_bad_ratings_write_nothing(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    risk = make_finding(planned, partnership, subject, kind="risk", likelihood=2, impact=2)
    improvement = make_finding(planned, partnership, subject)
    withdrawn = make_finding(planned, partnership, subject, kind="risk", likelihood=2, impact=2)
    with transaction(planned) as session:
        session.execute(update(Finding).where(Finding.reference == withdrawn).values(status="withdrawn", withdrawn_reason="test"))
    before = counts(planned)
    cases = [
        ([risk, "--likelihood", "3", "--impact", "6"], "impact"),
        ([risk, "--likelihood", "0", "--impact", "3"], "likelihood"),
        ([risk, "--likelihood", "three", "--impact", "3"], "likelihood"),
        ([risk, "--likelihood", "3", "--impact", "3", "--on", "2027-02-30"], "is not a real date"),
        ([risk, "--likelihood", "3", "--impact", "3", "--on", "1 May 2027"], "is not a real date"),
        ([risk, "--likelihood", "3", "--impact", "3", "--on", "2027-05-03"], "before it"),  # before its first rating
        (["F-2027-9999", "--likelihood", "3", "--impact", "3"], "no finding 'F-2027-9999'"),
        ([improvement, "--likelihood", "3", "--impact", "3"], "not a risk"),
        ([withdrawn, "--likelihood", "3", "--impact", "3"], "is withdrawn"),
    ]
    for args, says in cases:
        code, out, err = cli("risks", "rate", *args)
        assert (code, out) == (2, ""), (args, out, err)
        assert err.count("\n") == 1 and says in err, (args, err)
    assert counts(planned) == before, "nothing written"


def test_each_rating_is_in_the_audit_log(planned: str, partnership: Framework, cli: Qaf) -> None:
    subject, _ = first_activity_occurrence(partnership)
    risk = make_finding(planned, partnership, subject, kind="risk", likelihood=2, impact=2)
    assert cli("risks", "rate", risk, "--likelihood", "4", "--impact", "2", "--on", "2027-07-01")[0] == 0
    code, out, err = cli("audit", "--subject", risk, "--json")
    assert code == 0, err
    rated = [e for e in json.loads(out) if e["action"] == "risk-rated"]
    assert len(rated) == 1
    assert rated[0]["actor"] == "qaf-cli" and rated[0]["subject"] == risk
    assert {k: rated[0]["detail"][k] for k in ("sequence", "likelihood", "impact", "rated_on")} == {
        "sequence": 2, "likelihood": 4, "impact": 2, "rated_on": "2027-07-01"}
