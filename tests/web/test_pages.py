"""Every page of the console, served by uvicorn on loopback over a database a real ingest made."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markupsafe import escape

from flows.web import news
from tests.web.conftest import SCRIPT_TITLE, WATER, Newsroom, Running

DAY_PUBLISHED = "2026-11-21"  # the pages' publication date


def text_of(page: str) -> str:
    """The visible text of a page's <main>, markup removed and entities decoded."""
    main = page[page.index("<main>") :]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def water_cluster(newsroom: Newsroom) -> int:
    rows = newsroom.sql("SELECT cluster_id FROM articles WHERE title LIKE '%water deal%' GROUP BY 1")
    assert len(rows) == 1
    return int(rows[0][0])


def first_seen_day(newsroom: Newsroom) -> str:
    from flows.config import load_config

    tz = load_config(newsroom.sources).settings.tz
    (seen,) = newsroom.sql("SELECT max(first_seen_at) FROM articles WHERE source = 'Steppe Times'")[0]
    return str(seen.astimezone(tz).date())


def no_live_markup(page: str) -> None:
    """No script and no markup from an article anywhere: only the console's own tags."""
    assert "<script" not in page.lower()
    assert "<b>Uzbek</b>" not in page


def test_today_groups_the_days_stories_by_country_with_outlets(web: Running, newsroom: Newsroom) -> None:
    day = first_seen_day(newsroom)
    r = web.get(f"/?day={day}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page, text = r.text, text_of(r.text)
    assert '<input type="date" name="day"' in page and f'value="{day}"' in page
    # the digest's groups, in its order, and its ranking inside them
    groups = re.findall(r'<h2 id="(\w+)">', page)
    assert groups == ["KZ", "TJ", "REGION"]
    assert "Tokayev opens Astana forum & summit" in text
    assert "Таджикистан ускоряет строительство Рогунской ГЭС" in text and "Russian" in text
    # the water story: three outlets, the two others "also reported by"
    # the water story (whichever copy was stored first leads it): three outlets, the two others
    # "also reported by"
    (water,) = [text_of("<main>" + a) for a in page.split('<article class="story">')[1:] if "3 outlets" in a]
    assert "water deal" in water or "Water accord" in water
    outlets = {"Steppe Times", "Caspian Wire", "Pamir Post"}
    meta, also = water.split("Also reported by")
    (main,) = [o for o in outlets if o in meta]
    assert {o for o in outlets if o in also} == outlets - {main}
    assert "storms expected" not in text.lower()  # not relevant
    assert f'href="/story/{water_cluster(newsroom)}"' in page
    assert "1 source is failing: Broken Feed" in text
    # the page without a day is today's
    assert web.get("/").status_code == 200


def test_another_day_and_a_bad_day(web: Running) -> None:
    r = web.get("/?day=2020-01-01")
    assert r.status_code == 200
    assert "No relevant stories were first seen on this day." in r.text
    assert 'href="/?day=2019-12-31"' in r.text and 'href="/?day=2020-01-02"' in r.text
    bad = web.get("/?day=yesterday")
    assert bad.status_code == 400 and "day='yesterday' is not a date (YYYY-MM-DD)" in html.unescape(bad.text)
    # a day at the edge of the calendar is a typo, said as such, not an error in the server
    for path, field in (("/?day=0001-01-01", "day"), ("/coverage?until=0001-01-10", "until")):
        edge = web.get(path)
        assert edge.status_code == 400, path
        assert f"{field}='0001-01" in html.unescape(edge.text) and "out of range" in edge.text
    assert web.get("/coverage?since=9999-12-01&until=9999-12-31").status_code == 400
    edge = web.get("/search", params={"q": "water", "since": "0001-01-01"})
    assert edge.status_code == 400 and "out of range" in edge.text


def test_a_hostile_title_shows_as_text_on_every_page(web: Running, newsroom: Newsroom) -> None:
    escaped = str(escape(SCRIPT_TITLE))  # as Jinja escapes: &lt; &gt; &amp; &#39; &#34;
    (cluster,) = newsroom.sql("SELECT coalesce(cluster_id, id) FROM articles WHERE source = 'Odd <Source>'")[
        0
    ]
    for path in ("/", "/search?q=tariffs+cement", f"/story/{cluster}"):
        r = web.get(path)
        assert r.status_code == 200, path
        no_live_markup(r.text)
        if path.startswith("/search"):  # highlighted: the words in <mark>, the rest still escaped
            assert (
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>tariffs</mark> &amp; &lt;b&gt;"
                in r.text
            )
        else:
            assert escaped in r.text, path
        assert "Odd &lt;Source&gt;" in r.text
    # the ingested title kept its ampersand, escaped
    assert "forum &amp; summit" in web.get("/").text
    # a link's query string is an attribute value, escaped too
    assert 'href="https://tariffs.example/a?x=1&amp;y=%3C2%3E"' in web.get(f"/story/{cluster}").text


def test_search_in_cyrillic_with_highlights_and_filters(web: Running) -> None:
    r = web.get("/search", params={"q": "Рогунская ГЭС"})
    assert r.status_code == 200
    assert "Таджикистан ускоряет строительство <mark>Рогунской</mark> <mark>ГЭС</mark>" in r.text
    assert "<mark>Рогунской</mark> <mark>ГЭС</mark> на реке Вахш" in r.text  # the snippet
    assert 'value="Рогунская ГЭС"' in r.text  # the query stays in the form (and the URL)
    text = text_of(r.text)
    assert "Pamir Post" in text and "Russian" in text
    for params, found in (
        ({"lang": "ru"}, True),
        ({"lang": "en"}, False),
        ({"country": "TJ"}, True),
        ({"country": "KZ"}, False),
        ({"relevant": "1"}, True),
        ({"since": "2026-11-21"}, True),
        ({"since": "2026-11-22"}, False),
    ):
        hit = web.get("/search", params={"q": "Рогунская", **params})
        assert hit.status_code == 200
        assert ("строительство <mark>Рогунской</mark>" in hit.text) is found, params
    bad = web.get("/search", params={"q": "dam", "country": "RU"})
    assert bad.status_code == 400 and "country &#39;RU&#39;: one of KZ, KG, TJ, TM, UZ" in bad.text
    assert web.get("/search").status_code == 200  # the empty form


def test_search_folds_a_storys_copies_into_one_row(web: Running, newsroom: Newsroom) -> None:
    r = web.get("/search", params={"q": "water Syr Darya"})
    assert r.status_code == 200
    rows = re.findall(r'<article class="story">', r.text)
    cluster = water_cluster(newsroom)
    assert len(rows) == 1 and f'href="/story/{cluster}"' in r.text
    assert "2 other copies of this story (3 match)" in r.text
    folded = r.text[r.text.index("<details>") : r.text.index("</details>")]
    assert folded.count("<li>") == 2


def test_search_pages_keep_the_query_in_their_links(web: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news, "PER_PAGE", 1)  # the server runs in this process
    first = web.get("/search", params={"q": "Kazakhstan", "relevant": "1"})
    assert first.status_code == 200 and first.text.count('<article class="story">') == 1
    link = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert link is not None
    assert html.unescape(link.group(1)) == "/search?q=Kazakhstan&relevant=1&page=2"
    second = web.get(html.unescape(link.group(1)))
    assert second.status_code == 200 and "<h3>2. " in second.text and 'rel="prev"' in second.text
    titles = {re.search(r"<h3>\d+\. <a [^>]+>(.*?)</a>", p.text).group(1) for p in (first, second)}  # type: ignore[union-attr]
    assert len(titles) == 2


def test_a_story_with_three_copies_side_by_side(web: Running, newsroom: Newsroom) -> None:
    cluster = water_cluster(newsroom)
    r = web.get(f"/story/{cluster}")
    assert r.status_code == 200
    page = r.text
    assert page.count('<section class="copy') == 3 and page.count('<section class="copy first">') == 1
    text = text_of(page)
    for source in ("Steppe Times", "Caspian Wire", "Pamir Post"):
        assert source in text
    assert "3 copies" in text and "3 outlets" in text
    assert "Kazakhstan" in text and "Uzbekistan" in text and "relevant" in text
    # how each copy differs from the first (whichever outlet was stored first): the headline
    # (Pamir Post re-headlined it), and the length, in percent
    cards = page.split('<section class="copy')[1:]
    first = next(c for c in cards if c.startswith(' first">'))
    renamed = "Water accord for the Syr Darya" in first
    for card in cards:
        if card is first:
            continue
        same = ("Water accord for the Syr Darya" in card) == renamed
        assert ("the same as the first copy" in card) is same and ("differs" in card) is not same
        assert "%)" in card
    assert all("words" in c and "characters" in c for c in cards)
    assert f"story {cluster}" in text
    assert web.get("/story/999999").status_code == 404
    # each copy's excerpt keeps the article's paragraphs apart
    excerpt = first.split('<div class="excerpt">')[1].split("</div>")[0]
    shown = [html.unescape(" ".join(p.split())) for p in re.findall(r"<p>(.*?)</p>", excerpt, re.S)]
    assert len(shown) >= 2 and shown[0].startswith(WATER.paragraphs[0][:40])
    assert shown[1].startswith(WATER.paragraphs[1][:40])


def test_sources_show_failing_first_with_error_and_backoff(web: Running) -> None:
    r = web.get("/sources")
    assert r.status_code == 200
    rows = re.findall(r"<tr class=\"(failing)?\">\s*<td><b>(.*?)</b>", r.text)
    names = [name for _, name in rows]
    assert names[0] == "Broken Feed" and rows[0][0] == "failing"
    assert sorted(names[1:]) == ["Caspian Wire", "Pamir Post", "Steppe Times"]
    first = r.text[r.text.index("<b>Broken Feed</b>") :].split("</tr>")[0]
    assert "HTTP 503" in first and "every 30 min" in first and "next poll" in first
    assert "1</b> failing" in r.text


def test_coverage_charts_are_inline_svg(web: Running) -> None:
    r = web.get("/coverage", params={"since": "2026-11-01", "until": "2026-11-30"})
    assert r.status_code == 200
    page = r.text
    assert page.count("<svg ") == 5 and "<script" not in page
    for heading in (
        "Articles per day by country",
        "Stories per day by country",
        "Articles per day by language",
        "Stories per day by language",
        "Top outlets (articles)",
    ):
        assert f"<h2>{heading}</h2>" in page
    # the day's bars: four articles about Kazakhstan (the forum and the water story's three copies),
    # two stories; one Russian article; the outlets by articles
    assert f"<title>{DAY_PUBLISHED}: Kazakhstan 4</title>" in page
    assert f"<title>{DAY_PUBLISHED}: Kazakhstan 2</title>" in page
    assert f"<title>{DAY_PUBLISHED}: Tajikistan 1</title>" in page
    assert f"<title>{DAY_PUBLISHED}: Russian 1</title>" in page
    assert "<title>Steppe Times: 3</title>" in page and "<title>Pamir Post: 2</title>" in page
    svg = page[page.index("<svg ") : page.index("</svg>")]
    assert re.search(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#', svg)
    relevant = web.get("/coverage", params={"since": DAY_PUBLISHED, "until": DAY_PUBLISHED, "relevant": "1"})
    assert relevant.status_code == 200 and "northern Europe" not in relevant.text
    assert "<title>Steppe Times: 2</title>" in relevant.text  # the weather story is not relevant
    # a long range is charted by week (from Monday)
    year = web.get("/coverage", params={"since": "2026-01-01", "until": "2026-12-31"})
    assert year.status_code == 200 and "<h2>Stories per week by language</h2>" in year.text
    assert "<title>week of 2026-11-16: Kazakhstan 4</title>" in year.text
    assert web.get("/coverage", params={"since": "2026-12-02", "until": "2026-12-01"}).status_code == 400
    assert web.get("/coverage").status_code == 200


def test_digests_archive_opens_the_stored_html(web: Running, newsroom: Newsroom) -> None:
    ((day, status, path),) = newsroom.sql("SELECT day, status, html_path FROM digest")
    r = web.get("/digests")
    assert r.status_code == 200 and status == "written"
    assert f'href="/digests/{day}"' in r.text and "files only" in r.text
    stored = web.get(f"/digests/{day}")
    assert stored.status_code == 200 and stored.text == Path(path).read_text(encoding="utf-8")
    assert "default-src 'none'" in stored.headers["content-security-policy"]
    assert web.get("/digests/2020-01-01").status_code == 404
    assert web.get("/digests/not-a-day").status_code == 400


def test_unknown_pages_and_the_headers_every_page_has(web: Running) -> None:
    r = web.get("/nothing/here")
    assert r.status_code == 404 and "There is no page at /nothing/here." in r.text
    for path in ("/", "/sources"):
        headers = web.get(path).headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none' forbids scripts
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
