"""The tables of a meeting pack as rows of text, from the pack's plain data (its
``as_dict()``): what the templates render, so every rendering shows the same cells."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qaframework.framework import Framework
from qaframework.reminders.emails import long_date


def _day(value: object) -> str:
    return long_date(date.fromisoformat(value)) if isinstance(value, str) and value else "-"


def _number(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def names_of(framework: Framework) -> dict[str, str]:
    """Agency and body keys -> their names."""
    return {**{k: b.name for k, b in framework.bodies.items()}, **{k: a.name for k, a in framework.agencies.items()}}


#: In the Prefect UI a cell of free text people typed (a finding's title, an action's
#: what) says where to read it instead: everyone with access to the UI sees it.
IN_THE_PAPERS = "(in the papers)"


def pack_rows(framework: Framework, pack: Mapping[str, Any], ui: bool = False) -> dict[str, Any]:
    """Each table of the pack, by section: a list of rows, each a list of cell texts;
    ``ui``: free text replaced by ``IN_THE_PAPERS``."""
    names = names_of(framework)

    def typed(text: str) -> str:
        return IN_THE_PAPERS if ui else text

    kinds = {"good-practice": "Good practice", "area-for-improvement": "Area for improvement", "risk": "Risk"}
    dashboard = pack.get("dashboard") or {}
    return {
        "agreed_actions": [[a["reference"], typed(a["what"]), names.get(a["owner"], a["owner"]), _day(a["due"]),
                            a["status"] + (" (overdue)" if a["overdue"] else ""), _day(a["done_on"])] for a in pack["agreed_actions"]],
        "findings": [[[f["reference"], kinds.get(f["kind"], f["kind"]), typed(f["title"]), _day(f["recorded_on"]),
                       f["case"] or names.get(f["agency"] or "", f["agency"] or "-")] for f in g["findings"]] for g in pack["findings"]],
        "reports_due": [[r["title"], r["period"] or "-", _day(r["finished_on"]), f"{r['finished']} of {r['tasks']}"] for r in pack["reports_due"]],
        "measures": [[m["title"], m["period"] or "-", _number(m["value"]), _number(m["previous_value"]), _number(m["change"]),
                      _number(m["year_before_value"]), _number(m["change_on_year"]), m["alert"] or "-", "yes" if m["outside_alert"] else "no"]
                     for m in dashboard.get("measures", [])],
        "returns": [[r["name"], str(r["expected"]), str(r["received"]), str(r["late"]), str(r["missing"]), str(r["outstanding"])]
                    for r in dashboard.get("returns", [])],
        "risks": [[r["reference"], typed(r["title"]), _number(r["score"]), framework.document.risk_matrix.bands[r["band"]].name
                   if r["band"] in framework.document.risk_matrix.bands else str(r["band"]), _day(r["rated_on"]), r["trend"] or "-"]
                  for r in pack["risks"]],
        "actions_due": [[a["reference"], typed(a["what"]), names.get(a["owner"], a["owner"]), _day(a["due"]), "yes" if a["overdue"] else "no"]
                        for a in pack["actions_due"]],
        "reviews": [[[s["title"], _day(s["due"]), _day(s["done_on"]), s["state"]] for s in case["stages"]] for case in pack["reviews"]],
    }
