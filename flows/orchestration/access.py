"""Who may use the Prefect API that `serve` starts or serves against: a password beyond loopback.

Prefect's open-source server has one guard, HTTP basic auth with a `user:password` string: the
server takes it as PREFECT_SERVER_API_AUTH_STRING, every client (the runner, the flow runs it
starts, `prefect deployment run`, the UI's login) as PREFECT_API_AUTH_STRING. For the server
`serve` starts itself one string is both, so one variable is enough: PREFECT_API_AUTH_STRING
(PREFECT_SERVER_API_AUTH_STRING is taken too, if that is the one set). Everything here runs before
any socket listens, and no message ever contains the string.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from flows.exposure import is_loopback, unguarded_bind

CLIENT_AUTH_ENV = "PREFECT_API_AUTH_STRING"
SERVER_AUTH_ENV = "PREFECT_SERVER_API_AUTH_STRING"
RUNNER_HOST_ENV = "PREFECT_RUNNER_SERVER_HOST"
PROBE_TIMEOUT_SECONDS = 15.0


class AccessError(ValueError):
    """The Prefect API would be open to the network, or a server refuses us (the CLI exits 2)."""


@dataclass(frozen=True)
class Access:
    """How `serve` reaches Prefect: `api_url` when a server elsewhere is named (else `serve` starts
    one), and the auth string its server and clients use (None: no password)."""

    api_url: str = ""
    auth: str | None = field(default=None, repr=False)


def _set(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def local_auth(host: str, env: Mapping[str, str] = os.environ) -> str | None:
    """The auth string for the server `serve` starts on `host`; refused beyond loopback without one."""
    client, server = _set(env, CLIENT_AUTH_ENV), _set(env, SERVER_AUTH_ENV)
    if client and server and client != server:
        raise AccessError(
            f"{CLIENT_AUTH_ENV} and {SERVER_AUTH_ENV} differ: the Prefect server serve starts would"
            f" refuse its own runner; set only {CLIENT_AUTH_ENV}"
        )
    auth = client or server
    refused = unguarded_bind(
        "the Prefect server and UI", host, auth, CLIENT_AUTH_ENV, "user:password, HTTP basic auth"
    )
    if refused:
        raise AccessError(refused)
    if auth is not None:
        user, colon, password = auth.partition(":")
        if not (user and colon and password):
            variable = CLIENT_AUTH_ENV if client else SERVER_AUTH_ENV
            raise AccessError(
                f"{variable} must have the form user:password (HTTP basic auth, what the Prefect UI"
                " asks for), with a user name before the colon and a password after it"
            )
    return auth


def check_runner_host(env: Mapping[str, str] = os.environ) -> None:
    """The Prefect runner's own web server (its /health, the container's health check) has no
    password at all and answers POST /shutdown: it stays on loopback."""
    if env.get("PREFECT_RUNNER_SERVER_ENABLE", "").strip().lower() not in ("1", "true", "yes", "on"):
        return
    host = _set(env, RUNNER_HOST_ENV) or "localhost"
    if not is_loopback(host):
        raise AccessError(
            f"refusing to serve the Prefect runner's web server on {host}, which is not a loopback"
            f" address: it has no password (anyone reaching it could stop serve); set"
            f" {RUNNER_HOST_ENV}=127.0.0.1"
        )


def check_remote(api_url: str, env: Mapping[str, str] = os.environ) -> None:
    """A server elsewhere that answers 401 gets a sentence naming the variable to set, not a
    traceback from deep inside the runner. Any other failure is left to Prefect's own handling."""
    auth, key = _set(env, CLIENT_AUTH_ENV), _set(env, "PREFECT_API_KEY")
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        # the endpoint Prefect's UI and client check credentials with; /health answers everyone
        status = httpx.get(
            f"{api_url.rstrip('/')}/admin/version", headers=headers, timeout=PROBE_TIMEOUT_SECONDS
        ).status_code
    except httpx.HTTPError:
        return
    if status != 401:
        return
    if auth:
        raise AccessError(
            f"the Prefect server at {api_url} refuses the user:password in {CLIENT_AUTH_ENV} (401):"
            f" set it to the one that server was started with (its {SERVER_AUTH_ENV})"
        )
    raise AccessError(
        f"the Prefect server at {api_url} asks for a password (401): set {CLIENT_AUTH_ENV} to its"
        f" user:password (the server's {SERVER_AUTH_ENV})"
    )


def access_for(host: str, env: Mapping[str, str] = os.environ) -> Access:
    """Checks and settings for `serve` on `host` (unless PREFECT_API_URL names a server)."""
    check_runner_host(env)
    api_url = env.get("PREFECT_API_URL", "").strip()
    if api_url:
        check_remote(api_url, env)
        return Access(api_url, _set(env, CLIENT_AUTH_ENV))
    return Access("", local_auth(host, env))
