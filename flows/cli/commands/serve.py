"""`newswatch serve`: the scheduled deployments, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console

from flows.cli.common import config_for, prefect_environment

log = logging.getLogger("newswatch")


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the scheduled deployments until SIGTERM or Ctrl-C (SPEC 9)."""
    config = config_for(args)
    prefect_environment(Path(args.db))
    from flows.orchestration.serve import serve

    def say(text: str) -> None:
        log.info("%s", text)

    return serve(config, args.sources, args.db, host=args.host, port=args.port, say=say)
