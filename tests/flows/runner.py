"""Serving a flow as a deployment under the test Prefect API, as a worker would run it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: How long a test waits for a run to reach a state or show its next form. A resumed run
#: starts again in a new process; on a loaded 2-core machine (the suite on two workers,
#: each with its Prefect server) that has taken over a minute. Only a failing test waits
#: this long.
FORM_WAIT_SECONDS = 240


@contextmanager
def served(flow: Any, name: str, triggers: list[Any] | None = None) -> Iterator[None]:
    """A runner serving ``flow`` as deployment ``name`` until the block ends; it is stopped
    on its own event loop, so no polling outlives the tests."""
    from prefect.runner import Runner

    runner = Runner(query_seconds=0.2)
    started = threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    def serve() -> None:
        async def main() -> None:
            loops.append(asyncio.get_running_loop())
            await runner.aadd_flow(flow, name=name, triggers=triggers or [])
            started.set()
            await runner.start()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(60), f"the runner for {name} did not start"
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(runner.astop(), loops[0]).result(timeout=60)
        thread.join(timeout=60)


def client():  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def wait_for(run_id: Any, states: set[str], timeout: float = FORM_WAIT_SECONDS):  # type: ignore[no-untyped-def]
    """The flow run, once it reaches one of ``states`` (PAUSED, COMPLETED...)."""
    deadline = time.monotonic() + timeout
    with client() as api:
        while time.monotonic() < deadline:
            run = api.read_flow_run(run_id)
            if run.state and run.state.type.value in states:
                return run
            time.sleep(0.2)
    raise AssertionError(f"run {run_id} never reached {states}; last {run.state}")
