"""Runs start only on this installation's Prefect server (the session's real Prefect API).

Before #16 ``qaf rapid-review start`` started its run on whatever Prefect answered at
the default address (or the address a stopped ``qaf up`` left behind), even when that
server was another checkout's.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import create_engine, text

from qaframework.cli import main
from qaframework.installation import read_installation, record_prefect_api
from qaframework.installation_prefect import OWNER_VARIABLE
from tests.installation.conftest import refused as _refused_process

Qaf = Callable[..., tuple[int, str, str]]


@pytest.fixture
def api(prefect_api: None) -> Iterator[str]:
    """The session's Prefect API, claimed by no installation before and after the test."""
    from prefect.settings import PREFECT_API_URL

    url = str(PREFECT_API_URL.value()).rstrip("/")
    httpx.delete(f"{url}/variables/name/{OWNER_VARIABLE}", timeout=10)
    yield url
    httpx.delete(f"{url}/variables/name/{OWNER_VARIABLE}", timeout=10)


@pytest.fixture
def run_qaf(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], partnership_file: Path) -> Qaf:
    """``qaf`` in this process with exactly the settings given (``None`` unsets one)."""
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership_file))

    def run(*argv: str, **env: str | None) -> tuple[int, str, str]:
        for name in ("QAF_DATA_DIR", "QAF_DATABASE_URL", "PREFECT_API_URL"):
            value = env.get(name)
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def refused(result: tuple[int, str, str], *fragments: str) -> str:
    code, out, err = result
    import subprocess

    return _refused_process(subprocess.CompletedProcess([], code, out, err), *fragments)


def cases_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("select count(*) from review_case")).scalar_one()
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_run_starts_only_on_the_installations_own_prefect_server(
    api: str, run_qaf: Qaf, tmp_path: Path, database_url: str
) -> None:
    first, second = tmp_path / "first" / ".qaf", tmp_path / "second" / ".qaf"
    assert run_qaf("db", "upgrade", QAF_DATA_DIR=str(first))[0] == 0
    assert run_qaf("db", "upgrade", QAF_DATA_DIR=str(second), QAF_DATABASE_URL=database_url)[0] == 0
    code, out, err = run_qaf("prefect", "connect", api + "/", QAF_DATA_DIR=str(first))
    assert code == 0, err
    assert f"The Prefect server at {api} is now this installation's ({first})" in out
    assert read_installation(first).prefect_api_url == api  # type: ignore[union-attr]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:  # asks again if the busy test server answers 503
        owner = client.read_variable_by_name(OWNER_VARIABLE).value  # type: ignore[union-attr]
    assert owner == {"id": read_installation(first).id, "data_dir": str(first)}  # type: ignore[union-attr]

    # PREFECT_API_URL left exported from work on the first installation.
    start = ("rapid-review", "start", "--aware", "2026-12-14")
    refused(run_qaf(*start, QAF_DATA_DIR=str(second), QAF_DATABASE_URL=database_url, PREFECT_API_URL=api),
            f"PREFECT_API_URL points at {api}, the Prefect server of the installation in {first}, not this one's ({second})",
            "unset PREFECT_API_URL", f"export QAF_DATA_DIR={first}")
    assert cases_in(database_url) == 0, "the case is not opened when its run would go to another installation"

    # The second installation's own qaf up once listened on the same address; the first's answers there now.
    record_prefect_api(second, api)
    refused(run_qaf(*start, QAF_DATA_DIR=str(second), QAF_DATABASE_URL=database_url),
            f"the address qaf up recorded is now {api}, the Prefect server of the installation in {first}",
            "start this installation's with qaf up")
    refused(run_qaf("prefect", "connect", api, QAF_DATA_DIR=str(second), QAF_DATABASE_URL=database_url),
            f"the Prefect server at {api} already belongs to the qaframework installation in {first}")
    assert cases_in(database_url) == 0

    # The first installation starts its run there, on its own deployment. The test's own
    # calls go through Prefect's client, which asks again when the shared test server
    # answers 503 while busy (as qaf itself does).
    with get_client(sync_client=True) as client:
        deployment_id = client.create_deployment(client.create_flow_from_name("rapid-review"), "rapid-review")
        run_id = None
        try:
            code, out, err = run_qaf(*start, QAF_DATA_DIR=str(first))
            assert code == 0, err
            assert "Opened case RR-2026-001." in out
            run_id = out.split("Prefect run ")[1].split()[0]
            run = client.read_flow_run(UUID(run_id))
            assert (run.deployment_id, run.parameters) == (deployment_id, {"reference": "RR-2026-001", "aware": "2026-12-14"})
        finally:
            if run_id:
                client.delete_flow_run(UUID(run_id))
            client.delete_deployment(deployment_id)


def test_a_server_no_installation_claimed_is_refused_and_a_stopped_one_is_reported(
    api: str, run_qaf: Qaf, tmp_path: Path
) -> None:
    data = tmp_path / ".qaf"
    assert run_qaf("db", "upgrade", QAF_DATA_DIR=str(data))[0] == 0
    refused(run_qaf("rapid-review", "start", "--aware", "2026-12-14", QAF_DATA_DIR=str(data), PREFECT_API_URL=api),
            f"PREFECT_API_URL points at {api}, a Prefect server no qaframework installation has claimed",
            f"qaf prefect connect {api}")
    assert cases_in(f"sqlite:///{data / 'qaframework.db'}") == 0
    refused(run_qaf("prefect", "connect", "ftp://example", QAF_DATA_DIR=str(data)), "is not a Prefect API address")
    stopped = f"http://127.0.0.1:{free_port()}/api"
    refused(run_qaf("prefect", "connect", stopped, QAF_DATA_DIR=str(data)), f"no Prefect server answers at {stopped}")
    assert read_installation(data).prefect_api_url is None  # type: ignore[union-attr]

    # qaf up is stopped: the case is opened, and the user told how to get its run.
    record_prefect_api(data, stopped)
    code, out, err = run_qaf("rapid-review", "start", "--aware", "2026-12-14", QAF_DATA_DIR=str(data))
    assert code == 0, err
    assert f"Prefect is not running for this installation ({data}): start it with qaf up, then run qaf rapid-review resume RR-2026-001" in out
    assert json.loads((data / "installation.json").read_text())["prefect_api_url"] == stopped
