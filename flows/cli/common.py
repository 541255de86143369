"""What every command handler shares: the usage error, the config, the store and the Prefect switch."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

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


def prefect_unreachable(exc: BaseException) -> str | None:
    """Prefect's "Failed to reach API" (a flow started against a server that is not there) as
    what to do about it; None for any other error."""
    import re

    found = re.match(r"Failed to reach API at (\S+)", str(exc)) if isinstance(exc, RuntimeError) else None
    if not found:
        return None
    url = found.group(1).rstrip("/")
    where = "PREFECT_API_URL is set" if os.environ.get("PREFECT_API_URL") else "the Prefect profile sets it"
    return (
        f"the Prefect API at {url} does not answer ({where}): start that server, or unset"
        " PREFECT_API_URL (or pass --no-prefect) to run without Prefect"
    )


def use_prefect(args: argparse.Namespace) -> bool:
    choice = getattr(args, "prefect", None)
    if choice is not None:
        return bool(choice)
    return bool(os.environ.get("PREFECT_API_URL"))


# --- a --db that names no database, and OS errors told as sentences -----------------


def _lake_configured() -> bool:
    from storage.lake import LakeConfig

    return LakeConfig.from_env() is not None


def require_database(args: argparse.Namespace) -> None:
    """Commands that read an existing database refuse a --db with none there (exit 2), instead
    of creating an empty one; on a lake --db only anchors this machine's spool and lock."""
    path = Path(args.db)
    if path.is_file() or _lake_configured():
        return
    if path.is_dir():
        raise UsageError(
            f"--db {path}: that is a directory; name the database file in it (e.g. {path / 'newswatch.duckdb'})"
        )
    raise UsageError(
        f"--db {path}: no database there; check the path (or NEWSWATCH_DB), "
        "or create one with `newswatch ingest` or `newswatch run`"
    )


def announce_new_database(args: argparse.Namespace) -> None:
    """`ingest`, `seed` and `run` create the database when there is none, and say so (on stderr)."""
    path = Path(args.db)
    if path.exists() or _lake_configured():
        return
    Console(stderr=True, soft_wrap=True).print(
        f"no database at {path}: creating a new one", markup=False, highlight=False
    )


def os_error_message(exc: OSError) -> str:
    """An OS error as a sentence naming the file and what to do."""
    name = exc.filename if exc.filename is not None else ""
    where = f"{name}: " if name else ""
    if isinstance(exc, FileNotFoundError):
        return f"{where}no such file or directory; check the path"
    if isinstance(exc, FileExistsError):
        return f"{where}already exists (and is not a directory); choose another path or remove it"
    if isinstance(exc, IsADirectoryError):
        return f"{where}is a directory; give the path of a file"
    if isinstance(exc, NotADirectoryError):
        return f"{where}a part of this path is a file, not a directory; check the path"
    if isinstance(exc, PermissionError):
        return f"{where}permission denied; check who owns it, or choose another path"
    return f"{where}{exc.strerror or exc}"


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
