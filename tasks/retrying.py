"""Retry transient I/O failures only: retrying a bug or bad data only delays it."""

from __future__ import annotations

import smtplib
from typing import Any

from sqlalchemy.exc import DisconnectionError, OperationalError

TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError,  # database unreachable, locked or restarting
    DisconnectionError,
    ConnectionError,
    TimeoutError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the failure was transient."""
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 - classifying, not swallowing
        return is_transient(exc)
    return False
