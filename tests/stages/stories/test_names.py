"""Names across scripts: one key for Tokayev, Токаев, Тоқаев; search and the profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.stages.stories.search import build_request
from storage import Store
from storage import search as fts
from storage.search.names import name_key
from tests.stages.stories.test_search import rec


@pytest.mark.parametrize(
    "spellings",
    [
        ["Tokayev", "Токаев", "Тоқаев", "Toqayev", "Tokaev", "Токаева", "Токаевым"],
        ["Mirziyoyev", "Мирзиёев", "Mirziyoev", "Мирзиеев", "Мирзиёева"],
        ["Rahmon", "Рахмон", "Раҳмон", "Rakhmon", "Рахмона"],
        ["Dushanbe", "Душанбе"],
        ["Almaty", "Алматы"],
        ["Berdimuhamedov", "Бердымухамедов", "Berdymukhammedov"],
        ["Japarov", "Жапаров", "Zhaparov"],
        ["Oʻzbekiston", "Ўзбекистон"],
        ["Emomali", "Эмомали", "Эмомалӣ"],
    ],
)
def test_spellings_of_one_name_share_a_key(spellings: list[str]) -> None:
    keys = {name_key(w) for w in spellings}
    assert len(keys) == 1 and None not in keys


def test_no_key_for_digits_other_scripts_and_short_words() -> None:
    assert name_key("2024") is None
    assert name_key("西安") is None
    assert name_key("Osh") is None
    assert name_key("Tokyo") != name_key("Tokayev")


NAMES = [
    rec(11, "Tokayev visits Berlin", "President Tokayev met investors.", "en", countries=["KZ"]),
    rec(12, "Токаев провёл совещание", "Президент Токаев провёл совещание в Астане.", "ru", countries=["KZ"]),
    rec(13, "Тоқаев Алматыда", "Президент Тоқаев Алматыда кездесу өткізді.", "kk", countries=["KZ"]),
    rec(14, "Mirziyoyev in Samarkand", "Shavkat Mirziyoyev opened a school.", "en", countries=["UZ"]),
    rec(15, "Рахмон в Душанбе", "Эмомали Рахмон выступил в Душанбе.", "ru", countries=["TJ"]),
    rec(16, "Weather", "Rain tomorrow in the mountains.", "en"),
]


@pytest.fixture(scope="module")
def names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("names") / "n.duckdb"
    store = Store(path)
    store.migrate()
    store.insert_articles(NAMES)
    fts.update_index(store)
    return path


def numbers(hits: list[fts.SearchHit]) -> list[int]:
    return [int(h.url.rsplit("/", 1)[1]) for h in hits]


def test_tokayev_finds_every_script_exact_first(names: Path) -> None:
    hits = fts.search(Store(names), build_request("Tokayev"))
    assert numbers(hits)[0] == 11  # the exact script first
    assert set(numbers(hits)) == {11, 12, 13}
    assert [h.exact for h in hits] == [1, 0, 0]
    by = {numbers([h])[0]: h for h in hits}
    assert "токаев" in by[12].matched_tokens and "тоқаев" in by[13].matched_tokens


def test_cyrillic_query_finds_latin(names: Path) -> None:
    assert numbers(fts.search(Store(names), build_request("Мирзиёев"))) == [14]
    hits = fts.search(Store(names), build_request("Токаев"))
    assert numbers(hits)[0] == 12 and set(numbers(hits)) == {11, 12, 13}
    assert set(numbers(fts.search(Store(names), build_request("Rahmon Dushanbe")))) == {15}


def test_plain_words_are_not_widened(names: Path) -> None:
    assert numbers(fts.search(Store(names), build_request("rain"))) == [16]


def test_profile_names_match_other_scripts() -> None:
    from flows.config import Topic
    from flows.stages.stories.relevance import Matcher, parse_terms

    matcher = Matcher(parse_terms(Topic(countries={"UZ": {"en": ["Mirziyoyev"]}, "KZ": {"ru": ["Токаев"]}})))
    hits = matcher.find("Мирзиёев встретился с Тоқаев; Tokayev and Mirziyoev spoke. Weather is fine.")
    assert [matcher.terms[h.term].target for h in hits] == ["UZ", "KZ", "KZ", "UZ"]
    assert matcher.find("мирзиёев in lower case is not a name") == []
