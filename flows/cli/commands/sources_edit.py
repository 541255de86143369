"""`newswatch sources add | import | export | test`: find a site's feed and add it, OPML in and
out, and one trial poll of any source that stores nothing."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.cli.common import UsageError
from flows.config import DEFAULT_SOURCES, Config, ConfigError, Settings, Source, load_config, parse_config


def _read_sources(path: Path) -> tuple[str, Config]:
    """The file's text and its configuration; a missing file is an empty one (it is created)."""
    if not path.exists():
        return "sources:\n", parse_config("sources:\n", str(path))
    config = load_config(path)
    return path.read_text(encoding="utf-8"), config


def _write_with(path: Path, text: str, entries: list[dict[str, Any]]) -> Config:
    """Append `entries` to the file's sources, validate the result, then replace the file atomically."""
    from flows.stages.sources.sources_file import SourcesFileError, append_sources

    try:
        new_text = append_sources(text, entries)
    except SourcesFileError as exc:
        raise ConfigError(f"{path}: cannot add to `sources:`: {exc}") from None
    config = parse_config(new_text, str(path))  # refused as it would be at the next start
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new_text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted.strip() or "source", 2
    while name.lower() in taken or name.lower() == "seed":
        name, n = f"{wanted.strip()} ({n})", n + 1
    return name


async def _discover(settings: Settings, url: str) -> Any:
    from flows.pipeline.discover import discover
    from flows.stages.net.fetch import Fetcher, host_of
    from flows.stages.net.netguard import hosts_resolver

    resolver = hosts_resolver(settings.hosts) if settings.hosts else None
    async with Fetcher.open(settings, trusted_hosts=[host_of(url)], resolver=resolver) as fetcher:
        return await discover(fetcher, url)


def cmd_sources_add(args: argparse.Namespace, console: Console) -> int:
    path = Path(args.sources or DEFAULT_SOURCES)
    text, config = _read_sources(path)
    url = args.url.strip()
    try:
        Source(name="probe", url=url)
    except ValueError:
        raise UsageError(f"{url!r} is not an http(s) URL") from None
    found = asyncio.run(_discover(config.settings, url))
    for note in found.notes:
        console.print(f"  note: {note}", markup=False)
    if not found.candidates:
        raise UsageError(f"nothing to add: {url} could not be read ({'; '.join(found.notes) or 'no answer'})")
    table = Table(title=f"found for {url}")
    for col in ("", "type", "url", "title", "entries", "found as"):
        table.add_column(col)
    for i, c in enumerate(found.candidates):
        table.add_row(
            "*" if i == 0 else "", c.type, escape(c.url), escape(c.title or "-"), str(c.entries), c.how
        )
    console.print(table)
    chosen = found.candidates[0]
    if args.type:
        from flows.pipeline.discover import Candidate

        chosen = next((c for c in found.candidates if c.type == args.type), None) or Candidate(args.type, url)
    if any(s.url == chosen.url for s in config.sources):
        console.print(f"{chosen.url} is already in {path}; nothing written", markup=False)
        return 0
    taken = {s.name.lower() for s in config.sources}
    if args.name and args.name.strip().lower() in taken:
        raise UsageError(f"a source named {args.name.strip()!r} is already in {path}; choose another --name")
    entry: dict[str, Any] = {
        "name": args.name.strip() if args.name else _unique_name(chosen.title or url, taken)
    }
    entry["url"] = chosen.url
    if chosen.type != "feed":
        entry["type"] = chosen.type
    if args.language:
        entry["language"] = args.language
    if args.tag:
        entry["tags"] = list(args.tag)
    _write_with(path, text, [entry])
    console.print(f"added {entry['name']!r} ({chosen.type}) to {path}", markup=False)
    return 0


def cmd_sources_import(args: argparse.Namespace, console: Console) -> int:
    from flows.stages.sources.opml import OpmlError, parse_opml

    path = Path(args.sources or DEFAULT_SOURCES)
    text, config = _read_sources(path)
    try:
        found, skipped = parse_opml(Path(args.file).read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{args.file}: file not found") from None
    except OpmlError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    taken = {s.name.lower() for s in config.sources}
    urls = {s.url for s in config.sources}
    entries: list[dict[str, Any]] = []
    for item in found:
        if item.url in urls:
            skipped.append(f"{item.name}: {item.url} is already configured")
            continue
        try:
            Source(name="probe", url=item.url)
        except ValueError:
            skipped.append(f"{item.name}: {item.url!r} is not an http(s) URL")
            continue
        item.name = _unique_name(item.name, taken)
        taken.add(item.name.lower())
        urls.add(item.url)
        entries.append(item.entry())
    for why in skipped:
        console.print(f"  skipped {why}", markup=False)
    if entries:
        _write_with(path, text, entries)
    console.print(
        f"imported {len(entries)} sources from {args.file} into {path} ({len(skipped)} skipped)", markup=False
    )
    return 0


def cmd_sources_export(args: argparse.Namespace, console: Console) -> int:
    from flows.stages.sources.opml import render_opml

    config = load_config(args.sources)
    if args.format == "opml":
        out = render_opml(config.sources)
    else:
        import yaml

        out = yaml.safe_dump(
            {"sources": [s.model_dump(exclude_defaults=True) for s in config.sources]},
            allow_unicode=True,
            sort_keys=False,
        )
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
        console.print(f"wrote {len(config.sources)} sources to {args.output}", markup=False)
    else:
        print(out, end="")
    return 0


def cmd_sources_test(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.preview import preview_source

    config = load_config(args.sources) if Path(args.sources).exists() else parse_config("sources:\n")
    given = args.url.strip()
    source = next((s for s in config.sources if given in (s.url, s.name)), None)
    if source is None:
        try:
            probe = Source(name="test", url=given)
        except ValueError:
            raise UsageError(f"{given!r} is neither a configured source nor an http(s) URL") from None
        kind = args.type
        if kind is None:
            found = asyncio.run(_discover(config.settings, given))
            kind = found.best.type if found.best else "page"
            given = found.best.url if found.best else given
        source = probe.model_copy(update={"type": kind, "url": given})
    elif args.type:
        source = source.model_copy(update={"type": args.type})
    preview = asyncio.run(preview_source(config, source, limit=args.limit))
    report = preview.report
    console.print(
        f"{source.name}: {source.type} {source.url}: {report.status}, {preview.entries} entries"
        + (f" (showing {len(preview.items)})" if preview.entries > len(preview.items) else ""),
        markup=False,
    )
    for why in (report.error, report.problem):
        if why:
            console.print(f"  {why}", markup=False)
    table = Table(title="would be ingested (nothing stored)")
    for col in ("title", "language", "relevance", "countries", "words", "published", "url / problem"):
        table.add_column(col)
    for item in preview.items:
        rel = "-" if item.relevance is None else f"{item.relevance:.2f}" + (" *" if item.is_relevant else "")
        table.add_row(
            escape((item.title or "-")[:80]),
            item.language or "-",
            rel,
            " ".join(item.countries) or "-",
            str(item.words),
            item.published or "-",
            escape(item.error or item.url),
        )
    console.print(table)
    return 0 if report.status != "error" else 1
