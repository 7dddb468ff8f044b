"""The partnership's feed key: QAF_FEEDS_KEY, or a random key kept in the data folder.

Every feed secret is derived from it, so it must stay private and stable: changing it
invalidates every issued feed URL.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from qaframework.config import Settings
from qaframework.errors import QAFrameworkError

KEY_FILE = "feeds.key"


def feed_key(settings: Settings) -> bytes:
    if settings.feeds_key is not None:
        return settings.feeds_key.get_secret_value().encode("utf-8")
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    key = base64.urlsafe_b64decode(path.read_text().strip() + "==")
    if len(key) < 32:
        raise QAFrameworkError(f"{path} holds a key shorter than 256 bits: delete it (every feed URL changes) or set QAF_FEEDS_KEY")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(fd, "w") as handle:
        handle.write(encoded + "\n")
