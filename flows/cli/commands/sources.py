"""`newswatch sources check`: is sources.yaml valid, and how is each source doing."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from flows.cli.common import config_for, store_for, timezone_for
from flows.cli.render import print_source_health
from flows.config import profile_changes


def cmd_sources_check(args: argparse.Namespace, console: Console) -> int:
    config = config_for(args)
    console.print(
        f"{config.path}: valid, {len(config.sources)} sources ({len(config.enabled_sources)} enabled)",
        markup=False,
    )
    changes = profile_changes(config)
    if not changes:
        console.print("topic: the built-in profile (flows/topic_default.yaml), nothing added or replaced")
    else:
        console.print("topic: the built-in profile (flows/topic_default.yaml) with", markup=False)
        for line in changes:
            console.print(f"  {line}", markup=False, highlight=False)
    from storage import StorageError

    health: dict[str, dict[str, Any]] = {}
    try:
        health = {h["name"]: h for h in store_for(args, lock_timeout=10).source_health()}
    except StorageError as exc:
        console.print(f"[yellow]no health data: {escape(str(exc))}[/yellow]")
    print_source_health(console, config, health, timezone_for(args))
    return 0
