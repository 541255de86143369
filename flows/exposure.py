"""What may listen beyond loopback: nothing without a password. One rule and one wording for every
server newswatch opens (the web console, the Prefect server and its UI), checked before any socket
is opened. A leaf: the standard library only, so every layer may use it."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def unguarded_bind(what: str, host: str, secret: str | None, variable: str, form: str) -> str | None:
    """Why serving `what` on `host` is refused (None when it is not): a non-loopback address
    with no `secret`, which the user gives in `variable` (`form` says what it looks like)."""
    if is_loopback(host) or secret:
        return None
    return (
        f"refusing to serve {what} on {host}, which is not a loopback address, without a"
        f" password: set {variable} ({form}), or bind to 127.0.0.1"
    )
