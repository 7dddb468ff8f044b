"""A Prefect server that is up but busy (on SQLite it answers 503 while its database is
locked): qaf asks again, and when it stays busy says so in one line, the case standing.

The server here is a real HTTP server on loopback answering as Prefect's API does for
the three requests a run start makes (the claim variable, the deployment, the new run):
a Prefect server cannot be made to answer 503 on demand."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qaframework.cli import main
from qaframework.installation import ensure_installation
from qaframework.installation_prefect import PAUSES, OWNER_VARIABLE, RunNotStarted, start_deployment_run


class JsonAnswers(BaseHTTPRequestHandler):
    """Answers in JSON, as Prefect's API does, and logs nothing."""

    def log_message(self, *args: object) -> None:
        return None

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class BusyPrefect:
    """Answers ``busy`` 503s to each request that creates a run before it creates one."""

    def __init__(self, installation_id: str, data_dir: Path, busy: int) -> None:
        self.busy = busy
        self.created: list[dict[str, object]] = []
        self.asked = 0
        owner = {"value": {"id": installation_id, "data_dir": str(data_dir)}}
        outer = self

        class Handler(JsonAnswers):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == f"/api/variables/name/{OWNER_VARIABLE}":
                    return self._answer(200, owner)
                if self.path == "/api/deployments/name/rapid-review/rapid-review":
                    return self._answer(200, {"id": "d1"})
                return self._answer(404, {"detail": "Not found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/api/deployments/d1/create_flow_run":
                    return self._answer(404, {"detail": "Not found"})
                outer.asked += 1
                if outer.asked <= outer.busy:
                    return self._answer(503, {"exception_message": "Service Unavailable"})
                outer.created.append(body)
                return self._answer(201, {"id": "run-1"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"


@pytest.fixture
def busy_prefect(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BusyPrefect]:
    data = tmp_path / "data"
    installation = ensure_installation(data)
    server = BusyPrefect(installation.id, installation.data_dir, request.param)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("QAF_DATA_DIR", str(data))
    monkeypatch.setenv("PREFECT_API_URL", server.url)
    monkeypatch.delenv("QAF_DATABASE_URL", raising=False)
    try:
        yield server
    finally:
        server.server.shutdown()


@pytest.mark.parametrize("busy_prefect", [2], indirect=True)
def test_a_busy_answer_is_asked_again_and_the_run_starts_once(busy_prefect: BusyPrefect) -> None:
    from qaframework.config import Settings

    assert start_deployment_run(Settings(), "rapid-review/rapid-review", {"reference": "R1"}) == "run-1"
    assert busy_prefect.asked == 3 and busy_prefect.created == [{"parameters": {"reference": "R1"}}]


@pytest.mark.parametrize("busy_prefect", [len(PAUSES) + 1], indirect=True)
def test_a_server_that_stays_busy_is_one_line_and_the_case_stands(busy_prefect: BusyPrefect, partnership_file: Path,
                                                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from qaframework.config import Settings

    monkeypatch.setattr("qaframework.installation_prefect.PAUSES", (0.01,) * len(PAUSES))
    with pytest.raises(RunNotStarted, match=r"did not start a run of rapid-review/rapid-review: it answered 503 Service Unavailable$"):
        start_deployment_run(Settings(), "rapid-review/rapid-review", {"reference": "R1"})
    assert busy_prefect.asked == len(PAUSES) + 1 and busy_prefect.created == []

    busy_prefect.asked = 0
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership_file))
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    code = main(["rapid-review", "start", "--aware", "2027-04-01"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "answered 503 Service Unavailable; the case is recorded: run qaf rapid-review resume " in err
    reference = out.split("Opened case ", 1)[1].split(".", 1)[0]
    assert f"resume {reference} to start it again" in err
    assert main(["cases"]) == 0
    assert reference in capsys.readouterr().out, "the case stands"


class BusyVariables:
    """A server never claimed, whose variables endpoint answers ``busy`` 503s to the claim
    before it stores it; with ``carried_out`` the first busy answer stored it all the same
    (as a server can answer 503 after doing the work), so the claim asked again meets 409."""

    def __init__(self, busy: int, carried_out: bool = False) -> None:
        self.posts = 0
        self.patches = 0
        self.stored: dict[str, object] | None = None
        outer = self

        class Handler(JsonAnswers):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == f"/api/variables/name/{OWNER_VARIABLE}" and outer.stored is not None:
                    return self._answer(200, outer.stored)
                return self._answer(404, {"detail": "Not found"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path != "/api/variables/":
                    return self._answer(404, {"detail": "Not found"})
                outer.posts += 1
                if outer.stored is not None:
                    return self._answer(409, {"detail": "A variable with this name already exists."})
                if outer.posts <= busy:
                    if carried_out:
                        outer.stored = body
                    return self._answer(503, {"exception_message": "Service Unavailable"})
                outer.stored = body
                return self._answer(201, body)

            def do_PATCH(self) -> None:  # noqa: N802
                outer.patches += 1
                return self._answer(404, {"detail": "Not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"


@pytest.mark.parametrize("carried_out", [False, True])
def test_a_claim_on_a_busy_server_is_asked_again_and_made_once(carried_out: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qaframework.installation_prefect import claim_server, server_owner

    monkeypatch.setattr("qaframework.installation_prefect.PAUSES", (0.01,) * len(PAUSES))
    installation = ensure_installation(tmp_path / "data")
    server = BusyVariables(busy=2, carried_out=carried_out)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        claim_server(server.url, installation)
        assert server_owner(server.url) == {"id": installation.id, "data_dir": str(installation.data_dir)}
        assert server.posts == (2 if carried_out else 3) and server.patches == 0
        claim_server(server.url, installation)
        assert server.posts == (2 if carried_out else 3), "claimed already: nothing is asked again"
    finally:
        server.server.shutdown()
