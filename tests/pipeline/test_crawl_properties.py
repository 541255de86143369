"""Generated sitemaps, sitemap indexes and channels, with ties, bursts past the cap, skewed and
missing dates and new entries between polls, polled many times through the real crawlers and the
real ingest into a real DuckDB file; the site answers at the Fetcher's transport seam.

After every poll: nothing is stored twice, nothing old is stored, and no cursor is ahead of what
was stored (the mark is no later than the newest stored date nor the poll; every new entry a
sitemap's listing remembers is stored; the last post and everything before it is stored). Once
the source stops changing: every new entry is stored."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.config import Source
from flows.pipeline.crawl import telegram as telegram_crawler
from flows.stages.sources.cursors import digest, listed
from storage.cursors import Cursor
from tests.support.database import rows
from tests.support.sitemaps import article_page, distinct_story, sitemap_index, urlset
from tests.support.telegram import Post, page_before
from tests.support.transport import answer, ingest_through

ALMATY = timezone(timedelta(hours=5))
EXAMPLES = itertools.count()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for all examples (each its own source and site): the schema is made once."""
    return tmp_path_factory.mktemp("crawl") / "n.duckdb"


@dataclass
class Site:
    """Sitemaps by path, article pages /a/N, and a channel at /s/NAME answering any ?before=ID;
    each example's site (and source, and channel) with a name of its own."""

    name: str = field(default_factory=lambda: f"x{next(EXAMPLES)}")
    routes: dict[str, bytes] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    per_page: int = 5
    hits: Counter[str] = field(default_factory=Counter)

    @property
    def url(self) -> str:
        return f"http://{self.name}.test"

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.hits[path] += 1
        if path.startswith("/a/"):
            return answer(article_page(int(path[3:])).encode(), "text/html; charset=utf-8")
        if path == f"/s/{self.name}":
            before = request.url.params.get("before")
            page = page_before(self.name, "Chan", self.posts, int(before) if before else None, self.per_page)
            return answer(page.encode(), "text/html; charset=utf-8")
        if path in self.routes:
            return answer(self.routes[path], "application/xml")
        return answer(b"not found", "text/plain", 404)


def poll(site: Site, db: Path, source: Source, cap: int) -> None:
    ingest_through(httpx.MockTransport(site.handle), db, source, max_articles_per_source=cap)


def stored_urls(db: Path, source: str) -> list[str]:
    return [r[0] for r in rows(db, f"SELECT url FROM article WHERE source = '{source}'")]


def cursors(db: Path, source: str, kind: str) -> list[tuple[str, str | None]]:
    return rows(db, f"SELECT key, value FROM source_cursor WHERE source = '{source}' AND kind = '{kind}'")


# --- sitemaps ------------------------------------------------------------------------------------

# how a new entry is dated: no date; the day only (a sitemap stamped the day it was made); local
# time written with Z (five hours ahead); the time it appears, with its zone; ten hours before it
# appears (a sitemap made late)
DATING = st.sampled_from(["none", "day", "ahead", "now", "late"])


def lastmod(dating: str, now: datetime) -> str | None:
    if dating == "none":
        return None
    if dating == "day":
        return now.date().isoformat()
    if dating == "ahead":
        return f"{now.astimezone(ALMATY):%Y-%m-%dT%H:%M:%S}Z"
    when = now if dating == "now" else now - timedelta(hours=10)
    return when.astimezone(ALMATY).isoformat(timespec="seconds")


@dataclass
class Sitemaps:
    """The site's sitemaps: a plain URL set at /sitemap.xml, or an index of children (each with a
    lastmod that moves when it changes, or none)."""

    site: Site
    index: bool
    child_lastmods: bool
    children: list[list[tuple[str, str | None]]] = field(default_factory=lambda: [[]])
    versions: list[int] = field(default_factory=lambda: [0])

    def add(self, when: str | None, child: int = 0) -> str:
        url = f"{self.site.url}/a/{sum(map(len, self.children))}"
        self.children[child].append((url, when))
        self.versions[child] += 1
        return url

    def publish(self) -> None:
        if not self.index:
            self.site.routes["/sitemap.xml"] = urlset(self.children[0])
            return
        listed_children = []
        for n, entries in enumerate(self.children):
            self.site.routes[f"/maps/{n}.xml"] = urlset(entries)
            mod = f"2026-01-01T00:{self.versions[n] % 60:02d}:{self.versions[n] // 60:02d}Z"
            listed_children.append((f"{self.site.url}/maps/{n}.xml", mod if self.child_lastmods else None))
        self.site.routes["/sitemap.xml"] = sitemap_index(listed_children)


def check_sitemap_cursors(db: Path, source: str, expected: set[str]) -> None:
    """Nothing stored twice, nothing old stored, no cursor ahead of what was stored."""
    stored = stored_urls(db, source)
    assert len(stored) == len(set(stored)) and set(stored) <= expected
    marks = cursors(db, source, "high_water")
    if marks:
        newest = rows(db, f"SELECT max(published_at) FROM article WHERE source = '{source}'")[0][0]
        mark = datetime.fromisoformat(str(marks[0][1]))
        assert newest is not None and mark <= newest and mark <= datetime.now(UTC)
    remembered: set[bytes] = set()
    for key, value in cursors(db, source, "listed"):
        remembered |= listed({("listed", key): Cursor(source, "listed", key, value)}, key) or set()
    assert {u for u in expected if digest(u) in remembered} <= set(stored)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.booleans(),
    child_lastmods=st.booleans(),
    old_dated=st.integers(0, 3),
    old_undated=st.integers(0, 3),
    batches=st.lists(st.tuples(st.lists(DATING, max_size=6), st.booleans()), min_size=1, max_size=3),
    cap=st.integers(2, 4),
)
def test_every_sitemap_entry_is_stored_exactly_once(
    db: Path,
    index: bool,
    child_lastmods: bool,
    old_dated: int,
    old_undated: int,
    batches: list[tuple[list[str], bool]],
    cap: int,
) -> None:
    site = Site()
    maps = Sitemaps(site, index, child_lastmods)
    start = datetime.now(UTC)
    for i in range(old_dated):  # before the backfill window
        maps.add((start - timedelta(days=5 + i)).date().isoformat())
    for _ in range(old_undated):  # there before the first poll
        maps.add(None)
    expected: set[str] = set()
    source = Source(name=site.name, type="sitemap", url=f"{site.url}/sitemap.xml")
    maps.publish()
    poll(site, db, source, cap)
    for datings, new_child in batches:
        if new_child and index:
            maps.children.append([])
            maps.versions.append(0)
        expected.update(maps.add(lastmod(d, datetime.now(UTC)), len(maps.children) - 1) for d in datings)
        maps.publish()
        poll(site, db, source, cap)
        check_sitemap_cursors(db, site.name, expected)
    for _ in range(len(expected) // cap + 1):  # then until the cap has let everything through
        if set(stored_urls(db, site.name)) == expected:
            break
        poll(site, db, source, cap)
        check_sitemap_cursors(db, site.name, expected)
    assert set(stored_urls(db, site.name)) == expected  # nothing skipped
    assert all(site.hits[u.removeprefix(site.url)] == 1 for u in expected)  # each page fetched once


# --- Telegram channels ---------------------------------------------------------------------------


def check_channel_cursors(db: Path, source: str, expected: set[str]) -> None:
    """Nothing stored twice, and every post up to the last one taken is stored."""
    stored = stored_urls(db, source)
    assert len(stored) == len(set(stored)) and set(stored) <= expected
    last = cursors(db, source, "last_post")
    if last:
        upto = int(str(last[0][1]))
        assert {u for u in expected if int(u.rsplit("/", 1)[1]) <= upto} <= set(stored)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bursts=st.lists(st.integers(0, 16), min_size=1, max_size=3),
    cap=st.integers(3, 8),
    pages=st.integers(2, 4),
    media=st.sets(st.integers(1, 48), max_size=6),
)
def test_every_channel_post_is_stored_exactly_once(
    db: Path, bursts: list[int], cap: int, pages: int, media: set[int]
) -> None:
    """Bursts between polls, 5 posts a page and at most `pages` pages a poll (so a burst may not
    fit in one poll's reading); some posts are a photo alone (taken, nothing to store)."""
    site = Site()
    source = Source(name=site.name, type="telegram", url=f"{site.url}/s/{site.name}")
    expected: set[str] = set()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(telegram_crawler, "MAX_CHANNEL_PAGES", pages)
        for burst in bursts:
            for _ in range(burst):
                n = len(site.posts) + 1
                when = datetime.now(UTC) - timedelta(minutes=30)
                text = "" if n in media else f"Post {n}: " + " ".join(distinct_story(n).paragraphs[:2])
                site.posts.append(Post(n, when, text, photo=n in media))
                expected.update([f"https://t.me/{site.name}/{n}"] if text else [])
            poll(site, db, source, cap)
            check_channel_cursors(db, site.name, expected)
        # then until the cap has let everything through (a poll that could not reach the last
        # post takes nothing: at most every other one)
        for _ in range(2 * (len(site.posts) // cap + 3)):
            if set(stored_urls(db, site.name)) == expected:
                break
            poll(site, db, source, cap)
            check_channel_cursors(db, site.name, expected)
    assert set(stored_urls(db, site.name)) == expected
