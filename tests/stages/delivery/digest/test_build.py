"""The digest as data (flows/stages/delivery/digest/build.py): the day's bounds, selection, grouping and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.stages.delivery.digest.build import REGION, build_digest, day_bounds, today
from flows.stages.delivery.digest.render import render
from storage import Store
from tests.stages.delivery.digest.conftest import ALMATY, DAY, NOON, body, config, make_store, record


def test_day_bounds_follow_the_configured_timezone() -> None:
    start, end = day_bounds(DAY, ALMATY)
    assert start == datetime(2026, 11, 20, 19, 0, tzinfo=UTC) and end - start == timedelta(hours=24)
    berlin = ZoneInfo("Europe/Berlin")
    start, end = day_bounds(date(2026, 3, 29), berlin)  # clocks go forward: a 23-hour day
    assert end - start == timedelta(hours=23)
    assert today(ALMATY, datetime(2026, 11, 20, 19, 30, tzinfo=UTC)) == DAY


def test_digest_groups_ranks_and_lists_other_outlets(newsroom: Store) -> None:
    digest = build_digest(config(), newsroom, DAY, now=NOON + timedelta(hours=6))
    assert [code for code, _label, _stories in digest.groups] == ["KZ", "KG", "TJ", "TM", "UZ", REGION]
    groups = {code: stories for code, _label, stories in digest.groups}
    assert [s.title for s in groups["KZ"]] == [
        "Oil output record",
        "Grain corridor opens to China",
        "Just after midnight",
    ]
    grain = groups["KZ"][1]
    assert grain.outlets == 3 and grain.source == "Alpha"
    assert [(o.source, o.in_day) for o in grain.also] == [("Wire", False), ("Beta", True)]
    assert {s.title for s in groups[REGION]} == {"Water deal", "中国—中亚峰会在西安举行"}
    titles = {s.title for s in digest.stories}
    assert not titles & {"Storms in Europe", "Yesterday late", "A seed article"}
    assert digest.total_stories == len(digest.stories) == 9
    # counts: 11 articles first seen that day (the seed and yesterday's left out), 10 of them relevant
    assert (digest.new_articles, digest.relevant_articles) == (11, 10)
    # stories per section: the KZ-UZ water deal is region-wide, not a fourth Kazakh story
    assert digest.by_country == {"KZ": 3, "KG": 1, "TJ": 1, "TM": 1, "UZ": 1, REGION: 2}
    assert digest.by_country == {code: len(stories) for code, _label, stories in digest.groups}
    assert digest.by_language == {"en": 8, "ru": 1, "zh-cn": 1}
    assert digest.subject == "newswatch digest 2026-11-21: 9 stories | Oil output record"


def test_more_outlets_then_recency_break_equal_relevance(db_path: Path) -> None:
    shared = body("A shared KZ story")
    store = make_store(
        db_path,
        [
            record(
                "A",
                "old",
                "Older single",
                body("An older KZ story"),
                relevance=0.7,
                published=NOON - timedelta(hours=5),
            ),
            record(
                "A",
                "new",
                "Newer single",
                body("A newer KZ story"),
                relevance=0.7,
                published=NOON - timedelta(hours=1),
            ),
            record("A", "shared", "Shared story", shared, relevance=0.7, published=NOON - timedelta(hours=9)),
            record("B", "shared", "Shared story", shared, relevance=0.7, published=NOON - timedelta(hours=9)),
            record(
                "C",
                "top",
                "Most relevant",
                body("The most relevant KZ story"),
                relevance=0.95,
                published=NOON - timedelta(hours=12),
            ),
        ],
    )
    digest = build_digest(config(), store, DAY, now=NOON)
    assert [s.title for s in digest.stories] == [
        "Most relevant",
        "Shared story",
        "Newer single",
        "Older single",
    ]
    capped = build_digest(config("  digest:\n    max_stories: 2\n"), store, DAY, now=NOON)
    assert [s.title for s in capped.stories] == ["Most relevant", "Shared story"]
    assert capped.total_stories == 4
    assert "(the top 2 shown)" in render(capped).text
