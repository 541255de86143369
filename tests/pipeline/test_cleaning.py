"""Site-aware cleaning in the ingest: an outlet's template leaves the stored text, so it makes no
two stories copies and no story relevant; copies across outlets stay joined; the template learnt
is kept for the next run; it is the site's, whatever feeds bring its pages; "Also read" lines go."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from flows.config import parse_config
from flows.pipeline.analysis import Analyzer
from flows.pipeline.cleaning import SiteCleaner
from flows.pipeline.ingest import ingest
from storage import ArticleRecord, Store
from storage.records import PageLines
from tests.support.pages import rss
from tests.support.servers import NewsServer

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

SIDEBAR = [
    "Most read",
    "Kazakhstan's president opens a new terminal at Astana airport",
    "Uzbekistan and Kyrgyzstan agree on the Fergana border",
    "Tajikistan's dam reaches its second stage",
    "Turkmenistan's gas pipeline to China doubles its capacity",
    "Kyrgyz parliament elects a new speaker after a long session",
    "Almaty's metro will add three stations on its western line",
    "Editor's picks",
    "Shymkent hosts the regional chess championship for juniors",
    "Bishkek's new bus fleet enters service on Monday morning",
]
STORIES = {
    "tomato": [
        "Greenhouse growers near Valencia expect a record tomato harvest this winter after a mild autumn "
        "and cheaper fertiliser, the regional farmers' union said on Monday.",
        "Prices at the wholesale market fell by a tenth in November, and exporters hope to win back buyers "
        "in Germany and the Netherlands who had turned to Moroccan produce.",
        "The union warned that water restrictions could return in spring if the reservoirs stay low.",
    ],
    "football": [
        "The city's football club sacked its coach after a fifth defeat in a row left the team one point "
        "above the relegation places at the winter break.",
        "Supporters had called for the change for weeks, and the board said a successor would be named "
        "before the squad returns to training in January.",
        "The club's captain thanked the coach for three seasons that included a cup final in May.",
    ],
    "opera": [
        "The opera house reopened after a two-year restoration that uncovered painted ceilings hidden "
        "under layers of plaster since the nineteen-fifties.",
        "The first night, a new staging of Verdi's Otello, sold out in an hour, and the ministry of culture "
        "said the building would host a festival every summer from next year.",
        "Architects kept the original wooden seats but added lifts and a new stage machinery.",
    ],
}
WIRE = [
    "Scientists in Canada and Norway said on Tuesday that a vaccine against a common childhood "
    "respiratory virus cut hospital admissions by two thirds in a trial of four thousand infants.",
    "The results, published in a medical journal, follow three years of tests in twelve hospitals, and "
    "regulators in both countries are expected to review the vaccine next year.",
    "Doctors not involved in the study called the findings encouraging but said more data were needed "
    "on how long the protection lasts.",
]


def page(title: str, paragraphs: list[str], outlet: str) -> str:
    box = "".join(f"<p>{html.escape(s)}</p>" for s in SIDEBAR) if outlet == "herald" else ""
    body = "".join(f"<p>{html.escape(s)}</p>" for s in paragraphs)
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body>"
        f"<div class='content'><h1>{html.escape(title)}</h1>{body}"
        f"<div class='more'><p>Share this story with your friends</p><p>Follow {outlet} on social media</p>"
        f"<p>© 2026 {outlet}. All rights reserved. Reproduction without permission is forbidden.</p>{box}</div>"
        "</div></body></html>"
    )


def herald_page(slug: str) -> str:
    return page(slug.title(), STORIES[slug], "herald")


def at(server: NewsServer, outlet: str, path: str) -> str:
    """The URL of `path` under the outlet's own host name (settings.hosts sends it to the server)."""
    return f"http://{outlet}.test:{server.port}{path}"


def serve(server: NewsServer, outlet: str, pages: dict[str, tuple[str, list[str]]]) -> str:
    items = []
    for slug, (title, paragraphs) in pages.items():
        server.add(f"/{outlet}/{slug}", page(title, paragraphs, outlet))
        items.append((title, at(server, outlet, f"/{outlet}/{slug}"), "", T0))
    server.add(
        f"/{outlet}/feed.xml",
        rss(outlet, at(server, outlet, f"/{outlet}/"), items),
        content_type="application/rss+xml",
    )
    return at(server, outlet, f"/{outlet}/feed.xml")


OUTLETS = ("herald", "gazette", "tribune", "courier", "aggregator")


def run(tmp_path: Path, feeds: dict[str, str]) -> Store:
    hosts = ", ".join(f"{o}.test: 127.0.0.1" for o in OUTLETS)
    yaml = (
        f"settings:\n  allow_private_networks: true\n  timeout_seconds: 10\n  hosts: {{{hosts}}}\nsources:\n"
        + "".join(f"  - name: {name}\n    url: {url}\n" for name, url in feeds.items())
    )
    store = Store(tmp_path / "t.duckdb")
    asyncio.run(ingest(parse_config(yaml, "<test>"), store, workers=1))
    return store


def stored(store: Store) -> dict[str, tuple[str, int, bool]]:
    with duckdb.connect(str(store.path), read_only=True) as con:
        rows = con.execute("SELECT url, text, cluster_id, is_relevant FROM article").fetchall()
    return {
        url.rsplit("/", 1)[1] + "@" + url.split("/")[3]: (text, cluster, rel)
        for url, text, cluster, rel in rows
    }


def test_an_outlets_template_leaves_the_text_copies_and_relevance(tmp_path: Path) -> None:
    server = NewsServer()
    # two briefs under a heavy template: what is left of each page is mostly the outlet's sidebar
    briefs = {s: STORIES[s][:1] for s in ("tomato", "football")}
    feeds = {"herald": serve(server, "herald", {s: (s.title(), p) for s, p in briefs.items()})}
    # one wire story in three other outlets' templates, each with a story of its own beside it
    for outlet in ("gazette", "tribune", "courier"):
        feeds[outlet] = serve(
            server,
            outlet,
            {
                "vaccine": ("Vaccine cuts infant admissions", WIRE),
                "local": (
                    f"{outlet} local",
                    STORIES["opera"][:2] + [f"A note from the {outlet} desk on the opera."],
                ),
            },
        )
    store = run(tmp_path, feeds)
    got = stored(store)
    for slug in briefs:
        text, _, relevant = got[f"{slug}@herald"]
        assert not any(line in text for line in SIDEBAR), text
        assert "All rights reserved" not in text and STORIES[slug][0] in text
        assert relevant is False  # the sidebar's Astana made it relevant before
    assert got["tomato@herald"][1] != got["football@herald"][1]  # two stories, not one
    assert got["vaccine@gazette"][1] == got["vaccine@tribune"][1] == got["vaccine@courier"][1]  # one story

    # the next run knows the template from storage: a new page is cleaned at once, not held
    server.add(
        "/herald/tomato2",
        page(
            "Tomatoes again",
            STORIES["tomato"][:1] + ["Growers met on Friday in Murcia to agree on prices for the spring."],
            "herald",
        ),
    )
    server.add(
        "/herald/feed2.xml",
        rss(
            "herald",
            at(server, "herald", "/herald/"),
            [("Tomatoes again", at(server, "herald", "/herald/tomato2"), "", T0)],
        ),
        content_type="application/rss+xml",
    )
    feeds["herald"] = at(server, "herald", "/herald/feed2.xml")
    store = run(tmp_path, {"herald": feeds["herald"]})
    text = stored(store)["tomato2@herald"][0]
    assert "Most read" not in text and "Murcia" in text
    server.httpd.shutdown()


def test_feeds_that_mix_outlets_learn_each_sites_template(tmp_path: Path) -> None:
    """An aggregator's feeds each bring one page of the herald: no source sees it twice, yet its
    sidebar goes, and an "Also read" line naming another story goes by its form."""
    server = NewsServer()
    feeds = {}
    for i, slug in enumerate(("tomato", "football", "opera")):
        also = f"Also Read: Rogun dam's turbine number {i + 2} starts turning"  # another on each page
        server.add(
            f"/herald/{slug}", page(slug.title(), STORIES[slug][:2] + [also] + STORIES[slug][2:], "herald")
        )
        link = at(server, "herald", f"/herald/{slug}")
        server.add(
            f"/mix/{i}.xml",
            rss(f"topic {i}", at(server, "aggregator", "/mix/"), [(slug.title(), link, "", T0)]),
            content_type="application/rss+xml",
        )
        feeds[f"topic-{i}"] = at(server, "aggregator", f"/mix/{i}.xml")
    store = run(tmp_path, feeds)
    got = stored(store)
    for slug in ("tomato", "football", "opera"):
        text = got[f"{slug}@herald"][0]
        assert not any(line in text for line in SIDEBAR) and "Rogun" not in text, text
        assert all(line in text for line in STORIES[slug])
    kept = store.site_page_lines(["herald.test"], 10)["herald.test"]
    assert len(kept) == 3  # one site's lines, whichever feed brought the page
    server.httpd.shutdown()


def record(source: str, url: str, extraction: str = "page") -> ArticleRecord:
    return ArticleRecord(url, url, source, "A title", "Some text of a story.", T0, extraction=extraction)


def analyzer() -> Analyzer:
    config = parse_config("sources: []\n", "<test>")
    return Analyzer(config.topic, config.settings.relevance_threshold)


def test_a_new_outlet_waits_for_pages_an_outlet_known_does_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    store.migrate()
    store.add_site_page_lines(
        [
            PageLines("known.kz", f"https://known.kz/{i}", T0 + timedelta(minutes=i), (i, 99))
            for i in range(5)
        ],
        keep=200,
    )
    cleaner: SiteCleaner[str] = SiteCleaner(
        lambda jobs: [analyzer().retext(*job) for job in jobs], hold_until=3, max_held=4
    )
    cleaner.load(store, ["known.kz", "new.kz", "other.kz"])
    # the site is the page's host (without www.), whichever source brought it
    assert cleaner.arrive("a", record("feed-1", "https://www.known.kz/x")) == [
        ("a", record("feed-1", "https://www.known.kz/x"))
    ]
    assert cleaner.arrive("b", record("feed-1", "https://new.kz/1")) == []
    assert cleaner.arrive("c", record("feed-2", "https://new.kz/2")) == []
    assert [t for t, _ in cleaner.arrive("d", record("feed-3", "https://new.kz/3"))] == ["b", "c", "d"]
    assert cleaner.arrive("e", record("feed-1", "https://new.kz/4", extraction="feed"))[0][0] == "e"
    assert cleaner.arrive("f", record("feed-1", "https://other.kz/1")) == []
    assert cleaner.arrive("g", record("feed-1", "https://other.kz/2")) == []
    assert [t for t, _ in cleaner.release_all()] == ["f", "g"]
    assert cleaner.release_all() == []


def test_outlet_templates_off_passes_every_article_as_extracted() -> None:
    cleaner: SiteCleaner[str] = SiteCleaner(lambda jobs: [], enabled=False)
    recs = [record("new", f"https://new.kz/{i}") for i in range(3)]
    assert [t for t, _ in (x for i, r in enumerate(recs) for x in cleaner.arrive(str(i), r))] == [
        "0",
        "1",
        "2",
    ]
    assert cleaner.clean(recs) == recs and cleaner.release_all() == []
    assert (
        parse_config("settings:\n  outlet_templates: false\nsources: []\n", "<t>").settings.outlet_templates
        is False
    )
