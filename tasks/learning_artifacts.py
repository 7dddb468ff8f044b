"""Publishing the risk register and its heat map to the Prefect UI as table artifacts.

Stable keys (``risk-register``, ``risk-heat-map``) keep one history of versions per
artifact; ``qaf risks --json`` prints the same rows under the same keys, and the title
too. The artifacts carry references, themes, activities, ratings and dates only: never a
finding's title (free text: the checks for identifying text do not catch names), which
the Prefect UI would show to everyone who can see it.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE

from qaframework.framework import Framework
from qaframework.learning.register import artifact_rows, heat_map_rows
from qaframework.persistence.database import transaction
from qaframework.persistence.risks import risk_register
from tasks.retrying import retry_transient

REGISTER_KEY = "risk-register"
HEAT_MAP_KEY = "risk-heat-map"


@task(name="publish-risk-register", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NONE)
def publish_risk_register(database_url: str, framework: Framework, on: date) -> dict[str, list[dict[str, object]]]:
    matrix = framework.document.risk_matrix
    with transaction(database_url) as session:
        rows = artifact_rows(risk_register(session=session, framework=framework))
    grid = heat_map_rows(matrix, rows)
    above = sum(1 for r in rows if r["above_tolerance"])
    create_table_artifact(
        key=REGISTER_KEY, table=rows,
        description=(f"Risks on {on:%d %B %Y}: {len(rows)}, {above} above tolerance {matrix.tolerance}; "
                     "trend since last rating ▲▼ likelihood ▶◀ impact"),
    )
    create_table_artifact(
        key=HEAT_MAP_KEY, table=grid,
        description=f"Risk ratings on {on:%d %B %Y}: impact 5 at the top, likelihood 1 to 5 across; score, band, risks",
    )
    return {REGISTER_KEY: rows, HEAT_MAP_KEY: grid}
