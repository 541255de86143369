"""`newswatch web`: the analyst's web console (flows/web/), read-only, until Ctrl-C or SIGTERM;
and the same console beside the schedules of `newswatch serve`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

from rich.console import Console

from flows.cli.common import UsageError, config_for, require_database, store_for
from flows.config import WEB_PASSWORD_ENV

log = logging.getLogger("newswatch")


class PortBusy(UsageError):
    """The console's port is taken: `web` exits 2, `serve` runs its schedules without the console."""


def web_server(args: argparse.Namespace, host: str, port: int) -> Any:
    """The console's server for these arguments, its bind checked first (UsageError: exit 2)."""
    from flows.orchestration.serve import port_in_use
    from flows.web.app import create_app
    from flows.web.server import WebBindError, WebServer, check_bind, is_loopback

    password = os.environ.get(WEB_PASSWORD_ENV) or None
    try:
        check_bind(host, port, password)
    except WebBindError as exc:
        raise UsageError(str(exc)) from None
    if port_in_use(host, port):
        raise PortBusy(f"port {port} on {host} is already in use: choose another with --port")
    config = config_for(args)
    store = store_for(args, lock_timeout=getattr(args, "wait", 10.0))
    app = create_app(config, store, password=password, loopback_only=is_loopback(host) and not password)
    return WebServer(app, host, port)


def cmd_web(args: argparse.Namespace, console: Console) -> int:
    """Serve the console until Ctrl-C or SIGTERM; the address is printed once it listens."""
    server = web_server(args, args.host, args.port)
    require_database(args)  # a mistyped --db: refused here, not "Busy" on every page
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        auth = " (password required)" if os.environ.get(WEB_PASSWORD_ENV) else ""
        console.print(
            f"newswatch web console on {server.url}{auth}, reading {args.db}; Ctrl-C to stop",
            markup=False,
            highlight=False,
        )
        console.file.flush()
        stop.wait()
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
