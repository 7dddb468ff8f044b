"""Naming Prefect runs after what they are about (``qaframework.run_names``): the run's
parameters, today and now for the flows' ``flow_run_name`` callables, and renaming a
running case's run as its stage moves on."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qaframework.clock import today_in

#: Run names are read when a run starts, before the framework file is: the partnership's
#: days are London days (as prepare-meeting-papers' names are).
ZONE = "Europe/London"


def parameters() -> dict[str, Any]:
    """The running flow run's parameters (for its ``flow_run_name`` callable); one left
    to its default may be missing."""
    from prefect.runtime import flow_run

    return dict(flow_run.parameters or {})


def london_today() -> Any:
    return today_in(ZONE)


def london_now() -> datetime:
    return datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None)


def rename_run(run_id: Any, name: str) -> None:
    """Give the running flow run a new name (a case's run, as its stage moves on). The
    name is only a label: if the API refuses it, the run goes on under its old name."""
    import httpx
    from prefect import get_run_logger
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, name=name)
    except (httpx.HTTPError, RuntimeError) as exc:
        get_run_logger().warning("The run could not be renamed %s (%s): it keeps its name", name, type(exc).__name__)
