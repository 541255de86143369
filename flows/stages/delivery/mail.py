"""Mail: one multipart/alternative message (plain text and HTML) sent over SMTP.

Plain, STARTTLS or SSL, login optional. Errors come back as `MailError` with a message that is
safe to print, log and store: it never contains the password.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flows.config import SmtpSettings

DEFAULT_TIMEOUT = 30.0


class MailError(Exception):
    """A send that did not happen; the message names the server and the reason, never a secret."""


def describe(smtp: SmtpSettings) -> str:
    """The server as it may appear in logs: host, port, security, login name; no password."""
    login = f", login as {smtp.user}" if smtp.user else ""
    return f"{smtp.host}:{smtp.port} ({smtp.security}{login})"


def recipients_key(recipients: Sequence[str]) -> str:
    """The recipient list as stored: sorted, lower-cased, comma-separated, so order does not matter."""
    return ",".join(sorted({r.strip().lower() for r in recipients if r.strip()}))


def _header(value: str) -> str | Header:
    """Non-ASCII headers as RFC 2047 encoded words that keep their spaces.

    The modern email policy folds a long Cyrillic subject into encoded words that drop the space
    between two of them (CPython's folder); the classic `Header` encoder does not.
    """
    return value if value.isascii() else Header(value, "utf-8")


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    display_name: str = "newswatch",
) -> Message:
    """One multipart/alternative message: the plain text first, the HTML preferred by clients."""
    msg = MIMEMultipart("alternative")
    msg["Subject"] = _header(subject)  # type: ignore[assignment]  # compat32 messages take Header values
    name, addr = parseaddr(sender)
    msg["From"] = formataddr((name or display_name, addr or sender), charset="utf-8")
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    domain = (addr or sender).rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(idstring="newswatch", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    return msg


def _scrub(text: str, smtp: SmtpSettings) -> str:
    if smtp.password:
        text = text.replace(smtp.password, "***")
    return text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + ", ".join(
            f"{addr} ({code})" for addr, (code, _msg) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"server answered {exc.smtp_code} {detail}".strip()
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"server does not support it: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host: {exc.strerror}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login only takes ASCII; other credentials go as UTF-8 over AUTH PLAIN (RFC 4616)."""
    if user.isascii() and password.isascii():
        client.login(user, password)
        return
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def send_message(
    smtp: SmtpSettings,
    msg: Message,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> dict[str, str]:
    """Send `msg` to `smtp.recipients`; returns the recipients the server refused (others got it).

    TLS is verified against the system's CA store (`SSL_CERT_FILE` points elsewhere) unless
    `ssl_context` is given.
    """
    context = ssl_context or ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            _login(client, smtp.user, smtp.password or "")
        refused = client.send_message(
            msg, from_addr=parseaddr(smtp.sender)[1] or smtp.sender, to_addrs=list(smtp.recipients)
        )
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:
        raise MailError(_scrub(f"sending to {describe(smtp)} failed: {_reason(exc)}", smtp)) from None
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    return {
        addr: f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
        for addr, (code, text) in refused.items()
    }
