"""The watches of sources.yaml: each one's query and filters, and the stories it has matched, one
click from its name (`/watches`, `/watches/<name>`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from flows.config import Watch
from flows.web.app import Console, Page, PageError

SHOWN = 200  # the newest matched stories on a watch's page
RECENT = timedelta(days=7)
_START = datetime(1970, 1, 1, tzinfo=UTC)


def search_link(watch: Watch) -> str:
    """The console's search for the watch's query (a single country or language filter comes along)."""
    params = {"q": watch.query}
    if len(watch.countries) == 1:
        params["country"] = watch.countries[0]
    if len(watch.languages) == 1:
        params["lang"] = watch.languages[0]
    return "/search?" + urlencode(params)


def filters(watch: Watch) -> list[str]:
    return watch.filters(at_least="≥")


def watches(console: Console, request: Request) -> Page:
    """`/watches`: every watch with its query, filters and the stories it matched in the last week."""
    config = console.config
    now = datetime.now(UTC)
    recent: dict[str, int] = {}
    for row in console.store.watch_stories(
        [w.name for w in config.watches], now - RECENT, now + timedelta(minutes=1)
    ):
        recent[row["watch"]] = recent.get(row["watch"], 0) + 1
    rows = [
        {"watch": w, "filters": filters(w), "recent": recent.get(w.name, 0), "search": search_link(w)}
        for w in config.watches
    ]
    return Page("watches.html", {"rows": rows, "config_path": config.path}, title="Watches")


def watch(console: Console, request: Request) -> Page:
    """`/watches/<name>`: the stories the watch has matched, newest first, each linked to its copies."""
    name = str(request.path_params["name"])
    found = next((w for w in console.config.watches if w.name.lower() == name.lower()), None)
    if found is None:
        raise PageError(404, f"There is no watch named {name!r}.")
    now = datetime.now(UTC)
    stories: list[dict[str, Any]] = console.store.watch_stories(
        [found.name], _START, now + timedelta(minutes=1)
    )
    stories.sort(key=lambda r: (r["matched_at"], r["story"]), reverse=True)
    context = {
        "watch": found,
        "filters": filters(found),
        "search": search_link(found),
        "stories": stories[:SHOWN],
        "total": len(stories),
    }
    return Page("watch.html", context, title=f"Watch {found.name}")
