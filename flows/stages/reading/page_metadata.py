"""A page's title, author, date and site name, read with trafilatura's own readers: only the ones
the pipeline stores, and only where the feed has not said already.

`trafilatura.extract_metadata` also reads categories, tags and a licence (kept nowhere), and
always searches the page for a date and a byline. On real news pages that is about a tenth of an
article's analysis; the feed's date comes first anyway, and a feed's author is the outlet's word.

The date: what the page states in its structured metadata (`stated_dates`, with the time and
zone it gives) comes before what htmldate finds. htmldate, asked for a time
(`outputformat="%Y-%m-%dT%H:%M:%S%z"`), drops every value with fractional seconds
("2019-01-03T07:00:02.000Z" looks like a telephone number to it) and reads the URL's date before
the page's metadata unless told otherwise; on real pages it kept the time of 68 of 103 pages
against 88 here (benchmarks/page_dates.py). It is asked for a day where the metadata states none.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

from flows.stages.reading.dates import EARLIEST_YEAR, FUTURE_SLACK, page_date

log = logging.getLogger(__name__)

# <meta> names of a publication date: Open Graph's first, then microdata's, then the others
_OPEN_GRAPH = frozenset(
    {"article:published_time", "og:published_time", "og:article:published_time", "article:published",
     "og:article:published", "article:published_date", "og:pubdate"}
)  # fmt: skip
_NAMED = frozenset(
    {"pubdate", "publishdate", "publish_date", "publish-date", "published_time", "published_date",
     "publication_date", "date", "dc.date", "dc.date.issued", "dc.date.created", "dc.date.publication",
     "dcterms.created", "dcterms.issued", "dcterms.date", "dc.created", "sailthru.date", "parsely-pub-date",
     "article.published", "originalpublicationdate", "date_published", "cxenseparse:recs:publishtime",
     "cxenseparse:publishtime", "iso-8601-publish-date", "datepublished", "pub_date", "article_date_original",
     "citation_publication_date", "rnews:datepublished"}
)  # fmt: skip
_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{1,64})"')
_SHOWN = 20  # <time> elements looked at for a time of day


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    date: datetime | None = None  # in UTC, see dates.page_date
    site_name: str | None = None


def _json_ld_dates(tree: HtmlElement) -> Iterator[str]:
    """`datePublished` of the page's JSON-LD objects, outermost first, in document order."""
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        text = script.text or ""
        if "datePublished" not in text:
            continue
        try:
            queue: list[Any] = [json.loads(text, strict=False)]
        except ValueError:  # broken JSON is common: the values are still there
            yield from _JSON_LD_DATE.findall(text)
            continue
        while queue:
            item = queue.pop(0)
            if isinstance(item, dict):
                if isinstance(value := item.get("datePublished"), str):
                    yield value
                queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                queue.extend(item)


def stated_dates(tree: HtmlElement) -> list[str]:
    """Publication dates the page states in its structured metadata, most trusted first: JSON-LD,
    Open Graph, microdata (`itemprop="datePublished"`), other <meta> names, `<time pubdate>` and
    `<time class="published">`. On real pages JSON-LD and Open Graph were right where others
    were not (an `itemprop` giving the update, a `<time>` the local time with +00:00)."""
    open_graph, microdata, named = [], [], []
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content:
            continue
        prop, name = (meta.get("property") or "").lower(), (meta.get("name") or "").lower()
        if prop in _OPEN_GRAPH or name in _OPEN_GRAPH:
            open_graph.append(content)
        elif (meta.get("itemprop") or "").lower() == "datepublished":
            microdata.append(content)
        elif name in _NAMED or prop in _NAMED:
            named.append(content)
    for node in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)]'):
        if value := node.get("datetime") or node.get("content"):
            microdata.append(value)
    times = tree.xpath(
        '//time[@datetime][@pubdate or contains(concat(" ", @class, " "), " published ")'
        ' or contains(@class, "entry-date")]/@datetime'
    )
    return [*_json_ld_dates(tree), *open_graph, *microdata, *named, *(str(t) for t in times)]


def _guessed_date(tree: HtmlElement, url: str | None, now: datetime) -> str | None:
    """The day htmldate finds in the URL or the page, within `dates.plausible`'s years. A year
    alone, which it gives as 1 January (a copyright line, a year in the text), counts only if its
    quick search, which never falls back to those, finds a day too."""
    latest = datetime.combine((now + FUTURE_SLACK).date(), datetime.max.time())  # day-granular: cached
    params: dict[str, Any] = {
        "original_date": True,
        "url": url,
        "min_date": datetime(EARLIEST_YEAR, 1, 1),
        "max_date": latest,
    }
    found = find_date(tree, extensive_search=True, **params)
    if found is not None and found.endswith("-01-01"):
        found = find_date(tree, extensive_search=False, **params)
    return found


def page_metadata(
    tree: HtmlElement,
    url: str,
    *,
    date: bool = True,
    date_search: bool = True,
    author_search: bool = True,
    now: datetime | None = None,
) -> PageMetadata:
    """What trafilatura.extract_metadata gives for these four fields, in its order of sources
    (meta tags, then JSON-LD, then the page's markup), but the date: see `stated_dates` and
    `dates.page_date`. `date=False`: no date is read (the feed gives it); `date_search=False`:
    only the page's structured metadata gives a date, not its URL or text; `author_search=False`:
    only meta tags and JSON-LD give an author, not bylines in the text."""
    meta: Document = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a user name, as trafilatura judges it
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as exc:  # noqa: BLE001 - trafilatura's JSON-LD reader has bugs of its own
        log.debug("JSON-LD metadata of %s unread: %s", url[:300], exc)
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author and author_search:
        meta.author = extract_author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    published = None
    if date:
        shown = [str(t) for t in tree.xpath(f"(//time/@datetime)[position() <= {_SHOWN}]")]
        at = now or datetime.now(UTC)
        guess = (lambda: _guessed_date(tree, meta.url, at)) if date_search else None
        published = page_date(stated_dates(tree), guess, shown, at)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url:
        match = META_URL.match(meta.url)
        if match:
            meta.sitename = match[1]
    meta.clean_and_trim()
    return PageMetadata(meta.title or None, meta.author or None, published, meta.sitename or None)
