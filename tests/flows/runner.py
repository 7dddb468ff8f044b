"""Serving a flow as a deployment under the test Prefect API, as a worker would run it.

A real ``prefect.runner.Runner`` polls the API, proposes each run's states and hands the
run to Prefect's engine; only where the engine runs differs from a worker's. A worker
starts a new Python process for every run, and every resumed run, at 2-3 s of CPU each
(importing Prefect and our flows); here the engine runs the same flow object in a thread
of the test's process. What the process boundary adds (a worker importing the
deployments of ``prefect.yaml``, a resumed run starting again in a new process) is
tested by ``tests/scale_out`` and ``tests/system``, which start real workers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

#: How long a test waits for a run to reach a state or show its next form; only a failing
#: test waits this long.
FORM_WAIT_SECONDS = 240


class _RunInThread:
    """A flow run executed by Prefect's engine in a thread, in the shape the runner's
    direct starter expects of the process it starts: ``join()``, ``pid`` (None: nothing to
    signal) and ``exitcode``. A run's process tells the runner over its control channel
    that the engine finished the attempt (completed, failed, suspended or paused), and the
    runner then takes its exit as clean; the thread's exit code says the same. Only an
    interruption the engine did not finish (exit code 1) lets the runner report a crash."""

    pid = None

    def __init__(self, flow: Any, flow_run: Any) -> None:
        self.exitcode: int | None = None
        self._thread = threading.Thread(target=self._run, args=(flow, flow_run), daemon=True,
                                        name=f"flow-run-{flow_run.id}")
        self._thread.start()

    def _run(self, flow: Any, flow_run: Any) -> None:
        from prefect.exceptions import Abort, Pause
        from prefect.flow_engine import run_flow

        try:
            run_flow(flow, flow_run=flow_run)
            self.exitcode = 0
        except (Exception, Abort, Pause):  # the engine has recorded the run's state
            self.exitcode = 0
        except BaseException:  # noqa: BLE001 - interrupted: a process would exit 1
            self.exitcode = 1

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def _run_in_thread(flow: Any, flow_run: Any = None, **_: Any) -> _RunInThread:
    return _RunInThread(flow, flow_run)


@contextmanager
def served(flow: Any, name: str, triggers: list[Any] | None = None) -> Iterator[None]:
    """A runner serving ``flow`` as deployment ``name`` until the block ends; it is stopped
    on its own event loop, so no polling outlives the tests."""
    from prefect.runner import Runner, _starter_direct

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

    # The direct starter calls its module's run_flow_in_subprocess; its docstring says to
    # patch the module to override it.
    with patch.object(_starter_direct, "run_flow_in_subprocess", _run_in_thread):
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
