"""Site-aware cleaning: an outlet's recurring lines go, its stories (and their recurring quotes) stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.stages.reading.templates import SiteTemplate, TemplateParams, Templates
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
