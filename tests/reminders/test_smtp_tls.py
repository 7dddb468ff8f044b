"""Email over SMTP with TLS, to a real server on loopback: STARTTLS and implicit TLS
(``QAF_SMTP_SECURITY`` starttls and tls), the server's certificate checked against the
certificate authorities the machine trusts (OpenSSL's ``SSL_CERT_FILE`` names a bundle,
as an operator whose mail relay has a private CA sets it), and one TLS set-up per
transport. The certificates are made for the test by trustme."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from qaframework.reminders.transport import SmtpTransport
from tests.reminders.conftest import Mailbox, SmtpServer, free_port
from tests.reminders.test_smtp_connection import email


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def _server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(params=["starttls", "tls"])
def server(request: pytest.FixtureRequest, authority: trustme.CA) -> Iterator[tuple[str, int, Mailbox]]:
    """A loopback SMTP server speaking the security asked for, its certificate issued by
    ``authority``; STARTTLS is required before any mail is taken."""
    context = _server_context(authority)
    if request.param == "tls":
        server = SmtpServer(free_port(), ssl_context=context)
    else:
        server = SmtpServer(free_port(), tls_context=context, require_starttls=True)
    server.start()
    try:
        yield request.param, server.port, server.mailbox
    finally:
        server.stop()


def _trusting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, authority: trustme.CA) -> Path:
    """The machine's trusted authorities are the test's CA alone (SSL_CERT_FILE)."""
    bundle = tmp_path / "trusted.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return bundle


def test_mail_goes_over_tls_to_a_server_whose_certificate_is_trusted(server: tuple[str, int, Mailbox], authority: trustme.CA,
                                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    security, port, mailbox = server
    bundle = _trusting(monkeypatch, tmp_path, authority)
    transport = SmtpTransport("127.0.0.1", port, security=security, timeout=10)
    transport.send(email(1))
    transport.close()
    # The trusted authorities were read once, for the transport: with the bundle gone the
    # same transport's next connection still checks the server (a new transport's cannot).
    bundle.unlink()
    transport.send(email(2))
    transport.close()
    assert [m["Subject"] for m in mailbox.messages] == ["Reminder 1", "Reminder 2"]
    with pytest.raises(ssl.SSLError):
        SmtpTransport("127.0.0.1", port, security=security, timeout=10).send(email(3))
    assert len(mailbox.messages) == 2


def test_a_server_whose_certificate_is_not_trusted_gets_no_mail(server: tuple[str, int, Mailbox],
                                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    security, port, mailbox = server
    _trusting(monkeypatch, tmp_path, trustme.CA())  # another authority than the server's
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpTransport("127.0.0.1", port, security=security, timeout=10).send(email(1))
    assert mailbox.messages == []
