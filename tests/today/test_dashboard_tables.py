"""The returns dashboard as the Prefect UI shows it (``for_the_ui``), on each shipped
framework file: Section 11 colours carry a marker and a word (no emoji), the by-domain
table says what each colour means and ends with a totals row, the by-agency table ends
with how many agencies are Red / Amber / Green in each domain; the returns tables get
totals; the rows ``qaf returns status`` prints are unchanged; descriptions fit the UI."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from qaframework.framework import Framework
from qaframework.returns.dashboard import ARTIFACT_DESCRIPTIONS, ReturnTaskFacts, for_the_ui, returns_tables


def _s11(partnership: Framework):  # type: ignore[no-untyped-def]
    found = [(k, rt) for k, rt in partnership.document.returns.items() if rt.kind == "s11-self-assessment"]
    if not found:
        pytest.skip("this partnership has no Section 11 self-assessment")
    return found[0][1]


def _facts(partnership: Framework) -> tuple[list[ReturnTaskFacts], list[str], list[str]]:
    rt = _s11(partnership)
    domains = list(rt.domains)
    agencies = sorted(partnership.agencies, key=lambda k: partnership.agencies[k].name)[:2]
    activity = rt.activities[0]
    # The first agency: the first domain Red, the second Amber; the second agency: all Green.
    first = [{"domain": domains[0], "rag": "Red"}, {"domain": domains[1], "rag": "Amber"}] + [{"domain": d, "rag": "Green"} for d in domains[2:]]
    second = [{"domain": d, "rag": "Green"} for d in domains]
    facts = [ReturnTaskFacts(f"{activity}/2026-07/{a}", a, activity, "S11", "2026/27", date(2027, 3, 31), "submitted", 1,
                             latest_payload={"ratings": ratings}) for a, ratings in zip(agencies, (first, second))]
    return facts, domains, agencies


def test_the_s11_tables_have_markers_meanings_and_totals(partnership: Framework) -> None:
    facts, domains, agencies = _facts(partnership)
    rt = _s11(partnership)
    names = {k: a.name for k, a in partnership.agencies.items()}
    tables = returns_tables(facts, partnership.document.returns, names, 2026, date(2027, 5, 4))
    assert tables["s11-rag-by-domain"][0]["overall"] == "Red", "the CLI's rows are unchanged"
    by_domain = for_the_ui("s11-rag-by-domain", tables["s11-rag-by-domain"])
    title = {k: d.name for k, d in rt.domains.items()}
    assert by_domain[0] == {"domain": title[domains[0]], "Green (fully met)": 1, "Amber (partially met)": 0, "Red (not met)": 1, "overall": "▲ Red"}
    assert by_domain[1]["overall"] == "◆ Amber" and by_domain[2]["overall"] == "● Green"
    assert by_domain[-1] == {"domain": "All domains", "Green (fully met)": 2 * len(domains) - 2, "Amber (partially met)": 1,
                             "Red (not met)": 1, "overall": "▲ Red"}
    by_agency = for_the_ui("s11-rag-by-agency", tables["s11-rag-by-agency"])
    assert by_agency[0]["agency"] == names[agencies[0]] and by_agency[0][title[domains[0]]] == "▲ Red"
    assert by_agency[-1]["agency"] == "Agencies Red / Amber / Green"
    assert [by_agency[-1][title[d]] for d in domains[:3]] == ["1 / 0 / 1", "0 / 1 / 1", "0 / 0 / 2"]
    markers = {c for row in by_domain + by_agency for v in row.values() if isinstance(v, str) for c in v if ord(c) > 127}
    assert markers == {"▲", "◆", "●"}
    for c in markers:  # geometric shapes, which no platform draws as a coloured emoji
        assert unicodedata.category(c) == "So" and "\ufe0f" not in c and ord(c) < 0x2600


def test_the_returns_tables_end_with_totals(partnership: Framework) -> None:
    facts, _, agencies = _facts(partnership)
    names = {k: a.name for k, a in partnership.agencies.items()}
    tables = returns_tables(facts, partnership.document.returns, names, 2026, date(2027, 5, 4))
    rows = for_the_ui("returns-by-agency", tables["returns-by-agency"])
    assert [r["agency"] for r in rows] == [names[a] for a in agencies] + ["All agencies"]
    assert (rows[-1]["expected"], rows[-1]["received"], rows[-1]["outstanding"]) == (2, 2, 0)
    assert for_the_ui("returns-by-activity", tables["returns-by-activity"])[-1]["activity"] == "All activities"
    assert for_the_ui("returns-by-agency", []) == []


def test_the_descriptions_fit_the_ui_with_the_year_and_day() -> None:
    for key, text in ARTIFACT_DESCRIPTIONS.items():
        assert len(f"{text}, FY 2027/28, 30 Sep 2027.") <= 100, key
