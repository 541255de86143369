"""The records storage takes and gives: articles to insert, what an insert did, sources' state,
feed polls and fetch-log lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class ArticleRecord:
    """One article ready to store; ids and clusters are assigned by `Store.insert_articles`."""

    url: str
    canonical_url: str
    source: str
    title: str | None
    text: str
    first_seen_at: datetime
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    is_seed: bool = False
    relevance: float | None = None
    is_relevant: bool | None = None
    countries: list[str] | None = None
    places: list[str] | None = None  # ISO 3166-2 codes (flows/stages/stories/places.py)
    text_hash: str | None = None
    site_name: str | None = None
    feed_summary: str | None = None
    extraction: str = "page"
    guid: str | None = None
    band_keys: list[int] = field(
        default_factory=list
    )  # near-duplicate index keys (flows/stages/stories/dedup.py)
    signature: Any = None  # near-duplicate signature, for verifying candidates
    # an edited post: if its URL is stored, the stored article takes this text (the one it had
    # is kept as a revision); otherwise it is stored as any new article
    revises: bool = False
    # the headline's candidates (flows/stages/reading/titles.py PageTitles), for choosing the
    # title again once the site's affixes are known (flows/pipeline/headlines.py); never stored
    page_titles: Any = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class InsertResult:
    id: int
    canonical_url: str
    cluster_id: int
    duplicate_of: int | None
    inserted: bool  # False: the canonical URL was already stored
    revised: bool = False  # the stored article took the record's text (an edit; see `revises`)


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failing_since: datetime | None


@dataclass(frozen=True)
class PollOutcome:
    """What one feed poll tells the sources table."""

    name: str
    ok: bool
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    feed_problem: str | None = None
    moved_to: str | None = None
    new_articles: int = 0


@dataclass(frozen=True)
class FetchLogEntry:
    source: str | None
    kind: str
    url: str
    outcome: str
    status: int | None = None
    final_url: str | None = None
    error: str | None = None
    bytes: int | None = None
    elapsed_ms: float | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class PageLines:
    """The lines one page of a site printed, as hashes: what the site's template is learnt from."""

    site: str  # flows/stages/reading/templates.py site_of(url): the host without "www."
    url: str
    seen_at: datetime
    line_keys: tuple[int, ...]  # unsigned 64-bit line hashes
