"""Cross-language story linking (flows/stages/stories/linking.py): keys across scripts, dates and
amounts in several languages, the window, the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stages.stories.linking import (
    DATE_PENALTY,
    MIN_POOL,
    WINDOW,
    Evidence,
    apart,
    best_match,
    date_keys,
    dates_meet,
    evidence,
    linked,
    number_keys,
    score,
    weights,
    word_keys,
)

T0 = datetime(2026, 3, 16, 9, tzinfo=UTC)


@pytest.mark.parametrize("word", ["Токаев", "Тоқаев", "Тоқаевтың", "Токаева", "Toqayev", "Tokayev", "Тўқаев"])
def test_a_name_and_its_forms_share_a_stem_key(word: str) -> None:
    assert word_keys(word)[0] == word_keys("Tokayev")[0]


@pytest.mark.parametrize("word", ["Мирзиёевпен", "Mirziyoyevni", "Мирзиёеву", "Mirziyoyev"])
def test_turkic_and_russian_endings_meet_the_bare_name(word: str) -> None:
    assert word_keys(word)[0] == word_keys("Мирзиёев")[0]


def test_a_vowel_spelt_otherwise_meets_through_the_consonants() -> None:
    # Атамбаев (Russian, Kyrgyz) and Атамбоев (Uzbek): the stems differ, the consonants do not
    assert word_keys("Атамбаевдин")[0] != word_keys("Атамбоевни")[0]
    assert word_keys("Атамбаевдин")[1] == word_keys("Атамбоевни")[1]


def test_short_words_and_other_scripts_have_no_key() -> None:
    assert word_keys("Оше") == ()
    assert word_keys("托卡耶夫") == ()


@pytest.mark.parametrize(
    "text",
    [
        "26 февраля президенты обсудили",
        "БИШКЕК, 26-фев. — Sputnik.",
        "Бүгүн, 26-февралда президент",
        "on February 26 the presidents",
        "on 26 February the presidents",
        "26 ақпан күні",
        "26 fevral kuni",
        "2月26日，两国元首",
        "26.02.2022 в Бишкеке",
    ],
)
def test_a_date_is_read_in_every_language(text: str) -> None:
    assert date_keys(text) == {"d:02-26"}


def test_a_day_range_and_an_ordinal_are_dates() -> None:
    assert date_keys("On September 14-15, the leaders") == {"d:09-14"}
    assert date_keys("During a phone conversation on 1st of May") == {"d:05-01"}


def test_numbers_without_a_month_are_no_dates() -> None:
    assert date_keys("87,05% of the vote, 16 667 097 people") == set()


def test_amounts_meet_across_languages() -> None:
    key = "n:2.6e+10"
    assert key in number_keys("кредит на 26 млрд юаней")
    assert key in number_keys("a loan of 26 billion yuan")
    assert key in number_keys("贷款260亿元")


def test_numbers_are_normalised_and_one_digit_is_ignored() -> None:
    assert number_keys("набрал 87,05% голосов") == {"n:87.05"}
    assert number_keys("16 667 097 people") == {"n:1.66671e+07"}
    assert number_keys("2 wounded, 3 killed") == set()


def test_the_day_number_of_a_date_is_not_also_a_number() -> None:
    ev = evidence(None, "On 26 February, 154 people", "en", None)
    assert "d:02-26" in ev.keys and "n:154" in ev.keys and "n:26" not in ev.keys


def test_dates_meet_within_a_day_also_across_a_month_end() -> None:
    assert dates_meet({"d:08-07"}, {"d:08-08"})
    assert dates_meet({"d:03-31"}, {"d:04-01"})
    assert not dates_meet({"d:10-07"}, {"d:05-01"})


def test_the_window() -> None:
    a = Evidence("ru", T0, frozenset({"tokaev"}))
    assert not apart(a, Evidence("en", T0 + WINDOW, frozenset()))
    assert apart(a, Evidence("en", T0 + WINDOW + timedelta(seconds=1), frozenset()))
    assert not apart(a, Evidence("en", None, frozenset()))


RU = "Президент Казахстана Касым-Жомарт Токаев 7 октября провел телефонный разговор с Шавкатом Мирзиёевым о ситуации в Кыргызстане."
EN = "Kassym-Jomart Tokayev held a telephone talk with Shavkat Mirziyoyev on October 7 on the situation in Kyrgyzstan."
OTHER = "Tokayev congratulated Mirziyoyev on the referendum on May 1; the Uzbek constitution was amended."


# other clusters of the window: each with keys of its own, so the three above are not the whole news
BACKGROUND = [Evidence("kk", T0, frozenset({f"other{i}", f"story{i}"})) for i in range(MIN_POOL)]


def test_two_reports_of_one_call_link_and_a_call_on_another_day_does_not() -> None:
    ru, en, other = (evidence(None, t, lang, T0) for t, lang in ((RU, "ru"), (EN, "en"), (OTHER, "en")))
    w = weights([ru, en, other, *BACKGROUND])
    assert linked(ru, en, w)
    assert not linked(ru, other, w)
    match = best_match(ru, [(1, other), (2, en)], w)
    assert match is not None and match[0] == 2


def test_in_a_window_of_few_clusters_nothing_links() -> None:
    ru, en, other = (evidence(None, t, lang, T0) for t, lang in ((RU, "ru"), (EN, "en"), (OTHER, "en")))
    assert linked(ru, en, weights([ru, en, other]))  # the score alone would
    assert best_match(ru, [(2, en)], weights([ru, en, other])) is None
    assert best_match(ru, [(2, en)], weights([ru, en, other, *BACKGROUND])) is not None


def test_dates_on_both_sides_and_none_shared_halve_the_score() -> None:
    a = evidence(None, RU, "ru", T0)
    b = evidence(None, EN, "en", T0)
    b_moved = evidence(None, EN.replace("October 7", "May 1"), "en", T0)
    w = weights([a, b, b_moved, *BACKGROUND])
    assert score(a, b_moved, w) == pytest.approx(score(a, b, w) * DATE_PENALTY, rel=0.25)
    assert score(a, b_moved, w) < score(a, b, w)


def test_one_language_is_never_linked_here() -> None:
    a = evidence(None, RU, "ru", T0)
    w = weights([a, evidence(None, EN, "en", T0), *BACKGROUND])
    assert not linked(a, a, w)
    assert best_match(a, [(1, a)], w) is None


def test_outside_the_window_nothing_links() -> None:
    a = evidence(None, RU, "ru", T0)
    b = evidence(None, EN, "en", T0 + timedelta(days=30))
    w = weights([a, b, *BACKGROUND])
    assert score(a, b, w) == 0.0
    assert score(a, b, w, window=None) > 0.5


words = st.lists(st.sampled_from(RU.split() + EN.split() + OTHER.split()), max_size=30).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(words, words)
def test_the_score_is_symmetric_and_between_0_and_1(x: str, y: str) -> None:
    a, b = evidence(None, x, "ru", T0), evidence(None, y, "en", T0)
    w = weights([a, b, evidence(None, OTHER, "kk", T0)])
    s = score(a, b, w)
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(score(b, a, w))
