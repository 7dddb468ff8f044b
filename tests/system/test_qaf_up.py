"""`qaf up` end to end: a real Prefect server, worker and deployment run, then SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
QAF = str(Path(sys.executable).parent / "qaf")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """PIDs whose environment mentions ``marker`` (every child of this qaf up does)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            seen.append(line.rstrip())
            if text in line:
                return seen
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.2)
    raise AssertionError(f"never printed {text!r}; output so far: {seen}")


def api_call(method: str, url: str, **kwargs: object) -> dict:
    """A Prefect API call, tried again while the SQLite-backed server is busy (its
    scheduler writes at start-up), failing with the server's own answer."""
    response = None
    for _ in range(10):
        response = httpx.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
        if response.status_code < 500:
            break
        time.sleep(1)
    assert response is not None and response.is_success, f"{method} {url}: {response.status_code if response else '-'} {response.text if response else ''}"
    return response.json()


def test_qaf_up_serves_runs_a_deployment_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "qaf-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAF_", "PREFECT_"))}
    feeds_port = free_port()
    env.update(QAF_DATA_DIR=str(data), QAF_PREFECT_PORT=str(port), QAF_FEEDS_PORT=str(feeds_port), QAF_FEEDS_REFRESH_SECONDS="1", PYTHONUNBUFFERED="1")
    api = f"http://127.0.0.1:{port}/api"
    process = subprocess.Popen([QAF, "up"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = wait_for_line(process, "qaframework is up", timeout=300)
        assert any(f"Prefect UI: http://127.0.0.1:{port}" in line for line in output)
        assert httpx.get(f"{api}/health", timeout=10).status_code == 200
        assert (data / "prefect").is_dir(), "the Prefect server lives under the data folder"
        # The current financial year and the next are planned before anyone runs plan-year.
        today = datetime.now(ZoneInfo("Europe/London")).date()
        current = today.year if today.month >= 4 else today.year - 1
        assert any(line.startswith("Calendar: ") and f"{current}/{(current + 1) % 100:02d}" in line for line in output), output
        with sqlite3.connect(data / "qaframework.db") as db:
            years = dict(db.execute("select financial_year, count(*) from occurrence group by financial_year").fetchall())
        assert set(years) == {current, current + 1} and all(years.values()), years
        # The server is marked as this installation's, and its address recorded in the data folder.
        record = json.loads((data / "installation.json").read_text())
        assert record["prefect_api_url"] == api
        owner = api_call("GET", f"{api}/variables/name/qaf_installation")["value"]
        assert owner == {"id": record["id"], "data_dir": str(data.resolve())}

        second = subprocess.run([QAF, "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stdout

        status = subprocess.run([QAF, "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "Prefect server: healthy" in status.stdout
        listed = next(line for line in status.stdout.splitlines() if line.strip().startswith("Deployments: "))
        deployed = set(listed.split(": ", 1)[1].split(", "))
        assert {"check-deadlines", "complete-task", "evaluate-action", "open-activities", "plan-year", "rapid-review", "record-findings"} <= deployed, listed

        deployment = api_call("GET", f"{api}/deployments/name/plan-year/plan-year")
        run = api_call("POST", f"{api}/deployments/{deployment['id']}/create_flow_run", json={"parameters": {"financial_year": "2027"}})
        deadline = time.monotonic() + 240
        state = None
        while time.monotonic() < deadline:
            state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()["state_type"]
            if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
                break
            time.sleep(2)
        assert state == "COMPLETED"
        with sqlite3.connect(data / "qaframework.db") as db:
            assert db.execute("select count(*) from occurrence where financial_year = 2027").fetchone() == (66,)

        issued = subprocess.run([QAF, "feeds", "issue", "partnership"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert issued.returncode == 0, issued.stderr
        local = next(word for word in issued.stdout.split() if word.startswith("http://")).rstrip(";")
        assert local.startswith(f"http://127.0.0.1:{feeds_port}/feeds/")
        time.sleep(2.5)  # the feed server re-reads the database every QAF_FEEDS_REFRESH_SECONDS
        feed = httpx.get(local, timeout=30)
        assert feed.status_code == 200 and "UID:meeting/executive/2027-05@sscp.qaframework" in feed.text
        assert processes_with(str(data)), "qaf up's children carry its data folder in their environment"

        # The deployed schedules, as Prefect's own scheduler expands them, run at 07:00
        # and 07:30 London time on working-day mornings.
        deadline = time.monotonic() + 90
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = subprocess.run([QAF, "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60).stdout.splitlines()
            if any(line.endswith("open-activities") for line in lines):
                break
            time.sleep(3)
        scheduled = [line.strip() for line in lines if line.strip().endswith(("open-activities", "check-deadlines"))]
        assert scheduled, lines
        for line in scheduled:
            assert (" 07:00  open-activities" in line) or (" 07:30  check-deadlines" in line), line
            assert not line.startswith(("Sat", "Sun")), line
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
        stopped_in = time.monotonic() - started
    assert process.returncode == 0
    assert stopped_in < 10, f"took {stopped_in:.1f}s to stop"
    assert processes_with(str(data)) == []
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)
    assert not (data / "up.json").exists()


def test_sigterm_during_start_up_stops_everything_within_ten_seconds(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "qaf-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAF_", "PREFECT_"))}
    env.update(QAF_DATA_DIR=str(data), QAF_PREFECT_PORT=str(port), QAF_FEEDS_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([QAF, "up"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_line(process, "Starting the Prefect server", timeout=120)
        time.sleep(2)  # the server is starting, not yet healthy
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
    assert time.monotonic() - started < 10
    assert process.returncode == 0
    assert processes_with(str(data)) == []
