"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, with optional TLS and login.

aiosmtpd's Controller cannot pick a free port itself (port=0 fails), so we pick one.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.servers import free_port

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Mailbox:
    """The handler: records every message; refuses the recipients in `refuse`."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content), login)
        )
        return "250 Message accepted"


class Credentials:
    """An authenticator that accepts one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.attempts: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        self.attempts.append(login)
        ok = login == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@dataclass
class SmtpServer:
    controller: Controller
    mailbox: Mailbox
    port: int
    host: str = HOST

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.mailbox.received]


def start_smtp(
    *,
    port: int | None = None,
    tls_context: ssl.SSLContext | None = None,
    ssl_context: ssl.SSLContext | None = None,
    credentials: Credentials | None = None,
    refuse: set[str] | None = None,
) -> SmtpServer:
    """Plain by default; `tls_context` offers STARTTLS (and requires it), `ssl_context` is implicit TLS."""
    mailbox = Mailbox(refuse={r.lower() for r in refuse or set()})
    kwargs: dict[str, Any] = {}
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    if ssl_context is not None:
        kwargs.update(ssl_context=ssl_context)
    if credentials is not None:
        # aiosmtpd does not count implicit TLS as TLS for AUTH; the connection is encrypted anyway
        kwargs.update(authenticator=credentials, auth_require_tls=ssl_context is None)
    chosen = port or free_port()
    controller = Controller(mailbox, hostname=HOST, port=chosen, **kwargs)
    controller.start()
    return SmtpServer(controller, mailbox, chosen)


@dataclass
class Tls:
    """A CA made for the test, a certificate for 127.0.0.1 and contexts for both ends."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    ca_file: Path


def make_tls(directory: Path) -> Tls:
    ca = trustme.CA()
    cert = ca.issue_cert(HOST, "localhost")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    ca_file = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(ca, server_context, client_context, ca_file)
