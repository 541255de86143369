"""The topic profile of sources.yaml over the built-in one: lists add, `replace:` drops, errors
name file, line and field, and `sources check` says what the profile changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from flows.config import ConfigError, Topic, default_topic_data, parse_config, profile_changes

BUILTIN = Topic.model_validate(default_topic_data())


def test_a_plain_list_adds_to_the_builtin_terms() -> None:
    topic = parse_config("topic:\n  keywords:\n    en: [Afghanistan, Taliban]\nsources: []\n").topic
    assert topic.keywords["en"] == [*BUILTIN.keywords["en"], "Afghanistan", "Taliban"]
    assert topic.keywords["ru"] == BUILTIN.keywords["ru"]
    assert topic.countries == BUILTIN.countries


def test_extend_is_the_same_as_a_plain_list_and_terms_are_not_doubled() -> None:
    plain = parse_config("topic:\n  keywords:\n    en: [Afghanistan, Aral Sea]\nsources: []\n").topic
    extend = parse_config(
        "topic:\n  keywords:\n    en: {extend: [Afghanistan, Aral Sea]}\nsources: []\n"
    ).topic
    assert plain == extend
    assert plain.keywords["en"].count("Aral Sea") == 1


def test_replace_drops_the_builtin_terms_of_one_language() -> None:
    topic = parse_config("topic:\n  keywords:\n    en: {replace: [Afghanistan]}\nsources: []\n").topic
    assert topic.keywords["en"] == ["Afghanistan"]
    assert topic.keywords["ru"] == BUILTIN.keywords["ru"]
    empty = parse_config("topic:\n  keywords:\n    zh: {replace: []}\nsources: []\n").topic
    assert empty.keywords["zh"] == []


def test_countries_add_replace_and_drop() -> None:
    text = (
        "topic:\n  countries:\n"
        "    AF: {en: [Afghanistan, Kabul]}\n"  # a new country
        "    KZ: {en: [Zhetysu], ru: {replace: [Казахстан]}}\n"  # one language added, one replaced
        "    TM: {replace: {en: [Turkmenistan]}}\n"  # the whole country replaced
        "    UZ: {replace: {}}\n"  # dropped
        "sources: []\n"
    )
    countries = parse_config(text).topic.countries
    assert countries["AF"] == {"en": ["Afghanistan", "Kabul"]}
    assert countries["KZ"]["en"] == [*BUILTIN.countries["KZ"]["en"], "Zhetysu"]
    assert countries["KZ"]["ru"] == ["Казахстан"] and countries["KZ"]["zh"] == BUILTIN.countries["KZ"]["zh"]
    assert countries["TM"] == {"en": ["Turkmenistan"]}
    assert "UZ" not in countries and countries["KG"] == BUILTIN.countries["KG"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "topic:\n  keywords:\n    en: {replace: [a], extend: [b]}\nsources: []\n",
            "x.yaml:3: field `topic.keywords.en`: extend: or replace:, not both",
        ),
        (
            "topic:\n  keywords:\n    en: {replcae: [a]}\nsources: []\n",
            "x.yaml:3: field `topic.keywords.en.replcae`: unknown key 'replcae'",
        ),
        (
            "topic:\n  keywords:\n    en:\n      - Kabul\n      - 12\nsources: []\n",
            "x.yaml:5: field `topic.keywords.en.1`: a term must be text, not 12",
        ),
        (
            "topic:\n  keywords:\n    en:\nsources: []\n",
            "x.yaml:3: field `topic.keywords.en`: expected a list",
        ),
        (
            "topic:\n  countries:\n    KZ: {replace: {en: [x]}, ru: [y]}\nsources: []\n",
            "x.yaml:3: field `topic.countries.KZ`: replace: takes the country's languages inside it",
        ),
        (
            "topic:\n  countries:\n    KZ:\n      replace: [Kazakhstan]\nsources: []\n",
            "x.yaml:4: field `topic.countries.KZ.replace`: expected a mapping of language codes",
        ),
        (
            "topic:\n  countries:\n    KZ: [x]\nsources: []\n",
            "x.yaml:3: field `topic.countries.KZ`: expected a mapping",
        ),
        (
            "topic:\n  countries:\n    KZ: {replace: {english: [x]}}\nsources: []\n",
            "field `topic.countries.KZ.english`: 'english' is not a language code",
        ),
    ],
)
def test_a_bad_profile_is_named_by_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "x.yaml")
    assert expected in str(err.value)


def test_profile_changes_say_what_is_added_replaced_and_dropped() -> None:
    assert profile_changes(parse_config("sources: []\n")) == []
    text = (
        "topic:\n  keywords:\n    en: [Afghanistan, Taliban]\n    zh: {replace: [阿富汗]}\n"
        "  countries:\n    AF: {en: [Afghanistan, Kabul]}\n    TM: {replace: {}}\nsources: []\n"
    )
    changes = profile_changes(parse_config(text))
    assert changes == [
        "keywords en: 2 added (Afghanistan, Taliban)",
        f"keywords zh: replaced, all {len(BUILTIN.keywords['zh'])} built-in terms dropped, 1 added (阿富汗)",
        "countries AF: new (en 2 terms)",
        "countries TM: dropped",
    ]


def test_sources_check_shows_what_the_profile_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("topic:\n  keywords:\n    en: [Afghanistan, Taliban]\nsources: []\n", encoding="utf-8")
    assert main(["sources", "check", "--sources", str(sources), "--db", str(tmp_path / "nw.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "topic: the built-in profile (flows/topic_default.yaml) with" in out
    assert "keywords en: 2 added (Afghanistan, Taliban)" in out
    sources.write_text("sources: []\n", encoding="utf-8")
    assert main(["sources", "check", "--sources", str(sources), "--db", str(tmp_path / "nw.duckdb")]) == 0
    assert "nothing added or replaced" in capsys.readouterr().out
