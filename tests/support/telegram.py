"""Test material: a Telegram channel's web preview (t.me/s/NAME) as the real page is built.

The markup follows what public parsers of these pages read (tgme_widget_message_wrap,
tgme_widget_message[data-post], tgme_widget_message_text, tgme_widget_message_forwarded_from,
tgme_widget_message_reply, tgme_widget_message_date > time[datetime], tgme_widget_message_meta
with "edited", tgme_widget_message_photo_wrap, tgme_widget_message_link_preview,
tme_messages_more[data-before]): posts oldest first, 20 or so a page, a "more" link to ?before=ID.
A service message ("Channel created", "… pinned «…»") carries `service_message` on the message
element itself, as on the saved page in tests/fixtures/real/telegram/.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Post:
    id: int
    when: datetime
    text: str = ""  # HTML allowed (<br/>, <a>, <b>)
    forwarded_from: tuple[str, str] | None = None  # (name, https://t.me/other/55)
    reply_to: tuple[int, str] | None = None  # (id, quoted text)
    photo: bool = False
    edited: bool = False
    link_preview: tuple[str, str, str] | None = None  # (url, site, title)
    service: bool = False


def _post(channel: str, title: str, p: Post) -> str:
    link = f"https://t.me/{channel}/{p.id}"
    parts = ['<div class="tgme_widget_message_bubble">']
    if p.forwarded_from:
        name, href = p.forwarded_from
        parts.append(
            '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
            f'<a class="tgme_widget_message_forwarded_from_name" href="{href}"><span dir="auto">'
            f"{html.escape(name)}</span></a></div>"
        )
    parts.append(
        '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
        f'href="https://t.me/{channel}"><span dir="auto">{html.escape(title)}</span></a></div>'
    )
    if p.reply_to:
        rid, quoted = p.reply_to
        parts.append(
            f'<a class="tgme_widget_message_reply" href="https://t.me/{channel}/{rid}">'
            '<div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name">'
            f'{html.escape(title)}</span></div><div class="tgme_widget_message_metatext js-message_reply_text" '
            f'dir="auto">{html.escape(quoted)}</div></a>'
        )
    if p.photo:
        parts.append(
            f'<a class="tgme_widget_message_photo_wrap 5427251" href="{link}" style="width:800px;'
            'background-image:url(\'https://cdn4.telesco.pe/file/abc.jpg\')"><div class="tgme_widget_message_photo"'
            ' style="padding-top:56.25%"></div></a>'
        )
    if p.service:  # its text in the bubble like a post's; the class is on the message element
        text = p.text or "Channel photo updated"
        parts.append(f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>')
    elif p.text:
        parts.append(f'<div class="tgme_widget_message_text js-message_text" dir="auto">{p.text}</div>')
    if p.link_preview:
        url, site, head = p.link_preview
        parts.append(
            f'<a class="tgme_widget_message_link_preview" href="{html.escape(url)}">'
            f'<div class="link_preview_site_name accent_color" dir="auto">{html.escape(site)}</div>'
            f'<div class="link_preview_title" dir="auto">{html.escape(head)}</div>'
            '<div class="link_preview_description" dir="auto">…</div></a>'
        )
    edited = "edited " if p.edited else ""
    parts.append(
        '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info '
        f'short js-message_info"><span class="tgme_widget_message_views">{p.id * 37 % 9000}</span>'
        f'<span class="copyonclick">link</span><span class="tgme_widget_message_meta">{edited}'
        f'<a class="tgme_widget_message_date" href="{link}"><time datetime="{p.when.isoformat()}" class="time">'
        f"{p.when:%H:%M}</time></a></span></div></div></div>"
    )
    service = " service_message" if p.service else ""
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
        f'text_not_supported_wrap{service} js-widget_message" data-post="{channel}/{p.id}" data-view="eyJjIjo">'
        f'<div class="tgme_widget_message_user"><a href="https://t.me/{channel}"><i class="tgme_widget_message_'
        'user_photo bgcolor0" data-content="C"></i></a></div>' + "".join(parts) + "</div></div>"
    )


def channel_page(channel: str, title: str, posts: list[Post], before: int | None) -> str:
    """One page of the preview: `posts` (oldest first) and, if `before`, the link to older ones."""
    more = (
        '<div class="tgme_widget_message_centered js-messages_more_wrap">'
        f'<a href="/s/{channel}?before={before}" data-before="{before}" class="tme_messages_more '
        'js-messages_more"></a></div>'
        if before
        else ""
    )
    body = "".join(_post(channel, title, p) for p in sorted(posts, key=lambda p: p.id))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)} – Telegram</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:description" content="Новости Центральной Азии">
<link rel="canonical" href="https://t.me/s/{channel}"></head>
<body class="widget_frame_base tgme_webpreview_body emoji_image">
<header class="tgme_header search_collapsed"><div class="tgme_header_title">{html.escape(title)}</div></header>
<main class="tgme_main"><div class="tgme_container"><section class="tgme_channel_history js-message_history">
{more}{body}</section></div></main>
<aside class="tgme_right_column"><div class="tgme_channel_info"><div class="tgme_channel_info_header">
<div class="tgme_channel_info_header_title"><span dir="auto">{html.escape(title)}</span></div>
<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div></div>
<div class="tgme_channel_info_description">Новости Казахстана и Центральной Азии</div>
<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter"><span class="counter_value">
48.2K</span> <span class="counter_type">subscribers</span></div></div></div></aside></body></html>"""


def paginate(channel: str, title: str, posts: list[Post], per_page: int = 21) -> dict[str, str]:
    """Routes (path with query) -> page: /s/NAME the newest posts, then ?before=ID back to the first."""
    ordered = sorted(posts, key=lambda p: p.id)
    routes: dict[str, str] = {}
    end = len(ordered)
    path = f"/s/{channel}"
    while end > 0:
        start = max(0, end - per_page)
        chunk = ordered[start:end]
        before = chunk[0].id if start > 0 else None
        routes[path] = channel_page(channel, title, chunk, before)
        if before is None:
            break
        path = f"/s/{channel}?before={before}"
        end = start
    return routes


def page_before(channel: str, title: str, posts: list[Post], before: int | None, per_page: int = 20) -> str:
    """What t.me/s/NAME?before=ID answers for any ID (None: the newest page): the `per_page` newest
    posts older than it, and the link to the ones older still."""
    older = sorted((p for p in posts if before is None or p.id < before), key=lambda p: p.id)
    chunk = older[-per_page:] if per_page else []
    first = chunk[0].id if chunk else None
    return channel_page(channel, title, chunk, first if len(older) > len(chunk) else None)
