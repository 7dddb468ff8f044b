"""One settings object, read once at the edge (CLI, flow start) and passed down.

Every setting comes from an environment variable with the prefix ``QAF_``; the defaults
are the embedded set-up (SQLite under ``.qaf/`` in the working folder).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """qaframework's configuration.

    - ``QAF_DATA_DIR``: where the embedded database and other local state live.
    - ``QAF_DATABASE_URL``: a SQLAlchemy URL; SQLite under the data folder by default,
      ``postgresql+psycopg://user@host:5432/db`` for PostgreSQL.
    - ``QAF_FRAMEWORK_FILE``: the framework file; the shipped ``schedules/sscp.yaml`` by default.
    - ``QAF_ACTOR``: who is recorded in the audit log for command-line actions.
    - ``QAF_PROJECT_DIR``: the folder holding ``prefect.yaml`` and ``flows/`` (for ``qaf up``).
    - ``QAF_PREFECT_HOST``/``QAF_PREFECT_PORT``: where ``qaf up`` serves the Prefect API and UI.
    """

    model_config = SettingsConfigDict(env_prefix="QAF_", extra="ignore")

    data_dir: Path = Field(default=Path(".qaf"))
    database_url: str | None = None
    framework_file: Path | None = None
    actor: str = "qaf-cli"
    project_dir: Path = Field(default=Path("."))
    prefect_host: str = "127.0.0.1"
    prefect_port: int = Field(default=4200, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; SQLAlchemy's bare postgresql:// means psycopg2.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite") or value.startswith("postgresql+psycopg")):
            raise ValueError(
                "QAF_DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
                f"for example postgresql://qaf@127.0.0.1:5432/qaf (got {value.split('://')[0]}://...)"
            )
        return value

    @property
    def effective_database_url(self) -> str:
        """The database to use: QAF_DATABASE_URL, or SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qaframework.db').resolve()}"
