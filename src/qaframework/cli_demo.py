"""``qaf demo``: fill an empty database with a fictional financial year, to try the
dashboards, the papers and the yearly report on (``qaframework.demo``).

Exit 0 when the year was written, or when the database already holds the demonstration
(nothing is written again); exit 2, one line and nothing written, for a database holding
real records, a year that has not ended, or a different year asked of a database that
holds the demonstration already.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from qaframework.config import Settings

Handler = Callable[[argparse.Namespace, Settings, Callable[[Settings], Any]], int]


def cmd_demo(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from sqlalchemy.engine import make_url

    from qaframework.cli import _framework
    from qaframework.clock import today_in
    from qaframework.demo import DemoYearError, default_year, summary_lines, write_demo_year
    from qaframework.demo.walk import check_year
    from qaframework.errors import InvalidFinancialYearError
    from qaframework.financial_year import FinancialYear

    framework = _framework(args, settings)
    today = today_in(framework.document.partnership.timezone)
    try:
        fy = FinancialYear.parse(args.fy) if args.fy is not None else default_year(framework, today)
    except InvalidFinancialYearError as exc:
        raise DemoYearError(f"--fy: {exc}") from None
    check_year(fy, today)  # before the database is opened (or created): bad input writes nothing
    where = f"the database at {make_url(settings.effective_database_url).render_as_string(hide_password=True)}"
    with session_for(settings, create=True) as session:  # qaf demo may start an installation
        outcome = write_demo_year(session=session, framework=framework, fy=fy, data_dir=settings.data_dir, today=today,
                                  papers=not args.no_papers, where=where)
    if not outcome.written:
        if args.fy is not None and outcome.fy != fy:
            raise DemoYearError(f"--fy: {where} holds the demonstration year {outcome.fy} already: one demonstration year to a "
                                "database; point QAF_DATA_DIR at a new folder for another")
        print(f"The demonstration year {outcome.fy} is already in {where}: nothing was written.")
        return 0
    print(f"Wrote the demonstration year {outcome.fy} ({outcome.fy.start:%d %B %Y} to {outcome.fy.end:%d %B %Y}) into {where}, "
          f"as example data by qaf-demo, as it stood on {outcome.through.isoformat()}:")
    for line in summary_lines(outcome.counts):
        print(line)
    top = framework.role("top_body")
    print("Look at it with: "
          f"qaf returns status --fy {outcome.fy.start_year}; qaf tasks --fy {outcome.fy.start_year}; qaf risks; qaf actions list; "
          f"qaf meetings list --fy {outcome.fy.start_year}; qaf papers {top} --meeting DATE (a day qaf meetings list shows).")
    return 0


def add_demo_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds ``demo`` to ``qaf``."""

    def bind(handler: Handler) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("demo", help="fill an empty database with a fictional demonstration year",
                       description="Fill an empty database with a fictional financial year, marked as example data: every "
                                   "agency's returns (some late, one rejected then corrected), findings, rated risks, actions "
                                   "done and overdue, meetings held with attendance, two rapid reviews (one decided for the "
                                   "longest review branch, carried through to publication) and the top body's last papers. "
                                   "Refuses a database holding records it did not make; run again, it writes nothing.")
    p.add_argument("--fy", metavar="YEAR", help="the financial year, by the year it starts (default: the latest year that has "
                                                "ended and is year one of the framework's Section 11 cycle)")
    p.add_argument("--no-papers", action="store_true", help="do not build the top body's last meeting papers (faster)")
    add_framework(p)
    p.set_defaults(handler=bind(cmd_demo))
