"""Loading the partnership's framework file inside a flow run."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE

from qaframework.framework import Framework, load_framework


@task(name="load-framework", cache_policy=NONE)
def load_framework_file(path: Path | None) -> Framework:
    """No retries: a broken framework file needs a person, not another attempt."""
    return load_framework(path)
