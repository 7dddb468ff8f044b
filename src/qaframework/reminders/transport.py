"""Delivering an email: over SMTP, or into a local outbox folder as an .eml file.

The outbox folder is the embedded default (no mail server configured): a file per
email, named by its Message-ID, so writing it again replaces it rather than adding one.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None:
        """End what the run's sending holds open (called once, when the run has sent)."""


#: "Service closing transmission channel": the server ends the connection (many relays
#: take only so many emails per connection, or per minute).
CLOSING = 421


def server_closing(exc: smtplib.SMTPException) -> bool:
    """Whether the server answered 421: it takes no more on this connection (the email it
    answered was not accepted), and smtplib has closed its side."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == CLOSING for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == CLOSING


@dataclass
class SmtpTransport:
    """Email to a mail server, every email of a delivery run over one connection (opened
    at the first, closed by ``close``): connecting, TLS and logging in once, not once per
    email. Before each later email the connection is asked whether it still stands
    (NOOP); one the server has closed since (idle) is opened again. An email the server
    answers 421 (at its limit of emails a connection) is sent once more on a new
    connection: a 421 means it was not taken. Nothing that may have reached the server
    is sent again here."""

    host: str
    port: int
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    _tls: ssl.SSLContext | None = field(default=None, init=False, repr=False, compare=False)
    _client: smtplib.SMTP | None = field(default=None, init=False, repr=False, compare=False)

    def send(self, message: EmailMessage) -> None:
        if self._client is not None and not self._still_open():
            self.close()
        reused = self._client is not None
        try:
            self._send_on_connection(message)
        except smtplib.SMTPException as exc:
            if not (reused and self._client is None and server_closing(exc)):
                raise
            self._send_on_connection(message)  # on a new connection

    def _still_open(self) -> bool:
        if self._client is None:
            return False
        try:
            return self._client.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _send_on_connection(self, message: EmailMessage) -> None:
        """Send on the run's connection, and forget it unless it is still working (a
        server that refuses an email, and says so, keeps the connection open)."""
        try:
            self._connected().send_message(message)
        except BaseException as exc:
            refused = isinstance(exc, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
            if not (refused and self._client is not None and self._client.sock is not None):
                self.close()
            raise

    def close(self) -> None:
        """End the run's connection, if one is open (QUIT, or dropped if that fails)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            # Each email ends in a short write the server must see before it answers; with
            # Nagle's algorithm on, that write waits for the server's delayed ACK (40 ms
            # on Linux, every email after a connection's first).
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.security == "starttls":
                client.starttls(context=self._context())
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    def _context(self) -> ssl.SSLContext:
        """The TLS settings of this transport's connections (one transport per delivery
        run): the system's certificate authorities are read from disk once, at the first
        connection that needs them, not once per connection (20-40 ms each)."""
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

    def close(self) -> None:
        """Nothing is held open between emails."""
