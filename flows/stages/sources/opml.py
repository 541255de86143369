"""OPML, the feed readers' interchange format (Miniflux, FreshRSS, Feedly): sources to OPML 2.0
and back. Categories are tags: an outline's enclosing folders and its `category` attribute."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import quoteattr

from lxml import etree

from flows.config import SOURCE_TYPES, Source


class OpmlError(Exception):
    """Not an OPML file."""


@dataclass
class OpmlSource:
    name: str
    url: str
    type: str = "feed"
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    enabled: bool = True

    def entry(self) -> dict[str, object]:
        """As a sources.yaml entry: only the fields that differ from the defaults."""
        out: dict[str, object] = {"name": self.name, "url": self.url}
        if self.type != "feed":
            out["type"] = self.type
        if self.language:
            out["language"] = self.language
        if self.tags:
            out["tags"] = list(self.tags)
        if not self.enabled:
            out["enabled"] = False
        return out


def _tag_list(value: str | None) -> list[str]:
    """OPML 2.0 `category`: comma-separated, each a slash-delimited path (`/a/b` gives a and b)."""
    tags: list[str] = []
    for part in (value or "").split(","):
        for name in part.strip().split("/"):
            if name.strip() and name.strip() not in tags:
                tags.append(name.strip())
    return tags


def _language(value: str | None) -> str | None:
    """The outline's language as a code sources.yaml accepts (en-US is en), else None: readers
    write `language="unknown"`, and one such outline must not refuse the whole import."""
    from flows.stages.reading.language import LANGUAGE_CODES

    code = (value or "").strip().lower()
    return next((c for c in (code, code.split("-")[0]) if c in LANGUAGE_CODES), None)


_NOT_FEEDS = {
    "include": 'a link to another OPML file (type="include"), not a feed: import that file itself',
    "source": 'a subscription list (type="source"), not a feed',
}


def parse_opml(body: bytes) -> tuple[list[OpmlSource], list[str]]:
    """The sources of an OPML file (outlines with an xmlUrl, or a htmlUrl and a newswatch type), and
    what was skipped and why. Attribute names in any case (xmlUrl, xmlurl, xmlURL); a feed listed
    in several folders is one source with the tags of all of them."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not an OPML file: {exc}") from exc
    if etree.QName(root.tag).localname.lower() != "opml":
        raise OpmlError(f"not an OPML file: root element <{etree.QName(root.tag).localname}>")
    body_node = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c.tag).localname.lower() == "body"), None
    )  # comments are children too (NewsBlur writes one before <head>)
    if body_node is None:
        raise OpmlError("not an OPML file: no <body>")
    found: dict[str, OpmlSource] = {}  # by URL, in file order
    skipped: list[str] = []

    def walk(node: etree._Element, folders: list[str]) -> None:
        for child in node:
            if not isinstance(child.tag, str) or etree.QName(child.tag).localname.lower() != "outline":
                continue
            attrs = {etree.QName(k).localname.lower(): str(v) for k, v in child.attrib.items()}
            name = (attrs.get("title") or attrs.get("text") or "").strip()
            url = (attrs.get("xmlurl") or "").strip()
            kind = (attrs.get("newswatchtype") or "feed").strip().lower()
            outline_type = (attrs.get("type") or "").strip().lower()
            if outline_type in _NOT_FEEDS:
                where = url or (attrs.get("url") or attrs.get("htmlurl") or "").strip()
                skipped.append(f"{name or where or 'an outline'}: {_NOT_FEEDS[outline_type]}")
                continue  # its children, if any, are the other list's
            if not url and kind in SOURCE_TYPES and kind != "feed":
                url = (attrs.get("htmlurl") or "").strip()
            if not url:
                walk(child, [*folders, name] if name else folders)  # a folder: its name is a tag
                continue
            if kind not in SOURCE_TYPES:
                skipped.append(f"{name or url}: unknown newswatchType {kind!r}")
                continue
            tags = list(dict.fromkeys([*folders, *_tag_list(attrs.get("category"))]))
            if url in found:  # listed again under another folder: one source, every folder a tag
                found[url].tags = list(dict.fromkeys([*found[url].tags, *tags]))
                continue
            enabled = (attrs.get("newswatchenabled") or "true").strip().lower() != "false"
            language = _language(attrs.get("language"))
            found[url] = OpmlSource(name or url, url, kind, language, tags, enabled)

    walk(body_node, [])
    return list(found.values()), skipped


def render_opml(
    sources: Sequence[Source], title: str = "newswatch sources", now: datetime | None = None
) -> str:
    """OPML 2.0 of `sources`, grouped in folders by their first tag (readers show folders), every
    tag also in `category`, so an import gives back the same sources and tags."""
    now = now or datetime.now(UTC)
    folders: dict[str, list[Source]] = {}
    for s in sources:
        folders.setdefault(s.tags[0] if s.tags else "", []).append(s)

    def outline(s: Source, pad: str) -> str:
        attrs = {"type": "rss" if s.type == "feed" else "link", "text": s.name, "title": s.name}
        attrs["xmlUrl" if s.type == "feed" else "htmlUrl"] = s.url
        if s.type != "feed":
            attrs["newswatchType"] = s.type
        if s.tags:
            attrs["category"] = ",".join(f"/{t}" for t in s.tags)
        if s.language:
            attrs["language"] = s.language
        if not s.enabled:
            attrs["newswatchEnabled"] = "false"
        return pad + "<outline " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>"

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title><dateCreated>{format_datetime(now)}</dateCreated></head>",
        "  <body>",
    ]
    for folder, members in folders.items():
        if folder:
            lines.append(f"    <outline text={quoteattr(folder)} title={quoteattr(folder)}>")
            lines.extend(outline(s, "      ") for s in members)
            lines.append("    </outline>")
        else:
            lines.extend(outline(s, "    ") for s in members)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
