"""``qaf up``: the whole system on one machine, and ``qaf status``.

Starts a Prefect server on SQLite (its home under the project's data folder, never the
user's global Prefect home), applies our migrations, plans the current and the next
financial year where they are not planned, claims the server for this installation (see
``installation_prefect``), creates the work pool, deploys everything in ``prefect.yaml``
and starts a worker. Ctrl-C or SIGTERM stops every process
it started within 10 seconds.

This module drives Prefect through its command line and REST API in child processes; it
does not import Prefect, so the core stays importable without it.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx

from qaframework.config import Settings
from qaframework.errors import QAFrameworkError
from qaframework.installation import Installation
from qaframework.installation_prefect import start_deployment_run as start_deployment_run  # noqa: F401 - kept importable from here

if TYPE_CHECKING:
    from qaframework.framework import Framework

WORK_POOL = "qaf-pool"
LONDON = ZoneInfo("Europe/London")
STOP_GRACE_SECONDS = 6.0  # then SIGKILL: everything is gone well within 10 seconds
SERVER_START_TIMEOUT = 180.0


class StackError(QAFrameworkError):
    """The local system could not be brought up (a port in use, a failed deploy)."""


@dataclass(frozen=True)
class StackPaths:
    data_dir: Path
    prefect_home: Path
    logs: Path
    lock: Path
    state: Path

    @classmethod
    def under(cls, data_dir: Path) -> "StackPaths":
        data_dir = data_dir.resolve()
        return cls(data_dir, data_dir / "prefect", data_dir / "logs", data_dir / "up.lock", data_dir / "up.json")


def api_url(settings: Settings) -> str:
    return f"http://{settings.prefect_host}:{settings.prefect_port}/api"


def ui_url(settings: Settings) -> str:
    return f"http://{settings.prefect_host}:{settings.prefect_port}"


def child_environment(settings: Settings, paths: StackPaths, project_dir: Path) -> dict[str, str]:
    """The environment every child process (server, deploy, worker, flow runs) gets."""
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(paths.prefect_home),
        PREFECT_API_URL=api_url(settings),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_UI_URL=ui_url(settings),
        QAF_DATA_DIR=str(paths.data_dir),
        QAF_PROJECT_DIR=str(project_dir),
    )
    if settings.database_url:
        env["QAF_DATABASE_URL"] = settings.database_url
    return env


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


class _Children:
    """The processes ``qaf up`` started, each in its own process group."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: Sequence[str], env: dict[str, str], cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.running.append((name, process))
        return process

    def exited(self) -> list[tuple[str, int]]:
        return [(name, p.returncode) for name, p in self.running if p.poll() is not None]

    def stop(self) -> None:
        """SIGTERM every group, then SIGKILL what is left after the grace period.

        A Prefect worker ignores its first SIGTERM (it waits for runs to finish), so a
        group that outlives the grace period is killed rather than asked again.
        """
        for _, process in reversed(self.running):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, process in self.running:
            remaining = deadline - time.monotonic()
            try:
                process.wait(timeout=max(remaining, 0.01))
            except subprocess.TimeoutExpired:
                pass
        for _, process in self.running:
            _signal_group(process, signal.SIGKILL)  # also reaps stragglers in the group
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
                pass


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class _StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived while qaf up was still starting."""


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float, stopping: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping():
            raise _StopRequested
        if server.poll() is not None:
            raise StackError(f"the Prefect server stopped while starting (exit {server.returncode}): see its log")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StackError(f"the Prefect server did not answer at {url}/health within {timeout:.0f} seconds")


def _run_step(what: str, command: Sequence[str], env: dict[str, str], cwd: Path, log: IO[bytes], stopping: Callable[[], bool]) -> None:
    """Run one set-up command to completion, abandoning it if a stop is requested."""
    log.write(f"\n$ {' '.join(command)}\n".encode())
    log.flush()
    step = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 600
    while step.poll() is None:
        if stopping() or time.monotonic() > deadline:
            _signal_group(step, signal.SIGKILL)
            step.wait()
            if stopping():
                raise _StopRequested
            raise StackError(f"{what} took more than 10 minutes: see {log.name}")
        time.sleep(0.1)
    if step.returncode != 0:
        raise StackError(f"{what} failed (exit {step.returncode}): see {log.name}")


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def up(settings: Settings, say: Callable[[str], None] = print) -> int:
    """Bring the system up and keep it running until Ctrl-C or SIGTERM."""
    from qaframework.framework import load_framework

    framework = load_framework(settings.framework_file)  # a broken file stops us before anything starts
    project_dir = settings.project_dir.resolve()
    paths = StackPaths.under(settings.data_dir)
    for folder in (paths.data_dir, paths.prefect_home, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)

    lock = open(paths.lock, "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        running = read_state(paths)
        where = f" (pid {running.get('pid')}, UI at {running.get('ui')})" if running else ""
        say(f"qaf up is already running for {paths.data_dir}{where}. Stop it first (Ctrl-C in its terminal).")
        return 1
    if not (project_dir / "prefect.yaml").is_file():
        raise StackError(f"no prefect.yaml in {project_dir}: run qaf up from the project folder, or set QAF_PROJECT_DIR")
    if not _port_free(settings.prefect_host, settings.prefect_port):
        raise StackError(f"port {settings.prefect_port} on {settings.prefect_host} is in use: stop what uses it or set QAF_PREFECT_PORT")
    if not _port_free(settings.feeds_host, settings.feeds_port):
        raise StackError(f"port {settings.feeds_port} on {settings.feeds_host} is in use: stop what uses it or set QAF_FEEDS_PORT")

    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children = _Children()
    env = child_environment(settings, paths, project_dir)
    log = open(paths.logs / "qaf-up.log", "ab")  # noqa: SIM115
    try:
        say(f"Preparing the database ({'QAF_DATABASE_URL' if settings.database_url else paths.data_dir / 'qaframework.db'})...")
        installation = prepare_installation(settings, framework, say)
        say(f"Starting the Prefect server on {ui_url(settings)} (home: {paths.prefect_home})...")
        server = children.start(
            "Prefect server",
            _prefect("server", "start", "--host", settings.prefect_host, "--port", str(settings.prefect_port)),
            env, project_dir, open(paths.logs / "prefect-server.log", "ab"),
        )
        stopping = lambda: bool(stop_requested)  # noqa: E731
        _wait_healthy(api_url(settings), server, SERVER_START_TIMEOUT, stopping)
        _claim(api_url(settings), installation, paths)
        say(f"Creating the work pool {WORK_POOL} and deploying prefect.yaml...")
        _run_step("creating the work pool", _prefect("work-pool", "create", WORK_POOL, "--type", "process", "--overwrite"), env, project_dir, log, stopping)
        _run_step("deploying prefect.yaml", _prefect("--no-prompt", "deploy", "--all"), env, project_dir, log, stopping)
        say("Starting a worker and the calendar feed server...")
        children.start("Prefect worker", _prefect("worker", "start", "--pool", WORK_POOL, "--type", "process"), env, project_dir, open(paths.logs / "prefect-worker.log", "ab"))
        children.start("feed server", [sys.executable, "-m", "qaframework.cli", "feeds", "serve"], env, project_dir, open(paths.logs / "feed-server.log", "ab"))
        paths.state.write_text(json.dumps({"pid": os.getpid(), "ui": ui_url(settings), "api": api_url(settings), "project": str(project_dir)}))
        say("")
        say(f"qaframework is up. Prefect UI: {ui_url(settings)}  (API: {api_url(settings)})")
        say(f"  Calendar feeds: {settings.feeds_local_url}/feeds/...  (issue one with: qaf feeds issue AGENCY)")
        say("  Deployments: plan-year (1 March), open-activities and check-deadlines (working-day mornings).")
        say("  Next: open the UI; the compliance dashboard appears under Artifacts after check-deadlines runs.")
        say(f"  Other folders: export QAF_DATA_DIR={paths.data_dir} to use this installation from anywhere.")
        say(f"  Logs: {paths.logs}.  Status: qaf status.  Stop: Ctrl-C.")

        while not stop_requested:
            gone = children.exited()
            if gone:
                name, code = gone[0]
                say(f"{name} stopped unexpectedly (exit {code}); stopping everything. See {paths.logs}.")
                return 1
            time.sleep(0.2)
        say("Stopping...")
        return 0
    except _StopRequested:
        say("Stopping before start-up finished...")
        return 0
    finally:
        children.stop()
        paths.state.unlink(missing_ok=True)
        log.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def prepare_installation(settings: Settings, framework: "Framework", say: Callable[[str], None], today: date | None = None) -> Installation:
    """Create or upgrade the database, record the installation, and plan the current and
    the next financial year (as of ``today``, default London's today) where they are not
    planned. Idempotent: a second ``qaf up`` plans nothing."""
    from qaframework.clock import today_in
    from qaframework.installation import ensure_installation
    from qaframework.persistence.database import prepare, transaction
    from qaframework.planned_years import plan_unplanned_years

    prepare(settings.effective_database_url)
    installation = ensure_installation(settings.data_dir)
    today = today or today_in(framework.document.partnership.timezone)
    with transaction(settings.effective_database_url) as session:
        planned = plan_unplanned_years(session=session, framework=framework, today=today, actor="qaf-up")
    say("Calendar: " + "; ".join(year.describe() for year in planned) + ".")
    return installation


def _claim(api: str, installation: Installation, paths: StackPaths) -> None:
    from qaframework.installation import record_prefect_api
    from qaframework.installation_prefect import claim_server

    try:
        claim_server(api, installation, take_over=True)
    except httpx.HTTPError as exc:
        raise StackError(f"could not mark the Prefect server at {api} as this installation's: {exc}") from None
    record_prefect_api(paths.data_dir, api)


def read_state(paths: StackPaths) -> dict[str, object]:
    try:
        return json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return {}


def is_running(paths: StackPaths) -> bool:
    """True when a ``qaf up`` holds the lock for this data folder."""
    if not paths.lock.exists():
        return False
    with open(paths.lock, "a+") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
    return False


def status(settings: Settings, say: Callable[[str], None] = print) -> int:
    """What is running, and the next scheduled runs. Exit 0 if up, 1 if not."""
    paths = StackPaths.under(settings.data_dir)
    if not is_running(paths):
        say(f"qaf up is not running for {paths.data_dir}. Start it with: qaf up")
        return 1
    state = read_state(paths)
    api = str(state.get("api") or api_url(settings))
    say(f"qaf up is running (pid {state.get('pid')}). Prefect UI: {state.get('ui')}")
    try:
        health = httpx.get(f"{api}/health", timeout=5).status_code == 200
        deployments = httpx.post(f"{api}/deployments/filter", json={"limit": 50}, timeout=10).json()
        runs = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 10},
            timeout=10,
        ).json()
        workers = httpx.post(f"{api}/work_pools/{WORK_POOL}/workers/filter", json={}, timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        say(f"  The Prefect API at {api} did not answer: {exc}")
        return 1
    say(f"  Prefect server: {'healthy' if health else 'NOT healthy'}")
    say(f"  Workers on {WORK_POOL}: {', '.join(w['name'] + ' (' + w.get('status', '?') + ')' for w in workers) or 'none'}")
    names = {d["id"]: d["name"] for d in deployments}
    say(f"  Deployments: {', '.join(sorted(names.values())) or 'none'}")
    say("  Next scheduled runs (London time):")
    for run in runs:
        when = datetime.fromisoformat(str(run["expected_start_time"]).replace("Z", "+00:00")).astimezone(LONDON)
        say(f"    {when:%a %d %b %Y %H:%M}  {names.get(run.get('deployment_id'), '?')}")
    if not runs:
        say("    none")
    return 0
