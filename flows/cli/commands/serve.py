"""`newswatch serve`: the scheduled deployments, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console

from flows.cli.commands.web import PortBusy, web_server
from flows.cli.common import UsageError, config_for, prefect_environment

log = logging.getLogger("newswatch")


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the scheduled deployments until SIGTERM or Ctrl-C (SPEC 9), and the web console
    beside them (unless --no-web). Who may reach the Prefect API and the console's bind are
    checked before anything starts."""
    from flows.orchestration.access import AccessError, access_for

    config = config_for(args)
    try:
        access = access_for(args.host)
    except AccessError as exc:
        raise UsageError(str(exc)) from None
    web = None
    if not args.no_web:
        try:
            web = web_server(args, args.web_host, args.web_port)
        except PortBusy as exc:  # the schedules are serve's job; the console is beside them
            log.warning("web console not started: %s (--web-port)", exc)
    prefect_environment(Path(args.db))
    from flows.orchestration.serve import serve

    def say(text: str) -> None:
        log.info("%s", text)

    def run() -> int:
        return serve(config, args.sources, args.db, host=args.host, port=args.port, say=say, access=access)

    if web is None:
        return run()
    try:
        web.start()
        say(f"web console on {web.url}")
    except OSError as exc:
        log.warning("web console not started: %s", exc)
    try:
        return run()
    finally:
        web.stop()
