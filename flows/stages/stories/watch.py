"""Watches: a watch's search request, and the announcement of its new stories as plain
text, HTML and the JSON a webhook receives (the same content, kept for retries)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flows.config import Watch
from storage.search import SearchHit, SearchRequest

MAX_HITS = 1000  # stories one watch can announce in one run


def watch_request(watch: Watch, *, run_id: int | None = None, since: date | None = None) -> SearchRequest:
    """The search a watch runs: its query with its filters, over one run's articles (or since a day).
    The query was checked when sources.yaml was loaded; a lang: no article has matches nothing."""
    return SearchRequest(
        watch.query,
        limit=MAX_HITS,
        since=since,
        countries=tuple(watch.countries),
        languages=tuple(watch.languages),
        sources=tuple(watch.sources),
        min_relevance=watch.min_relevance,
        run_id=run_id,
    )


def story_of(hit: SearchHit) -> int:
    return hit.cluster_id if hit.cluster_id is not None else hit.id


def story_record(hit: SearchHit) -> dict[str, Any]:
    return {
        "story": story_of(hit),
        "article_id": hit.id,
        "title": " ".join((hit.title or "").split()) or hit.url,
        "url": hit.url,
        "source": hit.source,
        "language": hit.language,
        "countries": hit.countries or [],
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "first_seen_at": hit.first_seen_at.isoformat() if hit.first_seen_at else None,
        "relevance_ok": hit.is_relevant,
    }


def announcement(
    watch: Watch, stories: Sequence[dict[str, Any]], run_id: int | None, now: datetime
) -> dict[str, Any]:
    """The JSON a webhook gets (and the data the mail is written from)."""
    return {
        "watch": watch.name,
        "query": watch.query,
        "run_id": run_id,
        "generated_at": now.isoformat(),
        "stories": list(stories),
    }


def subject(payload: dict[str, Any]) -> str:
    n = len(payload["stories"])
    lead = payload["stories"][0]["title"] if n else ""
    if len(lead) > 80:
        lead = lead[:79].rstrip() + "…"
    return f"newswatch alert {payload['watch']}: {n} new {'story' if n == 1 else 'stories'} | {lead}"


def as_text(payload: dict[str, Any]) -> str:
    lines = [f"Watch {payload['watch']} ({payload['query']}): new stories", ""]
    for s in payload["stories"]:
        lines += [f"- {s['title']}", f"  {s['source']}: {s['url']}"]
    return "\n".join(lines) + "\n"


def as_html(payload: dict[str, Any]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(s["url"], quote=True)}">{html.escape(s["title"])}</a>'
        f" <small>{html.escape(s['source'])}</small></li>"
        for s in payload["stories"]
    )
    head = html.escape(f"Watch {payload['watch']} ({payload['query']}): new stories")
    return f'<!doctype html><html><body><h1 style="font-size:1.2em">{head}</h1><ul>{items}</ul></body></html>'


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)
