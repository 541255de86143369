"""Inline related-link and counter lines go by their form, in the region's languages; prose that
merely starts like one stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.stages.reading.extract import extract_page
from flows.stages.reading.related_lines import is_counter, is_related, without_related_lines

STORY = [
    "The government approved a decree on water use in the Vakhsh basin on Tuesday.",
    "Farmers in Khatlon will pay for irrigation water by the cubic metre from next spring.",
]


@pytest.mark.parametrize(
    "line",
    [
        "Also Read: Rogun dam's second turbine starts turning",
        "Read more: Tajikistan and Uzbekistan agree on Rogun water quotas",
        "READ ALSO - Kambarata talks resume in Bishkek",
        "Читайте также: Рогунская ГЭС запустила третий агрегат",
        "Читайте также Рогунская ГЭС запустила третий агрегат",
        "Ссылки по теме",
        "Также по теме:",
        "Сондай-ақ оқыңыз: Астанада жаңа көпір ашылды",
        "Ошондой эле окуңуз: Бишкекте жаңы мектеп ачылды",
        "Shuningdek oʻqing: Toshkentda yangi metro bekati ochildi",
        "Шунингдек ўқинг: Тошкентда янги метро бекати очилди",
        "Инчунин хонед: Нерӯгоҳи Роғун агрегати сеюмро ба кор андохт",
        "相关阅读：罗贡水电站第三台机组投产",
        "延伸阅读 中亚天然气管道D线开工",
        "责任编辑：王晓",
        "- Read also: Rogun dam's second turbine starts turning",
    ],
)
def test_a_label_and_a_headline_is_a_related_line(line: str) -> None:
    assert is_related(line)
    assert without_related_lines("\n".join([STORY[0], line, STORY[1]])).splitlines() == STORY


@pytest.mark.parametrize(
    "line",
    [
        "Просмотров: 1341 Комментариев: 0",
        "Views: 1,341 | Comments: 12",
        "Қаралды: 2 450",
        "Koʻrishlar: 87",
        "阅读 1.2万 评论 3",
    ],
)
def test_a_line_of_counters_goes(line: str) -> None:
    assert is_counter(line)
    assert without_related_lines("\n".join([STORY[0], line, STORY[1]])).splitlines() == STORY


@pytest.mark.parametrize(
    "line",
    [
        "Also read by millions, the paper has covered the Rogun dam since the 1980s.",
        "Also, the ministry said the decree would apply to the Rogun reservoir.",
        "По теме доклада выступил министр энергетики и водных ресурсов.",
        "Подробнее о решении правительства рассказали в пресс-службе.",
        "Related-party deals at the Rogun dam worried the auditors.",
        "Read more: The decree sets tariffs for water. It also sets fines for waste. Farmers objected. "
        "The ministry did not respond.",
        "相关报道称，罗贡水电站今年将全面投产。",
        "Просмотров было 1341, говорит автор блога.",
    ],
)
def test_prose_that_starts_like_a_label_stays(line: str) -> None:
    assert not is_related(line) and not is_counter(line)
    text = "\n".join([STORY[0], line, STORY[1]])
    assert without_related_lines(text) == text


def test_a_heading_takes_its_list_and_a_watch_no_longer_sees_it() -> None:
    text = "\n".join(
        [STORY[0], "Ссылки по теме", "- Рогунская ГЭС запустила агрегат", "- Рогун: итоги года", STORY[1]]
    )
    cleaned = without_related_lines(text)
    assert cleaned.splitlines() == STORY and "Рогун" not in cleaned


def test_a_text_of_related_lines_only_is_left_as_it_was() -> None:
    text = "Read more: Rogun dam's second turbine\nПросмотров: 3"
    assert without_related_lines(text) == text


@given(st.lists(st.sampled_from(STORY + ["", "Short line.", "- an item"]), max_size=8))
def test_story_lines_are_never_taken(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert without_related_lines(text) == text


def test_a_real_pages_read_more_lines_go_and_nothing_else() -> None:
    """dw.com's story (tests/fixtures/real/SOURCES.md) has two "Read more: <headline>" lines
    between its paragraphs; they go, every other line stays."""
    url = "https://www.dw.com/en/berlin-confronts-germanys-colonial-past-with-new-initiative/a-52060881"
    page = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "pages" / "dw-colonial.html"
    text = extract_page(page.read_bytes(), url).text
    lines = text.splitlines()
    related = [line for line in lines if line.startswith("Read more: ")]
    assert len(related) == 2
    assert without_related_lines(text).splitlines() == [line for line in lines if line not in related]
