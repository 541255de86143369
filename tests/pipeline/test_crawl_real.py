"""Real material (tests/fixtures/real, see SOURCES.md there) through the real ingest into a real
DuckDB file: a sitemap whose pages all share one date-only lastmod, and a saved t.me/s page with
more new posts than the per-poll cap. The files' own hosts answer at the Fetcher's transport seam,
so nothing leaves the process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

from flows.config import Source
from flows.pipeline.ingest import IngestSummary
from storage import Store
from storage.cursors import Cursor
from tests.support import ROOT
from tests.support.database import rows
from tests.support.sitemaps import article_page
from tests.support.transport import answer, ingest_through

REAL = ROOT / "tests" / "fixtures" / "real"


def test_a_real_sitemap_stamped_with_one_date_is_taken_whole_over_polls(tmp_path: Path) -> None:
    """www.sitemaps.org's sitemap: 84 pages, one `lastmod` (2016-11-21). The source was read
    before (its mark the day before); 30 a poll, the three polls take all 84, each once."""
    sitemap = (REAL / "sitemaps" / "sitemaps-org-sitemap.xml").read_bytes()
    pages: dict[str, int] = {}
    hits: Counter[str] = Counter()

    def site(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        hits[url] += 1
        if url == "https://www.sitemaps.org/sitemap.xml":
            return answer(sitemap, "application/xml")
        if request.url.host == "www.sitemaps.org" and request.url.path != "/robots.txt":
            return answer(
                article_page(pages.setdefault(url, len(pages))).encode(), "text/html; charset=utf-8"
            )
        return answer(b"not found", "text/plain", 404)

    db = tmp_path / "n.duckdb"
    store = Store(db)
    store.migrate()
    store.save_cursors([Cursor("Sitemaps.org", "high_water", "", "2016-11-20T00:00:00+00:00")])
    source = Source(name="Sitemaps.org", type="sitemap", url="https://www.sitemaps.org/sitemap.xml")
    counts = []
    for _ in range(4):
        ingest_through(httpx.MockTransport(site), db, source, max_articles_per_source=30)
        counts.append(rows(db, "SELECT count(*) FROM article")[0][0])
    assert counts == [30, 60, 84, 84]
    urls = [r[0] for r in rows(db, "SELECT url FROM article")]
    assert len(urls) == len(set(urls)) == 84 and all(hits[u] == 1 for u in urls)
    assert rows(db, "SELECT value FROM source_cursor WHERE kind = 'high_water'") == [
        ("2016-11-21T00:00:00+00:00",)
    ]


def test_a_real_channel_page_with_more_new_posts_than_the_cap_is_taken_oldest_first(tmp_path: Path) -> None:
    """t.me/s/habr_com as saved in May 2023: 20 posts after the last one taken (56621), 6 a poll.
    Each poll takes the oldest six left, the note says what is left, and nothing is lost."""
    page = (REAL / "telegram" / "habr_com.html").read_bytes()

    def telegram(request: httpx.Request) -> httpx.Response:
        if str(request.url) == "https://t.me/s/habr_com":
            return answer(page, "text/html; charset=utf-8")
        return answer(b"not found", "text/plain", 404)  # older pages: not needed, 56622 follows 56621

    db = tmp_path / "n.duckdb"
    store = Store(db)
    store.migrate()
    store.save_cursors([Cursor("Habr", "last_post", "", "56621")])
    source = Source(name="Habr", type="telegram", url="https://t.me/s/habr_com")
    taken: list[list[int]] = []
    notes = []
    for _ in range(4):
        summary = ingest_through(
            httpx.MockTransport(telegram), db, source, max_articles_per_source=6, telegram_fetch_links=False
        )
        notes.append(summary.reports[0].problem)
        got = rows(
            db, "SELECT url FROM article WHERE run_id = (SELECT max(id) FROM run WHERE kind = 'ingest')"
        )
        taken.append(sorted(int(r[0].rsplit("/", 1)[1]) for r in got))
    assert taken == [
        list(range(56622, 56628)),
        list(range(56628, 56634)),
        list(range(56634, 56640)),
        [56640, 56641],
    ]
    assert (
        notes[0]
        == "20 new posts, more than max_articles_per_source (6): the oldest 6 taken, the other 14 next poll"
    )
    assert notes[3] is None
    assert rows(db, "SELECT count(DISTINCT url), count(*) FROM article") == [(20, 20)]
    assert rows(db, "SELECT value FROM source_cursor WHERE kind = 'last_post'") == [("56641",)]


def test_a_real_channel_page_read_again_after_an_edit_updates_only_that_post(tmp_path: Path) -> None:
    """t.me/s/d_code as saved in May 2023: 11 of its 20 posts are marked edited. Read again with
    one of them (16415) changed as Telegram shows an edit, only that article takes the new text."""
    page = (REAL / "telegram" / "d_code.html").read_bytes()
    served = [page]

    def telegram(request: httpx.Request) -> httpx.Response:
        if str(request.url) == "https://t.me/s/d_code":
            return answer(served[-1], "text/html; charset=utf-8")
        return answer(b"not found", "text/plain", 404)

    db = tmp_path / "n.duckdb"
    store = Store(db)
    store.migrate()
    store.save_cursors([Cursor("Code", "last_post", "", "16398")])
    source = Source(name="Code", type="telegram", url="https://t.me/s/d_code")

    def poll() -> IngestSummary:
        return ingest_through(httpx.MockTransport(telegram), db, source, telegram_fetch_links=False)

    poll()
    assert rows(db, "SELECT count(*) FROM article") == [(20,)]
    poll()  # the same page again: edited marks, but no text changed since it was stored
    assert rows(db, "SELECT count(*) FROM article_revision") == [(0,)]
    served.append(page.replace("с отрывом в 1%".encode(), "с отрывом в 2%".encode()))
    summary = poll()
    assert summary.reports[0].revised == 1
    revised = rows(
        db,
        "SELECT a.url, r.text, a.text FROM article_revision r JOIN article a ON a.id = r.article_id",
    )
    assert [(url, "в 1%" in before, "в 2%" in now) for url, before, now in revised] == [
        ("https://t.me/d_code/16415", True, True)
    ]
