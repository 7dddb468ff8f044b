"""Which Prefect server belongs to this installation, and starting runs only on that one.

``qaf up`` (or ``qaf prefect connect URL`` for a server run by hand) *claims* a Prefect
server: it records the server's API address in the data folder and writes a Prefect
Variable, ``qaf_installation``, holding this installation's id and data folder. A command
that starts a run (``qaf rapid-review start``) asks the server for that Variable first
and refuses when the server is another installation's: a second checkout's ``qaf`` must
never start rapid-review runs on the first one's server just because it answers on the
default port, nor because ``PREFECT_API_URL`` was left exported in the shell.

Talks to Prefect's REST API with httpx; it does not import Prefect.
"""

from __future__ import annotations

import time

import httpx

from qaframework.config import Settings
from qaframework.installation import Installation, InstallationError, ensure_installation, read_installation, record_prefect_api

OWNER_VARIABLE = "qaf_installation"

#: Answers of a busy server, asked again after these pauses (seconds) before giving up.
BUSY = frozenset({429, 502, 503, 504})
PAUSES = (0.5, 1.0, 2.0, 4.0)


class RunNotStarted(InstallationError):
    """The installation's Prefect server is up but would not start the run."""


def _asked(method: str, url: str, **kwargs: object) -> httpx.Response:
    """One request, asked again while the server answers that it is busy (a Prefect
    server on SQLite answers 503 while its database is locked)."""
    for pause in PAUSES:
        response = httpx.request(method, url, timeout=10, **kwargs)  # type: ignore[arg-type]
        if response.status_code not in BUSY:
            return response
        time.sleep(pause)
    return httpx.request(method, url, timeout=10, **kwargs)  # type: ignore[arg-type]


def server_owner(api: str) -> dict[str, str] | None:
    """The installation a Prefect server was claimed by, or None if it was never claimed.

    Raises ``httpx.TransportError`` when nothing answers at ``api``.
    """
    response = _asked("GET", f"{api}/variables/name/{OWNER_VARIABLE}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    value = response.json().get("value")
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return {"id": value["id"], "data_dir": str(value.get("data_dir", "?"))}
    return {"id": "", "data_dir": "?"}


def claim_server(api: str, installation: Installation, *, take_over: bool = False) -> None:
    """Mark the Prefect server at ``api`` as this installation's (idempotent), asking
    again while it answers that it is busy.

    A server already claimed by another installation is taken over only when
    ``take_over`` (``qaf up`` owns the server it starts: its home is in our data folder).
    A claim that meets one made meanwhile (409: a request the busy server did carry out,
    or another installation's) is decided again from the claim that is there.
    """
    if not _claimed(api, installation, take_over):
        _claimed(api, installation, take_over, last_try=True)


def _claimed(api: str, installation: Installation, take_over: bool, *, last_try: bool = False) -> bool:
    """One try at the claim: True once the server is ours, False when a claim made
    meanwhile is to be decided again (409, unless this is the last try)."""
    owner = server_owner(api)
    value = {"id": installation.id, "data_dir": str(installation.data_dir)}
    if owner is None:
        response = _asked("POST", f"{api}/variables/", json={"name": OWNER_VARIABLE, "value": value, "tags": ["qaframework"]})
        if response.status_code == 409 and not last_try:
            return False
    elif owner["id"] == installation.id and owner["data_dir"] == value["data_dir"]:
        return True
    elif owner["id"] != installation.id and not take_over:
        raise InstallationError(
            f"the Prefect server at {api} already belongs to the qaframework installation in {owner['data_dir']}: "
            "give this installation a Prefect server of its own"
        )
    else:
        response = _asked("PATCH", f"{api}/variables/name/{OWNER_VARIABLE}", json={"value": value})
    response.raise_for_status()
    return True


def connect(settings: Settings, api: str) -> Installation:
    """``qaf prefect connect``: use the (hand-run) Prefect server at ``api`` for this installation."""
    api = api.rstrip("/")
    if not api.startswith(("http://", "https://")):
        raise InstallationError(f"URL {api[:60]!r} is not a Prefect API address: expected http(s)://HOST:PORT/api")
    installation = ensure_installation(settings.data_dir)
    try:
        claim_server(api, installation)
    except httpx.TransportError:
        raise InstallationError(f"no Prefect server answers at {api}: start it, then run qaf prefect connect again") from None
    except httpx.HTTPStatusError as exc:
        raise InstallationError(f"the server at {api} answered {exc.response.status_code}: is it a Prefect API (ending in /api)?") from None
    return record_prefect_api(settings.data_dir, api)


def run_target(settings: Settings) -> str | None:
    """The Prefect API this installation starts runs on; None when its server is not running.

    ``PREFECT_API_URL`` when set, else the address ``qaf up`` recorded. Raises
    ``InstallationError`` when the server there belongs to another installation (or to
    none), so nothing is started and, called before a write, nothing is written.
    """
    installation = read_installation(settings.data_dir)
    api = settings.prefect_api_url or (installation.prefect_api_url if installation else None)
    if api is None:
        return None
    try:
        owner = server_owner(api)
    except httpx.TransportError:
        return None
    except httpx.HTTPStatusError as exc:
        raise InstallationError(f"the Prefect API at {api} answered {exc.response.status_code}: check PREFECT_API_URL") from None
    if owner is not None and installation is not None and owner["id"] == installation.id:
        return api
    via = "PREFECT_API_URL points at" if settings.prefect_api_url else "the address qaf up recorded is now"
    fix = "unset PREFECT_API_URL" if settings.prefect_api_url else "start this installation's with qaf up"
    if owner is None:
        raise InstallationError(
            f"{via} {api}, a Prefect server no qaframework installation has claimed, not this one's ({settings.data_dir}): "
            f"{fix}, or claim it with qaf prefect connect {api}"
        )
    raise InstallationError(
        f"{via} {api}, the Prefect server of the installation in {owner['data_dir']}, not this one's ({settings.data_dir}): "
        f"{fix}, or export QAF_DATA_DIR={owner['data_dir']} to work on that installation"
    )


def start_deployment_run(settings: Settings, deployment: str, parameters: dict[str, object]) -> str | None:
    """Create a run of a deployment on this installation's Prefect server; None if it is
    not running. RunNotStarted (one line, never a traceback) if it stays busy or refuses."""
    api = run_target(settings)
    if api is None:
        return None
    try:
        found = _asked("GET", f"{api}/deployments/name/{deployment}")
        if found.status_code == 404:
            raise InstallationError(f"the Prefect server at {api} has no deployment {deployment}: run qaf up to deploy prefect.yaml")
        found.raise_for_status()
        run = _asked("POST", f"{api}/deployments/{found.json()['id']}/create_flow_run", json={"parameters": parameters})
        run.raise_for_status()
    except httpx.TransportError:
        return None
    except httpx.HTTPStatusError as exc:
        answer = f"{exc.response.status_code} {exc.response.reason_phrase}".strip()
        raise RunNotStarted(f"the Prefect server at {api} did not start a run of {deployment}: it answered {answer}") from None
    return str(run.json()["id"])
