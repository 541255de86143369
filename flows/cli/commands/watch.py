"""`newswatch watch list` and `newswatch watch test NAME [--since DATE]`."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from flows.cli.common import UsageError, config_for, store_for, timezone_for
from flows.stages.delivery.targets import shown_url


def cmd_watch_list(args: argparse.Namespace, console: Console) -> int:
    config = config_for(args)
    if not config.watches:
        console.print(f"{config.path}: no watches", markup=False, highlight=False)
        return 0
    for w in config.watches:
        filters = w.filters()
        console.print(
            f"{w.name}: {w.query!r} ({w.mode}){'; ' + '; '.join(filters) if filters else ''}",
            markup=False,
            highlight=False,
        )
        shown = [*w.emails, *(shown_url(url) for url in w.webhooks)]  # a webhook's token stays in the file
        console.print(f"  notify: {', '.join(shown) or '(nobody)'}", markup=False, highlight=False)
    return 0


def cmd_watch_test(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.watches import matches
    from flows.stages.stories.search import SearchUsageError
    from flows.stages.stories.watch import story_record

    config = config_for(args)
    watch = next((w for w in config.watches if w.name.lower() == args.name.lower()), None)
    if watch is None:
        known = ", ".join(w.name for w in config.watches) or "none configured"
        raise UsageError(f"no watch named {args.name!r} in {config.path} ({known})")
    try:
        since = None if args.since is None else args.since.start(timezone_for(args))
        hits = matches(store_for(args, lock_timeout=args.wait), watch, since=since)
    except SearchUsageError as exc:
        raise UsageError(str(exc)) from exc
    records = [story_record(h) for h in hits]
    if args.json:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return 0
    after = f" since {args.since.text}" if args.since else ""
    console.print(
        f"watch {watch.name} would match {len(records)} {'story' if len(records) == 1 else 'stories'}{after}"
        " (nothing sent)",
        markup=False,
        highlight=False,
    )
    for r in records:
        console.print(f"- {r['title']}\n  {r['source']}: {r['url']}", markup=False, highlight=False)
    return 0
