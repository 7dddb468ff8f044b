"""docs/deploy.md's scale-out, followed step by step and checked: a Prefect server on
PostgreSQL, our database on PostgreSQL, the work pool and every deployment of
prefect.yaml (``prefect deploy --all``), two process workers, and a day's runs (plan,
open, check, a rapid review waiting for its form), each completing exactly once, with
one worker stopped half-way through the day. The rapid review's first form is then
answered through the API, and the resumed run goes on in a new worker process to its
next form (the other flow tests run their resumed runs in the test's own process)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.scale_out.stack import ROOT, Processes, api, free_port, fresh_database, postgres_problem, prefect, run_step, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: The day's runs, by deployment, with the parameters the business unit would give.
FIRST_HALF = {
    "plan-year/plan-year": {"financial_year": "2027", "as_of": "2027-03-01"},
    "open-activities/open-activities": {"as_of": "2027-04-01"},
}
SECOND_HALF = {
    "check-deadlines/check-deadlines": {"as_of": "2027-04-01"},
    "rapid-review/rapid-review": {"aware": "2027-04-01"},
}


@pytest.fixture(scope="module")
def databases() -> tuple[str, str]:
    reason = postgres_problem()
    if reason:
        pytest.skip(reason)
    with fresh_database("qaf_prefect") as prefect_db, fresh_database("qaf_ours") as ours:
        yield prefect_db, ours


def _environment(tmp: Path, api_url: str, prefect_db: str, ours: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAF_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(tmp / "prefect-home"),
        PREFECT_API_URL=api_url,
        PREFECT_API_DATABASE_CONNECTION_URL=prefect_db.replace("postgresql://", "postgresql+asyncpg://", 1),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        # The runs are started by hand below: no scheduled run may join in (the sweep runs
        # every quarter of an hour in the daytime).
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        QAF_PROJECT_DIR=str(ROOT),
        QAF_DATABASE_URL=ours,
        QAF_DATA_DIR=str(tmp / "qaf-data"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_runs(api_url: str, runs: dict[str, dict[str, str]]) -> dict[str, str]:
    started = {}
    for name, parameters in runs.items():
        deployment = api("GET", f"{api_url}/deployments/name/{name}")
        run = api("POST", f"{api_url}/deployments/{deployment['id']}/create_flow_run", json={"parameters": parameters})  # type: ignore[index]
        started[name] = run["id"]  # type: ignore[index]
    return started


def _wait_for(api_url: str, runs: dict[str, str], final: dict[str, str], processes: Processes, timeout: float = 150) -> dict[str, str]:
    """Wait until every run reaches its expected state type (or a final one that is not)."""
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {name: api("GET", f"{api_url}/flow_runs/{run_id}")["state_type"] for name, run_id in runs.items()}  # type: ignore[index]
        if all(states[name] == final[name] for name in runs):
            return states
        failed = {n: s for n, s in states.items() if s in ("FAILED", "CRASHED", "CANCELLED")}
        assert not failed, f"runs ended badly: {failed}; worker logs: {processes.log('worker-a')[-3000:]} {processes.log('worker-b')[-3000:]}"
        time.sleep(1)
    raise AssertionError(f"runs did not finish in {timeout:.0f} s: {states}")


def _waiting_form(api_url: str, run_id: str) -> dict:  # type: ignore[type-arg]
    """The schema of the form the suspended run waits for (saved just after it pauses)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        inputs = api("POST", f"{api_url}/flow_runs/{run_id}/input/filter", json={"prefix": "suspended-", "limit": 50, "exclude_keys": []})
        schemas = [i["value"] for i in inputs if i["key"].endswith("-schema")]  # type: ignore[union-attr,index]
        if schemas:
            return json.loads(schemas[-1]) if isinstance(schemas[-1], str) else schemas[-1]  # type: ignore[no-any-return]
        time.sleep(1)
    raise AssertionError(f"run {run_id} saved no form")


def test_the_scale_out_of_deploy_md_runs_a_day_once_with_a_worker_stopped_half_way(databases: tuple[str, str], tmp_path: Path) -> None:
    prefect_db, ours = databases
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _environment(tmp_path, api_url, prefect_db, ours)
    processes = Processes(tmp_path)
    try:
        # 2. The Prefect server on PostgreSQL.
        server = processes.start("server", prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)), env)
        wait_healthy(api_url, server)
        # 3. The work pool, every deployment of prefect.yaml, and two workers.
        run_step(prefect("work-pool", "create", "qaf-pool", "--type", "process"), env)
        run_step(prefect("--no-prompt", "deploy", "--all"), env, timeout=180)
        deployed = {d["name"] for d in api("POST", f"{api_url}/deployments/filter", json={"limit": 50})}  # type: ignore[union-attr,index]
        assert {"plan-year", "open-activities", "check-deadlines", "rapid-review", "sweep-returns-inbox"} <= deployed
        for worker in ("worker-a", "worker-b"):
            processes.start(worker, prefect("worker", "start", "--pool", "qaf-pool", "--type", "process", "--name", worker), env)

        first = _start_runs(api_url, FIRST_HALF)
        _wait_for(api_url, first, {name: "COMPLETED" for name in first}, processes)
        # Half-way through the day one worker is stopped (as a machine taken down for
        # maintenance is); the other must take every run that follows.
        assert processes.stop("worker-a") is not None
        second = _start_runs(api_url, SECOND_HALF)
        _wait_for(api_url, second, {"check-deadlines/check-deadlines": "COMPLETED", "rapid-review/rapid-review": "PAUSED"}, processes)

        every_run = api("POST", f"{api_url}/flow_runs/filter", json={"flow_runs": {"parent_task_run_id": {"is_null_": True}}, "limit": 200})
        by_flow = Counter(run["deployment_id"] for run in every_run)  # type: ignore[union-attr,index]
        assert len(every_run) == 4 and sorted(by_flow.values()) == [1, 1, 1, 1], "one run per deployment, none repeated"  # type: ignore[arg-type]
        subflows = api("POST", f"{api_url}/flow_runs/filter", json={"flow_runs": {"parent_task_run_id": {"is_null_": False}}, "limit": 200})
        assert [run["name"] for run in subflows] == ["dashboards-2027-04-01"], "check-deadlines' dashboards, once"  # type: ignore[index,union-attr]
        paused = api("GET", f"{api_url}/flow_runs/{second['rapid-review/rapid-review']}")
        assert paused["state"]["name"] == "Suspended", "the rapid review waits for its form without holding a process"  # type: ignore[index]
        worker_b = processes.log("worker-b")
        assert all(run_id in worker_b for run_id in second.values()), "the worker still running took the second half"

        # The case's first stage is answered as the UI does; the run starts again in a
        # new worker process, records the stage and suspends at the next one.
        review = second["rapid-review/rapid-review"]
        first_form = _waiting_form(api_url, review)
        stage = first_form["properties"]["stage"]["enum"][0]
        assert "done_on" in first_form["properties"], f"the chain's first stage is done on a day: {first_form['properties']}"
        resumed = api("POST", f"{api_url}/flow_runs/{review}/resume", json={"run_input": {"stage": stage, "done_on": "2027-04-01"}})
        assert resumed["status"] == "ACCEPT", resumed  # type: ignore[index]
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            run = api("GET", f"{api_url}/flow_runs/{review}")
            assert run["state_type"] not in ("FAILED", "CRASHED", "COMPLETED"), f"the resumed run ended: {run['state']}"  # type: ignore[index]
            if run["state_type"] == "PAUSED" and not run["name"].endswith(f"-{stage}"):  # type: ignore[index]
                break
            time.sleep(1)
        else:
            raise AssertionError(f"the resumed run did not reach its next form: {run['name']} {run['state_type']}")  # type: ignore[index]
    finally:
        processes.stop_all()

    engine = create_engine(ours.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as db:
        tasks = db.execute(text("SELECT count(*), count(DISTINCT (occurrence_id, assignee_kind, assignee_key)) FROM task")).one()
        opened = db.execute(text("SELECT count(*) FROM task WHERE status = 'open' AND opened_on = '2027-04-01'")).scalar_one()
        audit = dict(db.execute(text("SELECT action, count(*) FROM audit_log GROUP BY action")).all())
        marks = dict(db.execute(text("SELECT job, processed_through::text FROM run_watermark")).all())
        cases = db.execute(text("SELECT count(*) FROM review_case")).scalar_one()
        stages_done = db.execute(text("SELECT subject, detail FROM audit_log WHERE action = 'case-stage-recorded'")).all()
    engine.dispose()
    assert tasks[0] == tasks[1] > 0, "every task once"
    assert opened > 0
    assert audit.get("plan-written") == 1 and audit.get("tasks-opened") == 1, audit
    assert marks == {"open-activities": "2027-04-01", "check-deadlines": "2027-04-01"}
    assert cases == 1
    assert len(stages_done) == 1 and stage in str(stages_done[0].detail), f"the answered stage, recorded once: {stages_done}"
