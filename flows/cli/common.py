"""What every command handler shares: the usage error, the config, the store and the Prefect switch."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows import clock
from flows.config import Config, Settings, load_config
from flows.progress import ConsoleReporter


class UsageError(Exception):
    """Bad arguments: exit status 2."""


def prefect_environment(db_path: Path) -> None:
    """Keep Prefect's files beside the database and its telemetry off, before it is imported."""
    os.environ.setdefault("PREFECT_HOME", str(db_path.resolve().parent / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def config_for(args: argparse.Namespace) -> Config:
    return load_config(args.sources)


def store_for(
    args: argparse.Namespace, reporter: ConsoleReporter | None = None, lock_timeout: float = 60.0
) -> Any:
    from storage.lake import open_store

    return open_store(
        args.db,
        shard=getattr(args, "shard", None),
        lock_timeout=lock_timeout,
        on_wait=(reporter.message if reporter else None),
    )


def use_prefect(args: argparse.Namespace) -> bool:
    choice = getattr(args, "prefect", None)
    if choice is not None:
        return bool(choice)
    return bool(os.environ.get("PREFECT_API_URL"))


def timezone_for(args: argparse.Namespace) -> ZoneInfo:
    """The zone a command counts days and prints times in: `--tz`, else settings.timezone of
    `--sources` (the default zone when that file does not exist)."""
    name = getattr(args, "tz", None)
    if name:
        try:
            return clock.zone(name)
        except ValueError as exc:
            raise UsageError(f"--tz: {exc}") from None
    path = getattr(args, "sources", None)
    if path is not None and Path(path).exists():
        return load_config(path).settings.tz
    return Settings().tz
