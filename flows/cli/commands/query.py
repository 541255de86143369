"""Reading the database: read-only SQL, full-text search and exports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from flows.cli.common import UsageError, require_database, store_for, timezone_for
from flows.cli.render import print_search_results, print_sql_records, print_sql_table
from flows.progress import ConsoleReporter


def _read_only_sql(exc: Exception, sql: str = "") -> Exception:
    """An attempt to change the database or touch a file, told as what it is."""
    import duckdb

    from storage import StorageError
    from storage.queries import read_only_refusal

    refusal = read_only_refusal(sql, exc) if isinstance(exc, duckdb.Error) else None
    if refusal:
        return StorageError(refusal)
    markers = ("read-only mode", "disabled by configuration", "configuration has been locked")
    if isinstance(exc, duckdb.Error) and any(m in str(exc) for m in markers):
        return StorageError(f"`newswatch sql` is read-only and touches no files: {exc}")
    return exc


def cmd_sql(args: argparse.Namespace, console: Console) -> int:
    from storage import exports

    fmt = sql_format(args)
    zone = timezone_for(args).key  # days in the views, and printed times, in this zone
    if fmt == "parquet" and args.output is None:
        raise UsageError("--format parquet needs --output FILE")
    if args.output is not None:
        refuse_overwrite(args.output, args.force, "--output ")
    check_sql(args.query)
    require_database(args)
    store = store_for(args, lock_timeout=args.wait)
    try:
        if fmt != "table":
            rows = exports.write_query(store, args.query, fmt, args.output, zone)
            if args.output is not None:
                console.print(f"{rows} rows written to {args.output}", markup=False, highlight=False)
            return 0
        columns, records = exports.query(store, args.query, zone)
    except Exception as exc:
        raise _read_only_sql(exc, args.query) from exc
    if args.vertical:
        print_sql_records(console, columns, records, args.max_rows)
    else:
        print_sql_table(console, columns, records, args.max_rows)
    return 0


# --- the SQL's format from --output's suffix, and an empty query -----------------------

SQL_SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".jsonl": "jsonl"}
EXPORT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def format_from_suffix(path: Path, suffixes: dict[str, str], option: str) -> str:
    """The format a file's name says; a name that says none is refused (no guess written into it)."""
    fmt = suffixes.get(path.suffix.lower())
    if fmt is None:
        names = ", ".join(sorted(set(suffixes)))
        raise UsageError(
            f"{option}{path}: cannot tell the format from its name; add --format"
            f" {' or '.join(sorted(set(suffixes.values())))} (or name it {names})"
        )
    return fmt


def refuse_overwrite(path: Path, force: bool, option: str) -> None:
    """An existing file is replaced only when asked to (--force)."""
    if path.is_file() and not force:
        raise UsageError(
            f"{option}{path}: the file exists; add --force to replace it, or choose another name"
        )


def sql_format(args: argparse.Namespace) -> str:
    """--format, or, without it, the format --output's suffix names (as `export` does)."""
    if args.format is not None:
        if args.format == "table" and args.output is not None:
            raise UsageError(
                f"--output {args.output}: a table is only printed; use --format csv, json or parquet"
            )
        return str(args.format)
    if args.output is None:
        return "table"
    return format_from_suffix(args.output, SQL_SUFFIXES, "--output ")


def check_sql(query: str) -> None:
    """An empty or comment-only query is a usage error; a statement that names files is refused."""
    from storage.queries import EmptyQuery, SeveralResults, check_analyst_sql

    try:
        check_analyst_sql(query)
    except EmptyQuery as exc:
        raise UsageError(f'{exc}: give a query, e.g. newswatch sql "SELECT count(*) FROM articles"') from exc
    except SeveralResults as exc:
        raise UsageError(str(exc)) from exc
    except Exception as exc:
        raise _read_only_sql(exc) from exc


def cmd_search(args: argparse.Namespace, console: Console) -> int:
    import json

    from flows.stages.stories.search import SearchUsageError, build_request, hit_record, reindex
    from storage import search
    from storage.search.query_language import QueryError

    require_database(args)
    store = store_for(args, ConsoleReporter(Console(stderr=True)), lock_timeout=args.wait)
    tz = timezone_for(args)
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
            since=None if args.since is None else args.since.start(tz),
            language=args.lang,
            country=args.country,
            relevant=args.relevant,
            all_copies=args.all_copies,
            seeds=args.seeds,
            region=args.region,
        )
    except SearchUsageError as exc:
        raise UsageError(str(exc)) from exc
    try:
        hits = search.search(store, request)
    except QueryError as exc:  # only stopwords, or a prefix that stands for too many words
        raise UsageError(f"{request.terms!r}: {exc}") from exc
    records = [hit_record(h, tz=tz) for h in hits]
    if args.json:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not records:
        console.print(f"no articles match {request.terms!r}", markup=False, highlight=False)
        return 0
    print_search_results(console, records)
    return 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    from storage import exports

    # a directory as OUT is named as such by the export itself
    fmt = args.format or (
        "parquet" if args.out.is_dir() else format_from_suffix(args.out, EXPORT_SUFFIXES, "")
    )
    refuse_overwrite(args.out, args.force, "")
    require_database(args)
    since = None if args.since is None else args.since.start(timezone_for(args))
    region = None
    if args.region is not None:
        from flows.stages.stories.places import resolve_region

        try:
            region = resolve_region(args.region)
        except ValueError as exc:
            raise UsageError(f"--region {exc}") from exc
    store = store_for(args, lock_timeout=args.wait)
    rows = exports.export_articles(store, fmt, args.out, since=since, region=region)
    console.print(f"{rows} articles written to {args.out} ({fmt})", markup=False, highlight=False)
    return 0
