"""``qaf today``: the business unit's day, as the ``today`` artifact of check-deadlines
shows it: what is overdue (what, who, due, working days overdue, escalated or not), what
falls due this week, what opened, the cases' next statutory stages (by reference) and
the returns rejected and awaiting a new version. ``--json`` prints the same rows under
the same keys as the artifact's tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from qaframework.config import Settings


def cmd_today(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.cli import _framework
    from qaframework.cli_arguments import parse_date
    from qaframework.clock import today_in
    from qaframework.deadlines import working_day_calendar
    from qaframework.persistence.today_facts import today_facts
    from qaframework.today import today_text, today_view

    framework = _framework(args, settings)
    on = parse_date(args.as_of, "--as-of date") if args.as_of is not None else today_in(framework.document.partnership.timezone)
    with session_for(settings) as session:
        facts = today_facts(session=session, framework=framework, on=on)
    view = today_view(facts, on, working_day_calendar(framework))
    if args.json:
        json.dump(view, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(today_text(view))
    return 0


def add_today_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds ``today`` to ``qaf``."""
    p = sub.add_parser("today", help="what is overdue, due this week, opened, the cases' next stages and rejected returns",
                       description="The business unit's day, as check-deadlines publishes it to the Prefect UI (the today "
                                   "artifact): overdue tasks with the working days overdue and whether they were escalated, "
                                   "what falls due by Sunday, what opened, each open case's next statutory stage (by "
                                   "reference) and the returns rejected and awaiting a new version.")
    p.add_argument("--as-of", metavar="DATE", help="the day to show, YYYY-MM-DD (default today, London time)")
    p.add_argument("--json", action="store_true", help="print the view as JSON, with the same keys as the artifact")
    add_framework(p)
    p.set_defaults(handler=lambda args, settings: cmd_today(args, settings, session_for))
