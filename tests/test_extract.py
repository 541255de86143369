"""Extraction: main text without boilerplate, metadata, and charsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.extract import charset_from_content_type, decode_html, extract_page, html_to_text
from tests.pages import TEMPLATES, Article

RU = Article(
    slug="ru",
    title="Токаев провёл переговоры в Астане",
    paragraphs=[
        "Президент Казахстана Касым-Жомарт Токаев провёл в Астане переговоры с президентом Узбекистана "
        "Шавкатом Мирзиёевым, сообщила пресс-служба Акорды в пятницу вечером.",
        "Стороны обсудили совместное использование водных ресурсов, строительство новых дорог и расширение "
        "торговли между двумя странами, которая за год выросла почти на треть.",
        "По итогам встречи подписаны соглашения о сотрудничестве в энергетике и транспорте, а также "
        "меморандум о создании совместной комиссии по водным вопросам.",
    ],
    author="Иван Петров",
)


@pytest.mark.parametrize("fast", [False, True])
def test_each_template_extracts_the_article_only(fast: bool) -> None:
    for template in TEMPLATES:
        page = template(RU, charset="utf-8").encode("utf-8")
        out = extract_page(page, "https://outlet.kz/news/1", "text/html; charset=utf-8", fast=fast)
        assert out.method == "page"
        for para in RU.paragraphs:
            assert para in out.text, template.__name__
        for junk in ("cookie", "Post comment", "Related headline", "All rights reserved", "Menu A"):
            assert junk.lower() not in out.text.lower(), (template.__name__, junk)
        assert out.title and "Токаев" in out.title


def test_metadata() -> None:
    out = extract_page(TEMPLATES[0](RU).encode(), "https://outlet.kz/news/1", "text/html")
    assert out.author == "Иван Петров"
    assert out.site_name == "Regional Times"
    assert out.published_at is not None and out.published_at.year == 2026


def test_windows_1251_declared_in_meta_only() -> None:
    page = TEMPLATES[1](RU, charset="windows-1251").encode("cp1251")
    out = extract_page(page, "https://outlet.kz/news/1", "text/html")
    assert RU.paragraphs[0] in out.text


def test_header_charset_beats_meta_and_bom_beats_both() -> None:
    body = "<html><head><meta charset='utf-8'></head><body>Қазақстан</body></html>"
    assert "Қазақстан" in decode_html(body.encode("utf-8"), "text/html; charset=UTF-8")
    koi = "<html><body>Казахстан и Узбекистан</body></html>".encode("koi8_r")
    assert "Казахстан" in decode_html(koi, "text/html; charset=koi8-r")
    bom = b"\xef\xbb\xbf" + body.encode("utf-8")
    assert decode_html(bom, "text/html; charset=windows-1251").startswith("<html>")
    gb = "<html><head><meta charset=gb2312></head><body>哈萨克斯坦总统</body></html>".encode("gb18030")
    assert "哈萨克斯坦" in decode_html(gb, None)


def test_charset_labels() -> None:
    assert charset_from_content_type('text/html; charset="Windows-1251"') == "cp1251"
    assert charset_from_content_type("text/html; charset=gb2312") == "gb18030"
    assert charset_from_content_type("text/html; charset=bogus") is None
    assert charset_from_content_type(None) is None


@settings(max_examples=60)
@given(st.text(min_size=1, max_size=200), st.sampled_from(["utf-8", "cp1251", "koi8_r", "gb18030", "utf-16"]))
def test_decode_roundtrip_when_declared(text: str, codec: str) -> None:
    try:
        body = text.encode(codec)
    except UnicodeEncodeError:
        return
    label = {"utf-16": "utf-16"}.get(codec, codec)
    decoded = decode_html(body, f"text/html; charset={label}")
    assert decoded.lstrip("\ufeff") == text.lstrip("\ufeff") or codec == "utf-16"


def test_too_little_text_falls_back_to_feed() -> None:
    page = b"<html><body><nav>Home</nav><p>Subscribe to read.</p></body></html>"
    feed_text = " ".join(["Kazakhstan signed a trade deal with Uzbekistan on Friday."] * 10)
    out = extract_page(page, "https://o/1", "text/html", feed_title="Deal", feed_text=feed_text)
    assert out.method == "feed" and out.text == feed_text and out.title == "Deal"


def test_html_to_text() -> None:
    assert html_to_text("<p>a <b>b</b></p><script>x()</script><p>c</p>") == "a b\nc"
    assert html_to_text("plain &amp; simple") == "plain & simple"
