"""A page's title, author, date and site name, read with trafilatura's own readers: only the ones
the pipeline stores, and only where the feed has not said already.

`trafilatura.extract_metadata` also reads categories, tags and a licence (kept nowhere), and
always searches the page for a date and a byline. On real news pages that is about a tenth of an
article's analysis; the feed's date comes first anyway, and a feed's author is the outlet's word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
from trafilatura.settings import Document, set_date_params

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date, as htmldate gives it
    site_name: str | None = None


def page_metadata(
    tree: HtmlElement, url: str, *, date: bool = True, date_search: bool = True, author_search: bool = True
) -> PageMetadata:
    """What trafilatura.extract_metadata gives for these four fields, in its order of sources
    (meta tags, then JSON-LD, then the page's markup). `date=False`: no date is read (the feed
    gives it); `date_search=False`: only meta tags and the URL give a date, not the page's text;
    `author_search=False`: only meta tags and JSON-LD give an author, not bylines in the text."""
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
    if date:
        params = set_date_params(date_search)
        params["url"] = meta.url
        meta.date = find_date(tree, **params)
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
    return PageMetadata(meta.title or None, meta.author or None, meta.date or None, meta.sitename or None)
