"""Countries of multi-country stories (flows/stages/stories/joint.py through relevance.Scorer)."""

from __future__ import annotations

import pytest

from flows.config import parse_config
from flows.stages.stories.joint import acting_together, project_ends
from flows.stages.stories.relevance import CENTRAL_ASIA, Scorer

ALL = ["KG", "KZ", "TJ", "TM", "UZ"]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(parse_config("sources: []").topic)


def test_the_five_presidents_meeting_in_astana_are_all_five(scorer: Scorer) -> None:
    title = "Central Asian presidents hold consultative meeting in Astana"
    text = (
        "The presidents of Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan and Uzbekistan met in Astana on "
        "Friday for the sixth consultative meeting of the heads of state of Central Asia and signed a joint "
        "statement on regional cooperation until 2040. Kazakh officials said the meeting agreed on water and "
        "transport projects, and the leaders planned to meet again next year in Tashkent."
    )
    assert sorted(scorer.score(title, text, "en").countries) == ALL


def test_a_chinese_report_of_the_china_central_asia_summit_is_about_all_five(scorer: Scorer) -> None:
    title = "中国—中亚峰会在西安举行"
    text = (
        "首届中国—中亚峰会在西安举行。哈萨克斯坦总统托卡耶夫、吉尔吉斯斯坦总统扎帕罗夫、塔吉克斯坦总统拉赫蒙、"
        "土库曼斯坦总统别尔德穆哈梅多夫、乌兹别克斯坦总统米尔济约耶夫出席峰会，六国元首共同签署《西安宣言》。"
    )
    assert sorted(scorer.score(title, text, "zh-cn").countries) == ALL


def test_both_ends_of_a_railway_count(scorer: Scorer) -> None:
    title = "China-Kyrgyzstan-Uzbekistan railway agreement signed"
    text = (
        "Officials from Beijing, Bishkek and Tashkent signed an agreement on the China–Kyrgyzstan–Uzbekistan "
        "railway on Thursday. The line will run from Kashgar through the Kyrgyz mountains to Andijan in "
        "Uzbekistan, and the Kyrgyz government said construction would start in October. Kyrgyz officials "
        "expect the railway to cut the delivery time of Chinese goods to Europe by a week."
    )
    assert sorted(scorer.score(title, text, "en").countries) == ["KG", "UZ"]


def test_a_summit_without_the_five_keeps_its_countries(scorer: Scorer) -> None:
    title = "Саммит ШОС в Астане: лидеры обсудили безопасность"
    text = (
        "В Астане завершился саммит Шанхайской организации сотрудничества. Президент Казахстана Касым-Жомарт "
        "Токаев призвал участников усилить борьбу с терроризмом. Лидеры подписали декларацию."
    )
    assert scorer.score(title, text, "ru").countries == ["KZ"]


def test_the_rules_alone() -> None:
    assert acting_together("C5 summit", "", set(CENTRAL_ASIA), CENTRAL_ASIA) == list(CENTRAL_ASIA)
    assert acting_together("C5 summit", "", {"KZ"}, CENTRAL_ASIA) == list(CENTRAL_ASIA)  # "the five"
    named = {"KZ", "KG", "TJ", "UZ"}
    assert acting_together("A summit", "Four met.", named, CENTRAL_ASIA) == ["KZ", "KG", "TJ", "UZ"]
    assert acting_together("Trade talks", "", set(CENTRAL_ASIA), CENTRAL_ASIA) == []  # no joint act
    assert acting_together("A summit", "Kazakhstan and Uzbekistan met.", {"KZ", "UZ"}, CENTRAL_ASIA) == []
    text = "The Kyrgyzstan-Uzbekistan pipeline opened. Kyrgyzstan - Uzbekistan: 2-1 in football."
    second = text.index("Kyrgyzstan - ")
    hits = [("KG", 4), ("UZ", 15), ("KG", second), ("UZ", text.index("Uzbekistan:"))]
    assert text[4:14] == "Kyrgyzstan" and text[15:25] == "Uzbekistan"
    assert project_ends(text, hits, CENTRAL_ASIA) == {"KG", "UZ"}
    assert project_ends(text, hits[2:], CENTRAL_ASIA) == set()  # a score is no project
