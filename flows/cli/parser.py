"""The `newswatch` argument parser: every command, its options and their defaults (from the
environment where there is a NEWSWATCH_ variable), and the handler each command runs."""

from __future__ import annotations

import argparse
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from flows import __version__
from flows.cli.commands.analyse import cmd_analyse
from flows.cli.commands.ingest import cmd_digest, cmd_ingest, cmd_run, cmd_seed
from flows.cli.commands.maintenance import cmd_dedup, cmd_lake, cmd_migrate, cmd_rescore
from flows.cli.commands.query import cmd_export, cmd_search, cmd_sql
from flows.cli.commands.serve import cmd_serve
from flows.cli.commands.sources import cmd_sources_check
from flows.cli.commands.sources_edit import (
    cmd_sources_add,
    cmd_sources_export,
    cmd_sources_import,
    cmd_sources_test,
)
from flows.cli.commands.watch import cmd_watch_list, cmd_watch_test
from flows.cli.commands.web import cmd_web
from flows.clock import SINCE_HELP, Since, parse_since
from flows.config import DEFAULT_DB, DEFAULT_SOURCES, SOURCE_TYPES, WEB_HOST_ENV, WEB_PORT_ENV


def _shard(value: str) -> Any:
    from storage.lake import Shard

    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _since(value: str) -> Since:
    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_REGION_HELP = (
    "only articles naming this subdivision: an ISO 3166-2 code (KZ-47, KG-GO) or its name (Mangystau)"
)


def _web_options(p: argparse.ArgumentParser, host: str, port: str, what: str) -> None:
    p.add_argument(
        host,
        dest="web_host" if host != "--host" else "host",
        default=os.environ.get(WEB_HOST_ENV) or "127.0.0.1",
        help=f"address of {what} (env {WEB_HOST_ENV}; default 127.0.0.1; any other address needs"
        " NEWSWATCH_WEB_PASSWORD)",
    )
    p.add_argument(
        port,
        dest="web_port" if port != "--port" else "port",
        type=int,
        default=os.environ.get(WEB_PORT_ENV) or "8080",
        help=f"port of {what} (env {WEB_PORT_ENV}; default 8080)",
    )


class Parser(argparse.ArgumentParser):
    """argparse's parser, with the closest command named for a mistyped one."""

    def error(self, message: str) -> NoReturn:
        from flows.text import did_you_mean

        found = re.search(r"invalid choice: '(.*?)'( \(choose from (.*)\))$", message)
        if found:
            guess = did_you_mean(found.group(1), re.findall(r"'([^']*)'", found.group(3)))
            message = message[: found.start(2)] + guess + message[found.start(2) :]
        super().error(message)


def _group(sub: Any, name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002 - argparse's name
    """A command with subcommands; alone, it prints its own help (not the top-level one)."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help)
    p.set_defaults(group_help=p.format_help)
    return p


def _seeds_option(p: argparse.ArgumentParser, default: str) -> None:
    """--seeds for `run` and `seed` alike; `--dir`, seed's older name, still taken but not shown."""
    p.add_argument("--seeds", default="seeds", metavar="DIR", help=f"the seed corpus's directory {default}")
    p.add_argument("--dir", dest="seeds", help=argparse.SUPPRESS)


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

    tz_opt = argparse.ArgumentParser(add_help=False)
    tz_opt.add_argument(
        "--tz",
        default=None,
        metavar="ZONE",
        help="count days and print times in this zone (IANA name, e.g. UTC; default settings.timezone)",
    )

    parser: argparse.ArgumentParser = Parser(
        prog="newswatch", description="News monitoring for Central Asia."
    )
    parser.add_argument("--version", action="version", version=f"newswatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common, settings, flow_opt], help="seed, ingest, then today's digest")
    _seeds_option(p, "(default seeds/; none there: a warning, and the run goes on)")
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
    now = p.add_mutually_exclusive_group()
    now.add_argument(
        "--source",
        action="append",
        default=None,
        metavar="NAME",
        help="poll this source now, whatever its back-off after failures (repeat for several);"
        " only the sources named, whatever their --shard",
    )
    now.add_argument(
        "--all", action="store_true", help="poll every source now, also those backing off after failures"
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
    _seeds_option(p, "(default seeds/)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "serve", parents=[common, settings], help="serve the scheduled ingest and digest until stopped"
    )
    p.add_argument(
        "--host",
        default=os.environ.get("NEWSWATCH_PREFECT_HOST") or "127.0.0.1",
        help="address of the local Prefect server and UI (env NEWSWATCH_PREFECT_HOST; default 127.0.0.1;"
        " any other address needs PREFECT_API_AUTH_STRING=user:password);"
        " no local server is started when PREFECT_API_URL is set",
    )
    p.add_argument(
        "--port",
        type=int,
        default=os.environ.get("NEWSWATCH_PREFECT_PORT") or "4200",
        help="port of the local Prefect server and UI (env NEWSWATCH_PREFECT_PORT; default 4200)",
    )
    _web_options(p, "--web-host", "--web-port", "the web console beside the schedules")
    p.add_argument("--no-web", action="store_true", help="serve the schedules without the web console")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "web", parents=[common, settings], help="the analyst's web console (read-only) until stopped"
    )
    _web_options(p, "--host", "--port", "the web console")
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a page waits for a writer to free the database (default 10)",
    )
    p.set_defaults(func=cmd_web)

    p = sub.add_parser(
        "rescore",
        parents=[common, settings],
        help="recompute language, relevance and countries of stored articles (after a topic change)",
    )
    p.add_argument("--batch-size", type=int, default=500, help="articles per transaction (default 500)")
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser(
        "analyse",
        parents=[common, settings],
        help="language, relevance, countries and places of texts (JSON lines or plain text); stores nothing",
    )
    p.add_argument("file", nargs="?", default=None, metavar="FILE|-", help="input (default: standard input)")
    p.add_argument("--json", action="store_true", help="one JSON line per text")
    p.set_defaults(func=cmd_analyse)

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

    p = sub.add_parser("sql", parents=[common, settings, tz_opt], help="run read-only SQL and print a table")
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
        choices=("table", "csv", "json", "jsonl", "parquet"),
        default=None,
        help="table (default), or write csv, json, jsonl or parquet to --output (csv and json: stdout"
        " without it); default with --output: from its suffix (.csv, .json, .jsonl, .parquet)",
    )
    p.add_argument("--output", type=Path, default=None, metavar="FILE", help="file for --format")
    p.add_argument("--force", action="store_true", help="replace --output FILE if it exists")
    p.add_argument(
        "--vertical", action="store_true", help="one block per row, every column on its own line, nothing cut"
    )
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
        "search",
        parents=[common, settings, wait, tz_opt],
        help="full-text search (BM25) in every language stored",
    )
    p.add_argument(
        "terms",
        nargs="?",
        help='the query: words (all of them), "a phrase", OR, -word or NOT word, (groups), prefix*,'
        " title: source: lang: country: (README, Search)",
    )
    p.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    p.add_argument(
        "--since",
        type=_since,
        default=None,
        help=f"only articles dated since then: {SINCE_HELP} (days from 00:00 in --tz)",
    )
    p.add_argument("--lang", default=None, help="only this language (en, ru, kk, zh: zh also finds zh-cn)")
    p.add_argument("--country", default=None, help="only articles about this country (KZ KG TJ TM UZ)")
    p.add_argument("--region", default=None, help=_REGION_HELP)
    p.add_argument("--relevant", action="store_true", help="only articles relevant to the topic")
    p.add_argument("--all-copies", action="store_true", help="every copy of a story, not one per story")
    p.add_argument("--seeds", action="store_true", help="the seed corpus too (left out unless asked)")
    p.add_argument("--json", action="store_true", help="JSON for scripts (highlights as character ranges)")
    p.add_argument("--reindex", action="store_true", help="rebuild the whole search index first")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "export",
        parents=[common, settings, wait, tz_opt],
        help="write the articles view to parquet, csv or jsonl",
    )
    p.add_argument("out", type=Path, metavar="OUT", help="the file to write")
    p.add_argument(
        "--format",
        choices=("parquet", "csv", "jsonl"),
        default=None,
        help="default: from OUT's suffix (.parquet, .csv, .jsonl or .json); another suffix needs --format",
    )
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument(
        "--since",
        type=_since,
        default=None,
        help=f"only articles dated since then: {SINCE_HELP} (days from 00:00 in --tz)",
    )
    p.add_argument("--region", default=None, help=_REGION_HELP)
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

    p = _group(sub, "lake", "lake commands (NEWSWATCH_LAKE_CATALOG)")
    lsub = p.add_subparsers(dest="lake_command", metavar="SUBCOMMAND")
    for name, text in (
        ("status", "counts of the lake"),
        ("reconcile", "remove raced duplicates, merge clusters"),
    ):
        c = lsub.add_parser(name, parents=[common], help=text)
        c.set_defaults(func=cmd_lake)

    p = _group(sub, "sources", "source commands")
    ssub = p.add_subparsers(dest="sources_command", metavar="SUBCOMMAND")
    c = ssub.add_parser(
        "check", parents=[common, settings, tz_opt], help="validate sources.yaml and report health"
    )
    c.set_defaults(func=cmd_sources_check)
    # --- add, import, export, test ---
    c = ssub.add_parser(
        "add", parents=[settings], help="find a site's feed (else sitemap, channel or the page) and add it"
    )
    c.add_argument("url", metavar="URL", help="a site, a page, a feed, a sitemap or a t.me channel")
    c.add_argument("--name", default=None, help="the source's name (default: the feed's or page's title)")
    c.add_argument("--type", choices=SOURCE_TYPES, default=None, help="add it as this type whatever is found")
    c.add_argument("--language", default=None, help="language hint (en, ru, kk, ...)")
    c.add_argument("--tag", action="append", default=[], help="a tag (repeat for several)")
    c.set_defaults(func=cmd_sources_add)
    c = ssub.add_parser(
        "import", parents=[settings], help="add the feeds of an OPML file (folders become tags)"
    )
    c.add_argument("file", metavar="FILE.opml")
    c.set_defaults(func=cmd_sources_import)
    c = ssub.add_parser("export", parents=[settings], help="write the sources as OPML (tags as categories)")
    c.add_argument("--format", choices=("opml", "yaml"), default="opml", help="opml (default) or yaml")
    c.add_argument("--output", type=Path, default=None, metavar="FILE", help="default: standard output")
    c.set_defaults(func=cmd_sources_export)
    c = ssub.add_parser(
        "test", parents=[settings], help="poll a source once and show what would be ingested; stores nothing"
    )
    c.add_argument("url", metavar="URL|NAME", help="a configured source's name or URL, or any URL")
    c.add_argument(
        "--type", choices=SOURCE_TYPES, default=None, help="read it as this type (default: detected)"
    )
    c.add_argument("--limit", type=int, default=10, help="entries fetched and analysed (default 10)")
    c.set_defaults(func=cmd_sources_test)

    # watches
    p = _group(sub, "watch", "watch commands (the watches of sources.yaml)")
    wsub = p.add_subparsers(dest="watch_command", metavar="SUBCOMMAND")
    c = wsub.add_parser("list", parents=[settings], help="the configured watches")
    c.set_defaults(func=cmd_watch_list)
    c = wsub.add_parser(
        "test",
        parents=[common, settings, wait, tz_opt],
        help="what a watch would have matched (sends nothing)",
    )
    c.add_argument("name", help="the watch's name")
    c.add_argument(
        "--since",
        type=_since,
        default=None,
        help=f"only articles dated since then: {SINCE_HELP} (days from 00:00 in --tz)",
    )
    c.add_argument("--json", action="store_true", help="the matched stories as JSON")
    c.set_defaults(func=cmd_watch_test)
    return parser
