"""Keeping the database right: rescore, the dedup index, migration into the lake, and the lake itself."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from flows.cli.common import UsageError, config_for, require_database, store_for
from flows.cli.render import print_rescore_summary
from flows.progress import ConsoleReporter


def cmd_rescore(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.maintenance import rescore

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {args.batch_size}")
    config = config_for(args)
    require_database(args)
    reporter = ConsoleReporter(console)
    try:
        summary = rescore(
            config, store_for(args, reporter, lock_timeout=300), reporter, batch_size=args.batch_size
        )
    finally:
        reporter.close()
    print_rescore_summary(console, summary)
    return 0


def cmd_dedup(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.rebuild import rebuild, status

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {args.batch_size}")
    require_database(args)
    if args.rebuild:
        reporter = ConsoleReporter(console)
        try:
            done = rebuild(store_for(args, reporter, lock_timeout=300), reporter, batch_size=args.batch_size)
        finally:
            reporter.close()
        console.print(
            f"dedup rebuilt in {done.seconds:.1f} s: {done.articles} articles, {done.clusters} stories,"
            f" {done.duplicates} duplicates, {done.band_rows} index rows"
        )
        return 0
    info = status(store_for(args, lock_timeout=10))
    console.print(
        f"{info['articles']} articles in {info['clusters']} stories ({info['duplicates']} duplicates);"
        f" index: {info['band_rows']} rows for {info['indexed_articles']} articles"
    )
    if not info["params_current"]:
        console.print("the index was built with other parameters: run `newswatch dedup --rebuild`")
    return 0


def cmd_migrate(args: argparse.Namespace, console: Console) -> int:
    """Copy the DuckDB file at --db into the lake (SPEC 10)."""
    from flows.pipeline.lake import reconcile
    from storage import Store
    from storage.lake import LakeConfig, LakeStore
    from storage.lake_copy import copy_file_into
    from storage.spool import writing

    if args.to != "ducklake":
        raise UsageError(f"--to {args.to}: the only target is ducklake")
    env = dict(os.environ)
    if args.catalog:
        env["NEWSWATCH_LAKE_CATALOG"] = args.catalog
    if args.data_path:
        env["NEWSWATCH_LAKE_DATA"] = str(args.data_path)
    lake = LakeConfig.from_env(env)
    if lake is None:
        raise UsageError("name the lake: --catalog 'postgres:dbname=... host=...' or NEWSWATCH_LAKE_CATALOG")
    if not Path(args.db).is_file():
        raise UsageError(f"{args.db}: no DuckDB file to copy (set --db)")
    source = Store(args.db, lock_timeout=60)
    store = LakeStore(lake, args.db, lock_timeout=60, on_wait=ConsoleReporter(console).message)
    try:
        with writing(store, "migration"):  # no ingest into the file while it is copied
            source.migrate()  # same schema version on both sides
            store.migrate()
            copied = copy_file_into(store, Path(args.db), force=args.force)
            done = reconcile(store)
    finally:
        store.close()
    for table, rows in copied.items():
        console.print(f"  {table}: {rows} rows", markup=False, highlight=False)
    console.print(
        f"copied {args.db} into ducklake:{lake.label()} ({copied.get('article', 0)} articles;"
        f" {done.removed} duplicate rows removed)",
        markup=False,
        highlight=False,
    )
    return 0


def cmd_lake(args: argparse.Namespace, console: Console) -> int:
    """Reconcile the lake by hand, and show its counts."""
    from flows.pipeline.lake import lake_summary, reconcile
    from storage.lake import LakeStore
    from storage.spool import writing

    store = store_for(args, ConsoleReporter(console), lock_timeout=60)
    if not isinstance(store, LakeStore):
        raise UsageError("no lake configured: set NEWSWATCH_LAKE_CATALOG")
    try:
        if args.lake_command == "reconcile":
            with writing(store, "lake reconcile"):
                done = reconcile(store)
            console.print(
                f"reconciled in {done.seconds:.1f} s: {done.duplicate_urls} URLs stored twice"
                f" ({done.removed} rows removed), {done.merged_by_hash + done.merged_near} clusters merged,"
                f" {done.checked} new articles checked",
                markup=False,
                highlight=False,
            )
            if done.duplicate_ids:
                console.print(f"warning: {done.duplicate_ids} ids are used twice", markup=False)
        info = lake_summary(store)
    finally:
        store.close()
    console.print(
        f"ducklake:{store.lake.label()}: {info['articles']} articles, {info['urls']} canonical URLs,"
        f" {info['clusters']} stories",
        markup=False,
        highlight=False,
    )
    return 0
