"""``qaf rapid-review`` and ``qaf cases``: serious incidents and their statutory clock
chain, known only by case reference.

Opening a case or resuming its run starts a rapid-review run on this installation's
Prefect server only (see ``installation_prefect``): when the server that answers is
another installation's, the command refuses before the case is written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from qaframework.cli import RAPID_REVIEW_COMMAND, _framework, _start_case_run
from qaframework.cli_arguments import parse_date, read_rationale_file
from qaframework.config import Settings


def _print_case(view) -> None:  # type: ignore[no-untyped-def]
    print(f"{view.reference}  {view.status}" + (f", decision {view.decision}" if view.decision else "")
          + f"  (aware {view.aware.isoformat()}" + (f", notified {view.notified.isoformat()})" if view.notified else ")"))
    for s in view.stages:
        marker = "->" if s.key == view.next_stage else "  "
        print(f"  {marker} {s.title:<55} due {s.due.isoformat() if s.due else '-':<10}  done {s.done_on.isoformat() if s.done_on else '-':<10}  {s.state}")


def cmd_rapid_review_start(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.installation_prefect import run_target
    from qaframework.persistence.cases import case_view, open_case
    from qaframework.reviews.chain import CaseDates

    framework = _framework(args, settings)
    dates = CaseDates(
        parse_date(args.incident, "--incident date") if args.incident else None,
        parse_date(args.aware, "--aware date"),
        parse_date(args.notified, "--notified date") if args.notified else None,
    )
    run_target(settings)  # another installation's Prefect server: refused before the case is opened
    with session_for(settings) as session:
        reference = open_case(session=session, framework=framework, dates=dates, opened_by_run=None, actor=settings.actor)
        view = case_view(session=session, framework=framework, reference=reference)
    print(f"Opened case {reference}. Use only this reference anywhere outside the case record.")
    _print_case(view)
    return _start_case_run(settings, reference, dates.aware)


def cmd_rapid_review_record(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.cases import record_stage

    framework = _framework(args, settings)
    done_on = parse_date(args.on, "--on date")
    rationale = args.rationale
    if args.rationale_file:
        rationale = read_rationale_file(args.rationale_file)
    with session_for(settings) as session:
        view = record_stage(session=session, framework=framework, reference=args.reference, stage=args.stage, done_on=done_on,
                            actor=settings.actor, decision=args.decision, rationale=rationale, signed_by=args.signed_by)
    _print_case(view)
    return 0


def cmd_rapid_review_resume(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.installation_prefect import run_target
    from qaframework.persistence.cases import case_view

    framework = _framework(args, settings)
    with session_for(settings) as session:
        view = case_view(session=session, framework=framework, reference=args.reference)
    if view.next_stage is None:
        _print_case(view)
        print(f"{view.reference} is complete: nothing to resume.")
        return 0
    run_target(settings)  # refused before anything is printed when the server is another installation's
    _print_case(view)
    return _start_case_run(settings, view.reference, view.aware)


def cmd_cases(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.cases import case_view, open_case_references

    framework = _framework(args, settings)
    with session_for(settings) as session:
        views = [case_view(session=session, framework=framework, reference=r) for r in open_case_references(session=session)]
    for view in views:
        _print_case(view)
    print(f"{len(views)} open case{'s' if len(views) != 1 else ''}.")
    return 0


def add_cases_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds the ``rapid-review`` and ``cases`` commands to ``qaf``."""

    def bind(handler: Callable[..., int]) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser(RAPID_REVIEW_COMMAND, help="serious incidents: open a case, record its stages, resume its run", description="Serious incidents and their statutory clock chain, known only by case reference.")
    rr = p.add_subparsers(dest="rr_command", required=True, metavar="ACTION", parser_class=parser_class)
    r = rr.add_parser("start", help="open a case for a serious incident", description="Open a case (reference allocated, e.g. RR-2027-004), print its stage due dates, and start its run in Prefect if it is up.")
    r.add_argument("--aware", required=True, metavar="DATE", help="the day the local authority became aware, YYYY-MM-DD")
    r.add_argument("--notified", metavar="DATE", help="the day the National Panel was notified, if it has been")
    r.add_argument("--incident", metavar="DATE", help="the day of the incident, if known")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_rapid_review_start))
    r = rr.add_parser("record", help="record that a case's next stage was done", description="Record a stage without the Prefect UI (for example when Prefect is down).")
    r.add_argument("reference", metavar="REF")
    r.add_argument("stage", metavar="STAGE", help="the stage key, as the framework file's review_chain.stages names it")
    r.add_argument("--on", required=True, metavar="DATE", help="the day it was done, YYYY-MM-DD")
    r.add_argument("--decision", metavar="DECISION", help="for the decision stage: a key of the framework file's review_chain.decisions")
    r.add_argument("--rationale", help="for the decision stage: kept in the case record only; no names (use --rationale-file to keep it out of shell history)")
    r.add_argument("--rationale-file", metavar="FILE", help="read the rationale from a file")
    r.add_argument("--signed-by", metavar="ROLE", help="for sign-offs: the role that signed off, as the stage's signed_by in the framework file lists them (a role, never a name)")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_rapid_review_record))
    r = rr.add_parser("resume", help="start a new run for a case where it stood", description="Start a new Prefect run for a case whose run expired or was lost; it continues at the stage where the case stands.")
    r.add_argument("reference", metavar="REF")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_rapid_review_resume))

    p = sub.add_parser("cases", help="list open review cases with their stages", description="List open cases with each stage's due and done dates.")
    add_framework(p)
    p.set_defaults(handler=bind(cmd_cases))
