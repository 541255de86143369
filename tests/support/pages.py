"""Test material: article pages in several outlets' templates, and RSS/Atom feeds around them.

Each template wraps the article in the clutter real news sites have: navigation, cookie banners,
related links, share bars, newsletter boxes and comment threads.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    paragraphs: Sequence[str]
    author: str = "Staff Reporter"
    published: datetime = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    lang: str = "en"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def _paras(article: Article) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)


def _related(n: int = 6) -> str:
    items = "".join(
        f'<li><a href="/news/related-{i}">Related headline number {i} about markets and weather</a></li>'
        for i in range(n)
    )
    return f'<aside class="related"><h3>Related stories</h3><ul>{items}</ul></aside>'


def _comments() -> str:
    rows = "".join(
        f'<div class="comment"><span class="who">reader{i}</span><p>I think this is comment {i}, '
        "what a story, thanks for sharing it with us.</p></div>"
        for i in range(5)
    )
    return (
        f'<section id="comments" class="comments"><h3>5 comments</h3>{rows}'
        '<form class="comment-form"><label>Name *</label><input name="author"><label>Email *</label>'
        '<input name="email"><textarea></textarea><button>Post comment</button></form></section>'
    )


def _nav() -> str:
    links = "".join(
        f'<li><a href="/section/{s}">{s.title()}</a></li>'
        for s in ("politics", "economy", "world", "sport", "culture", "opinion", "video")
    )
    return f'<header><div class="logo">The Outlet</div><nav><ul>{links}</ul></nav></header>'


def _cookie() -> str:
    return (
        '<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. '
        "By continuing to browse you agree to our cookie policy. <button>Accept all</button></div>"
    )


def _footer() -> str:
    return (
        '<footer><p>© 2026 The Outlet. All rights reserved.</p><ul><li><a href="/about">About us</a></li>'
        '<li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy policy</a></li></ul></footer>'
    )


def page_wordpress(article: Article, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html><html lang="{article.lang}"><head><meta charset="{charset}">
<title>{html.escape(article.title)} – Regional Times</title>
<meta property="og:title" content="{html.escape(article.title)}">
<meta property="og:site_name" content="Regional Times">
<meta name="author" content="{html.escape(article.author)}">
<meta property="article:published_time" content="{article.published.isoformat()}">
<script>window.dataLayer=[];function track(){{}}</script><style>body{{font:14px sans-serif}}</style>
</head><body class="single-post">{_cookie()}{_nav()}
<div class="wrap"><main id="main"><article class="post type-post">
<h1 class="entry-title">{html.escape(article.title)}</h1>
<div class="entry-meta">By <span class="author vcard">{html.escape(article.author)}</span>
<time datetime="{article.published.isoformat()}">{article.published:%B %d, %Y}</time></div>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Tweet</a> <a href="#">Telegram</a></div>
<div class="entry-content">{_paras(article)}
<div class="newsletter">Subscribe to our newsletter for the latest news from the region.</div></div>
<div class="tags">Tags: <a href="/tag/a">politics</a>, <a href="/tag/b">region</a></div>
</article>{_related()}{_comments()}</main>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/x">Top story one of the week</a></li>
<li><a href="/y">Top story two of the week</a></li></ul></aside></div>{_footer()}</body></html>"""


def page_newsportal(article: Article, charset: str = "utf-8") -> str:
    ld = (
        '{"@context":"https://schema.org","@type":"NewsArticle","headline":'
        f'"{html.escape(article.title)}","datePublished":"{article.published.isoformat()}",'
        f'"author":{{"@type":"Person","name":"{html.escape(article.author)}"}}}}'
    )
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(article.title)} | NewsPortal</title>
<script type="application/ld+json">{ld}</script></head>
<body>{_nav()}<div class="breadcrumbs"><a href="/">Home</a> › <a href="/news">News</a></div>
<div class="content-grid"><div class="col-main">
<div class="article-header"><h1>{html.escape(article.title)}</h1>
<div class="byline">{html.escape(article.author)} · {article.published:%d.%m.%Y %H:%M}</div></div>
<div class="article-body" itemprop="articleBody">{_paras(article)}</div>
<div class="read-also"><b>Read also:</b> <a href="/news/other">Another story you might like</a></div>
</div><div class="col-side"><div class="banner">ADVERTISEMENT</div>{_related(8)}</div></div>
{_comments()}{_footer()}{_cookie()}</body></html>"""


def page_divsoup(article: Article, charset: str = "utf-8") -> str:
    body = "".join(f'<div class="txt">{html.escape(p)}</div>' for p in article.paragraphs)
    return f"""<html><head><meta charset="{charset}"><title>{html.escape(article.title)}</title>
<meta name="description" content="{html.escape(article.paragraphs[0][:150])}"></head>
<body><div id="top">{_nav()}</div><div id="container"><div id="left-menu"><a href="/a">Menu A</a>
<a href="/b">Menu B</a></div><div id="story"><div class="headline">{html.escape(article.title)}</div>
<div class="date">{article.published:%Y-%m-%d}</div>{body}</div>
<div id="right">{_related(10)}</div></div>{_footer()}</body></html>"""


TEMPLATES = (page_wordpress, page_newsportal, page_divsoup)


def rss(
    title: str, link: str, items: Sequence[tuple[str, str, str, datetime | None]], encoding: str = "utf-8"
) -> str:
    """RSS 2.0; items are (title, link, description, published)."""
    entries = []
    for t, href, desc, when in items:
        date = f"<pubDate>{when:%a, %d %b %Y %H:%M:%S +0000}</pubDate>" if when else ""
        entries.append(
            f"<item><title>{html.escape(t)}</title><link>{html.escape(href)}</link>"
            f"<guid>{html.escape(href)}</guid>{date}<description>{html.escape(desc)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
        f"<link>{html.escape(link)}</link><description>feed</description>{''.join(entries)}</channel></rss>"
    )


def atom(title: str, link: str, items: Sequence[tuple[str, str, str, datetime | None]]) -> str:
    entries = []
    for t, href, desc, when in items:
        stamp = (when or datetime(2026, 11, 21, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries.append(
            f'<entry><title>{html.escape(t)}</title><link rel="alternate" href="{html.escape(href)}"/>'
            f"<id>{html.escape(href)}</id><updated>{stamp}</updated><summary>{html.escape(desc)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{html.escape(title)}</title><link href="{html.escape(link)}"/><id>{html.escape(link)}</id>'
        f"<updated>2026-11-21T10:00:00Z</updated>{''.join(entries)}</feed>"
    )


LOREM_CA = [
    "Kazakhstan and Uzbekistan signed an agreement on Friday to expand water sharing along the Syr Darya river, "
    "officials in Astana said after two days of talks between the two governments.",
    "The deal sets quotas for the growing season and creates a joint commission that will meet every quarter to "
    "review flows at the border and settle disputes before they reach the capitals.",
    "Farmers in the south of Kazakhstan have complained for years that upstream releases arrive too late for the "
    "cotton and rice harvest, and the new commission is meant to give them earlier warning.",
    "Uzbek officials said the agreement also covers maintenance of canals built in the Soviet era, many of which "
    "lose a third of their water to leaks before it reaches the fields it was meant for.",
    "Analysts in Tashkent described the accord as a sign that regional cooperation has deepened since 2016, when "
    "the new leadership in Uzbekistan began to settle long-running border and resource disputes with neighbours.",
]


def story(slug: str, title: str, topic_sentences: Sequence[str] | None = None, n: int = 5) -> Article:
    sentences = list(topic_sentences or LOREM_CA)
    paragraphs = [sentences[i % len(sentences)] + f" (paragraph {i + 1} of {slug})" for i in range(n)]
    return Article(slug=slug, title=title, paragraphs=paragraphs)
