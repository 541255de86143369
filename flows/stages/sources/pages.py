"""Section and home pages: which of a page's links lead to articles (same site; not navigation,
tag, author, login or pagination pages), and whether a fetched page is itself a section page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import courlan
from lxml import html as lxml_html

from flows.stages.net.urls import BadLink, host_of, resolve_link
from flows.stages.reading.extract import html_document

# containers whose links are the site's chrome, not its news
_CHROME_TAGS = ("nav", "header", "footer", "aside", "menu", "form")
_CHROME_CLASS = re.compile(
    r"(?:^|[\s_-])(nav|navbar|navigation|menu|breadcrumbs?|pagination|pager|footer|header|sidebar|"
    r"tags?|share|social|login|subscribe|cookie)(?:$|[\s_-])",
    re.IGNORECASE,
)
_NOT_ARTICLE_PATH = re.compile(
    r"/(tags?|topics?|authors?|category|categories|section|sections|rubric|archive|search|login|"
    r"signin|sign-in|register|account|subscribe|page|about|contacts?|privacy|terms|feed|rss)(/|$)",
    re.IGNORECASE,
)
_PAGINATION_QUERY = {"page", "p", "paged", "start", "offset", "from", "tag", "q", "s"}
_NUMBER = re.compile(r"\d{4,}")
_SECTION_MIN_LINKS = 5
_SECTION_MAX_WORDS = 120


@dataclass(frozen=True)
class PageLink:
    url: str
    text: str | None


def _in_chrome(node: lxml_html.HtmlElement) -> bool:
    for el in node.iterancestors():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _CHROME_TAGS:
            return True
        marks = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}"
        if marks.strip() and _CHROME_CLASS.search(marks):
            return True
    return False


def looks_like_article_url(url: str) -> bool:
    """A URL shaped like an article's: a slug of three or more words, or a long number (an id, a
    date), and nothing of navigation (tags, authors, sections, login, pagination)."""
    parts = urlsplit(url)
    path = parts.path
    if _NOT_ARTICLE_PATH.search(path) or courlan.is_navigation_page(url) or courlan.is_not_crawlable(url):
        return False
    if any(k.lower() in _PAGINATION_QUERY for k, _ in parse_qsl(parts.query)):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE)
    return last.count("-") >= 2 or bool(_NUMBER.search(path))


def _same_site(url: str, base_url: str) -> bool:
    a, b = host_of(url), host_of(base_url)
    return a == b or a.removeprefix("www.") == b.removeprefix("www.")


def article_links(
    body: bytes, base_url: str, content_type: str | None = None, *, limit: int = 1000
) -> list[PageLink]:
    """The page's links to articles on its own site, in page order, each once."""
    doc = html_document(body, content_type)
    if doc is None:
        return []
    base = doc.xpath("string(//base/@href)") or base_url
    found: list[PageLink] = []
    seen: set[str] = set()
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        try:
            url = resolve_link(href, str(base))
        except BadLink:
            continue
        url = url.split("#", 1)[0]
        if url in seen or url.rstrip("/") == base_url.rstrip("/"):
            continue
        seen.add(url)
        if not _same_site(url, base_url) or _in_chrome(a) or not looks_like_article_url(url):
            continue
        text = " ".join(a.text_content().split()) or None
        found.append(PageLink(url, text))
        if len(found) >= limit:
            break
    return found


def looks_like_section(body: bytes, url: str, content_type: str | None = None) -> bool:
    """A page that is mostly links to articles and little running text: a section, not an article."""
    doc = html_document(body, content_type)
    if doc is None:
        return False
    words = sum(len(p.text_content().split()) for p in doc.iter("p"))
    links = article_links(body, url, content_type, limit=_SECTION_MIN_LINKS * 4)
    return len(links) >= _SECTION_MIN_LINKS and words < _SECTION_MAX_WORDS
