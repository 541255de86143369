"""Site-aware cleaning: an outlet's recurring lines go, its stories (and their recurring quotes) stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from flows.stages.reading.extract import extract_page
from flows.stages.reading.templates import SiteTemplate, TemplateParams, Templates, site_of
from storage.records import PageLines

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

MENU = ["Home", "World", "Business", "Sport", "Culture", "Subscribe to our newsletter"]
FOOTER = [
    "The Steppe Herald is an independent daily founded in 1994 and published in Almaty and Astana in "
    "Russian, Kazakh and English, with correspondents in every regional capital of the country.",
    "© 2026 Steppe Herald. All rights reserved.",
]
STORIES = {
    "grain": [
        "Wheat exports through the Caspian ports rose by a fifth in October as buyers in Iran and Azerbaijan "
        "returned to the market after the summer drought.",
        "Traders in Aktau said freight rates had eased since the new terminal opened in September.",
        "The ministry expects the harvest to exceed last year's by at least two million tonnes.",
    ],
    "ballet": [
        "The Astana Opera opened its season with a new production of Swan Lake choreographed by a guest "
        "from Saint Petersburg, sold out weeks in advance.",
        "Critics praised the corps de ballet and the orchestra, which played under a young conductor.",
        "The production will tour Almaty and Shymkent in the spring before travelling to Seoul.",
    ],
    "metro": [
        "Almaty's metro will add three stations on its western line by the end of next year, the city's "
        "transport department said on Tuesday.",
        "Tunnelling under Abay Avenue is two thirds complete, engineers told reporters at the site.",
        "Fares will stay at 150 tenge for the first year of the extension's operation.",
    ],
    "court": [
        "A district court in Karaganda sentenced two former officials to eight years for taking bribes "
        "from a construction firm that built a school with no heating.",
        "Both men denied the charges and their lawyers said they would appeal within fifteen days.",
        "The school has since been repaired at the city's expense and reopened in November.",
    ],
}


def page(story: str, *, related: list[str] | None = None, extra: list[str] | None = None) -> str:
    lines = list(MENU) + STORIES[story] + (extra or [])
    if related is not None:
        lines += ["Related news"] + [f"- {title}" for title in related]
    return "\n".join(lines + FOOTER)


def learn(site: Templates, pages: dict[str, str], source: str = "herald") -> None:
    for i, (url, text) in enumerate(pages.items()):
        site.observe(source, url, text, T0 + timedelta(minutes=i))


def test_one_page_of_an_outlet_is_left_as_extracted() -> None:
    site = Templates()
    text = page("grain")
    learn(site, {"u/grain": text})
    assert site.clean("herald", "u/grain", text) == text
    assert Templates().clean("nobody", "u/x", text) == text  # nothing known at all


def test_menus_and_footers_an_outlet_repeats_are_taken_out() -> None:
    site = Templates()
    texts = {f"u/{s}": page(s) for s in ("grain", "ballet", "metro")}
    learn(site, texts)
    cleaned = site.clean("herald", "u/grain", texts["u/grain"])
    assert cleaned.splitlines() == STORIES["grain"]
    # another outlet's pages teach nothing about this one
    assert site.clean("other", "u/grain", texts["u/grain"]) == texts["u/grain"]


def test_two_pages_are_enough_for_short_lines_but_not_for_a_paragraph() -> None:
    site = Templates()
    texts = {f"u/{s}": page(s) for s in ("grain", "ballet")}
    learn(site, texts)
    lines = site.clean("herald", "u/grain", texts["u/grain"]).splitlines()
    assert not set(MENU) & set(lines) and FOOTER[1] not in lines
    assert FOOTER[0] in lines  # a paragraph-long line needs three pages and half of the outlet's


def test_a_related_list_goes_with_its_heading_though_its_headlines_change() -> None:
    site = Templates()
    texts = {
        "u/grain": page("grain", related=["Metro extension on schedule", "Court jails two officials"]),
        "u/ballet": page("ballet", related=["Wheat exports up a fifth"]),
        "u/metro": page("metro"),
    }
    learn(site, texts)
    assert site.clean("herald", "u/grain", texts["u/grain"]).splitlines() == STORIES["grain"]


def test_a_quote_the_outlet_repeats_in_a_few_stories_stays() -> None:
    quote = (
        '"We will not let the Aral Sea die a second time, whatever it costs," the minister told parliament '
        "in a speech that opposition deputies applauded."
    )
    short_quote = '"The water is coming back," he said.'
    stories = {
        "grain": STORIES["grain"][:2] + [quote, short_quote] + STORIES["grain"][2:],
        "metro": STORIES["metro"][:2] + [quote, short_quote] + STORIES["metro"][2:],
        "court": STORIES["court"][:2] + [quote, short_quote] + STORIES["court"][2:],
        "ballet": STORIES["ballet"],
    }
    texts = {f"u/{s}": "\n".join(MENU + body + FOOTER) for s, body in stories.items()}
    texts.update(
        {f"u/old{i}": "\n".join(MENU + [f"Brief number {i} of the day."] + FOOTER) for i in range(4)}
    )
    site = Templates()
    learn(site, texts)
    assert site.clean("herald", "u/grain", texts["u/grain"]).splitlines() == stories["grain"]
    # on most of the outlet's pages, the same paragraph would be template
    site2 = Templates()
    learn(site2, {f"u/{s}": "\n".join(MENU + body + FOOTER) for s, body in stories.items()})
    assert quote not in site2.clean("herald", "u/grain", "\n".join(MENU + stories["grain"] + FOOTER))


def test_one_story_at_two_addresses_counts_once() -> None:
    site = Templates()
    text = page("grain")
    learn(site, {"u/grain": text, "u/grain?page=1": text})
    assert site.clean("herald", "u/grain", text) == text


def test_a_page_that_is_all_template_is_left_as_it_was() -> None:
    site = Templates()
    texts = {f"u/{s}": page(s) for s in ("grain", "ballet", "metro")}
    learn(site, texts)
    only_menu = "\n".join(MENU + FOOTER)
    assert site.clean("herald", "u/index", only_menu) == only_menu


def test_an_unseen_page_counts_itself() -> None:
    site = Templates()
    learn(site, {f"u/{s}": page(s) for s in ("grain", "ballet")})
    assert site.clean("herald", "u/metro", page("metro")).splitlines() == STORIES["metro"]


def test_chinese_lines_count_a_character_as_a_third_of_a_word() -> None:
    menu = ["首页", "新闻中心", "财经频道", "版权所有 © 2012 北方新闻网"]
    about = "北方新闻网是内蒙古自治区重点新闻网站，由内蒙古日报社主办，全面报道全区政治经济社会文化新闻。"
    bodies = [
        "呼和浩特市今年新建保障性住房两万套，比去年增加三成，预计年底前全部交付使用。",
        "包头市钢铁企业一季度产量同比增长百分之八，出口订单主要来自东南亚国家。",
        "鄂尔多斯市启动新一轮草原生态补偿，牧民每亩草场可获得补贴十二元。",
    ]
    texts = {f"cn/{i}": "\n".join(menu + [body, about]) for i, body in enumerate(bodies)}
    site = Templates()
    learn(site, texts, source="northnews")
    assert site.clean("northnews", "cn/0", texts["cn/0"]).splitlines() == [bodies[0]]
    assert len(about) * TemplateParams().cjk_word < TemplateParams().long_tokens  # two pages were enough


def test_the_window_forgets_the_oldest_pages() -> None:
    site = SiteTemplate(TemplateParams(window=3))
    for i in range(5):
        site.add(f"u/{i}", {i, 100})
    assert site.pages == 3
    assert site.printed(0) == 0 and site.printed(4) == 1 and site.printed(100) == 3
    site.add("u/4", {7})  # a page seen again replaces its old lines
    assert site.printed(4) == 0 and site.printed(7) == 1 and site.pages == 3


def test_what_storage_kept_is_learnt_back() -> None:
    first = Templates()
    texts = {f"u/{s}": page(s) for s in ("grain", "ballet", "metro")}
    kept = [first.observe("herald", url, text, T0) for url, text in texts.items()]
    assert all(isinstance(p, PageLines) for p in kept)
    again = Templates()  # a later run: nothing but what storage gives back
    again.load("herald", reversed(kept))
    assert again.loaded("herald") and again.pages("herald") == 3
    court = page("court")
    assert again.clean("herald", "u/court", court).splitlines() == STORIES["court"]


TICKER = [
    "10:17 Metro fares frozen for another year The city council voted to keep fares at 150 tenge.",
    "10:15 Snow closes the road to Medeu Police turned back cars at the first checkpoint on Tuesday.",
    "10:10 Tenge firms against the dollar The currency gained two tenths in the first minutes of trading.",
]


def test_a_ticker_glued_to_the_story_in_one_line_goes_when_most_pages_print_it() -> None:
    """An extractor's one line: a story, then the outlet's news ticker."""
    texts = {f"u/{s}": " ".join(STORIES[s] + TICKER) + "\n" + FOOTER[1] for s in ("grain", "ballet", "metro")}
    site = Templates()
    learn(site, dict(list(texts.items())[:2]))
    for s in ("grain", "ballet"):  # two pages: the same story printed twice would look the same
        assert site.clean("herald", f"u/{s}", texts[f"u/{s}"]) == " ".join(STORIES[s] + TICKER)
    learn(site, texts)
    for s in ("grain", "ballet", "metro"):
        assert site.clean("herald", f"u/{s}", texts[f"u/{s}"]) == " ".join(STORIES[s])


def test_sentences_two_stories_share_inside_their_lines_stay() -> None:
    """A background passage two stories share in the middle of their lines is theirs, and so is a
    recurring sentence too short to be a ticker at a line's end."""
    background = (
        "The ministry expects the harvest to exceed last year's by at least two million tonnes, "
        "its spokesman said, although the drought hit the northern regions hardest of all."
    )
    texts = {
        "u/a": " ".join([STORIES["grain"][0], background, STORIES["grain"][1]]) + "\n" + STORIES["metro"][2],
        "u/b": " ".join([STORIES["court"][0], background, STORIES["court"][1], "Wheat is up."]),
        "u/c": " ".join([STORIES["ballet"][0], "Wheat is up."]),
    }
    site = Templates()
    learn(site, texts)
    for url, text in texts.items():
        assert site.clean("herald", url, text) == text


def test_a_sidebar_paragraph_among_template_lines_goes_with_two_pages() -> None:
    teaser = (
        "This year the officials who stole from the budget were promised that they would lose their heads, "
        "but first they must remember that they serve the people. We recall the year's best quotes."
    )
    texts = {
        "u/grain": page("grain", related=["Metro extension on schedule"]) + "\n" + teaser,
        "u/ballet": page("ballet", related=["Wheat exports up a fifth"]) + "\n" + teaser,
    }
    texts["u/grain"] = texts["u/grain"].replace("Related news\n", "Related news\nTwitter\n")
    site = Templates()
    learn(site, texts)
    assert site.clean("herald", "u/grain", texts["u/grain"]).splitlines() == STORIES["grain"]
    assert site.clean("herald", "u/ballet", texts["u/ballet"]).splitlines() == STORIES["ballet"]


# A story of about 600 words in 12 paragraphs, for the republication tests.
LONG = [
    f"Paragraph {n} of the Rogun report: the {place} delegation said the {thing} would be settled "
    f"before {month}, and that the {num} engineers on the site had finished the {part} stage of work "
    f"on the dam's {side} side, ahead of a timetable agreed with lenders in {city}."
    for n, (place, thing, month, num, part, side, city) in enumerate(
        [
            ("Tajik", "water quota", "March", "four hundred", "first", "left", "Dushanbe"),
            ("Uzbek", "tariff dispute", "April", "three hundred", "second", "right", "Tashkent"),
            ("Kyrgyz", "border survey", "May", "two hundred", "third", "upper", "Bishkek"),
            ("Kazakh", "grain swap", "June", "five hundred", "fourth", "lower", "Astana"),
            ("Turkmen", "gas payment", "July", "six hundred", "fifth", "eastern", "Ashgabat"),
            ("Afghan", "canal question", "August", "seven hundred", "sixth", "western", "Kabul"),
            ("Chinese", "loan schedule", "September", "eight hundred", "seventh", "northern", "Urumqi"),
            ("Russian", "turbine order", "October", "nine hundred", "eighth", "southern", "Moscow"),
            ("Iranian", "power line", "November", "a thousand", "ninth", "inner", "Tehran"),
            ("Pakistani", "CASA link", "December", "eleven hundred", "tenth", "outer", "Islamabad"),
            ("Indian", "insurance cover", "January", "twelve hundred", "eleventh", "middle", "Delhi"),
            ("Turkish", "cement contract", "February", "thirteen hundred", "last", "spillway", "Ankara"),
        ]
    )
]
LONG[3:3] = ['"We will not wait for the lenders," the minister said.', "Work stopped for two days in May."]
LONG[9:9] = ["The lenders did not comment on Friday."]
UPDATE = (
    "Updated on Friday: the lenders replied that they would wait for the engineers' report from the "
    "site before releasing the next tranche of the loan."
)


def words(text: str) -> int:
    return len(text.split())


def test_a_trimmed_republication_keeps_its_story_and_loses_the_template() -> None:
    """The same story at a new URL, trimmed to its first five paragraphs, beside other stories of
    the site: both copies keep at least 90% of their words; the menu and footer still go."""
    full = "\n".join(MENU + LONG + FOOTER)
    trimmed = "\n".join(MENU + LONG[:5] + [UPDATE] + FOOTER)
    texts = {f"u/{s}": page(s) for s in ("grain", "ballet", "metro")} | {
        "u/rogun": full,
        "u/rogun-2": trimmed,
    }
    site = Templates()
    learn(site, texts)
    for url, body in (("u/rogun", LONG), ("u/rogun-2", LONG[:5])):
        cleaned = site.clean("herald", url, texts[url])
        kept = sum(words(line) for line in body if line in cleaned.splitlines())
        assert kept >= 0.9 * sum(words(line) for line in body), cleaned
        assert not set(MENU) & set(cleaned.splitlines()) and FOOTER[1] not in cleaned
    assert site.clean("herald", "u/grain", texts["u/grain"]).splitlines() == STORIES["grain"]


def test_an_update_printed_twice_with_only_two_pages_is_kept() -> None:
    """Two pages, one story: nothing tells a template line from the story but the story itself."""
    texts = {"u/1": "\n".join(["Home", *LONG[:6]]), "u/2": "\n".join(["Home", *LONG[:6], LONG[6]])}
    site = Templates()
    learn(site, texts)
    assert site.clean("herald", "u/1", texts["u/1"]).splitlines()[-6:] == LONG[:6]


@given(st.integers(2, 14), st.integers(0, 3))
def test_any_trim_of_a_story_keeps_nine_tenths(cut: int, others: int) -> None:
    stories = list(STORIES)[:others]
    texts = {f"u/{s}": page(s) for s in stories}
    texts |= {
        "u/full": "\n".join(MENU + LONG + FOOTER),
        "u/cut": "\n".join(MENU + LONG[:cut] + [UPDATE] + FOOTER),
    }
    site = Templates()
    learn(site, texts)
    for url, body in (("u/full", LONG), ("u/cut", LONG[:cut])):
        lines = site.clean("herald", url, texts[url]).splitlines()
        assert sum(words(x) for x in body if x in lines) >= 0.9 * sum(words(x) for x in body)


def test_site_of_is_the_host_without_www() -> None:
    assert site_of("https://WWW.Herald.kz/a?b") == "herald.kz"
    assert site_of("http://ru.sputnik.kz:8080/x") == "ru.sputnik.kz"
    assert site_of("https://www.kz/") == "www.kz"  # "www" is the name itself there
    assert site_of("https://пример.қаз/") == site_of("https://xn--e1afmkfd.xn--80ao21a/")
    assert site_of("not a url") == ""


REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "pages"
DW = {  # two dw.com stories under one site template (tests/fixtures/real/SOURCES.md)
    "https://www.dw.com/en/berlin-confronts-germanys-colonial-past-with-new-initiative/a-52060881": "dw-colonial.html",
    "https://www.dw.com/en/uncork-the-mystery-of-germanys-fr%C3%BChburgunder/a-16863843": "dw-uncork.html",
}


def test_a_real_story_republished_trimmed_on_its_site_keeps_nine_tenths() -> None:
    """dw.com's colonial story, again at a new URL with its first three fifths (and a line of its
    own), beside another dw.com story: every page is one site's, and each copy of the story keeps
    at least 90% of its words; the other story is left whole."""
    texts = {url: extract_page((REAL / name).read_bytes(), url).text for url, name in DW.items()}
    colonial, uncork = texts
    lines = texts[colonial].splitlines()
    again = "https://dw.com/en/berlin-colonial-past-update/a-52060999"
    texts[again] = "\n".join([*lines[: len(lines) * 3 // 5], UPDATE])
    assert {site_of(url) for url in texts} == {"dw.com"}
    site = Templates()
    for i, (url, text) in enumerate(texts.items()):
        site.observe(site_of(url), url, text, T0 + timedelta(minutes=i))
    for url in (colonial, again):
        cleaned = site.clean("dw.com", url, texts[url])
        assert words(cleaned) >= 0.9 * words(texts[url]), cleaned
    assert site.clean("dw.com", uncork, texts[uncork]) == texts[uncork]


def test_a_form_two_stories_share_after_their_leads_makes_no_twins() -> None:
    """rp.pl's pages end with a long subscription form: two different stories share it, after
    their own leads, so it is template (its short lines go), not the same story printed twice."""
    form = [
        "Wyrażam zgodę na przetwarzanie przez wydawcę moich danych osobowych w celu prowadzenia marketingu "
        "towarów i usług osób trzecich, zgodnie z ustawą o ochronie danych osobowych z roku 1997.",
        "Oświadczam, że wyżej podane dane są prawdziwe i jako prenumerator przysługuje mi prawo "
        "darmowego dostępu do Pakietu Standard przez cały okres trwania prenumeraty wydania papierowego.",
        "Oświadczam, że zostałem poinformowany o prawie dostępu do treści moich danych.",
        "Zgadzam się na obciążenie mnie kwotą rocznego dostępu do pakietu.",
        "Jeśli nie chcesz, by pliki cookies były zapisywane na Twoim dysku, zmień ustawienia.",
    ]
    texts = {f"u/{s}": "\n".join(STORIES[s] + form) for s in ("grain", "ballet")}
    site = Templates()
    learn(site, texts)
    for s in ("grain", "ballet"):
        lines = site.clean("herald", f"u/{s}", texts[f"u/{s}"]).splitlines()
        assert lines[:3] == STORIES[s] and not set(form[2:]) & set(lines)
