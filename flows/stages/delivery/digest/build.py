"""The daily digest as data (SPEC 8): one day's relevant stories, ranked and grouped by country.

The day is a calendar day in `settings.timezone`. A story is a cluster with at least one relevant,
non-seed article first seen that day; its other copies (any day) are "also reported by".
Building (`build_digest`, here) and rendering (`render.render`) are separate from delivery
(`deliver.make_digest`), which writes the files, records them and sends the mail at most once per
day and recipient list.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.config import Config
from flows.stages.delivery.digest.health import FailureGroup, group_failures, health_summary
from flows.stages.delivery.digest.sentences import summarize
from flows.stages.stories.relevance import CENTRAL_ASIA
from storage import Store

REGION = "REGION"
GROUP_ORDER = (*CENTRAL_ASIA, REGION)
GROUP_LABELS = {
    "KZ": "Kazakhstan",
    "KG": "Kyrgyzstan",
    "TJ": "Tajikistan",
    "TM": "Turkmenistan",
    "UZ": "Uzbekistan",
    REGION: "Region-wide and multi-country",
}
TOC_MIN_STORIES = 8  # a digest this long gets a table of contents
OUTLET_WEIGHT = 0.05  # ranking: each doubling of the outlets that ran a story is worth this much relevance


@dataclass(frozen=True)
class Outlet:
    source: str
    url: str
    title: str | None
    language: str | None
    first_seen_at: datetime
    in_day: bool


@dataclass
class Story:
    cluster: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    first_seen_at: datetime
    language: str | None
    summary: str
    relevance: float
    countries: list[str]
    group: str
    outlets: int
    also: list[Outlet]
    recency: datetime
    from_feed: bool = False

    @property
    def score(self) -> float:
        return self.relevance + OUTLET_WEIGHT * math.log2(max(self.outlets, 1))

    @property
    def languages(self) -> list[str]:
        """The languages the story ran in, its own first (what the entry shows beside the outlets)."""
        found = [self.language or "unknown", *((o.language or "unknown") for o in self.also)]
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class FailingSource:
    name: str
    failures: int
    since: datetime | None
    last_error: str | None
    last_success_at: datetime | None


@dataclass
class Digest:
    day: date
    timezone: str
    generated_at: datetime
    stories: list[Story]  # ranked, capped
    total_stories: int
    new_articles: int
    relevant_articles: int
    by_country: dict[str, int]  # stories per section (GROUP_ORDER, zeros left out), before the cap
    by_language: dict[str, int]  # relevant new articles per language
    failing: list[FailingSource] = field(default_factory=list)
    sources_enabled: int = 0  # enabled sources of the configuration, for the health summary

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def groups(self) -> list[tuple[str, str, list[Story]]]:
        out = []
        for code in GROUP_ORDER:
            members = [s for s in self.stories if s.group == code]
            if members:
                out.append((code, GROUP_LABELS[code], members))
        return out

    @property
    def failure_groups(self) -> list[FailureGroup]:
        return group_failures(list(self.failing))

    @property
    def health(self) -> str:
        return health_summary(self.sources_enabled, self.failure_groups)

    @property
    def long(self) -> bool:
        """Long enough for a table of contents: several sections and more stories than a screen."""
        return len(self.groups) > 1 and len(self.stories) >= TOC_MIN_STORIES

    @property
    def subject(self) -> str:
        n = len(self.stories)
        if not n:
            return f"newswatch digest {self.day.isoformat()}: no new stories"
        head = f"newswatch digest {self.day.isoformat()}: {n} {'story' if n == 1 else 'stories'}"
        lead = " ".join(self.stories[0].title.split())
        if len(lead) > 90:
            lead = lead[:89].rstrip() + "…"
        return f"{head} | {lead}"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a calendar day in `tz` starts and ends (23 or 25 hours across a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


def _story(cluster: int, rows: list[dict[str, Any]], sentences: int, now: datetime) -> Story | None:
    news = [r for r in rows if not r["is_seed"]]
    candidates = [r for r in news if r["in_day"] and r["is_relevant"]]
    if not candidates:
        return None
    main = min(candidates, key=lambda r: (-(r["relevance"] or 0.0), r["first_seen_at"], r["id"]))
    countries = list(main["countries"] or [])
    if not countries:
        countries = sorted({c for r in candidates for c in (r["countries"] or [])}, key=_country_rank)
    countries = [c for c in countries if c in CENTRAL_ASIA]
    group = countries[0] if len(countries) == 1 else REGION
    also: list[Outlet] = []
    seen_sources = {main["source"]}
    for r in news:  # ordered by first_seen_at
        if r["source"] in seen_sources:
            continue
        seen_sources.add(r["source"])
        also.append(Outlet(r["source"], r["url"], r["title"], r["language"], r["first_seen_at"], r["in_day"]))
    in_day = [r for r in news if r["in_day"]]
    recency = max(min(r["published_at"] or r["first_seen_at"], now) for r in in_day)
    title = " ".join((main["title"] or "").split())
    summary = summarize(main["text"], main["title"], sentences)
    if not title:
        title = summary[:100] or main["url"]
    return Story(
        cluster=cluster,
        title=title,
        url=main["url"],
        source=main["source"],
        published_at=main["published_at"],
        first_seen_at=main["first_seen_at"],
        language=main["language"],
        summary=summary,
        relevance=float(main["relevance"] or 0.0),
        countries=countries,
        group=group,
        outlets=len(seen_sources),
        also=also,
        recency=recency,
        from_feed=main["extraction"] == "feed",
    )


def _country_rank(code: str) -> int:
    return GROUP_ORDER.index(code) if code in GROUP_ORDER else len(GROUP_ORDER)


def rank(stories: Iterable[Story]) -> list[Story]:
    """Relevance first, lifted a little by how many outlets ran the story; recency breaks ties."""
    return sorted(stories, key=lambda s: (-round(s.score, 3), -s.recency.timestamp(), s.title, s.cluster))


def build_digest(config: Config, store: Store, day: date, now: datetime | None = None) -> Digest:
    """Everything the digest of `day` shows, read from the database."""
    settings = config.settings
    now = now or datetime.now(UTC)
    start, end = day_bounds(day, settings.tz)
    rows = store.digest_articles(start, end)
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_cluster.setdefault(int(r["cluster"]), []).append(r)
    stories = [
        s
        for cid, members in by_cluster.items()
        if (s := _story(cid, members, settings.digest.summary_sentences, now)) is not None
    ]
    ranked = rank(stories)
    new_articles, relevant_articles = store.day_article_counts(start, end)
    # one definition: the stories of each section (a story about two countries is region-wide),
    # so the header's counts are the sections' (README "Counts")
    by_group = Counter(s.group for s in ranked)
    by_language = Counter(
        (r["language"] or "unknown") for r in rows if r["in_day"] and r["is_relevant"] and not r["is_seed"]
    )
    failing = [
        FailingSource(
            f["name"],
            int(f["consecutive_failures"]),
            f["failing_since"],
            f["last_error"],
            f["last_success_at"],
        )
        for f in store.failing_sources([s.name for s in config.sources])
    ]
    return Digest(
        day=day,
        timezone=settings.timezone,
        generated_at=now,
        stories=ranked[: settings.digest.max_stories],
        total_stories=len(ranked),
        new_articles=new_articles,
        relevant_articles=relevant_articles,
        by_country={code: by_group[code] for code in GROUP_ORDER if by_group[code]},
        by_language=dict(sorted(by_language.items(), key=lambda kv: (-kv[1], kv[0]))),
        failing=failing,
        sources_enabled=len(config.enabled_sources),
    )
