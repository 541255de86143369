"""Links: checked and made fetchable (`request_url`), and one canonical form per story (`canonicalize`).

A link in a feed or a Location header is untrusted text. `request_url` either returns the URL as it
goes on the wire (ASCII, IDNA host, percent-encoded) or raises `BadLink` naming what is wrong, so
that a bad link costs its own entry and nothing else.
"""

from __future__ import annotations

import base64
import ipaddress
import posixpath
import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import idna
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
MAX_URL_LENGTH = 8192  # what common servers accept in a request line; real article links are far shorter
FETCHABLE_SCHEMES = ("http", "https")

# C0 controls, DEL and C1 controls; tab and newlines are removed first, as browsers do.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
# What a link's ends lose: the C0 controls and space, as the URL standard strips them, and Unicode's
# spaces and invisible marks, which in a feed's <link> are the CMS's (a trailing &nbsp;), never the URL's
_EDGES = (
    "".join(map(chr, range(0x21)))
    + "".join(c for c in map(chr, range(0x80, 0x3001)) if c.isspace())
    + "\u200b\u200c\u200d\u2060\ufeff"
)
# characters WHATWG forbids in a host, beside the controls
_FORBIDDEN_HOST = set(" #%/:<>?@[\\]^|")
_ASCII_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
# what may stay unescaped in a path or query; '%' stays as it is, invalid escapes too, as browsers send them
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


class BadLink(ValueError):
    """A link that cannot be fetched; the message says why, for the fetch log."""

    def __init__(self, reason: str, *, unsupported: bool = False) -> None:
        super().__init__(reason)
        self.unsupported = unsupported  # not http(s): skipped on purpose, not a fault


def ascii_host(host: str) -> str:
    """A host name in its IDNA (xn--) form, lower case; raises BadLink for one no DNS could hold.

    IDNA 2008 with UTS 46 mapping, as browsers do (so `faß.de` keeps its ß); IDNA 2003 only for
    names 2008 refuses but browsers still open (emoji domains).
    """
    host = host.strip().rstrip(".").lower()
    if not host:
        raise BadLink("the link has no host")
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1].split('%')[0])}]"
        except ValueError as exc:
            raise BadLink(f"malformed IPv6 address in link: {host}") from exc
    if bad := sorted({c for c in host if c in _FORBIDDEN_HOST or _CONTROL.match(c)}):
        raise BadLink(f"invalid character {''.join(bad)!r} in host {host!r}")
    if host.isascii():
        return _checked_labels(host, host)
    try:
        return _checked_labels(idna.encode(host, uts46=True).decode("ascii"), host)
    except (idna.IDNAError, UnicodeError) as exc:
        try:
            encoded = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadLink(f"invalid internationalised host name {host!r}: {exc}") from exc
        # IDNA 2003 passes ASCII it should not ("&。x" becomes "&.x"): the wire form must be a
        # host name too, or the URL sent is one this function itself refuses
        return _checked_labels(encoded, host)


def _checked_labels(ascii_name: str, host: str) -> str:
    """`ascii_name` if every label is one DNS could hold (letters, digits, '-', '_'; punycode that
    decodes)."""
    for label in ascii_name.split("."):
        if not _ASCII_LABEL.fullmatch(label) or label.startswith("-") or label.endswith("-"):
            raise BadLink(f"invalid host name {host!r} (label {label!r})")
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError) as exc:
                try:
                    label.encode("ascii").decode("idna")  # IDNA 2003 (emoji domains)
                except UnicodeError:
                    raise BadLink(f"invalid punycode in host {host!r}: {exc}") from exc
    if len(ascii_name) > 253:
        raise BadLink(f"host name longer than 253 characters ({len(ascii_name)})")
    return ascii_name


def _clean(link: str) -> str:
    link = _TAB_NEWLINE.sub("", link.strip(_EDGES))
    if len(link) > MAX_URL_LENGTH:
        raise BadLink(f"link too long ({len(link):,} characters; at most {MAX_URL_LENGTH:,})")
    if m := _CONTROL.search(link):
        raise BadLink(f"control character U+{ord(m.group()):04X} in link")
    return link


def basic_credentials(url: str) -> tuple[str, str | None]:
    """`url` without the user name and password it carries (https://user:token@host/hook), and
    them as the value of an Authorization header, as httpx sends them; None when it carries none
    (or cannot be read: request_url says why)."""
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return url, None
    if user is None:
        return url, None
    token = base64.b64encode(f"{unquote(user)}:{unquote(password or '')}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])), f"Basic {token}"


def request_url(link: str) -> str:
    """The absolute http(s) URL `link` names, as it goes on the wire; BadLink says why not."""
    link = _clean(link)
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError as exc:
        raise BadLink(f"malformed link: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in FETCHABLE_SCHEMES:
        raise BadLink(f"unsupported URL scheme {scheme or 'none'!r}", unsupported=True)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at:
        raise BadLink("the link carries a user name or password; not fetched")
    if port == 0:
        raise BadLink("port 0 in link")
    host = hostport
    if not host.startswith("["):
        host = host.rpartition(":")[0] if ":" in host else host
    else:
        host = host[: host.index("]") + 1] if "]" in host else host
    host = ascii_host(host)
    netloc = f"{host}:{port}" if port is not None else host
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def resolve_link(link: str | None, base: str) -> str:
    """An entry's link made absolute against `base` and checked; BadLink (with the reason) if unusable.

    The result keeps the feed's spelling (a Unicode host stays Unicode): that is the article's URL.
    """
    if link is None or not link.strip():
        raise BadLink("no link")
    cleaned = _clean(link)
    try:
        absolute = urljoin(base, cleaned)
    except ValueError as exc:
        raise BadLink(f"malformed link: {exc}") from exc
    request_url(absolute)
    return absolute


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
    """Lower-case scheme and host, default port, sorted query without tracking, no fragment.

    One form whatever the feed's spelling: a Unicode host and its punycode give the same result.
    A link `request_url` refuses is returned stripped, never raised on.
    """
    try:
        url = _clean(url)
        wire = request_url(url)
    except BadLink:
        return _TAB_NEWLINE.sub("", url.strip(_EDGES))
    fragment = urlsplit(url).fragment if "#" in url else ""
    try:
        # A SplitResult, not the string: courlan HTML-unescapes strings, which turns
        # real parameters such as "&gt=0" or "&copy=1" into ">=0" and "©=1".
        normalized = normalize_url(urlsplit(wire))
        parts = urlsplit(normalized)
    except (ValueError, AttributeError):
        parts = urlsplit(wire)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair
        and pair.split("=", 1)[0].lower() not in EXTRA_TRACKING
        and not pair.lower().startswith("utm_")
    )
    fragment = fragment if fragment.startswith("!") and fragment[1:].strip("/") else ""  # a #! route
    return urlunsplit(
        (parts.scheme.lower(), _ascii_netloc(parts.netloc), _remove_dot_segments(parts.path), query, fragment)
    )


def _ascii_netloc(netloc: str) -> str:
    """courlan turns punycode back into Unicode; the canonical form keeps one spelling, the ASCII one."""
    host, colon, port = netloc.lower().rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not colon or not port.isdigit():
        host, colon, port = netloc.lower(), "", ""
    try:
        return ascii_host(host) + colon + port
    except BadLink:
        return netloc.lower()


def host_of(url: str) -> str:
    """The ASCII host of a URL (`пример.қаз` and `xn--e1afmkfd.xn--80ao21a` are one host); '' if none."""
    try:
        host = urlsplit(url).hostname or ""
        return ascii_host(host) if host else ""
    except ValueError:
        return ""
