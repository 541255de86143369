"""Extraction: main text without boilerplate, metadata, and charsets."""

from __future__ import annotations

import logging
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stages.reading import extract
from flows.stages.reading.extract import (
    MAX_ATTRIBUTES,
    charset_from_content_type,
    decode_html,
    drop_crowded_attributes,
    extract_page,
    html_to_text,
)
from flows.stages.reading.language import detect_language
from tests.support.pages import TEMPLATES, Article

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


@pytest.mark.parametrize("mode", ["thorough", "fast", "auto"])
def test_each_template_extracts_the_article_only(mode: extract.ExtractionMode) -> None:
    for template in TEMPLATES:
        page = template(RU, charset="utf-8").encode("utf-8")
        out = extract_page(page, "https://outlet.kz/news/1", "text/html; charset=utf-8", mode=mode)
        assert out.method == "page"
        for para in RU.paragraphs:
            assert para in out.text, template.__name__
        for junk in ("cookie", "Post comment", "Related headline", "All rights reserved", "Menu A"):
            assert junk.lower() not in out.text.lower(), (template.__name__, junk)
        assert out.title and "Токаев" in out.title


def test_second_opinion_only_where_the_first_result_looks_wrong() -> None:
    article = "\n".join(RU.paragraphs)
    tree = extract.lxml.html.fromstring(
        f"<html><body><p>{article}</p>{'<p>menu item</p>' * 40}</body></html>"
    )
    reason = extract.second_opinion_reason
    assert reason(article, tree) is None
    assert reason("", tree) == "empty"
    assert reason("A short teaser.", tree) == "short"  # the page holds far more text
    assert reason(" ".join(RU.paragraphs * 4), tree) == "no paragraphs"
    assert reason(article + "\n" + "\n".join(f"Related story {i}" for i in range(20)), tree) == "links"
    assert reason("| |\n" + article, tree) == "layout table"


def test_auto_mode_asks_for_the_second_opinion_when_told(monkeypatch: pytest.MonkeyPatch) -> None:
    page = TEMPLATES[0](RU, charset="utf-8").encode("utf-8")
    calls: list[bool] = []
    original = extract.trafilatura.bare_extraction

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(bool(kwargs["fast"]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", spy)
    out = extract_page(page, "https://outlet.kz/news/1", mode="auto")
    assert calls == [True] and out.second_opinion is None  # a clean article: one fast pass
    asked = extract_page(page, "https://outlet.kz/news/1", mode="auto", second_opinion=True)
    assert calls == [True, True, False] and asked.second_opinion == "asked"
    assert asked.text == out.text and asked.author == out.author  # metadata from the first pass


def test_metadata() -> None:
    out = extract_page(TEMPLATES[0](RU).encode(), "https://outlet.kz/news/1", "text/html")
    assert out.author == "Иван Петров"
    assert out.site_name == "Regional Times"
    assert out.published_at is not None and out.published_at.year == 2026


def test_windows_1251_declared_in_meta_only() -> None:
    page = TEMPLATES[1](RU, charset="windows-1251").encode("cp1251")
    out = extract_page(page, "https://outlet.kz/news/1", "text/html")
    assert RU.paragraphs[0] in out.text


def test_valid_utf8_beats_a_windows_1251_label_left_in_the_template() -> None:
    page = TEMPLATES[1](RU, charset="windows-1251").encode("utf-8")
    for content_type in ("text/html", "text/html; charset=windows-1251"):
        out = extract_page(page, "https://outlet.kz/news/1", content_type)
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


_PARA = "<p>" + "Kazakhstan and Uzbekistan signed a water deal on Friday in Astana. " * 10 + "</p>"


@pytest.mark.parametrize(
    "body",
    [
        (
            "<html><body>" + _PARA + "<div>" * 200_000 + "deep" + "</div>" * 200_000 + "</body></html>"
        ).encode(),
        (
            "<html><body>"
            + _PARA
            + "<div "
            + " ".join(f'a{i}="v{i}"' for i in range(100_000))
            + ">x</div></body></html>"
        ).encode(),
        ("<html><body>" + _PARA.replace(" ", "\x00 ") + "\x00" * 1_000_000 + "</body></html>").encode(),
        b'<html><head><meta charset="utf-8"></head><body>'
        + random.Random(13).randbytes(5_000_000)
        + b"</body>",
    ],
    ids=["200k-nested", "100k-attributes", "nul-bytes", "random-bytes-as-utf8"],
)
def test_parser_bombs_cost_one_page_briefly(body: bytes) -> None:
    started = time.monotonic()
    out = extract_page(body, "https://outlet.kz/bomb", "text/html; charset=utf-8", feed_text="feed words")
    assert time.monotonic() - started < 20, "100,000 attributes took 65 s before they were capped"
    assert "\x00" not in out.text
    if b"Astana" in body:
        assert "Astana" in out.text and detect_language(out.text) == "en"
    else:
        assert (out.method, out.text) == ("feed", "feed words"), "random bytes are no article"


def test_crowded_tags_lose_their_attributes_and_keep_their_place() -> None:
    crowded = "<div " + " ".join(f"a{i}" for i in range(MAX_ATTRIBUTES + 1)) + ">text</div>"
    normal = "<p class=\"lead\" data-x='a > b'>hi</p>"
    html = normal * 100 + crowded + normal
    assert drop_crowded_attributes(html) == normal * 100 + "<div>text</div>" + normal
    assert drop_crowded_attributes(normal * 100) == normal * 100


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_in_any_declared_charset_give_no_text(seed: int) -> None:
    body = random.Random(seed).randbytes(200_000)
    for content_type in ("text/html; charset=utf-8", "text/html; charset=windows-1251", "text/html"):
        out = extract_page(body, "https://outlet.kz/x", content_type, feed_text="")
        assert out.text == "", content_type


def test_an_extractor_crash_is_logged_and_the_feed_text_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", crash)
    feed_text = "Astana and Tashkent agree on a new rail corridor. " * 20
    with caplog.at_level(logging.WARNING, logger="flows.stages.reading.extract"):
        got = extract.extract_page(
            b"<html><body><p>x</p></body></html>", "http://news.test/a", feed_text=feed_text
        )
    assert got.method == "feed" and got.text.startswith("Astana and Tashkent")
    assert "extraction failed for http://news.test/a (RecursionError" in caplog.text


def test_a_less_than_in_a_script_or_an_open_quote_cuts_nothing() -> None:
    # a "<" in inline JavaScript once started a "tag" whose quotes ran to the end of the page,
    # and the page lost everything after it (447 of 1,000 simulated pages)
    script = (
        "<script>for(var i=0;i<b.length;i++){b[i].onclick=share}; var s='it"
        + "s a, b, c " * 400
        + "</script>"
    )
    article = "<article><p>" + "Astana and Tashkent agree on a new rail corridor. " * 30 + "</p></article>"
    page = (
        f"<html><head>{script}</head><body>{article}<p title='unclosed>" + " x=1" * 300 + "</p></body></html>"
    )
    assert drop_crowded_attributes(page) == page
    crowded = "<html><body><div " + " ".join(f"a{i}=v" for i in range(300)) + ">kept</div></body></html>"
    assert drop_crowded_attributes(crowded) == "<html><body><div>kept</div></body></html>"
