"""Telegram channels' public web preview (https://t.me/s/NAME): the posts of one page.

The markup, as public parsers of these pages read it: each post is a `.tgme_widget_message` with
`data-post="NAME/ID"`; its text is `.tgme_widget_message_text` (a reply quotes the replied-to
post's text inside `.tgme_widget_message_reply`, which is not the post's own); a forward names the
original channel in `.tgme_widget_message_forwarded_from_name`; the time is the `datetime` of the
`<time>` inside `.tgme_widget_message_date`; an edited post says "edited" in
`.tgme_widget_message_meta`; a link preview is `.tgme_widget_message_link_preview`; older posts
are at `?before=ID` (`.tme_messages_more[data-before]`); a service message ("Channel created",
"… pinned «…»") has the class `service_message`, on the message element itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import html as lxml_html

from flows.stages.reading.dates import parse_date
from flows.stages.reading.extract import decode_html

_TITLE_CHARS = 160
_URL_ONLY = re.compile(r"^\s*(https?://\S+)\s*$")
_LINK_ONLY_WORDS = 25


class TelegramError(Exception):
    """The page is not a channel's web preview."""


@dataclass(frozen=True)
class TelegramPost:
    channel: str  # the NAME of t.me/NAME, as data-post gives it
    id: int
    text: str
    published_at: datetime | None
    channel_title: str | None = None
    forwarded_from: str | None = None  # the original channel's name, for a forward
    forwarded_url: str | None = None  # its post's link, where the page gives one
    reply_to: int | None = None
    edited: bool = False
    media: tuple[str, ...] = ()  # photo, video, document, ... (what the post carries besides text)
    link: str | None = None  # the linked article of a post that is a link and a headline

    @property
    def permalink(self) -> str:
        return f"https://t.me/{self.channel}/{self.id}"

    @property
    def title(self) -> str | None:
        first = next((line.strip() for line in self.text.splitlines() if line.strip()), "")
        if not first:
            return None
        return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1].rstrip() + "…"


@dataclass
class ChannelPage:
    posts: list[TelegramPost]
    title: str | None
    before: int | None  # the id to ask `?before=` for older posts, None at the channel's start


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _first(node: lxml_html.HtmlElement, cls: str) -> lxml_html.HtmlElement | None:
    found = node.xpath(f".//*[{_has_class(cls)}]")
    return found[0] if found else None


def _text_of(node: lxml_html.HtmlElement) -> str:
    for br in node.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines = [" ".join(line.split()) for line in node.text_content().split("\n")]
    return "\n".join(line for line in lines if line).strip()


_MEDIA = {
    "tgme_widget_message_photo_wrap": "photo",
    "tgme_widget_message_video_player": "video",
    "tgme_widget_message_document": "document",
    "tgme_widget_message_voice": "voice",
    "tgme_widget_message_poll": "poll",
    "tgme_widget_message_sticker": "sticker",
    "tgme_widget_message_location": "location",
}


def _post(node: lxml_html.HtmlElement, channel_title: str | None) -> TelegramPost | None:
    data_post = node.get("data-post") or ""
    name, _, number = data_post.rpartition("/")
    if not name or not number.isdigit():
        return None
    if "service_message" in (node.get("class") or "").split() or _first(node, "service_message") is not None:
        return None  # "Channel created", "… pinned «…»": not news; t.me puts the class on the message
    reply_to = None
    reply = _first(node, "tgme_widget_message_reply")
    if reply is not None:
        ref = (reply.get("href") or "").rstrip("/").rpartition("/")[2]
        reply_to = int(ref) if ref.isdigit() else None
        reply.drop_tree()  # its quoted text is the other post's
    text_node = _first(node, "tgme_widget_message_text")
    text = _text_of(text_node) if text_node is not None else ""
    fwd = _first(node, "tgme_widget_message_forwarded_from_name")
    forwarded_from = " ".join(fwd.text_content().split()) or None if fwd is not None else None
    forwarded_url = fwd.get("href") if fwd is not None else None
    time_node = node.xpath(f".//*[{_has_class('tgme_widget_message_date')}]//time[@datetime]")
    published = parse_date(time_node[0].get("datetime")) if time_node else None
    meta = _first(node, "tgme_widget_message_meta")
    edited = meta is not None and "edited" in meta.text_content().lower()
    media = tuple(kind for cls, kind in _MEDIA.items() if _first(node, cls) is not None)
    link = None
    preview = _first(node, "tgme_widget_message_link_preview")
    url_only = _URL_ONLY.match(text)
    if url_only:
        link = url_only.group(1)
    elif preview is not None and preview.get("href") and len(text.split()) <= _LINK_ONLY_WORDS:
        link = preview.get("href")
    if link is not None and preview is not None and url_only:
        title_node = _first(preview, "link_preview_title")
        if title_node is not None and title_node.text_content().strip():
            text = " ".join(title_node.text_content().split())
    return TelegramPost(
        channel=name,
        id=int(number),
        text=text,
        published_at=published,
        channel_title=channel_title,
        forwarded_from=forwarded_from,
        forwarded_url=forwarded_url,
        reply_to=reply_to,
        edited=edited,
        media=media,
        link=link,
    )


def parse_channel_page(body: bytes, content_type: str | None = None) -> ChannelPage:
    """The posts of one t.me/s page, oldest first, and the id to read further back from."""
    text = decode_html(body, content_type)
    try:
        doc = lxml_html.document_fromstring(text) if text.strip() else None
    except (ValueError, lxml_html.etree.ParserError):
        doc = None
    if doc is None:
        raise TelegramError("empty page: not a Telegram channel preview")
    messages = doc.xpath(f"//*[{_has_class('tgme_widget_message')}][@data-post]")
    history = doc.xpath(f"//*[{_has_class('tgme_channel_history')}]")
    if not messages and not history:
        raise TelegramError("not a Telegram channel preview (no tgme_widget_message posts)")
    title_node = doc.xpath(f"//*[{_has_class('tgme_channel_info_header_title')}]")
    title = " ".join(title_node[0].text_content().split()) if title_node else None
    if not title:
        og = doc.xpath("string(//meta[@property='og:title']/@content)")
        title = str(og).strip() or None
    posts: dict[int, TelegramPost] = {}
    for node in messages:
        post = _post(node, title)
        if post is not None:
            posts[post.id] = post
    ordered = [posts[i] for i in sorted(posts)]
    more = doc.xpath(f"//*[{_has_class('tme_messages_more')}][@data-before]/@data-before")
    before: int | None = None
    if more and str(more[0]).isdigit():
        before = int(more[0])
    elif ordered and ordered[0].id > 1:
        before = ordered[0].id
    return ChannelPage(ordered, title, before)


def before_url(url: str, before: int) -> str:
    """The channel preview `url` asking for the posts before `before`."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "before"] + [("before", str(before))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def preview_url(url: str) -> str:
    """https://t.me/NAME (or t.me/NAME/ID) as its web preview https://t.me/s/NAME; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.hostname in ("t.me", "telegram.me"):
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0] != "s":
            return urlunsplit((parts.scheme, parts.netloc, f"/s/{segments[0]}", parts.query, ""))
    return url
