"""qaframework: the pure domain core of a safeguarding partnership's QA calendar.

Nothing in this package imports Prefect: framework definitions, calendar and deadline
rules, persistence and reports are plain Python, so they are fast to test and usable
from the ``qaf`` command line as well as from the flows in ``flows/``.
"""

__version__ = "0.1.0"
