"""Sending a morning's digests over SMTP, measured against a baseline taken in the same run.

    .venv/bin/python benchmarks/smtp.py

202 emails (check-deadlines' digests at 200 agencies), each with a 20 KB attachment as a
pre-filled return template is, to an SMTP server on loopback (aiosmtpd) that requires
STARTTLS, its certificate from an authority made for the run (trustme) and trusted
through ``SSL_CERT_FILE``; and the same without TLS.

- baseline: smtplib itself over one connection (connect, STARTTLS, every email, QUIT),
  with Nagle's algorithm off (TCP_NODELAY), the least any sender does; and the same with
  Nagle's algorithm on, as smtplib leaves it;
- ``SmtpTransport``: what a delivery run does now, one connection for the run;
- a connection per email: what it did before session 9 (connect, STARTTLS, send, QUIT
  for every email).

Loopback has no network delay: to a relay across a network each connection also costs
its round trips (greeting, EHLO, STARTTLS, the TLS handshake, EHLO again, login).
Ratios above 1 are slower than the baseline.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from qaframework.reminders.transport import SmtpTransport  # noqa: E402
from timing import best_of  # noqa: E402 - benchmarks/ is on the path when run as a script

EMAILS = 202


class Sink:
    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's name
        return "250 OK"


def digests() -> list[EmailMessage]:
    messages = []
    for n in range(EMAILS):
        message = EmailMessage()
        message["From"] = "qaf@partnership.example"
        message["To"] = f"contact-{n}@agency.example"
        message["Subject"] = "What is due this week"
        message["Message-ID"] = f"<bench-{n}@partnership.example>"
        message.set_content("A digest's text.\n" * 40)
        message.add_attachment(os.urandom(20_000), maintype="application", subtype="octet-stream", filename="template.xlsx")
        messages.append(message)
    return messages


def main() -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "trusted.pem"
        authority.cert_pem.write_to_path(str(bundle))
        os.environ["SSL_CERT_FILE"] = str(bundle)
        messages = digests()
        print(f"{EMAILS} emails of about 28 KB to an SMTP server on loopback (best of 3)")
        for security in ("starttls", "none"):
            options = {"tls_context": server_tls, "require_starttls": True} if security == "starttls" else {}
            port = _free_port()
            controller = Controller(Sink(), hostname="127.0.0.1", port=port, **options)
            controller.start()
            try:
                _compare(security, port, messages)
            finally:
                controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _compare(security: str, port: int, messages: list[EmailMessage]) -> None:
    def bare(nodelay: bool = True) -> None:
        with smtplib.SMTP("127.0.0.1", port) as client:
            if nodelay:
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            for message in messages:
                client.send_message(message)

    def transport(per_email: bool) -> None:
        sender = SmtpTransport("127.0.0.1", port, security=security)
        for message in messages:
            sender.send(message)
            if per_email:
                sender.close()
        sender.close()

    baseline = best_of(bare, 3)
    print(f"  security {security}")
    print(f"    baseline, smtplib, one connection, nodelay {baseline * 1000:7.0f} ms")
    for name, run in (("smtplib over one connection, Nagle on", lambda: bare(nodelay=False)),
                      ("SmtpTransport, one connection a run", lambda: transport(False)),
                      ("a connection per email (before)", lambda: transport(True))):
        seconds = best_of(run, 3)
        print(f"    {name:<42} {seconds * 1000:7.0f} ms   ratio {seconds / baseline:5.2f}")


if __name__ == "__main__":
    main()
