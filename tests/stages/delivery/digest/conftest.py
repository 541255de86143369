"""The digest tests' newsroom: a day of stored articles in Almaty's timezone, and helpers to build one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.config import Config, parse_config
from flows.stages.stories.dedup import text_hash
from storage import ArticleRecord, Store

ALMATY = ZoneInfo("Asia/Almaty")
DAY = date(2026, 11, 21)
NOON = datetime(2026, 11, 21, 12, 0, tzinfo=ALMATY)


def config(extra_settings: str = "", sources: str = "[]") -> Config:
    return parse_config(f"settings:\n  timezone: Asia/Almaty\n{extra_settings}sources: {sources}\n")


def record(
    source: str,
    slug: str,
    title: str,
    text: str,
    *,
    seen: datetime = NOON,
    relevance: float = 0.8,
    countries: tuple[str, ...] = ("KZ",),
    language: str = "en",
    published: datetime | None = None,
    seed: bool = False,
    url: str | None = None,
) -> ArticleRecord:
    link = url or f"https://{source.lower().replace(' ', '-')}.example/{slug}"
    return ArticleRecord(
        url=link,
        canonical_url=link,
        source=source,
        title=title,
        text=text,
        first_seen_at=seen,
        published_at=published,
        language=language,
        relevance=relevance,
        is_relevant=relevance >= 0.5,
        countries=list(countries),
        text_hash=text_hash(text),
        is_seed=seed,
    )


def body(topic: str) -> str:
    return f"{topic} was announced on Friday in the capital. Officials gave details of the plan. More follows soon."


def make_store(db_path: Path, records: list[ArticleRecord]) -> Store:
    store = Store(db_path)
    store.migrate()
    for rec in records:  # one at a time: a copy joins the cluster of the first stored
        store.insert_articles([rec])
    return store


@pytest.fixture
def newsroom(db_path: Path) -> Store:
    shared = body("A Kazakh grain corridor to China")
    return make_store(
        db_path,
        [
            record(
                "Wire", "grain", "Grain corridor opens", shared, seen=NOON - timedelta(days=1), relevance=0.7
            ),
            record("Alpha", "grain", "Grain corridor opens to China", shared, relevance=0.7),
            record("Beta", "grain", "Grain corridor opens", shared, relevance=0.7),
            record(
                "Alpha",
                "oil",
                "Oil output record",
                body("Record oil output in Atyrau"),
                relevance=0.9,
                published=NOON - timedelta(hours=2),
            ),
            record(
                "Gamma",
                "bishkek",
                "Бишкек принял бюджет",
                body("Бюджет Кыргызстана"),
                countries=("KG",),
                language="ru",
                relevance=0.6,
            ),
            record(
                "Delta",
                "dushanbe",
                "Rogun dam update",
                body("The Rogun dam"),
                countries=("TJ",),
                relevance=0.6,
            ),
            record(
                "Delta",
                "ashgabat",
                "Gas to China",
                body("Turkmen gas exports"),
                countries=("TM",),
                relevance=0.6,
            ),
            record(
                "Gamma",
                "tashkent",
                "Tashkent metro",
                body("A new Tashkent metro line"),
                countries=("UZ",),
                relevance=0.6,
            ),
            record(
                "Alpha",
                "water",
                "Water deal",
                body("A KZ-UZ water deal"),
                countries=("KZ", "UZ"),
                relevance=0.8,
            ),
            record(
                "Xinhua",
                "summit",
                "中国—中亚峰会在西安举行",
                "中国与中亚五国领导人举行峰会。各方讨论了合作。",
                countries=(),
                language="zh-cn",
                relevance=0.75,
            ),
            record(
                "Alpha",
                "weather",
                "Storms in Europe",
                body("Storms in the Baltic"),
                countries=(),
                relevance=0.1,
            ),
            record(
                "Alpha",
                "late",
                "Yesterday late",
                body("A late-night Astana story"),
                seen=datetime(2026, 11, 20, 23, 50, tzinfo=ALMATY),
            ),
            record(
                "Alpha",
                "early",
                "Just after midnight",
                body("An early Almaty story"),
                seen=datetime(2026, 11, 21, 0, 5, tzinfo=ALMATY),
                relevance=0.55,
            ),
            record(
                "seed",
                "seed",
                "A seed article",
                body("A seed about Kazakhstan"),
                seed=True,
                url="seed://000.txt",
            ),
        ],
    )
