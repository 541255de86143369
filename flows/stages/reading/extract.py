"""Extraction: page bytes to main text and metadata with trafilatura; charset handling first.

Everything here is pure (bytes and str in, values out) so it can run in a process pool.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree
from lxml import html as lxml_html

from flows.stages.reading.page_metadata import PageMetadata, page_metadata
from flows.stages.reading.titles import PageTitles, choose, page_titles

MIN_WORDS = 40  # below this, the feed's own content is used if it gives more
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Browsers decode these labels with their supersets (WHATWG encoding standard).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "iso-8859-1": "windows-1252", "ascii": "windows-1252"}
# A start tag, quote-aware, in one pass: possessive quantifiers give nothing back, and an
# unclosed tag or quote ends at the end of the text, so no position is scanned twice.
# A start tag: a real tag name, then white space before its attributes. Quotes must close: an
# unclosed one is not taken as attributes (that would cut the rest of the page away).
_START_TAG = re.compile(r"""<([A-Za-z][A-Za-z0-9:-]{0,64}+)(\s(?:[^>"']++|"[^"]*+"|'[^']*+')*+)(?:>|\Z)""")
# Scripts and style sheets are not markup: a "<" in them starts no tag.
_SCRIPT_OR_STYLE = re.compile(r"(<(script|style)\b.*?</\2\s*>)", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r""""[^"]*+"|'[^']*+'""")
# libxml2 checks each new attribute against the others, and htmldate searches every one: a tag
# with 100,000 attributes took 22 s and 40 s. No real tag has a tenth of this many.
MAX_ATTRIBUTES = 256
_LONG_ATTRIBUTES = 2 * MAX_ATTRIBUTES  # fewer characters cannot hold that many attributes
# Text in any encoding has next to no C0 control characters; random or binary bytes decoded
# as text have about one in nine. NUL is left out: lxml drops it and pages padded with it exist.
_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0e-\x1f]")
_BINARY_SHARE = 0.01
_BINARY_SAMPLE = 100_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    author: str | None
    published_at: datetime | None
    site_name: str | None
    method: str  # "page" or "feed"
    second_opinion: str | None = None  # in "auto" mode, why the second opinion was asked
    titles: PageTitles | None = None  # the headline's candidates, for choosing again by site

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.IGNORECASE)
    return _codec(match.group(1)) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then UTF-8 if the bytes are valid UTF-8, then the HTTP charset, then
    <meta>/<?xml?>, then detection.

    Valid UTF-8 wins over any label: sites that moved to UTF-8 keep a `windows-1251` meta or
    declaration in their templates, and text in a legacy encoding is never valid UTF-8 by chance
    (past a few words), so the label can only be wrong there."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    if not body.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            return body.decode("utf-8")
    candidates: list[str | None] = [charset_from_content_type(content_type)]
    head = body[:4096]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        match = pattern.search(head)
        if match:
            candidates.append(_codec(match.group(1).decode("ascii", "ignore")))
    for label in candidates:
        if label:
            try:
                return body.decode(label)
            except UnicodeDecodeError:
                continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def html_document(body: bytes, content_type: str | None = None) -> lxml_html.HtmlElement | None:
    """A page's body as an lxml document for link finding (sections, feed discovery), or None when
    it is empty or not HTML at all."""
    text = decode_html(body, content_type)
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def _bare_if_crowded(match: re.Match[str]) -> str:
    attributes = match.group(2)
    if len(attributes) > _LONG_ATTRIBUTES and len(_QUOTED.sub(" ", attributes).split()) > MAX_ATTRIBUTES:
        return f"<{match.group(1)}>"
    return match.group(0)


def drop_crowded_attributes(html: str) -> str:
    """The page with the attributes of any tag that has over MAX_ATTRIBUTES removed (the tag stays)."""
    if len(html) <= _LONG_ATTRIBUTES:
        return html
    parts = _SCRIPT_OR_STYLE.split(html)
    # split() gives text, script, its tag name, text, ...: the text pieces are markup, names go
    return "".join(
        _START_TAG.sub(_bare_if_crowded, part) if i % 3 == 0 else part
        for i, part in enumerate(parts)
        if i % 3 != 2
    )


def looks_binary(html: str) -> bool:
    """True for bytes that are not text in any encoding (an image or random data sent as HTML)."""
    sample = html[:_BINARY_SAMPLE]
    return len(_CONTROLS.findall(sample)) > _BINARY_SHARE * max(len(sample), 1)


def normalize_space(text: str) -> str:
    lines = [
        _SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summaries, titles with markup); scripts dropped."""
    if "<" not in fragment and "&" not in fragment:
        return normalize_space(fragment)
    try:
        doc = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalize_space(re.sub(r"<[^>]+>", " ", fragment))
    for bad in doc.xpath(".//script|.//style|.//noscript|.//template"):
        bad.drop_tree()
    for br in doc.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    for block in doc.xpath(".//p|.//div|.//li|.//h1|.//h2|.//h3|.//h4|.//blockquote"):
        block.tail = "\n" + (block.tail or "")
    return normalize_space(doc.text_content())


def _strip_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps the headline as the first line; the title column already holds it."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip() and rest.strip():
            return rest.strip()
    return text


ExtractionMode = Literal["auto", "thorough", "fast"]
# "auto": trafilatura's own extractor first; its readability/jusText second opinion only where
# that result looks wrong (see second_opinion_reason). "thorough": the second opinion on every
# page. "fast": never.
_TERMINAL = frozenset(".!?…。！？\"'»”’)]:;")
# Measured on the development sets (benchmarks/README.md): where the fast result has one of
# these marks, the second opinion gains; elsewhere it gains nothing on average.
SHORT_TEXT = 600  # characters: below this a text is short if the page holds much more ...
SHORT_SHARE = 0.2  # ... at least 1 / SHORT_SHARE times as much text
ONE_BLOCK = 1_500  # characters: a text this long in one paragraph missed the paragraphs
LINK_LINE = 50  # characters: a line this short without end punctuation reads like a link
LINK_SHARE = 0.2  # a text with this share of its characters in such lines is a list of links
_EMPTY_CELLS = re.compile(r"[|\s]+")


def second_opinion_reason(text: str, tree: lxml.html.HtmlElement | None) -> str | None:
    """Why a first, fast extraction looks wrong (so is worth a second opinion), or None.

    Empty; short against the text the page holds; long but in one block (no paragraphs); a
    list of links (menus, related stories); a layout table (the text begins with empty cells)."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if (
        len(stripped) < SHORT_TEXT
        and tree is not None
        and len(stripped) < SHORT_SHARE * len(" ".join(tree.text_content().split()))
    ):
        return "short"
    lines = [line for line in stripped.split("\n") if line.strip()]
    if len(stripped) > ONE_BLOCK and len(lines) == 1:
        return "no paragraphs"
    linkish = sum(len(line) for line in lines if len(line) < LINK_LINE and line[-1] not in _TERMINAL)
    if linkish > LINK_SHARE * len(stripped):
        return "links"
    if _EMPTY_CELLS.fullmatch(lines[0]):
        return "layout table"
    return None


def _bare(tree: lxml.html.HtmlElement, url: str, *, fast: bool) -> Any:
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,  # page_metadata reads the fields we keep
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        fast=fast,
    )


def extract_page(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    feed_title: str | None = None,
    feed_text: str = "",
    fast: bool = False,
    mode: ExtractionMode | None = None,
    second_opinion: bool = False,
    date: bool = True,
    date_search: bool = True,
    author_search: bool = True,
    now: datetime | None = None,
) -> Extracted:
    """Main text and metadata of one page; the feed's text where the page gives too little.

    `mode` (default "thorough", or "fast" when `fast` is set): see ExtractionMode. The second
    opinion (trafilatura's comparison with readability and jusText) rescues pages its own
    extractor cuts short or misses, at about half the cost of a page. `second_opinion` asks for
    it in "auto" mode whatever the first result looks like (for an outlet whose template is not
    known yet, say). `date=False`: no date is read from the page (for pages whose feed gives
    one with its time); `date_search=False`: only the page's structured metadata gives a date,
    its URL and text are not searched (for pages whose feed gives a day);
    `author_search=False`: no byline is searched for in the page's text (its meta tags and
    JSON-LD are still read; for pages whose feed names the author). `now`: for
    `dates.plausible`."""
    mode = mode or ("fast" if fast else "thorough")
    html = drop_crowded_attributes(decode_html(body, content_type))
    doc = None
    meta = PageMetadata()
    titles = None
    reason = None
    try:
        # random or binary bytes: nothing to extract, the feed's text is used
        tree = None if looks_binary(html) else trafilatura.utils.load_html(html)
        if tree is not None:  # parsed once for the metadata and both opinions
            meta = page_metadata(
                tree, url, date=date, date_search=date_search, author_search=author_search, now=now
            )
            titles = replace(page_titles(tree), feed=feed_title)
            doc = _bare(tree, url, fast=mode != "thorough")
            if mode == "auto":
                title = html_to_text(meta.title or "") or feed_title
                first = doc.text if doc is not None else ""
                candidate = _strip_leading_title(normalize_space(first or ""), title)
                reason = "asked" if second_opinion else second_opinion_reason(candidate, tree)
                if reason is not None:
                    second = _bare(tree, url, fast=False)
                    if second is not None:
                        doc = second
    except Exception as exc:  # noqa: BLE001 - a page that crashes the extractor falls back to the feed
        log.warning(
            "extraction failed for %s (%s: %s); the feed's text is used",
            url[:300],
            type(exc).__name__,
            str(exc)[:300],
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        doc = None
    title = html_to_text(meta.title or "") or feed_title
    headline = choose(feed_title, titles, host=urlsplit(url).hostname) if titles is not None else title
    text = normalize_space((doc.text if doc is not None else None) or "")
    text = _strip_leading_title(text, title)
    if headline != title:
        text = _strip_leading_title(text, headline)
    feed_text = normalize_space(feed_text)
    method = "page"
    if len(text.split()) < MIN_WORDS and len(feed_text.split()) > len(text.split()):
        text, method = feed_text, "feed"
    return Extracted(
        text=text,
        title=headline or None,
        author=meta.author,
        published_at=meta.date,
        site_name=meta.site_name,
        method=method,
        second_opinion=reason,
        titles=titles,
    )
