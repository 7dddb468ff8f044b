"""One settings object, read once at the edge (CLI, flow start) and passed down.

Every setting comes from an environment variable with the prefix ``QAF_``; the defaults
are the embedded set-up (SQLite in the installation's data folder: ``QAF_DATA_DIR``, or
the nearest ``.qaf`` folder in the working folder or above it; see ``installation``).
"""

from __future__ import annotations

from pathlib import Path

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _located_data_dir() -> Path:
    """Without QAF_DATA_DIR: the nearest installation's ``.qaf`` at or above the working folder."""
    from qaframework.installation import locate_data_dir

    return locate_data_dir(Path.cwd())


class Settings(BaseSettings):
    """qaframework's configuration.

    - ``QAF_DATA_DIR``: where the embedded database and other local state live (made
      absolute; default: the nearest ``.qaf`` folder holding an installation, in the
      working folder or above it, else ``.qaf`` in the working folder).
    - ``QAF_DATABASE_URL``: a database URL; SQLite under the data folder by default,
      ``postgresql://user@host:5432/db`` for PostgreSQL.
    - ``QAF_FRAMEWORK_FILE``: the framework file; the shipped ``schedules/sscp.yaml`` by default.
    - ``QAF_ACTOR``: who is recorded in the audit log for command-line actions.
    - ``QAF_PROJECT_DIR``: the folder holding ``prefect.yaml`` and ``flows/`` (for ``qaf up``).
    - ``QAF_PREFECT_HOST``/``QAF_PREFECT_PORT``: where ``qaf up`` serves the Prefect API and UI.
    - ``QAF_FEEDS_HOST``/``QAF_FEEDS_PORT``: where the feed server listens (plain HTTP).
    - ``QAF_FEEDS_PUBLIC_URL``: the HTTPS address partners reach the feed server at (a
      reverse proxy in front of it); subscription URLs are printed with it.
    - ``QAF_FEEDS_REFRESH_SECONDS``: how often the feed server re-reads the database.
    - ``QAF_FEEDS_KEY``: the key feed secrets are derived from (default: a random key
      created in the data folder on first use).
    - ``QAF_SMTP_HOST``, ``QAF_SMTP_PORT``, ``QAF_SMTP_SECURITY`` (starttls, tls or none),
      ``QAF_SMTP_USERNAME``, ``QAF_SMTP_PASSWORD`` or ``QAF_SMTP_PASSWORD_BLOCK`` (the name
      of a Prefect Secret block): the mail server. Without a host, emails are written as
      ``.eml`` files to ``QAF_OUTBOX_DIR`` (default: ``outbox`` in the data folder).
    - ``QAF_EMAIL_FROM``: the sender (default: the business unit's address in the framework).
    - ``QAF_UI_URL``: the Prefect UI address put in emails to the business unit and chairs.
    - ``QAF_RETURNS_INBOX``: the folder the inbox sweep takes returns from (default: ``inbox``
      in the data folder; a subfolder named after an agency key holds that agency's files).
    - ``QAF_INBOX_SETTLE_SECONDS``: a file changed more recently than this is left for the
      next sweep (it may still be being copied in).
    - ``PREFECT_API_URL`` (Prefect's own setting, read here so commands can check it):
      the Prefect API commands start runs on; it must be this installation's.
    """

    model_config = SettingsConfigDict(env_prefix="QAF_", extra="ignore")

    data_dir: Path = Field(default_factory=_located_data_dir)
    database_url: str | None = None
    framework_file: Path | None = None
    actor: str = "qaf-cli"
    project_dir: Path = Field(default=Path("."))
    prefect_host: str = "127.0.0.1"
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    feeds_host: str = "127.0.0.1"
    feeds_port: int = Field(default=8765, ge=1, le=65535)
    feeds_public_url: str | None = None
    feeds_refresh_seconds: float = Field(default=60.0, ge=0)
    feeds_key: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_block: str | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    email_from: str | None = None
    outbox_dir: Path | None = None
    ui_url: str | None = None
    returns_inbox: Path | None = None
    #: QAF_RETURNS_ADDRESS: the email address partners send returns to (reminders say so;
    #: without it they ask for a reply to the reminder).
    returns_address: str | None = None
    inbox_settle_seconds: float = Field(default=10.0, ge=0)
    prefect_api_url: str | None = Field(default=None, validation_alias=AliasChoices("PREFECT_API_URL"))

    @field_validator("data_dir", mode="before")
    @classmethod
    def _named_data_dir(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: name the installation's data folder, for example /srv/qaframework/.qaf")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Relative to the folder the command was started in, once: every later use (a
        # child process, a flow run in another folder) gets the same folder.
        return value.expanduser().absolute()

    @field_validator("prefect_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("actor")
    @classmethod
    def _storable_actor(cls, value: str) -> str:
        if "\x00" in value or not value.strip() or len(value) > 120:
            raise ValueError("must be 1 to 120 characters naming who acts (it is written to the audit log)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid UTF-8 text: set it in a UTF-8 locale") from None
        return value

    @field_validator("feeds_key")
    @classmethod
    def _strong_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters of random text (for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme, separator, rest = value.partition("://")
        if not separator:
            raise ValueError("is not a database URL: expected sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            # psycopg 3 is the driver we ship; SQLAlchemy's bare postgresql:// means psycopg2.
            return "postgresql+psycopg://" + rest
        if scheme == "sqlite" and rest.startswith("/"):
            return value
        raise ValueError(
            "must be a sqlite:///PATH or postgresql://USER@HOST:PORT/DB URL, "
            f"for example postgresql://qaf@127.0.0.1:5432/qaf (got {scheme}://...)"
        )

    @field_validator("feeds_public_url")
    @classmethod
    def _https_base(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("https://"):
            raise ValueError("must start with https://: partners' calendars fetch feeds over HTTPS")
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        """The database to use: QAF_DATABASE_URL, or SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qaframework.db').resolve()}"

    @property
    def feeds_base_url(self) -> str:
        """Where partners fetch feeds: QAF_FEEDS_PUBLIC_URL, else this machine's address."""
        return self.feeds_public_url or f"https://{self.feeds_host}:{self.feeds_port}"

    @property
    def feeds_local_url(self) -> str:
        return f"http://{self.feeds_host}:{self.feeds_port}"

    @property
    def effective_smtp_port(self) -> int:
        return self.smtp_port or {"tls": 465, "starttls": 587, "none": 25}[self.smtp_security]

    @property
    def effective_outbox_dir(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def effective_returns_inbox(self) -> Path:
        return self.returns_inbox or self.data_dir / "inbox"

    @property
    def effective_ui_url(self) -> str:
        return self.ui_url or f"http://{self.prefect_host}:{self.prefect_port}"
