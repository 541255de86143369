"""The console's newsroom: a real ingest of loopback feeds (three copies of one story, a hostile
title, a Russian story, a failing source), a digest written, and the console serving it on
127.0.0.1 with uvicorn, as `newswatch web` does. One for the session: tests read it or copy it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from flows.cli import main
from flows.config import load_config
from flows.web.app import create_app
from flows.web.server import WebServer
from storage import Store
from tests.support import ROOT
from tests.support.pages import TEMPLATES, Article, atom, rss, story
from tests.support.servers import NewsServer, free_port

HOSTILE = '<script>alert("owned")</script> Tokayev opens <b>Astana</b> forum & summit'
WATER = story("water-deal", "Kazakhstan and Uzbekistan sign water deal")
WATER_C = Article(
    WATER.slug + "-c", "Water accord for the Syr Darya agreed by Astana and Tashkent", WATER.paragraphs
)
HOSTILE_ART = Article(
    "forum",
    HOSTILE,
    [
        "President Kassym-Jomart Tokayev opened an investment forum in Astana on Thursday, promising "
        "foreign companies in Kazakhstan stable taxes and faster permits for new factories.",
        "Officials in Kazakhstan said the forum drew delegations from China, the European Union and "
        "the United States, and that agreements worth several billion dollars would be signed.",
        "The government of Kazakhstan has courted investors in mining, energy and logistics as the "
        "country seeks to rely less on oil exports and to become a transit hub for Central Asia.",
    ],
)
ROGUN = Article(
    "rogun",
    "Таджикистан ускоряет строительство Рогунской ГЭС",
    [
        "Правительство Таджикистана заявило в четверг, что строительство Рогунской ГЭС на реке Вахш "
        "будет ускорено, а первый агрегат станции уже вырабатывает электроэнергию для Душанбе.",
        "Президент Таджикистана Эмомали Рахмон сказал, что станция позволит стране экспортировать "
        "электроэнергию в Афганистан, Пакистан и Узбекистан и избавит регион от зимних отключений.",
        "Эксперты в Душанбе отмечают, что Таджикистан ищет новых инвесторов, так как стоимость проекта "
        "превышает несколько миллиардов долларов, а Всемирный банк готов выделить часть средств.",
    ],
    lang="ru",
)
WEATHER = Article(
    "weather",
    "Storms expected across northern Europe this weekend",
    [
        "Forecasters warned of heavy rain and strong winds across Scandinavia and the Baltic states, "
        "with ferry services likely to be cancelled on Saturday and Sunday.",
        "Residents along the coast were told to secure loose objects and avoid unnecessary travel, "
        "while airports said they expected delays but no closures at this stage.",
    ],
)


@dataclass
class Newsroom:
    db: Path
    sources: Path
    feeds: NewsServer
    store: Store

    def sql(self, query: str) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


def build_site(server: NewsServer) -> None:
    items = []
    for i, art in enumerate([WATER, HOSTILE_ART, WEATHER]):
        url = server.add(f"/a/{art.slug}", TEMPLATES[i % 3](art))
        items.append((art.title, url, art.paragraphs[0], art.published))
    server.add(
        "/a/feed.xml", rss("Steppe Times", server.url("/a/"), items), content_type="application/rss+xml"
    )
    url_b = server.add("/b/2026/water", TEMPLATES[1](WATER))
    server.add(
        "/b/atom.xml",
        atom("Caspian Wire", server.url("/b/"), [(WATER.title, url_b, "", None)]),
        content_type="application/atom+xml",
    )
    items_c = []
    for i, art in enumerate([WATER_C, ROGUN]):
        url = server.add(f"/c/{art.slug}", TEMPLATES[(i + 2) % 3](art))
        items_c.append((art.title, url, art.paragraphs[0], art.published))
    server.add("/c/rss", rss("Pamir Post", server.url("/c/"), items_c), content_type="application/rss+xml")
    server.add("/d/feed.xml", "down for maintenance", status=503, content_type="text/plain")


def write_sources(path: Path, server: NewsServer) -> Path:
    path.write_text(
        f"""settings:
  timeout_seconds: 5
  max_retries: 0
sources:
  - name: Steppe Times
    url: {server.url("/a/feed.xml")}
    language: en
  - name: Caspian Wire
    url: {server.url("/b/atom.xml")}
  - name: Pamir Post
    url: {server.url("/c/rss")}
  - name: Broken Feed
    url: {server.url("/d/feed.xml")}
""",
        encoding="utf-8",
    )
    return path


SCRIPT_TITLE = "Kazakh <script>alert('x')</script> tariffs & <b>Uzbek</b> \"quotas\""


def add_hostile(store: Store) -> None:
    """A stored title that is markup (the pipeline strips tags from what it fetches; another writer,
    a hand-made INSERT or an older version may not): the console must show it as text."""
    from datetime import UTC, datetime

    from flows.stages.stories.dedup import text_hash
    from storage import ArticleRecord
    from storage import search as fts

    text = (
        "Kazakhstan raised tariffs on Uzbek cement on Monday, officials in Astana said. "
        "Uzbekistan called the move a breach of the trade agreement signed in Tashkent last year."
    )
    url = "https://tariffs.example/a?x=1&y=<2>"
    store.insert_articles(
        [
            ArticleRecord(
                url=url,
                canonical_url=url,
                source="Odd <Source>",
                title=SCRIPT_TITLE,
                text=text,
                first_seen_at=datetime.now(UTC),
                language="en",
                relevance=0.9,
                is_relevant=True,
                countries=["KZ"],
                text_hash=text_hash(text),
            )
        ]
    )
    fts.update_index(store)


@pytest.fixture(scope="session")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    tmp = tmp_path_factory.mktemp("web")
    server = NewsServer()
    try:
        build_site(server)
        sources = write_sources(tmp / "sources.yaml", server)
        db = tmp / "newswatch.duckdb"
        common = ["--db", str(db), "--sources", str(sources)]
        assert main(["seed", *common, "--dir", str(ROOT / "seeds")]) == 0
        assert main(["ingest", *common]) == 0
        assert main(["digest", *common, "--no-send"]) == 0
        store = Store(db, lock_timeout=10)
        add_hostile(store)
        yield Newsroom(db, sources, server, store)
    finally:
        server.close()


@dataclass
class Running:
    url: str
    client: httpx.Client

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def web(newsroom: Newsroom) -> Iterator[Running]:
    """The console on 127.0.0.1 (a free port), served by uvicorn in a thread."""
    app = create_app(load_config(newsroom.sources), newsroom.store)
    server = WebServer(app, "127.0.0.1", free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield Running(server.url, client)
    finally:
        server.stop()
