"""Real pages on loopback: the pages of benchmark directories served through a few RSS feeds.

The pages come from `benchmarks/fixtures/readability-test-pages.tar.xz` (mozilla/readability's
test pages, Apache-2.0, copied with their licence) and from every directory named in the
environment variable NEWSWATCH_BENCH_PAGES (colon-separated; any layout `benchmarks.extraction`
reads, e.g. the DAnIEL development half or L3S-GN1 written by its --export-from; their pages
are not ours to copy, so they stay outside the repository). Each page is served `copies` times
under different paths, spread over `outlets` hosts (127.0.0.10 and up, as the simulated web),
each with a feed listing its newest n pages. Pages are served as they are, as text/html with no
charset: the pipeline finds the encoding as it does on the web.

The server is `benchmarks.newsweb.Server` run on a `RealCorpus` in a subprocess
(`python -m benchmarks.realweb`), so both webs answer with the same code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tarfile
from dataclasses import asdict, dataclass
from datetime import timedelta
from html import unescape
from pathlib import Path

from benchmarks.newsweb import BASE_TIME, FIRST_HOST, NewsWeb, Outlet, Server, serve_until_orphaned
from tests.support.pages import rss

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "readability-test-pages.tar.xz"
ENV = "NEWSWATCH_BENCH_PAGES"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def fixture_dir(workdir: Path) -> Path:
    """The fixture's pages unpacked under `workdir` (once)."""
    target = workdir / "real-pages" / "readability"
    stamp = target / ".unpacked"
    if not stamp.exists() or stamp.stat().st_mtime < FIXTURE.stat().st_mtime:
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(FIXTURE, "r:xz") as tar:
            tar.extractall(target, filter="data")
        stamp.touch()
    return target


def page_dirs(workdir: Path) -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV, "").split(":") if p.strip()]
    missing = [str(p) for p in extra if not p.is_dir()]
    if missing:
        raise SystemExit(f"{ENV}: not a directory: {', '.join(missing)}")
    return [fixture_dir(workdir), *extra]


@dataclass(frozen=True)
class RealSpec:
    dirs: tuple[str, ...]
    outlets: int = 9
    copies: int = 3
    seed: int = 15

    @property
    def pages(self) -> int:  # per outlet, as WebSpec.pages
        return self.total // self.outlets  # a few of the last pages may go unserved

    @property
    def total(self) -> int:
        return len(_bodies(self.dirs)) * self.copies


@dataclass(frozen=True)
class RealPage:
    body: bytes
    content_type: str
    path: str
    title: str
    name: str


_CACHE: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}


def _bodies(dirs: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(name, page bytes) of every page of every directory, in a stable order."""
    if dirs not in _CACHE:
        from benchmarks.extraction import load

        _CACHE[dirs] = [(f"{Path(d).name}/{c.name}", c.html) for d in dirs for c in load(Path(d))]
    return _CACHE[dirs]


class RealCorpus:
    """What `newsweb.Server` asks of a corpus: outlets, spec.outlets/pages, page(k, i), feed(k, n, port)."""

    def __init__(self, spec: RealSpec) -> None:
        self.spec = spec
        bodies = _bodies(spec.dirs)
        slots = [(copy, j) for copy in range(spec.copies) for j in range(len(bodies))]
        random.Random(spec.seed).shuffle(slots)  # copies of one page far apart, outlets mixed
        self.outlets = [
            Outlet(k, f"Real {k:02d}", f"127.0.0.{FIRST_HOST + k}", "en", 0, "rss", "utf-8")
            for k in range(spec.outlets)
        ]
        per = spec.pages
        self._slots: list[list[tuple[int, int]]] = [
            slots[k :: spec.outlets][:per] for k in range(spec.outlets)
        ]
        self._bodies = bodies

    def page(self, k: int, i: int) -> RealPage:
        copy, j = self._slots[k][i]
        name, body = self._bodies[j]
        match = _TITLE.search(body[:200_000])
        title = " ".join(unescape(match.group(1).decode("utf-8", "replace")).split())[:200] if match else ""
        digest = hashlib.blake2b(f"{copy}:{name}".encode(), digest_size=6).hexdigest()
        return RealPage(body, "text/html", f"/r/{i:05d}-{digest}.html", title or name, name)

    def feed(self, k: int, n: int, port: int) -> tuple[bytes, str]:
        items = []
        for i in range(min(n, len(self._slots[k]))):
            page = self.page(k, i)
            url = f"http://{self.outlets[k].host}:{port}{page.path}"
            items.append((page.title, url, "", BASE_TIME - timedelta(minutes=7 * i + k)))
        home = f"http://{self.outlets[k].host}:{port}/"
        return rss(self.outlets[k].name, home, items).encode(), "application/rss+xml; charset=utf-8"

    def pages_at(self, first: int, stop: int) -> list[RealPage]:
        return [
            self.page(k, i)
            for k in range(self.spec.outlets)
            for i in range(first, min(stop, len(self._slots[k])))
        ]


class RealWeb(NewsWeb):
    """`NewsWeb` serving a `RealCorpus` (the same control: start, stop, feeds, stats)."""

    def __init__(self, spec: RealSpec, startup_timeout: float = 300.0) -> None:  # noqa: D107
        self.spec = spec  # type: ignore[assignment]
        self.corpus = RealCorpus(spec)  # type: ignore[assignment]
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = 0
        self.pid = 0

    def start(self) -> None:
        args = [sys.executable, "-m", "benchmarks.realweb", "--spec", json.dumps(asdict(self.spec))]
        self.proc = subprocess.Popen(
            args, cwd=HERE.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the real-page server exited before it was ready")
        info = json.loads(line)
        self.port, self.pid = int(info["port"]), int(info["pid"])

    def pages(self, first: int, stop: int) -> list[RealPage]:  # type: ignore[override]
        return self.corpus.pages_at(first, stop)  # type: ignore[attr-defined,no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve real pages through loopback feeds.")
    parser.add_argument("--spec", required=True, help="RealSpec fields as JSON")
    raw = json.loads(parser.parse_args().spec)
    spec = RealSpec(**{**raw, "dirs": tuple(raw["dirs"])})
    serve_until_orphaned(Server(RealCorpus(spec)))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
