"""flows/stages/delivery/mail.py against a real SMTP server on loopback: plain, STARTTLS with login, SSL, failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from flows.config import SmtpSettings, smtp_from_env
from flows.stages.delivery.mail import MailError, build_message, recipients_key, send_message
from tests.support.servers import free_port
from tests.support.smtp import HOST, Credentials, SmtpServer, Tls, make_tls, start_smtp

SUBJECT = "newswatch digest 2026-11-21: 2 stories | Токаев в Астане · 中国与中亚峰会"
HTML = "<p>Токаев &amp; 中国</p>"
TEXT = "Токаев & 中国\n"
SECRET = "s3cret-Пароль"


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return make_tls(tmp_path)


@pytest.fixture
def servers() -> Iterator[list[SmtpServer]]:
    started: list[SmtpServer] = []
    yield started
    for s in started:
        s.stop()


def settings(
    port: int,
    security: str = "none",
    user: str | None = None,
    password: str | None = None,
    recipients: tuple[str, ...] = ("a@example.org", "b@example.org"),
) -> SmtpSettings:
    return SmtpSettings(
        host=HOST,
        port=port,
        user=user,
        password=password,
        sender="digest@example.org",
        recipients=recipients,
        security=security,
    )


def message(recipients: tuple[str, ...] = ("a@example.org", "b@example.org")) -> Message:
    return build_message(
        sender="digest@example.org", recipients=recipients, subject=SUBJECT, text=TEXT, html=HTML
    )


def test_plain_send_is_one_multipart_alternative_with_utf8_headers(servers: list[SmtpServer]) -> None:
    server = start_smtp()
    servers.append(server)
    msg = build_message(
        sender="digest@example.org",
        recipients=("a@example.org", "b@example.org"),
        subject=SUBJECT,
        text=TEXT,
        html=HTML,
    )
    head = msg.as_bytes().split(b"\n\n", 1)[0]
    assert head.isascii()  # non-ASCII headers travel RFC 2047-encoded
    refused = send_message(settings(server.port), msg)
    assert refused == {}
    assert len(server.mailbox.received) == 1
    got = server.mailbox.received[0]
    assert sorted(got.rcpt_tos) == ["a@example.org", "b@example.org"]
    assert got.mail_from == "digest@example.org"
    received = got.message
    assert received.get_content_type() == "multipart/alternative"
    assert str(received["Subject"]) == SUBJECT
    parts = {p.get_content_type(): p.get_content() for p in received.iter_parts()}
    assert parts["text/plain"] == TEXT
    assert parts["text/html"].strip() == HTML
    assert received["Message-ID"] and received["Date"]
    assert received["From"].addresses[0].addr_spec == "digest@example.org"


def test_starttls_with_login(servers: list[SmtpServer], tls: Tls) -> None:
    creds = Credentials("analyst", SECRET)
    server = start_smtp(tls_context=tls.server_context, credentials=creds)
    servers.append(server)
    smtp = settings(server.port, "starttls", "analyst", SECRET)
    send_message(smtp, message(), ssl_context=tls.client_context)
    assert len(server.mailbox.received) == 1
    assert server.mailbox.received[0].login == "analyst"
    assert str(server.messages[0]["Subject"]) == SUBJECT


def test_wrong_password_is_a_clear_error_without_the_secret(servers: list[SmtpServer], tls: Tls) -> None:
    server = start_smtp(tls_context=tls.server_context, credentials=Credentials("analyst", "other"))
    servers.append(server)
    with pytest.raises(MailError) as info:
        send_message(
            settings(server.port, "starttls", "analyst", SECRET), message(), ssl_context=tls.client_context
        )
    assert "login refused" in str(info.value) and f"{HOST}:{server.port}" in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert server.mailbox.received == []


def test_ssl_with_login(servers: list[SmtpServer], tls: Tls) -> None:
    server = start_smtp(ssl_context=tls.server_context, credentials=Credentials("analyst", SECRET))
    servers.append(server)
    send_message(settings(server.port, "ssl", "analyst", SECRET), message(), ssl_context=tls.client_context)
    assert len(server.mailbox.received) == 1
    assert server.mailbox.received[0].login == "analyst"


def test_untrusted_certificate_is_refused(servers: list[SmtpServer], tls: Tls) -> None:
    server = start_smtp(tls_context=tls.server_context)
    servers.append(server)
    with pytest.raises(MailError, match="TLS failed"):
        send_message(settings(server.port, "starttls"), message())  # the system store lacks the test CA
    assert server.mailbox.received == []


def test_server_down_is_connection_refused() -> None:
    with pytest.raises(MailError, match="connection refused"):
        send_message(settings(free_port()), message())


def test_silent_server_times_out() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        with pytest.raises(MailError, match="timed out"):
            send_message(settings(listener.getsockname()[1]), message(), timeout=0.5)
    finally:
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_partly_refused_recipients_are_reported(servers: list[SmtpServer]) -> None:
    server = start_smtp(refuse={"gone@example.org"})
    servers.append(server)
    smtp = settings(server.port, recipients=("a@example.org", "gone@example.org"))
    refused = send_message(smtp, message(smtp.recipients))
    assert list(refused) == ["gone@example.org"] and "550" in refused["gone@example.org"]
    assert server.mailbox.received[0].rcpt_tos == ["a@example.org"]
    only_refused = settings(server.port, recipients=("gone@example.org",))
    with pytest.raises(MailError, match="every recipient refused"):
        send_message(only_refused, message(only_refused.recipients))


def test_smtp_settings_never_show_the_password() -> None:
    smtp = smtp_from_env(
        [],
        {
            "NEWSWATCH_SMTP_HOST": HOST,
            "NEWSWATCH_SMTP_PASSWORD": SECRET,
            "NEWSWATCH_SMTP_USER": "u",
            "NEWSWATCH_SMTP_TO": "x@example.org",
        },
    )
    assert smtp is not None and SECRET not in repr(smtp) and SECRET not in str(smtp)


def test_recipients_key_ignores_order_case_and_spaces() -> None:
    assert recipients_key(["B@example.org", " a@example.org"]) == recipients_key(
        ["a@example.org", "b@example.org"]
    )
    assert recipients_key(["a@example.org"]) != recipients_key(["a@example.org", "b@example.org"])
