"""`newswatch serve`: the scheduled deployments, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console

from flows.cli.commands.web import PortBusy, web_server
from flows.cli.common import config_for, prefect_environment

log = logging.getLogger("newswatch")


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the scheduled deployments until SIGTERM or Ctrl-C (SPEC 9), and the web console
    beside them (unless --no-web; its bind is checked before anything starts)."""
    config = config_for(args)
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

    if web is None:
        return serve(config, args.sources, args.db, host=args.host, port=args.port, say=say)
    try:
        web.start()
        say(f"web console on {web.url}")
    except OSError as exc:
        log.warning("web console not started: %s", exc)
    try:
        return serve(config, args.sources, args.db, host=args.host, port=args.port, say=say)
    finally:
        web.stop()
