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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows import __version__
from flows.config import DEFAULT_DB, DEFAULT_SOURCES, Config, ConfigError, load_config

log = logging.getLogger("newswatch")


class UsageError(Exception):
    """Bad arguments: exit status 2."""


def prefect_environment(db_path: Path) -> None:
    """Keep Prefect's files beside the database and its telemetry off, before it is imported."""
    os.environ.setdefault("PREFECT_HOME", str(db_path.resolve().parent / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


# --- progress ----------------------------------------------------------------------------------


class ConsoleReporter:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.interactive = console.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None
        self._name = ""
        self._total: int | None = None
        self._done = 0

    def phase(self, name: str, total: int | None) -> None:
        self._finish_bar()
        self._name, self._total, self._done = name, total, 0
        if self.interactive:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(name, total=total)
        else:
            log.info("%s: %s to do", name, total if total is not None else "?")

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._progress is not None:
            self._progress.advance(self._task, n)
        elif self._total and self._total >= 20 and self._done % max(1, self._total // 10) == 0:
            log.info("%s: %d/%d", self._name, self._done, self._total)

    def message(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text)
        else:
            log.info("%s", text)

    def _finish_bar(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        self._finish_bar()


# --- commands ----------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.sources)


def _store(
    args: argparse.Namespace, reporter: ConsoleReporter | None = None, lock_timeout: float = 60.0
) -> Any:
    from storage import Store

    return Store(args.db, lock_timeout=lock_timeout, on_wait=(reporter.message if reporter else None))


def _use_prefect(args: argparse.Namespace) -> bool:
    choice = getattr(args, "prefect", None)
    if choice is not None:
        return bool(choice)
    return bool(os.environ.get("PREFECT_API_URL"))


def cmd_seed(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline import seed

    config = _config(args)
    reporter = ConsoleReporter(console)
    try:
        loaded, present = seed(config, _store(args, reporter), args.dir, reporter)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        reporter.close()
    console.print(f"seeds: {loaded} loaded, {present} already stored ({args.dir})")
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
        table.add_row(r.name, r.status, str(r.new), str(r.duplicate), str(r.failed), note)
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
        from flows.flows import ingest_flow

        return ingest_flow(str(args.sources), str(args.db))
    from flows.pipeline import ingest

    reporter = ConsoleReporter(console)
    try:
        return asyncio.run(ingest(config, _store(args, reporter, lock_timeout=300), reporter=reporter))
    finally:
        reporter.close()


def cmd_ingest(args: argparse.Namespace, console: Console) -> int:
    summary = run_ingest(args, console)
    print_ingest_summary(console, summary)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    args.dir = args.seeds
    cmd_seed(args, console)
    cmd_ingest(args, console)
    return 0


def cmd_sql(args: argparse.Namespace, console: Console) -> int:
    store = _store(args, lock_timeout=args.wait)
    columns, rows = store.query(args.query)
    table = Table(show_lines=False)
    for c in columns:
        table.add_column(c)
    for row in rows[: args.max_rows]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)
    if len(rows) > args.max_rows:
        console.print(f"({len(rows)} rows, first {args.max_rows} shown)")
    return 0


def cmd_sources_check(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    console.print(
        f"{config.path}: valid, {len(config.sources)} sources ({len(config.enabled_sources)} enabled)"
    )
    from storage import StorageError

    health: dict[str, dict[str, Any]] = {}
    try:
        health = {h["name"]: h for h in _store(args, lock_timeout=10).source_health()}
    except StorageError as exc:
        console.print(f"[yellow]no health data: {exc}[/yellow]")
    table = Table(title="sources")
    for col in ("source", "enabled", "health", "last success", "failures", "articles", "last error"):
        table.add_column(col)
    for s in config.sources:
        h = health.get(s.name, {})
        failures = h.get("consecutive_failures") or 0
        if not h or h.get("last_polled_at") is None and not h.get("last_success_at") and not failures:
            state = "never polled"
        elif failures:
            since = h.get("failing_since")
            state = f"failing since {since:%Y-%m-%d %H:%M}" if since else "failing"
        else:
            state = "ok" + (f" (moved to {h['moved_to']})" if h.get("moved_to") else "")
        last = h.get("last_success_at")
        table.add_row(
            s.name,
            "yes" if s.enabled else "no",
            state,
            f"{last:%Y-%m-%d %H:%M}" if last else "-",
            str(failures),
            str(h.get("articles_total") or 0),
            (h.get("last_error") or h.get("feed_problem") or "")[:120],
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
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("seed", parents=[common, settings], help="load the seed corpus (idempotent)")
    p.add_argument("--dir", default="seeds", help="seed directory (default seeds/)")
    p.set_defaults(func=cmd_seed)

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
    p.set_defaults(func=cmd_sql)

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
    err = Console(stderr=True)
    from storage import StorageError

    try:
        return int(args.func(args, console))
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red]\n{exc}", markup=True, highlight=False)
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
