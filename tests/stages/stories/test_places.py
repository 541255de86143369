"""Places below the country (flows/stages/stories/places.py) and its generated gazetteer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stages.stories.places import DATA, find_places
from flows.stages.stories.relevance import normalize


def codes(text: str) -> list[str]:
    return [p.code for p in find_places(None, text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Забастовка нефтяников в Жанаозене продолжается третий день.", ["KZ-47"]),
        ("Жаңаөзенде мұнайшылар ереуілі жалғасып жатыр.", ["KZ-47"]),
        ("Ошто жаңы мектеп ачылды.", ["KG-GO"]),
        ("Qoraqalpog'istonda suv tanqisligi kuchaydi.", ["UZ-QR"]),
        ("Qoraqalpog‘istonda suv tanqisligi kuchaydi.", ["UZ-QR"]),  # the Uzbek apostrophe
        ("Дар шаҳри Хоруғ тазоҳурот шуд.", ["TJ-GB"]),
        ("Protests in Khorog, the capital of GBAO, went on.", ["TJ-GB"]),
        ("Аким Алматы встретился с акимом Алматинской области.", ["KZ-75", "KZ-19"]),
        ("Алматы облысында су тасқыны болды.", ["KZ-19"]),
        ("Ош шаарында жана Ош облусунда шайлоо өттү.", ["KG-GO", "KG-O"]),
        ("Semey, the former Semipalatinsk, is now the centre of Abai Region.", ["KZ-10"]),
        ("Бывший Целиноград и Кокчетав, а также Ленинабад.", ["KZ-71", "KZ-11", "TJ-SU"]),
        ("В Ферганской долине снова вспышка.", ["UZ-AN", "UZ-FA", "UZ-NG", "KG-B", "KG-J", "KG-O", "TJ-SU"]),
        ("Toshkent viloyatida yangi zavod ochildi, Toshkentda esa metro.", ["UZ-TO", "UZ-TK"]),
        ("Трасса Ош-Бишкек закрыта.", ["KG-GO", "KG-GB"]),
        ("Ulytau and Jetisu regions were created in 2022.", ["KZ-62", "KZ-33"]),
    ],
)
def test_places_in_every_script_and_inflected(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Абай Кунанбаев — великий казахский поэт.",
        "Абай атындағы университетте конференция өтті.",
        "Alisher Navoiy nomidagi teatrda spektakl.",
        "Алишер Навои написал поэму.",
        "Bu qarorga qarshi chiqqanlar ko'p.",
        "Ошондо ал үйгө кайтты.",
        "Ошибка в расчётах.",
        "Уральские авиалинии открыли рейс.",
        "Водные ресурсы бассейна реки Сырдарья сокращаются.",
        "Нарын дарыясынын суусу азайды.",
        "Kant wrote about reason; Mary read it anew.",
        "Ташкентский фильм и Уральский хребет.",
    ],
)
def test_look_alikes_are_not_places(text: str) -> None:
    assert codes(text) == []


def test_each_place_once_with_its_name_and_first_surface() -> None:
    places = find_places("Жанаозен", "В Жанаозене и в Актау.")
    assert [(p.code, p.name, p.surface) for p in places] == [("KZ-47", "Mangystau Region", "Жанаозен")]


def test_the_gazetteer_has_every_current_subdivision() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    subdivisions = data["subdivisions"]
    assert {"KZ-10", "KZ-33", "KZ-62", "KG-GO", "TJ-GB", "TM-S", "UZ-QR"} <= set(subdivisions)
    assert len([c for c in subdivisions if c.startswith("KZ-")]) == 20
    used = {code for _, codes in data["surfaces"] for code in codes.split(",")}
    assert used == set(subdivisions)  # every subdivision can be found, and nothing else


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="аеоуыОшАлматыKhorgQarshi'- .\n", max_size=60))
def test_any_text_gives_known_codes_and_surfaces_from_the_text(text: str) -> None:
    for place in find_places(None, text):
        assert place.surface in normalize(text)
        assert place.code.split("-")[0] in {"KZ", "KG", "TJ", "TM", "UZ"}
