"""The news pages: Today (a day's stories, as the digest groups and ranks them), Search, and one
story's copies side by side."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from flows.clock import parse_since
from flows.stages.delivery.digest.build import GROUP_LABELS, REGION, build_digest
from flows.stages.delivery.digest.build import today as today_in
from flows.stages.stories.search import COUNTRIES, SearchUsageError, build_request, find_matches, snippet
from flows.web.app import Console, Page, PageError
from storage import search as fts
from storage.search.query_language import QueryError

PER_PAGE = 20
MAX_PAGES = 50  # the search ranks at most 1,000 stories


def parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PageError(400, f"{field}={value!r} is not a date (YYYY-MM-DD)") from None


def parse_since_field(value: str, console: Console) -> datetime | None:
    """The search form's since: a day from 00:00 in the configured zone, today, yesterday, 24h, 7d."""
    if not value:
        return None
    try:
        return parse_since(value).start(console.tz)
    except ValueError as exc:
        raise SearchUsageError(f"since {exc}") from None


def today(console: Console, request: Request) -> Page:
    """`/` and `/?day=YYYY-MM-DD`: the digest's view of a day, every story (not the mail's cap)."""
    config = console.config
    day = parse_day(request.query_params.get("day"), "day") or today_in(console.tz)
    digest_settings = config.settings.digest.model_copy(update={"max_stories": 1000})
    uncapped = config.model_copy(
        update={"settings": config.settings.model_copy(update={"digest": digest_settings})}
    )
    digest = build_digest(uncapped, console.store, day)
    first, last = console.store.news_span()
    latest = last.astimezone(console.tz).date() if last else None
    return Page(
        "today.html",
        {
            "d": digest,
            "day": day,
            "is_today": day == today_in(console.tz),
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "latest": latest,
            "earliest": first.astimezone(console.tz).date() if first else None,
            "group_labels": GROUP_LABELS,
            "REGION": REGION,
        },
        title="Today" if day == today_in(console.tz) else f"Stories of {day.isoformat()}",
    )


def _search_form(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "q": (q.get("q") or "").strip(),
        "since": (q.get("since") or "").strip(),
        "lang": (q.get("lang") or "").strip(),
        "country": (q.get("country") or "").strip().upper(),
        "relevant": q.get("relevant") in ("1", "on", "true", "yes"),
    }


def search(console: Console, request: Request) -> Page:
    """`/search?q=...&since=&lang=&country=&relevant=1&page=N`: one row per story, copies folded."""
    form = _search_form(request)
    context: dict[str, Any] = {"form": form, "countries": COUNTRIES, "hits": [], "error": None}
    context.update(page=1, previous_url=None, next_url=None, first_rank=1)
    if not form["q"]:
        return Page("search.html", context, title="Search")
    try:
        page = max(1, min(int(request.query_params.get("page") or 1), MAX_PAGES))
    except ValueError:
        raise PageError(400, "page must be a number") from None
    try:
        req = build_request(
            form["q"],
            limit=page * PER_PAGE + 1,
            since=parse_since_field(form["since"], console),
            language=form["lang"] or None,
            country=form["country"] or None,
            relevant=form["relevant"],
        )
        hits = fts.search(console.store, req)
    except (SearchUsageError, QueryError) as exc:  # QueryError: only stopwords, too many prefix words
        context["error"] = str(exc).replace("--", "")
        return Page("search.html", context, status=400, title="Search")
    shown = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    stories = [h.cluster_id or h.id for h in shown]
    copies: dict[int, list[dict[str, Any]]] = {}
    for row in console.store.story_copies(stories, text_chars=0):
        copies.setdefault(int(row["cluster"]), []).append(row)
    rows = []
    for h in shown:
        snip = snippet(h.text, h.matched_tokens)
        story_id = h.cluster_id or h.id
        rows.append(
            {
                "hit": h,
                "story": story_id,
                "title_spans": find_matches(h.title or "", h.matched_tokens),
                "snippet": snip.text,
                "snippet_spans": snip.spans,
                "others": [c for c in copies.get(story_id, []) if c["id"] != h.id],
            }
        )

    def url(n: int) -> str:
        params = {k: v for k, v in form.items() if v and k != "relevant"}
        if form["relevant"]:
            params["relevant"] = "1"
        return "/search?" + urlencode({**params, "page": n})

    context.update(
        hits=rows,
        page=page,
        first_rank=(page - 1) * PER_PAGE + 1,
        previous_url=url(page - 1) if page > 1 else None,
        next_url=url(page + 1) if len(hits) > page * PER_PAGE and page < MAX_PAGES else None,
    )
    return Page("search.html", context, title=f"Search: {form['q']}")


def _differences(first: dict[str, Any], copy: dict[str, Any]) -> dict[str, Any]:
    """How a copy differs from the story's first article: its length and its headline."""
    base = max(int(first["chars"] or 0), 1)
    change = (int(copy["chars"] or 0) - base) / base
    same_title = (
        " ".join((copy["title"] or "").split()).casefold()
        == " ".join((first["title"] or "").split()).casefold()
    )
    return {"length_change": round(change * 100), "same_headline": same_title}


def story(console: Console, request: Request) -> Page:
    """`/story/<cluster_id>`: every copy of one story, side by side."""
    cluster_id = int(request.path_params["cluster_id"])
    copies = console.store.story_copies([cluster_id])
    if not copies:
        raise PageError(404, f"There is no story {cluster_id}.")
    first = next((c for c in copies if c["duplicate_of"] is None), copies[0])
    countries = sorted({c for row in copies for c in row["countries"]}, key=lambda c: (c not in COUNTRIES, c))
    cards = [{"row": c, "first": c is first, **_differences(first, c)} for c in copies]
    relevances = [c["relevance"] for c in copies if c["relevance"] is not None]
    return Page(
        "story.html",
        {
            "cluster_id": cluster_id,
            "first": first,
            "cards": cards,
            "countries": countries,
            "country_names": GROUP_LABELS,
            "relevance": max(relevances) if relevances else None,
            "is_relevant": any(c["is_relevant"] for c in copies),
            "outlets": len({c["source"] for c in copies}),
            "languages": sorted({c["language"] or "unknown" for c in copies}),
        },
        title=" ".join((first["title"] or f"Story {cluster_id}").split()),
    )
