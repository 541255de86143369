"""A simulated news web on loopback: many outlets, each with a feed and article pages.

Every outlet is its own host (127.0.0.10, 127.0.0.11, ...), so the pipeline's per-host limit
applies as it would on the real web. Pages are built deterministically from a seed, so the
benchmark can rebuild in its own process exactly the bytes the server sends. Templates carry the
clutter of real news sites (mega menus, related grids, comment threads, inline scripts and JSON
state); about one page in ten is 200 KB or more. Feeds answer conditional GETs with 304.

The server runs in a subprocess (`python -m benchmarks.newsweb`), so its work never competes
with the pipeline's event loop for the GIL; `NewsWeb` starts and stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import html
import json
import os
import random
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache, cached_property
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.pages import LOREM_CA, atom, rss

ROOT = Path(__file__).resolve().parent.parent
BASE_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FIRST_HOST = 10  # outlet k lives on 127.0.0.(FIRST_HOST + k)

# --- text ----------------------------------------------------------------------------------------

EN_OTHER = [
    "Forecasters warned of heavy rain and strong winds across the coast, with ferry services likely to be cancelled.",
    "The central bank left its main interest rate unchanged on Thursday, citing slowing inflation and weak demand.",
    "Residents were told to secure loose objects and avoid unnecessary travel until the storm has passed.",
    "The club confirmed that its captain would miss the rest of the season after surgery on his knee.",
    "Shares in the carmaker fell by more than a tenth after it cut its profit forecast for the second time this year.",
    "The festival drew record crowds despite the heat, and organisers said next year's edition would be longer.",
    "Officials said the new rail line would cut the journey between the two cities to under three hours.",
    "Parliament voted late on Tuesday to extend the emergency measures for another six months.",
    "The museum reopened after a two-year renovation with a new wing devoted to modern photography.",
    "Analysts expect house prices to keep rising as long as mortgage rates stay near their current level.",
    "Police said the road would remain closed overnight while investigators examined the scene of the crash.",
    "The company plans to hire several hundred engineers at its new research centre over the next two years.",
    "Doctors urged older people to get vaccinated before the winter, when infections usually peak.",
    "The coalition agreement still has to be approved by party members in a vote expected next month.",
    "Exports of grain rose sharply in the third quarter thanks to a good harvest and lower freight costs.",
    "The minister defended the budget, saying it struck a balance between investment and fiscal discipline.",
]
RU_CA = [
    "Казахстан и Узбекистан подписали соглашение о совместном использовании воды реки Сырдарья.",
    "Президент Токаев провёл в Астане встречу с главами государств Центральной Азии.",
    "Кыргызстан и Таджикистан завершили делимитацию спорных участков границы в Ферганской долине.",
    "В Ташкенте обсудили строительство железной дороги, которая свяжет Китай с Европой через Центральную Азию.",
    "Туркменистан увеличил поставки природного газа в Китай по газопроводу Центральная Азия — Китай.",
    "Эксперты считают, что сотрудничество стран региона заметно углубилось за последние годы.",
    "Правительство Кыргызстана объявило о запуске программы поддержки фермеров на юге страны.",
    "В Душанбе прошли переговоры о строительстве Рогунской ГЭС и распределении электроэнергии.",
    "Министры иностранных дел стран ШОС встретились в Алматы для обсуждения вопросов безопасности.",
    "Товарооборот между Казахстаном и Россией в рамках ЕАЭС вырос на несколько процентов.",
    "Фермеры на юге Казахстана давно жалуются на нехватку поливной воды в период вегетации.",
    "Узбекистан намерен привлечь иностранные инвестиции в модернизацию ирригационных каналов.",
    "Стороны договорились создать совместную комиссию, которая будет собираться каждый квартал.",
    "По словам чиновников, соглашение также касается обслуживания каналов советской постройки.",
]
RU_OTHER = [
    "Синоптики предупредили о сильном ветре и ливнях на побережье в ближайшие выходные.",
    "Центральный банк сохранил ключевую ставку, сославшись на замедление инфляции.",
    "Футбольный клуб сообщил, что капитан команды пропустит остаток сезона после операции.",
    "Акции автопроизводителя упали более чем на десять процентов после снижения прогноза прибыли.",
    "Музей вновь открылся после двухлетней реконструкции и представил новое крыло современной фотографии.",
    "Полиция сообщила, что дорога будет закрыта всю ночь, пока следователи осматривают место аварии.",
    "Врачи призвали пожилых людей сделать прививку до начала зимы, когда заболеваемость обычно растёт.",
    "Парламент продлил действие чрезвычайных мер ещё на шесть месяцев.",
    "Экспорт зерна заметно вырос в третьем квартале благодаря хорошему урожаю.",
    "Министр защитил проект бюджета, назвав его балансом между инвестициями и дисциплиной.",
]
KK_CA = [
    "Қазақстан мен Өзбекстан Сырдария өзенінің суын бірлесіп пайдалану туралы келісімге қол қойды.",
    "Президент Тоқаев Астанада Орталық Азия мемлекеттері басшыларымен кездесу өткізді.",
    "Бұл келісім бойынша екі ел арасында бірлескен комиссия құрылады және ол әр тоқсан сайын жиналады.",
    "Оңтүстік Қазақстандағы фермерлер суармалы судың жетіспеушілігіне көптен бері шағымданып келеді.",
    "Үкімет ауыл шаруашылығын қолдау үшін жаңа бағдарлама қабылдағанын хабарлады.",
    "Сарапшылардың айтуынша, өңір елдерінің ынтымақтастығы соңғы жылдары айтарлықтай тереңдеді.",
    "Алматыда өткен жиында темір жол құрылысы мен көлік дәліздері талқыланды.",
    "Министрлік өкілі жаңа заң жобасы жыл соңына дейін Парламентке жолданатынын айтты.",
    "Қазақстанның сыртқы сауда айналымы өткен жылмен салыстырғанда біршама өсті.",
    "Елордада мектептер мен ауруханалар салу жұмыстары жалғасып жатыр.",
]
FILLER = {
    "en": "Officials put the figure at {a}, up from {b} a year earlier, {c} said.",
    "ru": "По данным ведомства, показатель составил {a} против {b} годом ранее, сообщил {c}.",
    "kk": "Ведомство мәліметінше, көрсеткіш {a} болды, ал бір жыл бұрын {b} болған, деді {c}.",
}
NAMES = {
    "en": [
        "a ministry spokesman",
        "Anna Petrova",
        "John Miller",
        "the regional governor",
        "a senior official",
    ],
    "ru": ["представитель министерства", "Анна Петрова", "Иван Смирнов", "губернатор области"],
    "kk": ["министрлік өкілі", "Айгүл Серікова", "Ерлан Нұрланов", "облыс әкімі"],
}


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", " ".join(text.split()))
    return [p for p in parts if 40 <= len(p) <= 400]


@dataclass(frozen=True, eq=False)
class Banks:
    """Sentences per language: about the region (relevant) and about anything else."""

    relevant: dict[str, list[str]]
    other: dict[str, list[str]]

    @classmethod
    def load(cls) -> Banks:
        english: list[str] = []
        seed_dir = ROOT / "seeds"
        if seed_dir.is_dir():
            for path in sorted(seed_dir.glob("*.txt")):
                body = path.read_text(encoding="utf-8").partition("\n")[2]
                english.extend(_sentences(body))
        english = english or list(LOREM_CA)
        return cls(
            relevant={"en": english, "ru": RU_CA, "kk": KK_CA},
            other={"en": EN_OTHER, "ru": RU_OTHER, "kk": KK_CA},
        )

    @cache  # noqa: B019 - a handful of banks per process
    def vocabulary(self, lang: str, relevant: bool) -> list[str]:
        bank = (self.relevant if relevant else self.other)[lang]
        return [w for sentence in bank for w in _WORDS.findall(sentence)]


_WORDS = re.compile(r"[^\W\d_][\w'-]*")


def _sentence(rng: random.Random, vocab: list[str]) -> str:
    """A sentence of the bank's words in a new order (word frequencies kept, word 5-grams new)."""
    words = rng.choices(vocab, k=rng.randint(8, 24))
    if len(words) > 12:
        words[rng.randint(4, len(words) - 5)] += ","
    return words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:]) + "."


# --- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebSpec:
    """What to simulate; the same spec gives the same bytes in every process."""

    outlets: int = 50
    pages: int = 100  # per outlet
    seed: int = 9
    syndicated: float = 0.05  # share of pages that copy another outlet's story word for word
    relevant: float = 0.4  # share of stories about the region


@dataclass(frozen=True)
class Outlet:
    index: int
    name: str
    host: str
    lang: str
    template: int
    feed_kind: str  # rss | atom
    charset: str


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: list[str]
    author: str
    published: datetime
    lang: str
    relevant: bool


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    charset: str
    story: Story
    path: str

    def text(self) -> str:
        return self.body.decode(self.charset)


_JS_LINES = [
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());",
    "(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});})(window,document,'script','dataLayer','GTM-X');",
    "var adSlots={top:{sizes:[[728,90],[970,250]],id:'div-gpt-ad-1'},side:{sizes:[[300,250],[300,600]],id:'div-gpt-ad-2'}};",
    "document.addEventListener('DOMContentLoaded',function(){var b=document.querySelectorAll('.share a');for(var i=0;i<b.length;i++){b[i].onclick=share}});",
    "!function(e){var t={};function n(r){if(t[r])return t[r].exports;var o=t[r]={i:r,l:!1,exports:{}};return e[r].call(o.exports,o,o.exports,n),o.l=!0,o.exports}}([]);",
    'try{localStorage.setItem(\'consent\',\'{"ads":true,"analytics":true,"v":3}\')}catch(e){console.warn(e)}',
]


class Corpus:
    """Outlets, stories and rendered pages of one `WebSpec`."""

    def __init__(self, spec: WebSpec) -> None:
        if spec.outlets > 200:
            raise ValueError("at most 200 outlets (one loopback address each)")
        self.spec = spec
        self.banks = Banks.load()
        self.outlets = [self._outlet(k) for k in range(spec.outlets)]

    def _outlet(self, k: int) -> Outlet:
        lang = ("en", "en", "en", "ru", "ru", "en", "kk", "ru", "en", "ru")[k % 10]
        charset = "windows-1251" if lang == "ru" and k % 3 == 0 else "utf-8"
        return Outlet(
            index=k,
            name=f"Outlet {k:03d}",
            host=f"127.0.0.{FIRST_HOST + k}",
            lang=lang,
            template=k % len(TEMPLATES),
            feed_kind="atom" if k % 4 == 1 else "rss",
            charset=charset,
        )

    def _rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.spec.seed, *key)))

    def story(self, k: int, i: int) -> Story:
        rng = self._rng("story", k, i)
        if k > 0 and rng.random() < self.spec.syndicated:
            source = rng.randrange(k)
            if self.outlets[source].charset == self.outlets[k].charset:
                return self.story(source, i)
        lang = self.outlets[k].lang
        relevant = rng.random() < self.spec.relevant
        bank = (self.banks.relevant if relevant else self.banks.other)[lang]
        vocab = self.banks.vocabulary(lang, relevant)
        paragraphs = []
        for _ in range(rng.choice((3, 4, 5, 6, 8, 10, 14, 20))):
            # mostly new sentences from the bank's words: stories must not share text the way
            # copies do, or the near-duplicate stage sees a web of copies that real news is not
            sentences = [
                rng.choice(bank) if rng.random() < 0.15 else _sentence(rng, vocab)
                for _ in range(rng.randint(2, 5))
            ]
            if rng.random() < 0.3:
                sentences.append(
                    FILLER[lang].format(
                        a=rng.randint(2, 9999), b=rng.randint(1, 999), c=rng.choice(NAMES[lang])
                    )
                )
            paragraphs.append(" ".join(sentences))
        words = rng.choice(bank).rstrip(".").split()
        title = " ".join(words[: rng.randint(6, 12)]) + f" ({k}-{i})"
        return Story(
            title=title,
            paragraphs=paragraphs,
            author=rng.choice(NAMES[lang]).title(),
            published=BASE_TIME - timedelta(minutes=7 * i + k),
            lang=lang,
            relevant=relevant,
        )

    def path(self, k: int, i: int) -> str:
        return f"/news/{i:05d}-story-{k}-{i}.html"

    def url(self, k: int, i: int, port: int) -> str:
        return f"http://{self.outlets[k].host}:{port}{self.path(k, i)}"

    def page(self, k: int, i: int) -> Page:
        outlet = self.outlets[k]
        rng = self._rng("page", k, i)
        roll = rng.random()
        scale = (
            rng.uniform(0.6, 1.5) if roll < 0.6 else rng.uniform(2, 4) if roll < 0.9 else rng.uniform(8, 12)
        )
        story = self.story(k, i)
        boiler = Boiler(rng, scale, self.banks.other["en"], outlet)
        text = TEMPLATES[outlet.template](story, boiler, outlet)
        body = text.encode(outlet.charset, errors="xmlcharrefreplace")
        return Page(body, f"text/html; charset={outlet.charset}", outlet.charset, story, self.path(k, i))

    def feed(self, k: int, n: int, port: int) -> tuple[bytes, str]:
        """The feed of outlet k listing its newest n stories."""
        outlet = self.outlets[k]
        items = []
        for i in range(min(n, self.spec.pages)):
            s = self.story(k, i)
            items.append((s.title, self.url(k, i, port), s.paragraphs[0][:300], s.published))
        home = f"http://{outlet.host}:{port}/"
        if outlet.feed_kind == "atom":
            return atom(outlet.name, home, items).encode(), "application/atom+xml"
        return rss(outlet.name, home, items).encode(), "application/rss+xml; charset=utf-8"


class Boiler:
    """The clutter around an article, sized by `scale` (1 is a light page, 8 and up a heavy one)."""

    def __init__(self, rng: random.Random, scale: float, headlines: list[str], outlet: Outlet) -> None:
        self.rng = rng
        self.scale = scale
        self.headlines = headlines
        self.outlet = outlet

    def _headline(self) -> str:
        return html.escape(self.rng.choice(self.headlines)[: self.rng.randint(30, 90)])

    def _n(self, base: int) -> int:
        return max(1, int(base * self.scale))

    @cached_property
    def nav(self) -> str:
        sections = []
        for s in range(self._n(10)):
            links = "".join(
                f'<li class="menu-item"><a href="/section/{s}/{j}" data-track="nav-{s}-{j}">{self._headline()[:28]}</a></li>'
                for j in range(8)
            )
            sections.append(
                f'<li class="menu-section"><span>Section {s}</span><ul class="sub-menu">{links}</ul></li>'
            )
        return (
            f'<header class="site-header"><div class="logo"><a href="/">{html.escape(self.outlet.name)}</a></div>'
            f'<nav class="mega-menu" aria-label="Main"><ul>{"".join(sections)}</ul></nav>'
            '<form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form>'
            "</header>"
        )

    @cached_property
    def related(self) -> str:
        cards = "".join(
            f'<div class="card"><a href="/news/r{self.rng.randint(1, 99999)}.html">'
            f'<img src="/img/{self.rng.randint(1, 99999)}.jpg" alt="" loading="lazy" width="300" height="200">'
            f'<h4 class="card-title">{self._headline()}</h4><p class="teaser">{self._headline()}</p>'
            f'<span class="time">{self.rng.randint(1, 59)} min ago</span></a></div>'
            for _ in range(self._n(8))
        )
        return f'<section class="related"><h3>Read more</h3><div class="grid">{cards}</div></section>'

    @cached_property
    def comments(self) -> str:
        rows = "".join(
            f'<li class="comment" id="c{c}"><div class="meta"><span class="who">reader{self.rng.randint(1, 9999)}</span>'
            f"<time>{self.rng.randint(1, 23)}h</time></div><p>{self._headline()} {self._headline()}</p>"
            '<div class="actions"><a href="#">Reply</a> <a href="#">Like</a> <a href="#">Report</a></div></li>'
            for c in range(self._n(6))
        )
        return (
            f'<section id="comments" class="comments"><h3>Comments</h3><ol>{rows}</ol>'
            '<form class="comment-form"><label>Name *</label><input name="author"><label>Email *</label>'
            '<input name="email"><textarea name="comment"></textarea><button>Post comment</button></form></section>'
        )

    @cached_property
    def script(self) -> str:
        lines = [self.rng.choice(_JS_LINES) for _ in range(self._n(40))]
        return "<script>" + "\n".join(lines) + "</script>"

    @cached_property
    def sidebar(self) -> str:
        items = "".join(f'<li><a href="/top/{j}">{self._headline()}</a></li>' for j in range(self._n(10)))
        return (
            f'<aside class="sidebar"><div class="ad-slot" id="div-gpt-ad-2">ADVERTISEMENT</div>'
            f'<h3>Most read</h3><ol class="most-read">{items}</ol>'
            '<div class="newsletter"><p>Get the morning briefing in your inbox.</p>'
            '<input type="email" placeholder="Email"><button>Subscribe</button></div></aside>'
        )

    @cached_property
    def footer(self) -> str:
        links = "".join(
            f'<li><a href="/page/{j}">{self._headline()[:20]}</a></li>' for j in range(self._n(30))
        )
        return (
            f'<footer class="site-footer"><ul class="footer-links">{links}</ul>'
            f"<p>© 2025 {html.escape(self.outlet.name)}. All rights reserved. Reproduction only with a link.</p>"
            '<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. '
            "<button>Accept all</button> <button>Settings</button></div></footer>"
        )


def _paras(story: Story) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)


def _head(story: Story, outlet: Outlet, extra: str = "") -> str:
    title = html.escape(story.title)
    return (
        f'<head><meta charset="{outlet.charset}"><title>{title} | {html.escape(outlet.name)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta property="og:title" content="{title}"><meta property="og:site_name" content="{html.escape(outlet.name)}">'
        f'<meta property="og:type" content="article"><meta name="author" content="{html.escape(story.author)}">'
        f'<meta property="article:published_time" content="{story.published.isoformat()}">'
        '<link rel="stylesheet" href="/static/main.css"><style>body{font:16px/1.5 sans-serif}.card{display:flex}</style>'
        f"{extra}</head>"
    )


def template_wordpress(story: Story, b: Boiler, outlet: Outlet) -> str:
    return (
        f'<!DOCTYPE html><html lang="{story.lang}">{_head(story, outlet)}<body class="single-post">{b.nav}'
        f'<div class="wrap"><main id="main"><article class="post type-post">'
        f'<h1 class="entry-title">{html.escape(story.title)}</h1>'
        f'<div class="entry-meta">By <span class="author vcard">{html.escape(story.author)}</span> '
        f'<time datetime="{story.published.isoformat()}">{story.published:%B %d, %Y}</time></div>'
        '<div class="share-buttons"><a href="#">Facebook</a> <a href="#">Telegram</a> <a href="#">WhatsApp</a></div>'
        f'<div class="entry-content">{_paras(story)}</div>'
        '<div class="tags">Tags: <a href="/tag/a">politics</a>, <a href="/tag/b">region</a></div>'
        f"</article>{b.related}{b.comments}</main>{b.sidebar}</div>{b.footer}{b.script}</body></html>"
    )


def template_portal(story: Story, b: Boiler, outlet: Outlet) -> str:
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published.isoformat(),
            "author": {"@type": "Person", "name": story.author},
            "publisher": {"@type": "Organization", "name": outlet.name},
        },
        ensure_ascii=False,
    )
    return (
        f"<html>{_head(story, outlet, f'<script type=application/ld+json>{ld}</script>')}<body>{b.nav}"
        '<div class="breadcrumbs"><a href="/">Home</a> › <a href="/news">News</a></div>'
        '<div class="content-grid"><div class="col-main"><div class="article-header">'
        f'<h1>{html.escape(story.title)}</h1><div class="byline">{html.escape(story.author)} · '
        f'{story.published:%d.%m.%Y %H:%M}</div></div><div class="ad-slot" id="div-gpt-ad-1">ADVERTISEMENT</div>'
        f'<div class="article-body" itemprop="articleBody">{_paras(story)}</div>'
        f'<div class="read-also"><b>Read also:</b> <a href="/news/other">{b._headline()}</a></div>'
        f"{b.related}</div>{b.sidebar}</div>{b.comments}{b.footer}{b.script}</body></html>"
    )


def template_legacy(story: Story, b: Boiler, outlet: Outlet) -> str:
    body = "".join(f'<div class="txt">{html.escape(p)}<br><br></div>' for p in story.paragraphs)
    return (
        f"<html>{_head(story, outlet)}<body>{b.script}<table width='100%'><tr><td colspan='3'>{b.nav}</td></tr>"
        f"<tr><td class='left' width='200'>{b.sidebar}</td><td id='story'>"
        f'<div class="headline"><font size="5"><b>{html.escape(story.title)}</b></font></div>'
        f'<div class="date">{story.published:%Y-%m-%d %H:%M}</div>{body}'
        f"</td><td class='right' width='240'>{b.related}</td></tr>"
        f"<tr><td colspan='3'>{b.comments}{b.footer}</td></tr></table></body></html>"
    )


def template_spa(story: Story, b: Boiler, outlet: Outlet) -> str:
    """A server-rendered single-page app: the article again as JSON state, plus big bundles."""
    state = json.dumps(
        {
            "props": {
                "pageProps": {
                    "article": {"title": story.title, "author": story.author, "body": story.paragraphs},
                    "menu": [b._headline() for _ in range(b._n(40))],
                    "flags": {f"feature_{j}": j % 3 == 0 for j in range(b._n(60))},
                }
            },
            "buildId": "a1b2c3",
        },
        ensure_ascii=False,
    )
    paras = "".join(f'<p class="text-block_p__x1">{html.escape(p)}</p>' for p in story.paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{story.lang}">{_head(story, outlet)}<body><div id="__next">'
        f'<div class="layout_root__a"><div class="layout_top__b">{b.nav}</div>'
        f'<main class="article_main__c"><article><header class="article_head__d">'
        f'<h1 class="article_title__e">{html.escape(story.title)}</h1>'
        f'<div class="article_meta__f"><span>{html.escape(story.author)}</span>'
        f'<time datetime="{story.published.isoformat()}">{story.published:%d %b %Y}</time></div></header>'
        f'<div class="article_body__g">{paras}</div></article>{b.related}{b.comments}</main>'
        f"{b.sidebar}{b.footer}</div></div>"
        f'<script id="__NEXT_DATA__" type="application/json">{state}</script>{b.script}{b.script}</body></html>'
    )


TEMPLATES: tuple[Callable[[Story, Boiler, Outlet], str], ...] = (
    template_wordpress,
    template_portal,
    template_legacy,
    template_spa,
)

# --- server --------------------------------------------------------------------------------------


@dataclass
class Stats:
    requests: int = 0
    feeds: int = 0
    not_modified: int = 0
    pages: int = 0
    bytes: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class Server:
    """An asyncio HTTP/1.1 server (keep-alive, gzip, conditional GET) on one address per outlet."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.port = 0
        self.stats = Stats()
        self.pages: dict[tuple[int, str], tuple[bytes, bytes, str, str]] = {}
        for k in range(corpus.spec.outlets):
            for i in range(corpus.spec.pages):
                page = corpus.page(k, i)
                etag = '"' + hashlib.blake2b(page.body, digest_size=8).hexdigest() + '"'
                self.pages[(k, page.path)] = (page.body, gzip.compress(page.body, 6), page.content_type, etag)

    def respond(self, k: int, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/__stats":
            body = json.dumps(asdict(self.stats)).encode()
            if "reset" in parts.query:
                self.stats = Stats()
            return 200, {"Content-Type": "application/json"}, body
        gz = "gzip" in headers.get("accept-encoding", "")
        if path == "/feed.xml":
            self.stats.feeds += 1
            n = int(parse_qs(parts.query).get("n", ["20"])[0])
            etag = f'"feed-{k}-{n}"'
            modified = format_datetime(BASE_TIME + timedelta(minutes=n), usegmt=True)
            if headers.get("if-none-match") == etag or headers.get("if-modified-since") == modified:
                self.stats.not_modified += 1
                return 304, {"ETag": etag, "Last-Modified": modified}, b""
            body, ctype = self.corpus.feed(k, n, self.port)
            hdrs = {"Content-Type": ctype, "ETag": etag, "Last-Modified": modified}
            if gz:
                body, hdrs["Content-Encoding"] = gzip.compress(body, 6), "gzip"
            return 200, hdrs, body
        page = self.pages.get((k, path))
        if page is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        self.stats.pages += 1
        plain, packed, ctype, etag = page
        hdrs = {"Content-Type": ctype, "ETag": etag, "Cache-Control": "max-age=60"}
        if gz:
            hdrs["Content-Encoding"] = "gzip"
            return 200, hdrs, packed
        return 200, hdrs, plain

    async def _connection(self, k: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                try:
                    _method, target, _version = lines[0].split(" ", 2)
                except ValueError:
                    break
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                status, hdrs, body = self.respond(k, target, headers)
                self.stats.requests += 1
                self.stats.bytes += len(body)
                self.stats.by_status[str(status)] = self.stats.by_status.get(str(status), 0) + 1
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}.get(status, "OK")
                out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
                out += [f"{name}: {value}" for name, value in hdrs.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def serve(self, ready: Callable[[dict[str, object]], None]) -> None:
        servers = []
        for outlet in self.corpus.outlets:

            async def handler(
                r: asyncio.StreamReader, w: asyncio.StreamWriter, k: int = outlet.index
            ) -> None:
                await self._connection(k, r, w)

            server = await asyncio.start_server(handler, outlet.host, self.port, backlog=256)
            if not self.port:
                self.port = server.sockets[0].getsockname()[1]
            servers.append(server)
        ready({"port": self.port, "pid": os.getpid()})
        await asyncio.gather(*(s.serve_forever() for s in servers))


# --- control from the benchmark ------------------------------------------------------------------


class NewsWeb:
    """The simulator in a subprocess; `with NewsWeb(spec) as web:` gives its port and feed URLs."""

    def __init__(self, spec: WebSpec, startup_timeout: float = 300.0) -> None:
        self.spec = spec
        self.corpus = Corpus(spec)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.pid = 0

    def __enter__(self) -> NewsWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        args = [sys.executable, "-m", "benchmarks.newsweb", "--spec", json.dumps(asdict(self.spec))]
        # stdin stays open for the server's life: it exits when the pipe closes (this process gone)
        self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server prints one line when it listens
        if not line:
            self.stop()
            raise RuntimeError("the news-web simulator exited before it was ready")
        info = json.loads(line)
        self.port, self.pid = int(info["port"]), int(info["pid"])

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def feed_url(self, k: int, n: int) -> str:
        return f"http://{self.corpus.outlets[k].host}:{self.port}/feed.xml?n={n}"

    def sources_yaml(self, per_feed: int, outlets: int | None = None, **settings: object) -> str:
        """A sources.yaml whose feeds list the newest `per_feed` stories of each outlet."""
        merged: dict[str, object] = {
            "allow_private_networks": True,
            "timeout_seconds": 60,
            "max_articles_per_source": max(per_feed, 1),
            **settings,
        }
        lines = ["settings:"] + [f"  {key}: {json.dumps(value)}" for key, value in merged.items()]
        lines.append("sources:")
        for outlet in self.corpus.outlets[: outlets or len(self.corpus.outlets)]:
            lines += [
                f"  - name: {json.dumps(outlet.name)}",
                f"    url: {self.feed_url(outlet.index, per_feed)}",
                f"    language: {outlet.lang}",
            ]
        return "\n".join(lines) + "\n"

    def pages(self, first: int, stop: int) -> Iterator[Page]:
        """The pages the feeds list at positions [first, stop), rebuilt here byte for byte."""
        for k in range(self.spec.outlets):
            for i in range(first, min(stop, self.spec.pages)):
                yield self.corpus.page(k, i)

    def stats(self, reset: bool = False) -> dict[str, object]:
        import httpx

        url = f"http://{self.corpus.outlets[0].host}:{self.port}/__stats" + ("?reset=1" if reset else "")
        return dict(httpx.get(url, timeout=10, trust_env=False).json())


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a simulated news web on loopback.")
    parser.add_argument("--spec", default="{}", help="WebSpec fields as JSON")
    args = parser.parse_args()
    spec = WebSpec(**json.loads(args.spec))
    serve_until_orphaned(Server(Corpus(spec)))


def serve_until_orphaned(server: Server) -> None:
    """Serve, saying where on stdout (one JSON line), until the parent closes stdin or dies."""

    def ready(info: dict[str, object]) -> None:
        print(json.dumps(info), flush=True)

    def orphaned() -> None:
        sys.stdin.read()  # returns when the parent closes the pipe or dies
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(ready))


if __name__ == "__main__":
    main()
