"""One installation: its data folder, its database and the Prefect server it starts runs on.

A ``qaf`` command finds its installation the way ``git`` finds a repository: from
``QAF_DATA_DIR`` when it is set (made absolute), otherwise from the nearest ``.qaf``
folder holding an installation, in the working folder or one above it. So ``qaf`` works
from any folder inside the project, and from anywhere else once ``QAF_DATA_DIR`` is
exported.

Commands that only read never create a database: run in the wrong folder they refuse,
in one line saying where they looked and how to point at the right installation. Only
``qaf plan``, ``qaf db upgrade`` and ``qaf up`` start a new one.

The installation's record, ``installation.json`` in the data folder, holds a random id
and the address of its Prefect API (written by ``qaf up`` or ``qaf prefect connect``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qaframework.errors import QAFrameworkError

if TYPE_CHECKING:
    from qaframework.config import Settings

DATA_FOLDER = ".qaf"
RECORD_FILE = "installation.json"
DATABASE_FILE = "qaframework.db"


class InstallationError(QAFrameworkError):
    """A command was pointed at no installation, or at another installation's Prefect server."""


def holds_installation(folder: Path) -> bool:
    """True when ``folder`` is a data folder: it has an installation record or a database."""
    return (folder / RECORD_FILE).is_file() or (folder / DATABASE_FILE).is_file()


def locate_data_dir(start: Path) -> Path:
    """The nearest data folder at ``start`` or above it; else ``start/.qaf`` (for a new one).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as top:
    ...     project = Path(top).resolve()
    ...     (project / ".qaf").mkdir()
    ...     _ = (project / ".qaf" / "installation.json").write_text("{}")
    ...     (project / "returns" / "2027").mkdir(parents=True)
    ...     found = locate_data_dir(project / "returns" / "2027")
    ...     found == project / ".qaf", locate_data_dir(Path("/")) == Path("/.qaf")
    (True, True)
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if holds_installation(folder / DATA_FOLDER):
            return folder / DATA_FOLDER
    return start / DATA_FOLDER


@dataclass(frozen=True)
class Installation:
    """What ``installation.json`` records."""

    id: str
    data_dir: Path
    prefect_api_url: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"id": self.id, "data_dir": str(self.data_dir), "prefect_api_url": self.prefect_api_url}


def read_installation(data_dir: Path) -> Installation | None:
    """The installation recorded in ``data_dir``, or None if there is none (or it is unreadable)."""
    try:
        raw = json.loads((data_dir / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return None
    api = raw.get("prefect_api_url")
    return Installation(raw["id"], data_dir.resolve(), api if isinstance(api, str) and api else None)


def _write(installation: Installation) -> None:
    path = installation.data_dir / RECORD_FILE
    temporary = path.with_name(f".{RECORD_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps(installation.as_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def ensure_installation(data_dir: Path) -> Installation:
    """The installation of ``data_dir``, recorded with a new id the first time (idempotent)."""
    existing = read_installation(data_dir)
    if existing is not None:
        return existing
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        created = Installation(secrets.token_hex(16), data_dir.resolve())
        _write(created)
    except OSError as exc:
        raise InstallationError(f"cannot write the installation record in {data_dir}: {exc.strerror}. Check QAF_DATA_DIR") from None
    return read_installation(data_dir) or created


def record_prefect_api(data_dir: Path, api_url: str) -> Installation:
    """Remember the Prefect API this installation's commands start runs on."""
    installation = ensure_installation(data_dir)
    if installation.prefect_api_url != api_url:
        installation = Installation(installation.id, installation.data_dir, api_url)
        _write(installation)
    return installation


def _where_looked(settings: Settings) -> str:
    if "data_dir" in settings.model_fields_set:
        return f"QAF_DATA_DIR is {settings.data_dir}"
    return f"no {DATA_FOLDER} data folder in {Path.cwd()} or the folders above it"


def require_database(settings: Settings) -> None:
    """Refuse, in one line, to read from a database that does not exist yet.

    A SQLite file that is not there is never created by a read; a PostgreSQL database
    without our tables is left empty. ``qaf plan``, ``qaf db upgrade`` or ``qaf up``
    create one.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings.effective_database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # make_engine says what is wrong with it
    hint = "run qaf from the installation's folder or export QAF_DATA_DIR=/path/to/its/.qaf; qaf db upgrade, qaf plan or qaf up start a new installation"
    if parsed.get_backend_name() == "sqlite":
        database = Path(parsed.database or "")
        if parsed.database in (None, "", ":memory:") or database.is_file():
            return
        if settings.database_url:
            raise InstallationError(f"no database file {database} (QAF_DATABASE_URL): check QAF_DATABASE_URL; qaf db upgrade creates it")
        if settings.data_dir.exists() and not settings.data_dir.is_dir():
            raise InstallationError(f"the data folder {settings.data_dir} is not a folder: check QAF_DATA_DIR")
        raise InstallationError(f"no qaframework database here ({_where_looked(settings)}): {hint}")
    _require_schema(url)


def _require_schema(url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from qaframework.persistence.database import make_engine, schema_revision

    engine = make_engine(url)
    try:
        revision = schema_revision(engine)
    except SQLAlchemyError:
        return  # unreachable or unusable: opening it says so, with the fix
    finally:
        engine.dispose()
    if revision is None:
        where = engine.url.render_as_string(hide_password=True)
        raise InstallationError(f"the database at {where} has no qaframework tables: check QAF_DATABASE_URL; qaf db upgrade creates them")
