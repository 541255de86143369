from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.stages.sources.telegram import TelegramError, before_url, parse_channel_page, preview_url
from tests.support import ROOT
from tests.support.telegram import Post, channel_page

WHEN = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def _page() -> bytes:
    posts = [
        Post(100, WHEN, "Токаев подписал указ.<br/>Подробности позже."),
        Post(
            101,
            WHEN,
            "A forward from another channel",
            forwarded_from=("Kun.uz", "https://t.me/kunuznews/55"),
        ),
        Post(102, WHEN, "My answer to that", reply_to=(100, "Токаев подписал указ.")),
        Post(103, WHEN, photo=True),
        Post(104, WHEN, "Corrected figures: 12 percent", edited=True, photo=True),
        Post(
            105,
            WHEN,
            '<a href="https://kun.uz/news/2026/12/01/metro">https://kun.uz/news/2026/12/01/metro</a>',
            link_preview=(
                "https://kun.uz/news/2026/12/01/metro",
                "Kun.uz",
                "Tashkent opens a new metro station",
            ),
        ),
        Post(106, WHEN, service=True),
    ]
    return channel_page("ca_desk", "CA Desk", posts, before=100).encode()


def test_posts_of_a_channel_page() -> None:
    page = parse_channel_page(_page(), "text/html; charset=utf-8")
    assert page.title == "CA Desk" and page.before == 100
    by_id = {p.id: p for p in page.posts}
    assert sorted(by_id) == [100, 101, 102, 103, 104, 105]  # the service message is not a post
    first = by_id[100]
    assert first.permalink == "https://t.me/ca_desk/100" and first.published_at == WHEN
    assert (
        first.text == "Токаев подписал указ.\nПодробности позже." and first.title == "Токаев подписал указ."
    )
    assert by_id[101].forwarded_from == "Kun.uz" and by_id[101].forwarded_url == "https://t.me/kunuznews/55"
    assert by_id[102].reply_to == 100 and by_id[102].text == "My answer to that"  # not the quoted text
    assert by_id[103].text == "" and by_id[103].media == ("photo",)
    assert by_id[104].edited and not by_id[100].edited
    link = by_id[105]
    assert (
        link.link == "https://kun.uz/news/2026/12/01/metro"
        and link.title == "Tashkent opens a new metro station"
    )


def test_service_messages_of_a_real_page_are_not_posts() -> None:
    """t.me/s/antichristone as Telegram served it: "Live stream finished", "Live stream started" and
    "… pinned «…»" carry `service_message` on the message element itself; five posts remain."""
    body = (ROOT / "tests" / "fixtures" / "real" / "telegram" / "antichristone.html").read_bytes()
    page = parse_channel_page(body, "text/html; charset=utf-8")
    assert page.title == "Antichrist Blog | 反キリスト∸ブログ" and page.before == 483
    assert [p.id for p in page.posts] == [486, 489, 490, 492, 495]
    assert not any("pinned" in p.text or p.text.startswith("Live stream") for p in page.posts)
    assert page.posts[0].text.startswith("Wassup, начинаю стрим в Telegram")
    assert page.posts[0].published_at == datetime(2023, 3, 15, 17, 35, 30, tzinfo=UTC)


def test_a_service_message_is_skipped_wherever_its_class_sits() -> None:
    """On the message element (as t.me writes it) or on an element inside it."""

    def message(n: int, cls: str, inner: str) -> str:
        return (
            f'<div class="tgme_widget_message {cls} js-widget_message" data-post="ca_desk/{n}">'
            f'<div class="tgme_widget_message_bubble">{inner}<div class="tgme_widget_message_text">'
            f"Text {n}</div></div></div>"
        )

    body = (
        '<html><body><section class="tgme_channel_history">'
        + message(1, "text_not_supported_wrap service_message", "")
        + message(
            2,
            "text_not_supported_wrap",
            '<div class="message_media_not_supported_wrap service_message"></div>',
        )
        + message(3, "text_not_supported_wrap", "")
        + message(4, "service_message", "")
        + "</section></body></html>"
    )
    assert [p.id for p in parse_channel_page(body.encode()).posts] == [3]


def test_not_a_channel_and_urls() -> None:
    with pytest.raises(TelegramError):
        parse_channel_page(b"<html><body><p>hello</p></body></html>")
    assert preview_url("https://t.me/ca_desk") == "https://t.me/s/ca_desk"
    assert preview_url("https://t.me/ca_desk/55") == "https://t.me/s/ca_desk"
    assert preview_url("https://t.me/s/ca_desk") == "https://t.me/s/ca_desk"
    assert before_url("https://t.me/s/ca_desk?before=9", 5) == "https://t.me/s/ca_desk?before=5"
