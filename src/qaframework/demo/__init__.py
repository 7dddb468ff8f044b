"""A demonstration year: an empty database filled with a fictional financial year, so a
new user sees the dashboards, the papers and a yearly report at once (``qaf demo``).

Everything goes through the functions the flows and the CLI use (planning, opening and
overdue marking, returns from the real templates, findings, risks, actions, meetings,
review cases, papers), in one transaction, with ``qaf-demo`` as every actor; the
database is marked by the run watermark ``demo``. Nothing here names a body, agency or
activity: the framework file says who plays which role and what there is.
"""

from qaframework.demo.context import DemoError
from qaframework.demo.guard import DEMO_ACTOR, DEMO_JOB, DatabaseState, database_state
from qaframework.demo.summary import demo_counts, summary_lines
from qaframework.demo.walk import DemoYearError, default_year
from qaframework.demo.year import DemoOutcome, DemoRefusedError, write_demo_year

__all__ = [
    "DEMO_ACTOR", "DEMO_JOB", "DatabaseState", "DemoError", "DemoOutcome", "DemoRefusedError", "DemoYearError", "database_state",
    "default_year", "demo_counts", "summary_lines", "write_demo_year",
]
