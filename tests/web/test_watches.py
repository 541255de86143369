"""The console's query language and its watches, served by uvicorn on loopback: each operator in
the search box, errors named in the form, relative dates in since, and a watch's matched stories
one click from its name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from flows.config import parse_config
from flows.pipeline.watches import matches
from flows.web.app import create_app
from flows.web.server import WebServer
from storage import Store
from storage import search as fts
from tests.stages.stories.test_queries import ARTICLES, CASES
from tests.support.servers import free_port

WATCHES = {"rogun-not-tokayev": "Rogun -Tokayev", "syr-darya": '"Syr Darya"', "kumtor": "Kumtor OR Kazakh*"}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    path = tmp_path_factory.mktemp("console") / "c.duckdb"
    store = Store(path)
    store.migrate()
    run_id = store.start_run("ingest")
    store.insert_articles(ARTICLES)
    fts.update_index(store)
    watches = "".join(f"  - name: {n}\n    query: {json.dumps(q)}\n" for n, q in WATCHES.items())
    config = parse_config(f"sources: []\nwatches:\n{watches}", "sources.yaml")
    for watch in config.watches:  # as an ingest records them: every story once
        hits = matches(store, watch)
        store.record_watch_hits(watch.name, [(h.cluster_id or h.id, h.id) for h in hits], run_id)
    server = WebServer(create_app(config, store), "127.0.0.1", free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


def found(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="https://q\.example/(\d+)"', page)}


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_each_operator_in_the_search_box(console: httpx.Client, query: str, expected: set[int]) -> None:
    r = console.get("/search", params={"q": query})
    assert r.status_code == 200
    assert found(r.text) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(Rogun OR Kumtor", "unbalanced parenthesis at column 1"),
        ("Rogun dam OR Kumtor", "AND and OR at one level"),
        ("the", "only stopwords"),
        ("site:akorda.kz", "unknown field site:"),
    ],
)
def test_a_broken_query_is_named_in_the_form(console: httpx.Client, query: str, message: str) -> None:
    r = console.get("/search", params={"q": query})
    assert r.status_code == 400
    assert message in r.text and 'name="q"' in r.text


def test_since_takes_relative_dates(console: httpx.Client) -> None:
    assert found(console.get("/search", params={"q": "Rogun", "since": "2026-05-19"}).text) == {1, 2, 10, 11}
    assert (
        found(console.get("/search", params={"q": "Rogun", "since": "24h"}).text) == set()
    )  # dated May 2026
    bad = console.get("/search", params={"q": "Rogun", "since": "last week"})
    assert bad.status_code == 400 and "24h, 7d, 2w" in bad.text


def test_a_watchs_matches_are_one_click_from_its_name(console: httpx.Client) -> None:
    listing = console.get("/watches")
    assert listing.status_code == 200 and 'href="/watches"' in listing.text  # in the menu
    links = dict(re.findall(r'<a href="(/watches/[^"]+)">([^<]+)</a>', listing.text))
    assert set(links.values()) == set(WATCHES)
    by_name = {name: href for href, name in links.items()}
    page = console.get(by_name["rogun-not-tokayev"])
    assert page.status_code == 200 and "Rogun -Tokayev" in page.text
    assert found(page.text) == {1, 10}
    assert found(console.get(by_name["syr-darya"]).text) == {4}
    assert found(console.get(by_name["kumtor"]).text) == {3, 8, 9}
    assert console.get("/watches/nobody").status_code == 404


def test_a_watch_links_to_its_search(console: httpx.Client) -> None:
    page = console.get("/watches/syr-darya").text
    link = re.search(r'<a href="(/search\?[^"]+)">search it now</a>', page)
    assert link is not None
    assert found(console.get(link.group(1).replace("&amp;", "&")).text) == {4}
