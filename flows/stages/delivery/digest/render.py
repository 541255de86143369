"""Rendering a digest as HTML, plain text and Markdown from the templates beside this module,
with article text escaped and only http(s) links linked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows import clock
from flows.stages.delivery.digest.build import GROUP_LABELS, REGION, Digest

TEMPLATES = Path(__file__).with_name("templates")
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Russian",
    "zh": "Chinese",
    "zh-cn": "Chinese",
    "zh-tw": "Chinese (traditional)",
    "kk": "Kazakh",
    "ky": "Kyrgyz",
    "tg": "Tajik",
    "tk": "Turkmen",
    "uz": "Uzbek",
    "tt": "Tatar",
    "ba": "Bashkir",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "fa": "Persian",
    "de": "German",
    "fr": "French",
    "ar": "Arabic",
    "ja": "Japanese",
    "ko": "Korean",
    "mn": "Mongolian",
}


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    markdown: str


def language_name(code: str | None) -> str:
    if not code or code == "unknown":
        return "unknown language"
    return LANGUAGE_NAMES.get(code.lower(), code)


def is_english(code: str | None) -> bool:
    return bool(code) and str(code).lower().startswith("en")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are linked (a feed could carry javascript: or data: links)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def duration(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "unknown time"
    hours = max((now - since).total_seconds(), 0) / 3600
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        n = int(hours)
        return f"{n} hour{'s' if n != 1 else ''}"
    days = int(hours // 24)
    return f"{days} days"


def local_time(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in the digest's zone, with its UTC offset ("2026-11-21 08:21 +05"); a date without."""
    if not value:
        return ""
    return clock.local(value, tz, fmt) if "%H" in fmt else value.astimezone(tz).strftime(fmt)


def languages_line(codes: list[str]) -> str:
    """The languages a story ran in, by name: "English, Russian"."""
    return ", ".join(dict.fromkeys(language_name(c) for c in codes))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|&~])")


def md_escape(value: Any) -> str:
    """Text that Markdown shows as written: no links, emphasis or raw HTML from article text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value or "").split()))


def md_url(url: str | None) -> str | None:
    safe = safe_url(url)
    return None if safe is None else safe.replace("(", "%28").replace(")", "%29")


def _wrap(text: str, width: int = 78, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        language_name=language_name,
        languages=languages_line,
        country=lambda code: GROUP_LABELS.get(code, code),
        md=md_escape,
        md_url=md_url,
        safe_url=safe_url,
        wrap=_wrap,
    )
    env.tests["english"] = is_english
    return env


def render(digest: Digest) -> Rendered:
    tz = digest.tz

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return local_time(value, tz, fmt)

    def since(value: datetime | None) -> str:
        return duration(value, digest.generated_at)

    env = _environment()
    context = {
        "d": digest,
        "local": local,
        "since": since,
        "group_labels": GROUP_LABELS,
        "REGION": REGION,
        "date_long": digest.day.strftime("%A %d %B %Y"),
    }
    html = env.get_template("digest.html").render(context)
    text = env.get_template("digest.txt").render(context)
    markdown = env.get_template("digest.md").render(context)
    return Rendered(html=html, text=text, markdown=markdown)
