"""The `newswatch` command: turns library errors into messages and exit statuses (SPEC 4).

0: the command did its job (even if some sources failed); 2: bad usage or configuration;
1: any other failure, with a message, never a bare traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows import __version__
from flows.config import DEFAULT_DB, DEFAULT_SOURCES, Config, ConfigError, load_config
from flows.progress import ConsoleReporter

log = logging.getLogger("newswatch")


class UsageError(Exception):
    """Bad arguments: exit status 2."""


def prefect_environment(db_path: Path) -> None:
    """Keep Prefect's files beside the database and its telemetry off, before it is imported."""
    os.environ.setdefault("PREFECT_HOME", str(db_path.resolve().parent / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


# --- commands ----------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.sources)


def _store(
    args: argparse.Namespace, reporter: ConsoleReporter | None = None, lock_timeout: float = 60.0
) -> Any:
    from storage.lake import open_store

    return open_store(
        args.db,
        shard=getattr(args, "shard", None),
        lock_timeout=lock_timeout,
        on_wait=(reporter.message if reporter else None),
    )


def _use_prefect(args: argparse.Namespace) -> bool:
    choice = getattr(args, "prefect", None)
    if choice is not None:
        return bool(choice)
    return bool(os.environ.get("PREFECT_API_URL"))


def cmd_seed(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.ingest import seed

    config = _config(args)
    reporter = ConsoleReporter(console)
    try:
        loaded, present = seed(config, _store(args, reporter), args.dir, reporter)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        reporter.close()
    console.print(f"seeds: {loaded} loaded, {present} already stored ({args.dir})", markup=False)
    return 0


def print_ingest_summary(console: Console, summary: Any) -> None:
    table = Table(title=f"ingest run {summary.run_id}: {summary.elapsed_seconds:.1f} s")
    for col in ("source", "status", "new", "duplicate", "failed", "error"):
        table.add_column(col, justify="right" if col in ("new", "duplicate", "failed") else "left")
    for r in sorted(summary.reports, key=lambda r: r.name.lower()):
        note = r.error or r.problem or ""
        if r.moved_to:
            note = (note + "; " if note else "") + f"moved permanently to {r.moved_to}"
        if r.skipped:
            note = (note + "; " if note else "") + f"{r.skipped} links skipped"
        table.add_row(escape(r.name), r.status, str(r.new), str(r.duplicate), str(r.failed), escape(note))
    table.add_row(
        "total", "", str(summary.new), str(summary.duplicate), str(summary.failed), "", style="bold"
    )
    console.print(table)
    if summary.waited_seconds:
        console.print(f"waited {summary.waited_seconds:.1f} s for another process to free the database")
    if getattr(summary, "replayed", 0):
        console.print(f"stored {summary.replayed} articles that an earlier run had kept in the spool")
    if getattr(summary, "note", None):
        console.print(summary.note, markup=False, highlight=False)


def run_ingest(args: argparse.Namespace, console: Console) -> Any:
    config = _config(args)
    if _use_prefect(args):
        prefect_environment(Path(args.db))
        from flows.orchestration.prefect_flows import ingest_flow

        shard = getattr(args, "shard", None)
        return ingest_flow(str(args.sources), str(args.db), str(shard) if shard else None)
    from flows.pipeline.lake import ingest_shard

    reporter = ConsoleReporter(console)
    try:
        store = _store(args, reporter, lock_timeout=300)
        return asyncio.run(ingest_shard(config, store, shard=getattr(args, "shard", None), reporter=reporter))
    finally:
        reporter.close()


def cmd_ingest(args: argparse.Namespace, console: Console) -> int:
    summary = run_ingest(args, console)
    print_ingest_summary(console, summary)
    return 0


def run_digest(args: argparse.Namespace) -> Any:
    """The digest of one day, as a Prefect flow or directly; a failed send comes back in the outcome."""
    from flows.stages.digest.build import DigestSendFailed, default_out_dir, digest_for

    config = _config(args)
    out_dir = args.out or default_out_dir(args.db)
    if _use_prefect(args):
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
        _store(args, ConsoleReporter(Console(stderr=True)), lock_timeout=300),
        day=args.date,
        out_dir=out_dir,
        send=args.send,
        force=args.force,
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
    if outcome.failed:
        Console(stderr=True, soft_wrap=True).print(
            f"newswatch: {outcome.failure_message}", markup=False, highlight=False
        )
        return 1
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    args.dir = args.seeds
    cmd_seed(args, console)
    cmd_ingest(args, console)
    args.date, args.out, args.send, args.force = None, None, None, False
    return cmd_digest(args, console)


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the scheduled deployments until SIGTERM or Ctrl-C (SPEC 9)."""
    config = _config(args)
    prefect_environment(Path(args.db))
    from flows.orchestration.serve import serve

    def say(text: str) -> None:
        log.info("%s", text)

    return serve(config, args.sources, args.db, host=args.host, port=args.port, say=say)


def _read_only_sql(exc: Exception) -> Exception:
    """An attempt to change the database or touch a file, told as what it is."""
    import duckdb

    from storage import StorageError

    markers = ("read-only mode", "disabled by configuration", "configuration has been locked")
    if isinstance(exc, duckdb.Error) and any(m in str(exc) for m in markers):
        return StorageError(f"`newswatch sql` is read-only and touches no files: {exc}")
    return exc


def cmd_rescore(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.ingest import rescore

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {args.batch_size}")
    config = _config(args)
    reporter = ConsoleReporter(console)
    try:
        summary = rescore(
            config, _store(args, reporter, lock_timeout=300), reporter, batch_size=args.batch_size
        )
    finally:
        reporter.close()
    console.print(
        f"rescored {summary.articles} articles in {summary.elapsed_seconds:.1f} s: {summary.relevant} relevant"
    )
    return 0


def cmd_dedup(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.rebuild import rebuild, status

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {args.batch_size}")
    if args.rebuild:
        reporter = ConsoleReporter(console)
        try:
            done = rebuild(_store(args, reporter, lock_timeout=300), reporter, batch_size=args.batch_size)
        finally:
            reporter.close()
        console.print(
            f"dedup rebuilt in {done.seconds:.1f} s: {done.articles} articles, {done.clusters} stories,"
            f" {done.duplicates} duplicates, {done.band_rows} index rows"
        )
        return 0
    info = status(_store(args, lock_timeout=10))
    console.print(
        f"{info['articles']} articles in {info['clusters']} stories ({info['duplicates']} duplicates);"
        f" index: {info['band_rows']} rows for {info['indexed_articles']} articles"
    )
    if not info["params_current"]:
        console.print("the index was built with other parameters: run `newswatch dedup --rebuild`")
    return 0


def cmd_sql(args: argparse.Namespace, console: Console) -> int:
    from storage import exports as search

    store = _store(args, lock_timeout=args.wait)
    fmt = args.format
    if fmt == "parquet" and args.output is None:
        raise UsageError("--format parquet needs --output FILE")
    try:
        if fmt != "table":
            rows = search.write_query(store, args.query, fmt, args.output)
            if args.output is not None:
                console.print(f"{rows} rows written to {args.output}", markup=False, highlight=False)
            return 0
        columns, records = search.query(store, args.query)
    except Exception as exc:
        raise _read_only_sql(exc) from exc
    table = Table(show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in records[: args.max_rows]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table, markup=False, highlight=False)
    if len(records) > args.max_rows:
        console.print(f"({len(records)} rows, first {args.max_rows} shown)")
    return 0


def cmd_search(args: argparse.Namespace, console: Console) -> int:
    import json

    from flows.stages.search import SearchUsageError, build_request, hit_record, reindex
    from storage import search

    store = _store(args, ConsoleReporter(Console(stderr=True)), lock_timeout=args.wait)
    if args.reindex:
        done = reindex(store)
        Console(stderr=True).print(
            f"search index rebuilt: {done.articles} articles, {done.postings} postings in {done.seconds:.1f} s",
            markup=False,
            highlight=False,
        )
        if args.terms is None:
            return 0
    if args.terms is None:
        raise UsageError('give the words to search for, e.g. newswatch search "Rogun dam"')
    try:
        request = build_request(
            args.terms,
            limit=args.limit,
            since=args.since,
            language=args.lang,
            country=args.country,
            relevant=args.relevant,
            all_copies=args.all_copies,
        )
    except SearchUsageError as exc:
        raise UsageError(str(exc)) from exc
    hits = search.search(store, request)
    records = [hit_record(h) for h in hits]
    if args.json:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not records:
        console.print(f"no articles match {request.terms!r}", markup=False, highlight=False)
        return 0
    print_search_results(console, records)
    return 0


def _highlighted(text: str, spans: Sequence[tuple[int, int]], style: str = "") -> Any:
    from rich.text import Text

    out = Text(text, style=style)
    for start, end in spans:
        out.stylize("bold black on yellow", start, end)
    return out


def print_search_results(console: Console, records: Sequence[dict[str, Any]]) -> None:
    from rich.text import Text

    table = Table(show_lines=True)
    for col in ("#", "date", "source", "lang", "article"):
        table.add_column(col, overflow="fold", ratio=1 if col == "article" else None)
    for rank, r in enumerate(records, 1):
        when = (r["published_at"] or r["first_seen_at"] or "")[:10]
        body = Text()
        body.append_text(_highlighted(r["title"] or "(no title)", r["title_highlights"], "bold"))
        if r["copies"] > 1:
            body.append(f"  (+{r['copies'] - 1} more copies)", style="dim")
        body.append("\n")
        body.append_text(_highlighted(r["snippet"], r["snippet_highlights"]))
        body.append(f"\n{r['url']}", style="dim")
        table.add_row(str(rank), when, escape(r["source"]), escape(r["language"] or "?"), body)
    console.print(table)


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    from storage import exports as search

    fmt = args.format or {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl"}.get(args.out.suffix, "parquet")
    rows = search.export_articles(_store(args, lock_timeout=args.wait), fmt, args.out, since=args.since)
    console.print(f"{rows} articles written to {args.out} ({fmt})", markup=False, highlight=False)
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

    store = _store(args, ConsoleReporter(console), lock_timeout=60)
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


def _shard(value: str) -> Any:
    from storage.lake import Shard

    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_sources_check(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    console.print(
        f"{config.path}: valid, {len(config.sources)} sources ({len(config.enabled_sources)} enabled)",
        markup=False,
    )
    from storage import StorageError

    health: dict[str, dict[str, Any]] = {}
    try:
        health = {h["name"]: h for h in _store(args, lock_timeout=10).source_health()}
    except StorageError as exc:
        console.print(f"[yellow]no health data: {escape(str(exc))}[/yellow]")
    table = Table(title="sources")
    for col in ("source", "enabled", "health", "last success (UTC)", "failures", "articles", "last error"):
        table.add_column(col)
    for s in config.sources:
        h = health.get(s.name, {})
        failures = h.get("consecutive_failures") or 0
        if not h or h.get("last_polled_at") is None and not h.get("last_success_at") and not failures:
            state = "never polled"
        elif failures:
            since = h.get("failing_since")
            state = f"failing since {since:%Y-%m-%d %H:%M} UTC" if since else "failing"
        else:
            state = "ok" + (f" (moved to {h['moved_to']})" if h.get("moved_to") else "")
        last = h.get("last_success_at")
        table.add_row(
            escape(s.name),
            "yes" if s.enabled else "no",
            escape(state),
            f"{last:%Y-%m-%d %H:%M}" if last else "-",
            str(failures),
            str(h.get("articles_total") or 0),
            escape((h.get("last_error") or h.get("feed_problem") or "")[:120]),
        )
    console.print(table)
    return 0


# --- argument parsing ----------------------------------------------------------------------------


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=Path(os.environ.get("NEWSWATCH_DB") or DEFAULT_DB),
        help="DuckDB file (env NEWSWATCH_DB; default storage/newswatch.duckdb)",
    )
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument(
        "--sources",
        type=Path,
        default=Path(os.environ.get("NEWSWATCH_SOURCES") or DEFAULT_SOURCES),
        help="sources.yaml (env NEWSWATCH_SOURCES; default sources.yaml)",
    )
    flow_opt = argparse.ArgumentParser(add_help=False)
    flow_opt.add_argument(
        "--prefect",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run as a Prefect flow (default: only when PREFECT_API_URL is set)",
    )

    parser = argparse.ArgumentParser(prog="newswatch", description="News monitoring for Central Asia.")
    parser.add_argument("--version", action="version", version=f"newswatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common, settings, flow_opt], help="seed, ingest, then today's digest")
    p.add_argument("--seeds", default="seeds", help="seed directory (default seeds/)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "ingest", parents=[common, settings, flow_opt], help="one ingest cycle over all sources"
    )
    p.add_argument(
        "--shard",
        type=_shard,
        default=os.environ.get("NEWSWATCH_SHARD") or None,
        metavar="I/N",
        help="only the sources whose name hashes to shard I of N, for N processes writing one lake"
        " (env NEWSWATCH_SHARD)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "digest", parents=[common, settings, flow_opt], help="write one day's digest and mail it once"
    )
    p.add_argument(
        "--date", type=_date, default=None, help="the day, YYYY-MM-DD (default: today in settings.timezone)"
    )
    p.add_argument(
        "--out", type=Path, default=None, help="directory for the files (default: digests/ beside --db)"
    )
    p.add_argument(
        "--send",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mail it (default: when NEWSWATCH_SMTP_HOST is set); --no-send writes the files only",
    )
    p.add_argument(
        "--force", action="store_true", help="send again even if this day already went to these recipients"
    )
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("seed", parents=[common, settings], help="load the seed corpus (idempotent)")
    p.add_argument("--dir", default="seeds", help="seed directory (default seeds/)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "serve", parents=[common, settings], help="serve the scheduled ingest and digest until stopped"
    )
    p.add_argument(
        "--host",
        default=os.environ.get("NEWSWATCH_PREFECT_HOST") or "127.0.0.1",
        help="address of the local Prefect server and UI (env NEWSWATCH_PREFECT_HOST; default 127.0.0.1);"
        " no local server is started when PREFECT_API_URL is set",
    )
    p.add_argument(
        "--port",
        type=int,
        default=os.environ.get("NEWSWATCH_PREFECT_PORT") or "4200",
        help="port of the local Prefect server and UI (env NEWSWATCH_PREFECT_PORT; default 4200)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "rescore",
        parents=[common, settings],
        help="recompute language, relevance and countries of stored articles (after a topic change)",
    )
    p.add_argument("--batch-size", type=int, default=500, help="articles per transaction (default 500)")
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser(
        "dedup",
        parents=[common],
        help="near-duplicate index status; --rebuild recomputes every story cluster",
    )
    p.add_argument(
        "--rebuild", action="store_true", help="recompute band keys and clusters (after a parameter change)"
    )
    p.add_argument("--batch-size", type=int, default=500, help="articles per transaction (default 500)")
    p.set_defaults(func=cmd_dedup)

    p = sub.add_parser("sql", parents=[common], help="run read-only SQL and print a table")
    p.add_argument("query")
    p.add_argument("--max-rows", type=int, default=200)
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for another process to free the database (default 10)",
    )
    p.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="table (default), or write csv, json or parquet to --output (csv and json: stdout without it)",
    )
    p.add_argument("--output", type=Path, default=None, metavar="FILE", help="file for --format")
    p.set_defaults(func=cmd_sql)

    wait = argparse.ArgumentParser(add_help=False)
    wait.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for another process to free the database (default 10)",
    )
    p = sub.add_parser(
        "search", parents=[common, wait], help="full-text search (BM25) in every language stored"
    )
    p.add_argument("terms", nargs="?", help="the words to search for; articles with all of them come first")
    p.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    p.add_argument("--since", type=_date, default=None, help="only articles dated this day or later (UTC)")
    p.add_argument("--lang", default=None, help="only this language (en, ru, kk, zh: zh also finds zh-cn)")
    p.add_argument("--country", default=None, help="only articles about this country (KZ KG TJ TM UZ)")
    p.add_argument("--relevant", action="store_true", help="only articles relevant to the topic")
    p.add_argument("--all-copies", action="store_true", help="every copy of a story, not one per story")
    p.add_argument("--json", action="store_true", help="JSON for scripts (highlights as character ranges)")
    p.add_argument("--reindex", action="store_true", help="rebuild the whole search index first")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "export", parents=[common, wait], help="write the articles view to parquet, csv or jsonl"
    )
    p.add_argument("out", type=Path, metavar="OUT", help="the file to write")
    p.add_argument(
        "--format",
        choices=("parquet", "csv", "jsonl"),
        default=None,
        help="default: from OUT's suffix (.csv, .jsonl), else parquet",
    )
    p.add_argument("--since", type=_date, default=None, help="only articles dated this day or later (UTC)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "migrate", parents=[common], help="copy the DuckDB file at --db into a DuckLake (--to ducklake)"
    )
    p.add_argument("--to", required=True, choices=("ducklake",), help="the target backend")
    p.add_argument(
        "--catalog",
        default=None,
        help="the lake's catalog, e.g. 'postgres:dbname=newswatch host=...' (env NEWSWATCH_LAKE_CATALOG)",
    )
    p.add_argument(
        "--data-path", type=Path, default=None, help="the lake's data directory (env NEWSWATCH_LAKE_DATA)"
    )
    p.add_argument("--force", action="store_true", help="add to a lake that already holds articles")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("lake", help="lake commands (NEWSWATCH_LAKE_CATALOG)")
    lsub = p.add_subparsers(dest="lake_command", metavar="SUBCOMMAND")
    for name, text in (
        ("status", "counts of the lake"),
        ("reconcile", "remove raced duplicates, merge clusters"),
    ):
        c = lsub.add_parser(name, parents=[common], help=text)
        c.set_defaults(func=cmd_lake)

    p = sub.add_parser("sources", help="source commands")
    ssub = p.add_subparsers(dest="sources_command", metavar="SUBCOMMAND")
    c = ssub.add_parser("check", parents=[common, settings], help="validate sources.yaml and report health")
    c.set_defaults(func=cmd_sources_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True, soft_wrap=True)
    from storage import StorageError

    try:
        return int(args.func(args, console))
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red]\n{escape(str(exc))}", markup=True, highlight=False)
        return 2
    except UsageError as exc:
        err.print(f"newswatch: {exc}", markup=False, highlight=False)
        return 2
    except StorageError as exc:
        err.print(f"newswatch: database error: {exc}", markup=False, highlight=False)
        return 1
    except KeyboardInterrupt:
        err.print("newswatch: interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: a message, never a bare traceback
        import duckdb

        if isinstance(exc, duckdb.Error):
            err.print(f"newswatch: SQL error: {exc}", markup=False, highlight=False)
            return 1
        err.print(f"newswatch: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        if args.verbose:
            err.print(traceback.format_exc(), markup=False, highlight=False)
        else:
            err.print("(run with -v for details)")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
