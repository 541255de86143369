"""The language evaluation set (benchmarks/language_set/): every language at least 95% right."""

from __future__ import annotations

from benchmarks.language_eval import load, score, table
from flows.stages.reading.language import detect_language

# the 18 rows of the set; benchmarks/language_set/SOURCES.md says where each comes from
SETS = {
    "kk-cyrl", "kk-latn", "ky", "tg", "tk", "uz-cyrl", "uz-latn", "ru", "en", "zh-cn", "zh-tw",
    "tt", "ba", "tr", "el", "pl", "ko", "vi",
}  # fmt: skip
MIN_SHARE = 0.95
MIN_OVERALL = 0.995


def test_the_set_has_its_18_languages_about_40_texts_each() -> None:
    samples = load()
    counts = {name: sum(1 for s in samples if s.set == name) for name in SETS}
    assert {s.set for s in samples} == SETS
    assert all(38 <= n <= 40 for n in counts.values()), counts


def test_every_language_is_right_at_least_95_percent() -> None:
    result = score(detect_language, load())
    report = table(result)
    for name, total in result.total.items():
        assert result.right.get(name, 0) >= MIN_SHARE * total, report
    assert result.overall >= MIN_OVERALL, report
