"""The extraction evaluation (benchmarks/extraction.py): its metric, the DAnIEL split and a
directory of each layout scored end to end. No timings."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from benchmarks import extraction as ev

BODY = " ".join(f"word{i}" for i in range(40))
PAGE = f"<html><body><nav>Home News Sport</nav><article><p>{BODY}</p></article></body></html>"


def test_identical_texts_score_one_and_disjoint_zero() -> None:
    assert ev.shingle_score("a b c d e f", "a b c d e f") == ev.Score(1.0, 1.0, 1.0)
    assert ev.shingle_score("a b c d e f", "g h i j k l").f1 == 0.0
    assert ev.shingle_score("a b c d", "").f1 == 0.0


def test_precision_and_recall_count_shingles() -> None:
    # expected: 7 tokens = 4 shingles; extracted: 5 tokens of them = 2 shingles, both shared
    score = ev.shingle_score("a b c d e f g", "a b c d e")
    assert score.precision == 1.0
    assert score.recall == pytest.approx(2 / 4)
    assert score.f1 == pytest.approx(2 * 0.5 / 1.5)
    # an extra menu line costs precision only
    noisy = ev.shingle_score("a b c d e f g", "Home News Sport More a b c d e f g")
    assert noisy.recall == 1.0 and noisy.precision == pytest.approx(4 / 8)


def test_tokens_split_cjk_characters_and_punctuation() -> None:
    assert ev.tokens("北京时间 News, 2026年!") == ["北", "京", "时", "间", "News", "2026", "年"]
    assert ev.tokens("Привет, мир") == ["Привет", "мир"]
    assert len(ev.shingles("北京时间今天")) == 3  # six tokens, three 4-shingles
    assert list(ev.shingles("short text")) == [("short", "text")]  # under n tokens: one shingle


def test_daniel_split_follows_the_crc_rule() -> None:
    for domain in ("www.example.com", "news.example.org", "a.b", "lenta.ru", "sina.com.cn"):
        name = f"20120101_{domain}_abcdef"
        assert ev.daniel_is_dev(name) == (zlib.crc32(domain.encode()) % 2 == 0)


def test_every_layout_is_found_and_scored(tmp_path: Path) -> None:
    (tmp_path / "readability" / "p1").mkdir(parents=True)
    (tmp_path / "readability" / "p1" / "source.html").write_text(PAGE)
    (tmp_path / "readability" / "p1" / "expected.html").write_text(f"<div><p>{BODY}</p></div>")
    (tmp_path / "readability" / "p1" / "expected-metadata.json").write_text(json.dumps({"lang": "en"}))
    for sub in ("html", "text"):
        (tmp_path / "htmltotext" / "en" / sub).mkdir(parents=True)
    (tmp_path / "htmltotext" / "en" / "html" / "a.html").write_text(PAGE)
    (tmp_path / "htmltotext" / "en" / "text" / "a.txt").write_text(BODY)
    for sub in ("original", "annotated"):
        (tmp_path / "l3s" / sub).mkdir(parents=True)
    (tmp_path / "l3s" / "original" / "x.html").write_text(PAGE)
    (tmp_path / "l3s" / "annotated" / "x.html").write_text(
        f'<html><body><span class="x-nc-sel0">Home</span><span class="x-nc-sel2">{BODY}</span></body></html>'
    )
    dev = next(d for d in (f"site{i}.test" for i in range(20)) if zlib.crc32(d.encode()) % 2 == 0)
    held = next(d for d in (f"site{i}.test" for i in range(20)) if zlib.crc32(d.encode()) % 2 == 1)
    for sub in ("html", "reference"):
        (tmp_path / "daniel" / sub).mkdir(parents=True)
    for domain in (dev, held):
        (tmp_path / "daniel" / "html" / f"20120101_{domain}_00").write_text(PAGE)
        (tmp_path / "daniel" / "reference" / f"20120101_{domain}_00").write_text(f"<p>{BODY}</p>")
    (tmp_path / "daniel" / "doc_lg.json").write_text(json.dumps({f"20120101_{dev}_00": "Polish"}))

    found = {
        name: ev.detect_format(tmp_path / name) for name in ("readability", "htmltotext", "l3s", "daniel")
    }
    assert found == {n: n for n in found}
    daniel = ev.load(tmp_path / "daniel")
    assert [(c.name, c.lang) for c in daniel] == [
        (f"20120101_{dev}_00", "pl")
    ]  # the held-out page is not read
    assert [c.name for c in ev.load(tmp_path / "daniel", daniel_holdout=True)] == [f"20120101_{held}_00"]
    cases = [c for name in found for c in ev.load(tmp_path / name)]
    assert len(cases) == 4 and all(ev.tokens(c.expected) for c in cases)
    (result,) = ev.evaluate(cases, ["pipeline"])
    assert all(s.recall == 1.0 for s in result.scores.values())


def test_command_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for sub in ("html", "text"):
        (tmp_path / "en" / sub).mkdir(parents=True)
    (tmp_path / "en" / "html" / "a.html").write_text(PAGE)
    (tmp_path / "en" / "text" / "a.txt").write_text(BODY)
    assert (
        ev.main([str(tmp_path), "--extractors", "pipeline,trafilatura", "--json", str(tmp_path / "o.json")])
        == 0
    )
    out = capsys.readouterr().out
    assert "| en | 1 |" in out and "| all | 1 |" in out
    assert json.loads((tmp_path / "o.json").read_text())["figures"]["all"]["pages"] == 1
