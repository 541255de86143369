"""Where an announcement goes, as it may be shown or stored: a webhook URL cut to its origin.

A webhook's path and query often carry its secret (Slack, Teams, Discord and most chat services
put the token there), and so may its user:password@. Messages, logs and the database get
`scheme://host[:port]/…` only; a stored delivery names its webhook by that and a fingerprint of
the whole URL (`webhook_target`), and the URL itself is read from sources.yaml when it is sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import unquote

HIDDEN = "/…"
# a URL inside a message: it ends where the text around it starts (space, quote, bracket)
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://([^\s/?#'\"<>]*)([^\s'\"<>]*)")


def _origin(scheme: str, authority: str) -> str:
    host = authority.rpartition("@")[2]  # user:password@ left out
    return f"{scheme.lower()}://{host}"


def _split(url: str) -> tuple[str, str, str] | None:
    """scheme, authority, the rest (path, query, fragment); by hand, as urlsplit refuses some."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return None
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return scheme, authority, rest[len(authority) :]


def shown_url(url: str) -> str:
    """`scheme://host[:port]/…`: what may be printed or stored of a webhook URL."""
    parts = _split(url)
    if parts is None or not parts[1]:
        return "(a webhook URL)"
    return _origin(parts[0], parts[1]) + HIDDEN


def webhook_target(url: str) -> str:
    """How a delivery names its webhook in the database: the shown URL and a fingerprint of the
    whole one, so two webhooks on one host stay apart and the configured URL can be found again."""
    return f"{shown_url(url)} #{hashlib.sha256(url.strip().encode('utf-8')).hexdigest()[:12]}"


def is_webhook_target(target: str) -> bool:
    """A target written by `webhook_target` (older databases stored the URL itself)."""
    return f"{HIDDEN} #" in target


def without_urls(text: str, urls: Iterable[str] = ()) -> str:
    """`text` with each of `urls` (as given or percent-decoded) and every other URL in it cut to
    its origin, and the path and query of each of `urls` taken out where they stand alone (an
    error that quotes only the path)."""
    tails: set[str] = set()
    for url in (u.strip() for u in urls):
        for form in {url, unquote(url)}:
            text = text.replace(form, shown_url(url))
        tail = (_split(url) or ("", "", url))[2]
        tails.update(t for t in (tail, unquote(tail)) if len(t) > 1)  # "/" alone hides nothing
    text = _URL.sub(lambda m: _origin(m.group(1), m.group(2)) + HIDDEN, text)
    for tail in sorted(tails, key=len, reverse=True):
        text = re.sub(r"(?<![\w/:.@])" + re.escape(tail), HIDDEN, text)
    return text
