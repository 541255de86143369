"""The daily work: seed, ingest, digest, and run (all three in turn)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from flows.cli.common import (
    UsageError,
    announce_new_database,
    config_for,
    prefect_environment,
    require_database,
    store_for,
    use_prefect,
)
from flows.cli.render import print_ingest_summary
from flows.progress import ConsoleReporter


def cmd_seed(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.maintenance import seed

    config = config_for(args)
    if not Path(args.seeds).is_dir():
        raise UsageError(f"--seeds {Path(args.seeds).resolve()}: no seed directory there; check the path")
    announce_new_database(args)
    reporter = ConsoleReporter(console)
    try:
        loaded, present = seed(config, store_for(args, reporter), args.seeds, reporter)
    finally:
        reporter.close()
    console.print(f"seeds: {loaded} loaded, {present} already stored ({args.seeds})", markup=False)
    return 0


def chosen_names(args: argparse.Namespace, config: Any) -> list[str] | None:
    """The sources `--source` names, as sources.yaml spells them; a name it does not have, or
    one it disables, is bad usage (exit 2) with the closest valid name."""
    from flows.pipeline.lake import UnknownSource, named_sources

    names = getattr(args, "source", None)
    if not names:
        return None
    try:
        return [s.name for s in named_sources(config, names)]
    except UnknownSource as exc:
        raise UsageError(f"--source: {exc}") from None


def run_ingest(args: argparse.Namespace, console: Console) -> Any:
    config = config_for(args)
    names = chosen_names(args, config)
    poll_now = bool(getattr(args, "all", False))
    announce_new_database(args)
    shard = getattr(args, "shard", None)
    if use_prefect(args):
        prefect_environment(Path(args.db))
        from flows.orchestration.prefect_flows import ingest_flow

        return ingest_flow(str(args.sources), str(args.db), str(shard) if shard else None, names, poll_now)
    from flows.pipeline.lake import ingest_shard

    reporter = ConsoleReporter(console)
    try:
        store = store_for(args, reporter, lock_timeout=300)
        return asyncio.run(
            ingest_shard(config, store, shard=shard, names=names, reporter=reporter, poll_now=poll_now)
        )
    finally:
        reporter.close()


def cmd_ingest(args: argparse.Namespace, console: Console) -> int:
    try:
        summary = run_ingest(args, console)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            "the articles analysed so far are stored; the next ingest fetches the rest"
        ) from None
    print_ingest_summary(console, summary)
    return 0


def run_digest(args: argparse.Namespace) -> Any:
    """The digest of one day, as a Prefect flow or directly; a failed send comes back in the outcome."""
    from flows.stages.delivery.digest.deliver import DigestSendFailed, default_out_dir, digest_for

    config = config_for(args)
    require_database(args)
    refuse_future_day(args.date, config.settings.tz)
    out_dir = args.out or default_out_dir(args.db)
    if use_prefect(args):
        prefect_environment(Path(args.db))
        from flows.orchestration.prefect_flows import digest_flow

        try:
            return digest_flow(
                str(args.sources),
                str(args.db),
                args.date.isoformat() if args.date else None,
                str(out_dir),
                args.send,
                args.force,
            )
        except DigestSendFailed as exc:
            return exc.outcome
    return digest_for(
        config,
        store_for(args, ConsoleReporter(Console(stderr=True)), lock_timeout=300),
        day=args.date,
        out_dir=out_dir,
        send=args.send,
        force=args.force,
    )


def refuse_future_day(day: date | None, tz: ZoneInfo) -> None:
    """A digest of a day still to come would be empty, and recorded as that day's digest."""
    today = datetime.now(tz).date()
    if day is not None and day > today:
        raise UsageError(
            f"--date {day.isoformat()} is in the future (today is {today.isoformat()} in {tz.key}):"
            " a digest can only gather what is already stored"
        )


def cmd_digest(args: argparse.Namespace, console: Console) -> int:
    """Exit 1 when the mail did not go out (the files are written and the failure is recorded)."""
    outcome = run_digest(args)
    shown = f"{outcome.stories} stories" + (
        f" (top {outcome.stories} of {outcome.total_stories})"
        if outcome.total_stories > outcome.stories
        else ""
    )
    console.print(f"digest {outcome.day}: {shown}", markup=False, highlight=False)
    console.print(
        f"  written: {outcome.paths.html}, {outcome.paths.text.name}, {outcome.paths.markdown.name}",
        markup=False,
        highlight=False,
    )
    console.print(f"  mail: {outcome.detail}", markup=False, highlight=False)
    for line in outcome.retried:
        console.print(f"  earlier digest {line}", markup=False, highlight=False)
    for sub in outcome.subscriptions:  # the per-analyst digests
        console.print(
            f"digest {sub.name} {sub.day}: {sub.stories} stories, written: {sub.paths.html}; mail: {sub.detail}",
            markup=False,
            highlight=False,
        )
    if outcome.failed:
        Console(stderr=True, soft_wrap=True).print(
            f"newswatch: {outcome.failure_message}", markup=False, highlight=False
        )
        return 1
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """The digest is the day the run began: a run crossing midnight still reports what it found."""
    day = datetime.now(config_for(args).settings.tz).date()
    if Path(args.seeds).is_dir():
        cmd_seed(args, console)
    else:  # relevance works without the reference corpus, only less well: not a reason to stop
        Console(stderr=True, soft_wrap=True).print(
            f"newswatch: no seed directory at {Path(args.seeds).resolve()}: going on without the seed"
            " corpus (give its place with --seeds DIR)",
            markup=False,
            highlight=False,
        )
    cmd_ingest(args, console)
    args.date, args.out, args.send, args.force = day, None, None, False
    return cmd_digest(args, console)
