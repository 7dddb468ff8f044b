"""``qaf risk score``, ``qaf risks``, ``qaf actions`` and ``qaf audit``: rating risks on the
framework's matrix, the risk register, improvement actions and the audit log.

Every command is one transaction: bad input (an unknown reference or owner, an impact
of 6, a date that is not a date, evaluating an open action) prints one line on stderr,
exits 2 and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from qaframework.cli import _framework, parse_date
from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.errors import excerpt
from qaframework.framework import Framework
from qaframework.framework.learning import SCALE, RiskMatrix
from qaframework.learning.risk import RatingError

Handler = Callable[[argparse.Namespace, Settings, Callable[[Settings], Any]], int]


def _level(text: str, name: str, matrix: RiskMatrix) -> int:
    """A likelihood or impact typed on the command line: a whole number from 1 to 5."""
    value = text.strip()
    if not (value.isascii() and value.isdigit() and len(value) == 1 and int(value) in SCALE):
        labels = ", ".join(f"{k} {v}" for k, v in getattr(matrix, name).items())
        raise RatingError(f"the {name} {excerpt(text)} is not a whole number from 1 to 5 ({labels})")
    return int(value)


def _today(framework: Framework) -> date:
    return today_in(framework.document.partnership.timezone)


def _day(text: str | None, what: str, framework: Framework) -> date:
    return parse_date(text, what) if text is not None else _today(framework)


def _escalation(framework: Framework, above: bool) -> str:
    top = framework.bodies[framework.role("top_body")].name
    return f": reported to the {top}" if above else ""


def cmd_risk_score(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.learning.register import score_line
    from qaframework.learning.risk import rate

    framework = _framework(args, settings)
    matrix = framework.document.risk_matrix
    likelihood, impact = _level(args.likelihood, "likelihood", matrix), _level(args.impact, "impact", matrix)
    print(score_line(matrix, likelihood, impact) + _escalation(framework, rate(matrix, likelihood, impact).above_tolerance))
    return 0


def _print_table(rows: list[dict[str, object]], keys: list[str], headers: list[str]) -> None:
    cells = [[("" if r.get(k) is None else str(r.get(k))) for k in keys] for r in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for c in cells:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())


def cmd_risks(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.learning.register import heat_map_columns, heat_map_rows
    from qaframework.persistence.risks import risk_register

    framework = _framework(args, settings)
    matrix = framework.document.risk_matrix
    with session_for(settings) as session:
        rows = risk_register(session=session, framework=framework, above_tolerance=args.above_tolerance)
    grid = heat_map_rows(matrix, rows)
    if args.json:
        json.dump({"tolerance": matrix.tolerance, "risk-register": rows, "risk-heat-map": grid}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    above = sum(1 for r in rows if r["above_tolerance"])
    which = "risks above tolerance" if args.above_tolerance else "risks"
    print(f"Risk register: {len(rows)} {which}; {above} above the tolerance of {matrix.tolerance}{_escalation(framework, above > 0)}")
    if rows:
        _print_table(rows, ["reference", "score", "band", "trend", "likelihood", "impact", "rated_on", "ratings", "theme", "title"],
                     ["Reference", "Score", "Band", "Trend", "L", "I", "Rated on", "Ratings", "Theme", "Title"])
    print("\nCurrent ratings (impact down, likelihood across; ▲▼ likelihood and ▶◀ impact up or down since the last rating):")
    columns = heat_map_columns(matrix)
    _print_table(grid, columns, ["Impact \\ likelihood", *columns[1:]])
    return 0


def cmd_risks_rate(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.learning.register import trend_symbols
    from qaframework.learning.risk import rate, trend
    from qaframework.persistence.risks import ratings_of, rerate

    framework = _framework(args, settings)
    matrix = framework.document.risk_matrix
    likelihood, impact = _level(args.likelihood, "likelihood", matrix), _level(args.impact, "impact", matrix)
    on = _day(args.on, "--on date", framework)
    with session_for(settings) as session:
        recorded = rerate(session=session, framework=framework, finding_reference=args.reference, likelihood=likelihood,
                          impact=impact, on=on, actor=settings.actor, today=_today(framework))
        ratings = ratings_of(session=session, finding_reference=recorded.reference)
    previous = rate(matrix, ratings[-2].likelihood, ratings[-2].impact) if len(ratings) > 1 else None
    r = recorded.rating
    where = "above" if r.above_tolerance else "within"
    print(f"{recorded.reference} rated likelihood {likelihood}, impact {impact} on {on}: {r.score} {r.band} ({r.colour}), "
          f"{where} tolerance ({matrix.tolerance}){_escalation(framework, r.above_tolerance)}; "
          f"trend {trend_symbols(trend(previous, r)) or 'unchanged'} (rating {recorded.sequence})")
    return 0


def _owner_name(framework: Framework, key: str) -> str:
    from qaframework.persistence.actions import owner_name

    return owner_name(framework, key)


def cmd_actions_add(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.action_views import action_view
    from qaframework.persistence.actions import add_action

    framework = _framework(args, settings)
    due = parse_date(args.due, "--due date")
    on = _day(args.on, "--on date", framework)
    with session_for(settings) as session:
        reference = add_action(session=session, framework=framework, what=args.what, owner=args.owner, due=due, actor=settings.actor,
                               on=on, finding_reference=args.finding, case_reference=args.case)
        view = action_view(session=session, reference=reference)
    print(f"Added {reference} for {_owner_name(framework, view.owner)}, due {due:%d %B %Y}: its task {view.task} is open, "
          "reminded and escalated like any other.")
    return 0


def _awaiting(framework: Framework, view: Any) -> str:
    """Where a done, unevaluated action is evaluated: the evaluation group's meeting."""
    body = _owner_name(framework, framework.role("action_evaluation"))
    meeting = view.evaluation_meeting
    if meeting is None:
        return f", awaiting evaluation (no meeting of the {body} planned yet)"
    return f", awaiting evaluation at the {body} on {meeting.day} (papers due {meeting.papers_due})"


def _print_actions(framework: Framework, views: list[Any]) -> None:
    for v in views:
        state = "overdue" if v.overdue else v.status
        source = v.finding or v.case or (f"return {v.submission}" if v.submission else "-")
        extra = f" done {v.done_on}" if v.done_on else ""
        extra += f", {v.judgement} ({v.evaluated_on})" if v.judgement else (_awaiting(framework, v) if v.status == "done" else "")
        extra += f" ({v.dropped_reason})" if v.status == "dropped" else ""
        print(f"{v.reference}  {state:<8} due {v.due}  {v.owner:<32} {source:<12} {v.what[:60]}{extra}")


def cmd_actions_list(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.action_views import list_actions
    from qaframework.persistence.actions import owner_kind_of

    framework = _framework(args, settings)
    if args.owner is not None:
        owner_kind_of(framework, args.owner)
    with session_for(settings) as session:
        views = list_actions(session=session, today=_today(framework), owner=args.owner, status=args.status, framework=framework)
    if args.json:
        json.dump([v.as_dict() for v in views], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    _print_actions(framework, views)
    print(f"{len(views)} action{'s' if len(views) != 1 else ''}.")
    return 0


def cmd_actions_done(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.actions import complete_action

    framework = _framework(args, settings)
    on = parse_date(args.on, "--on date")
    with session_for(settings) as session:
        view = complete_action(session=session, reference=args.reference, on=on, evidence=args.evidence, actor=settings.actor,
                               today=_today(framework))
    print(f"{view.reference} is done ({view.done_on}); its task is closed. It awaits the evaluation group's judgement.")
    return 0


def cmd_actions_drop(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.actions import drop_action

    framework = _framework(args, settings)
    on = _day(args.on, "--on date", framework)
    with session_for(settings) as session:
        view = drop_action(session=session, reference=args.reference, reason=args.reason, on=on, actor=settings.actor, today=_today(framework))
    print(f"{view.reference} is dropped ({view.dropped_reason}); its task is cancelled and nobody is reminded of it.")
    return 0


def cmd_actions_evaluate(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.actions import evaluate_action

    framework = _framework(args, settings)
    on = parse_date(args.on, "--on date")
    with session_for(settings) as session:
        view, recorded = evaluate_action(session=session, framework=framework, reference=args.reference, judgement=args.judgement,
                                         on=on, note=args.note, actor=settings.actor, today=_today(framework))
    body = _owner_name(framework, framework.role("action_evaluation"))
    if not recorded:
        print(f"{view.reference} was already evaluated {view.judgement} on {on} by the {body}: nothing recorded (evaluation {view.evaluations} stands).")
        return 0
    print(f"{view.reference} evaluated {view.judgement} on {on} by the {body} (evaluation {view.evaluations}).")
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.audit_log import audit_lines

    framework = _framework(args, settings)
    since = parse_date(args.since, "--since date") if args.since is not None else None
    with session_for(settings) as session:
        lines = audit_lines(session=session, zone=framework.document.partnership.timezone, since=since, subject=args.subject)
    if args.json:
        json.dump([line.as_dict() for line in lines], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for line in lines:
        detail = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}" for k, v in sorted(line.detail.items()))
        print(f"{line.at:%Y-%m-%d %H:%M}  {line.actor:<24}  {line.action:<20}  {line.subject}" + (f"  ({detail})" if detail else ""))
    print(f"{len(lines)} audit entr{'ies' if len(lines) != 1 else 'y'}.")
    return 0


def add_actions_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds ``risk``, ``risks``, ``actions`` and ``audit`` to ``qaf``."""
    from qaframework.persistence.action_views import LIST_STATUSES
    from qaframework.persistence.learning_tables import JUDGEMENTS

    def bind(handler: Handler) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("risk", help="rate a risk on the framework's matrix", description="Rate a risk on the framework file's risk matrix (seed 003's Appendix A by default).")
    rs = p.add_subparsers(dest="risk_command", required=True, metavar="ACTION", parser_class=parser_class)
    r = rs.add_parser("score", help="print the score and band of a likelihood and an impact", description="Print the score of a likelihood and an impact (each 1 to 5) on the matrix, its band and colour, and whether it is above the tolerance (reported to the top body).")
    r.add_argument("likelihood", metavar="LIKELIHOOD", help="1 to 5")
    r.add_argument("impact", metavar="IMPACT", help="1 to 5")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_risk_score))

    p = sub.add_parser("risks", help="the risk register, and rating a risk again", description="List the risk register (each risk's current rating and its trend) and the heat map of current ratings; or rate a risk again.")
    p.add_argument("--above-tolerance", action="store_true", help="only the risks above the tolerance (reported to the top body)")
    p.add_argument("--json", action="store_true", help="print JSON: the register and the heat map, under the artifacts' keys")
    add_framework(p)
    p.set_defaults(handler=bind(cmd_risks))
    rs = p.add_subparsers(dest="risks_command", required=False, metavar="ACTION", parser_class=parser_class)
    r = rs.add_parser("rate", help="rate a risk again (every rating is kept)", description="Rate a risk finding again: a new rating after its last, every one kept; the register shows the trend.")
    r.add_argument("reference", metavar="FINDING", help="the risk finding's reference, e.g. F-2027-0001")
    r.add_argument("--likelihood", required=True, metavar="N", help="1 to 5")
    r.add_argument("--impact", required=True, metavar="N", help="1 to 5")
    r.add_argument("--on", metavar="DATE", help="the day of the rating, YYYY-MM-DD (default today)")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_risks_rate))

    p = sub.add_parser("actions", help="improvement actions: add, list, done, drop, evaluate", description="Improvement actions from findings, review cases and Section 11 returns. Each is a task for its owner: reminded, escalated, in their feed and on the dashboard.")
    acts = p.add_subparsers(dest="actions_command", required=True, metavar="ACTION", parser_class=parser_class)
    a = acts.add_parser("add", help="add an action to a finding or a review case", description="Add an action (what, owner, due date) to a finding or a review case; its owner's task opens at once.")
    source = a.add_mutually_exclusive_group(required=True)
    source.add_argument("--finding", metavar="REF", help="the finding it answers, e.g. F-2027-0001")
    source.add_argument("--case", metavar="REF", help="the review case whose recommendations it carries, e.g. RR-2027-004")
    a.add_argument("--what", required=True, metavar="TEXT", help="what will change, in a few words (no names, dates of birth or postcodes)")
    a.add_argument("--owner", required=True, metavar="KEY", help="the agency or body key that owns it")
    a.add_argument("--due", required=True, metavar="DATE", help="the day it is due, YYYY-MM-DD")
    a.add_argument("--on", metavar="DATE", help="the day it is added, YYYY-MM-DD (default today)")
    add_framework(a)
    a.set_defaults(handler=bind(cmd_actions_add))
    a = acts.add_parser("list", help="list actions", description="List actions by due date: status, owner, where each came from, and its evaluation.")
    a.add_argument("--owner", metavar="KEY", help="only this agency's or body's")
    a.add_argument("--status", choices=list(LIST_STATUSES), help="only actions in this state")
    a.add_argument("--json", action="store_true", help="print a JSON array")
    add_framework(a)
    a.set_defaults(handler=bind(cmd_actions_list))
    a = acts.add_parser("done", help="mark an action done, with the day and evidence", description="Mark an open action done: its task is closed and the reminders stop.")
    a.add_argument("reference", metavar="REF", help="the action, e.g. A-2027-0001")
    a.add_argument("--on", required=True, metavar="DATE", help="the day it was done, YYYY-MM-DD")
    a.add_argument("--evidence", required=True, metavar="TEXT", help="what shows it was done (no names)")
    add_framework(a)
    a.set_defaults(handler=bind(cmd_actions_done))
    a = acts.add_parser("drop", help="drop an action, with the reason", description="Drop an open action, with the reason: its task is cancelled.")
    a.add_argument("reference", metavar="REF", help="the action, e.g. A-2027-0001")
    a.add_argument("--reason", required=True, metavar="TEXT", help="why it is no longer needed")
    a.add_argument("--on", metavar="DATE", help="the day, YYYY-MM-DD (default today)")
    add_framework(a)
    a.set_defaults(handler=bind(cmd_actions_drop))
    a = acts.add_parser("evaluate", help="record the evaluation group's judgement of a done action", description="Record whether a done action made a difference: evidenced, partly-evidenced or not-evidenced. Every evaluation is kept.")
    a.add_argument("reference", metavar="REF", help="the action, e.g. A-2027-0001")
    a.add_argument("--as", dest="judgement", required=True, choices=list(JUDGEMENTS), help="the judgement")
    a.add_argument("--on", required=True, metavar="DATE", help="the day of the evaluation, YYYY-MM-DD")
    a.add_argument("--note", metavar="TEXT", help="a short note (no names)")
    add_framework(a)
    a.set_defaults(handler=bind(cmd_actions_evaluate))

    p = sub.add_parser("audit", help="the audit log: who did what, and when", description="List the audit log, oldest first: when, who (a role, qaf-cli or prefect:<deployment>), what and about which reference.")
    p.add_argument("--since", metavar="DATE", help="only entries from this day, YYYY-MM-DD")
    p.add_argument("--subject", metavar="REF", help="only entries about this reference (an action, finding, case or task)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    add_framework(p)
    p.set_defaults(handler=bind(cmd_audit))

