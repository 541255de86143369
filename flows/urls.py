"""URL normalisation for exact deduplication: one story URL, one canonical form."""

from __future__ import annotations

import contextlib
import posixpath
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# courlan drops utm_* and friends; these are the ones it keeps that still only track.
EXTRA_TRACKING = {
    "fbclid",
    "gclid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "ref_src",
    "cmpid",
    "at_medium",
}


def _remove_dot_segments(path: str) -> str:
    if not path:
        return "/"
    trailing = path.endswith("/")
    resolved = posixpath.normpath(path)
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if trailing and not resolved.endswith("/"):
        resolved += "/"
    return resolved


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, default port, sorted query without tracking, no fragment."""
    url = url.strip()
    try:
        # A SplitResult, not the string: courlan HTML-unescapes strings, which turns
        # real parameters such as "&gt=0" or "&copy=1" into ">=0" and "©=1".
        normalized = normalize_url(urlsplit(url))
    except (ValueError, AttributeError):
        normalized = url
    parts = urlsplit(normalized)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair
        and pair.split("=", 1)[0].lower() not in EXTRA_TRACKING
        and not pair.lower().startswith("utm_")
    )
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    return urlunsplit(
        (parts.scheme.lower(), _ascii_host(parts.netloc), _remove_dot_segments(parts.path), query, fragment)
    )


def _ascii_host(netloc: str) -> str:
    """Hosts in their IDNA (xn--) form, so one host has one spelling whatever the feed used."""
    netloc = netloc.lower()
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return f"{userinfo}{at}{host}{colon}{port}"


def resolve_link(link: str | None, base: str) -> str | None:
    """An entry's link made absolute against the feed URL; None for anything that is not http(s)."""
    if not link:
        return None
    link = link.strip()
    if not link:
        return None
    absolute = urljoin(base, link)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute
