"""Test material: sitemaps and sitemap indexes as sites write them (lastmod as written: a date, a
datetime with its zone or `Z`, or none), and article pages whose texts are each their own."""

from __future__ import annotations

import html
from collections.abc import Sequence

from tests.support.pages import TEMPLATES, Article, story

_TOWNS = [
    "Almaty",
    "Bishkek",
    "Dushanbe",
    "Ashgabat",
    "Tashkent",
    "Astana",
    "Osh",
    "Khujand",
    "Nukus",
    "Termez",
]
_GOODS = ["wheat", "cotton", "copper", "uranium", "gas", "coal", "rice", "steel", "cement", "buses", "wool"]


def urlset(entries: Sequence[tuple[str, str | None]]) -> bytes:
    """A URL set of (absolute URL, lastmod as written or None)."""
    items = "".join(
        f"<url><loc>{html.escape(url)}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>"
        for url, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    ).encode()


def sitemap_index(children: Sequence[tuple[str, str | None]]) -> bytes:
    """A sitemap index of (absolute URL, lastmod as written or None)."""
    items = "".join(
        f"<sitemap><loc>{html.escape(url)}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</sitemap>"
        for url, lastmod in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    ).encode()


def distinct_story(i: int) -> Article:
    """Article number `i`, its text unlike any other's (no near copy of another)."""
    t, g = _TOWNS, _GOODS
    sentences = [
        f"Officials in {t[i % 10]} reported on day {i} that exports of {g[i % 11]} grew {i * 3 + 7} percent"
        f" against the same month of {1990 + i % 37}, the statistics office number {i * 13 + 1} said.",
        f"The ministry in {t[(i + 3) % 10]} expects {g[(i + 4) % 11]} consignment {i * 11 + 5} to reach"
        f" the crossing at {t[(i + 6) % 10]} before week {i % 52 + 1} of the season.",
        f"Traders quoted {i * 17 + 13} for a tonne of {g[(i + 7) % 11]}, and lender {i * 7 + 3} called the"
        f" talks with banks from {t[(i + 8) % 10]} constructive and long overdue.",
        f"Kazakhstan and Uzbekistan scheduled session {i * 5 + 1} of their joint commission in"
        f" {t[(i + 1) % 10]}, where delegation {i + 40} will discuss freight quota {i * 19 + 2}.",
    ]
    return story(f"story-{i}", f"Regional trade report {i} from {t[i % 10]}", sentences, n=4)


def article_page(i: int) -> str:
    """Article number `i` in one of the outlets' templates."""
    return TEMPLATES[i % len(TEMPLATES)](distinct_story(i))
