"""Delivering an email: over SMTP, or into a local outbox folder as an .eml file.

The outbox folder is the embedded default (no mail server configured): a file per
email, named by its Message-ID, so writing it again replaces it rather than adding one.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpTransport:
    host: str
    port: int
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    _tls: ssl.SSLContext | None = field(default=None, init=False, repr=False, compare=False)

    def send(self, message: EmailMessage) -> None:
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=self._context())
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)

    def _context(self) -> ssl.SSLContext:
        """The TLS settings of this transport's connections (one per email, one transport
        per delivery run): the system's certificate authorities are read from disk once,
        at the first email that needs them, not once per email (20-40 ms each)."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls


@dataclass
class OutboxFolder:
    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:32]
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(bytes(message))
        partial.replace(target)  # atomic: a reader never sees half an email
