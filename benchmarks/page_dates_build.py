"""Build the page-date evaluation set (read by benchmarks/page_dates.py) from other projects' public
test fixtures of real news pages.

    python -m benchmarks.page_dates_build DEST [--postlight GIT_DIR] [--newspaper4k GIT_DIR]
        [--goose3 GIT_DIR] [--daniel GIT_DIR]

Each GIT_DIR is a clone (bare or not) of postlight/parser, AndyTheFactory/newspaper4k,
goose3/goose3 and rundimeco/waddle; mozilla/readability's test pages come from
benchmarks/fixtures/readability-test-pages.tar.xz. DEST gets `pages/NAME.html` and `pages.jsonl`
(one line a page: name, url, outlet, repo, path, commit). Of DAnIEL (rundimeco/waddle) only the
domains with an even `zlib.crc32(domain)` are read: the odd ones are a hold-out.

postlight/parser saved its fixtures through its own fetcher, which renames every `<meta content>`
to `value` and drops `<script>`s: `value` is renamed back here, so a page says what it said on
the web (less its scripts, JSON-LD among them).

The expected dates are benchmarks/page_dates_labels.json, by page name.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
READABILITY = HERE / "fixtures" / "readability-test-pages.tar.xz"
_META_VALUE = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_VALUE_ATTR = re.compile(rb"\svalue=", re.IGNORECASE)
_CANONICAL = re.compile(
    rb"""<(?:link[^>]+rel=["']canonical["'][^>]+href|meta[^>]+property=["']og:url["'][^>]+content)=["']([^"']+)""",
    re.IGNORECASE,
)


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def _files(repo: Path, under: str) -> list[str]:
    return _git(repo, "ls-tree", "-r", "--name-only", "HEAD", under).decode().split()


def _show(repo: Path, path: str) -> bytes:
    return _git(repo, "show", f"HEAD:{path}")


def outlet(url: str | None, fallback: str) -> str:
    """A page's outlet: its host name without `www.`, or `fallback` when no URL is known."""
    host = urlsplit(url).hostname if url else None
    return (host or fallback).removeprefix("www.")


def restore_meta_content(html: bytes) -> bytes:
    """`<meta name=... value=...>` back to `content=` where the tag has no `content`."""

    def fix(m: re.Match[bytes]) -> bytes:
        tag = m.group(0)
        if b"content=" in tag.lower():
            return tag
        return _VALUE_ATTR.sub(b" content=", tag, count=1)

    return _META_VALUE.sub(fix, html)


def postlight(repo: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    for test in _files(repo, "src/extractors/custom/"):
        if not test.endswith("index.test.js"):
            continue
        source = _show(repo, test).decode()
        for m in re.finditer(
            r"url\s*=\s*'([^']+)';\s*const html = fs\.readFileSync\(\s*'\./(fixtures/[^']+)'", source
        ):
            url, path = m.group(1), m.group(2)
            meta = {"url": url, "repo": "postlight/parser", "path": path, "commit": commit}
            yield (
                {"name": "postlight--" + path.split("/", 1)[1], **meta},
                restore_meta_content(_show(repo, path)),
            )


def newspaper4k(repo: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    known = set(_files(repo, "tests/data/metadata/"))
    for path in _files(repo, "tests/data/html/"):
        stem = path.rsplit("/", 1)[1].removesuffix(".html")
        metadata = f"tests/data/metadata/{stem}.json"
        url = json.loads(_show(repo, metadata)).get("url") if metadata in known else None
        meta = {"url": url, "repo": "AndyTheFactory/newspaper4k", "path": path, "commit": commit}
        yield {"name": f"newspaper4k--{stem}.html", **meta}, _show(repo, path)


def goose3(repo: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    for path in _files(repo, "tests/data/content/"):
        if path.endswith(".html"):
            url = json.loads(_show(repo, path.removesuffix(".html") + ".json")).get("url")
            meta = {"url": url, "repo": "goose3/goose3", "path": path, "commit": commit}
            yield {"name": "goose3--" + path.rsplit("/", 1)[1], **meta}, _show(repo, path)


def daniel(repo: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    """DAnIEL's pages of even-crc32 domains; a file name is DATE_DOMAIN_HASH (the day it is listed under)."""
    commit = _git(repo, "rev-parse", "HEAD").decode().strip()
    for path in _files(repo, "corpora/Corpus_daniel_v2.1/html/"):
        name = path.rsplit("/", 1)[1]
        domain = name.split("_", 1)[1].rsplit("_", 1)[0]
        if zlib.crc32(domain.encode()) % 2:
            continue  # the hold-out half: never read
        meta = {"url": f"http://{domain}/", "repo": "rundimeco/waddle", "path": path, "commit": commit}
        yield (
            {"name": f"daniel--{name}.html", "listed": f"{name[:4]}-{name[4:6]}-{name[6:8]}", **meta},
            _show(repo, path),
        )


def readability() -> Iterator[tuple[dict[str, Any], bytes]]:
    with tarfile.open(READABILITY) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.name.endswith("/source.html") and (f := tar.extractfile(member)) is not None:
                html = f.read()
                m = _CANONICAL.search(html)
                url = m.group(1).decode("utf-8", "replace") if m else None
                test = member.name.split("/")[-2]
                meta = {
                    "url": url,
                    "repo": "mozilla/readability",
                    "path": f"test/test-pages/{test}/source.html",
                }
                yield {"name": f"readability--{test}.html", "commit": None, **meta}, html


def build(dest: Path, sources: dict[str, Path | None]) -> int:
    pages = dest / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    readers = {"postlight": postlight, "newspaper4k": newspaper4k, "goose3": goose3, "daniel": daniel}
    written: set[str] = set()
    with (dest / "pages.jsonl").open("w", encoding="utf-8") as index:
        streams: list[Iterator[tuple[dict[str, Any], bytes]]] = [readability()]
        streams += [readers[key](repo) for key, repo in sources.items() if repo is not None]
        for stream in streams:
            for meta, html in stream:
                if meta["name"] in written:
                    continue  # one fixture tested under two URLs (postlight's arstechnica.com)
                written.add(meta["name"])
                meta["outlet"] = outlet(meta.get("url"), meta["name"])
                (pages / meta["name"]).write_bytes(html)
                index.write(json.dumps(meta, ensure_ascii=False) + "\n")
    return len(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dest", type=Path)
    for key in ("postlight", "newspaper4k", "goose3", "daniel"):
        parser.add_argument(f"--{key}", type=Path, metavar="GIT_DIR")
    args = parser.parse_args(argv)
    count = build(args.dest, {k: getattr(args, k) for k in ("postlight", "newspaper4k", "goose3", "daniel")})
    print(f"{count} pages in {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
