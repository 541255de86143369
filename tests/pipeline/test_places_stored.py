"""Places stored with an article (migration 015), filled by the analysis and by `rescore`, and
`newswatch analyse` (nothing stored, no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.cli import main
from flows.config import parse_config
from flows.pipeline.analysis import Analyzer
from flows.pipeline.maintenance import rescore
from storage import ArticleRecord, Store

ZHANAOZEN = (
    "Oil workers strike in Zhanaozen",
    "Oil workers in Zhanaozen, Mangystau Region, went on strike on Monday; in Almaty the Kazakh "
    "government met their representatives.",
)


def _record(i: int, title: str, text: str) -> ArticleRecord:
    return ArticleRecord(
        url=f"https://example.org/{i}",
        canonical_url=f"https://example.org/{i}",
        source="test",
        title=title,
        text=text,
        first_seen_at=datetime.now(UTC),
        language="xx",
        relevance=0.0,
        is_relevant=False,
        countries=[],
        text_hash=f"h{i}",
    )


def test_the_analysis_gives_places_and_the_view_shows_them(tmp_path: Path) -> None:
    config = parse_config("sources: []")
    analyzer = Analyzer(config.topic, config.settings.relevance_threshold)
    rec = analyzer.record(
        url="https://example.org/z",
        canonical_url="https://example.org/z",
        source="t",
        title=ZHANAOZEN[0],
        text=ZHANAOZEN[1],
    )
    assert rec.places == ["KZ-47", "KZ-75"]
    store = Store(tmp_path / "nw.duckdb")
    store.migrate()
    store.insert_articles([rec])
    _, rows = store.query("SELECT places FROM articles")
    assert rows == [(["KZ-47", "KZ-75"],)]
    retexted = analyzer.retext(rec, "Protests went on in Khorog, the capital of GBAO.")
    assert retexted.places == ["KZ-47", "TJ-GB"]  # the title still names Zhanaozen


def test_rescore_fills_places_of_articles_stored_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb")
    store.migrate()
    store.insert_articles([_record(1, *ZHANAOZEN), _record(2, "Weather", "Rain tomorrow in the mountains.")])
    _, before = store.query("SELECT places FROM articles ORDER BY id")
    assert before == [(None,), (None,)]
    rescore(parse_config("sources: []"), store, batch_size=1, workers=1)
    _, after = store.query("SELECT places FROM articles ORDER BY id")
    assert after == [(["KZ-47", "KZ-75"],), ([],)]


def test_analyse_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    given = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "title": ZHANAOZEN[0], "text": ZHANAOZEN[1], "url": "https://example.org/a"},
        {"id": 7, "text": "Ошто жаңы мектеп ачылды, Ош облусунда да."},
    ]
    given.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    db = tmp_path / "none.duckdb"
    assert main(["analyse", str(given), "--json", "--db", str(db), "--sources", str(sources)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert out[0]["language"] == "en" and out[0]["is_relevant"] and out[0]["countries"] == ["KZ"]
    assert out[0]["places"] == [
        {"code": "KZ-47", "name": "Mangystau Region", "surface": "Zhanaozen"},
        {"code": "KZ-75", "name": "Almaty", "surface": "Almaty"},
    ]
    assert [p["code"] for p in out[1]["places"]] == ["KG-GO", "KG-O"]
    assert not db.exists()  # nothing stored


def test_analyse_plain_text_from_stdin_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "none.duckdb"), "--sources", str(sources)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("Забастовка в Жанаозене\n\nQoraqalpog'istonda suv yo'q\n"))
    assert main(["analyse", "-", "--json", *common]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["id"], [p["code"] for p in o["places"]]) for o in out] == [(1, ["KZ-47"]), (2, ["UZ-QR"])]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    assert main(["analyse", str(bad), *common]) == 2
    assert 'line 2: a JSON object with a "text" string is needed' in capsys.readouterr().err
    assert main(["analyse", str(tmp_path / "missing.jsonl"), *common]) == 2
    assert "no such file" in capsys.readouterr().err


def test_region_filters_search_and_export_and_the_daily_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = parse_config("sources: []")
    analyzer = Analyzer(config.topic, config.settings.relevance_threshold)
    texts = [
        ZHANAOZEN,
        (
            "Strike in Osh",
            "Bus drivers in Osh went on strike on Monday over fuel prices, the mayor's office said.",
        ),
    ]
    store = Store(tmp_path / "nw.duckdb")
    store.migrate()
    store.insert_articles(
        [
            analyzer.record(
                url=f"https://e.org/{i}", canonical_url=f"https://e.org/{i}", source="t", title=t, text=x
            )
            for i, (t, x) in enumerate(texts)
        ]
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "nw.duckdb"), "--sources", str(sources)]
    assert main(["search", "strike", "--reindex", "--json", "--region", "Mangystau", *common]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["title"] for h in hits] == ["Oil workers strike in Zhanaozen"]
    assert main(["search", "strike", "--json", "--region", "kg-go", *common]) == 0
    assert [h["title"] for h in json.loads(capsys.readouterr().out)] == ["Strike in Osh"]
    assert main(["search", "strike", "--region", "Narnia", *common]) == 2
    assert "--region 'Narnia': no subdivision" in capsys.readouterr().err
    out = tmp_path / "kz47.jsonl"
    assert main(["export", str(out), "--region", "KZ-47", *common]) == 0
    assert [json.loads(line)["title"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        texts[0][0]
    ]
    _, rows = store.query("SELECT region, articles FROM daily_by_region ORDER BY region")
    assert rows == [("KG-GO", 1), ("KZ-47", 1), ("KZ-75", 1)]


def test_a_region_by_code_or_name_and_the_names_that_are_not_one() -> None:
    from flows.stages.stories.places import resolve_region

    assert resolve_region("kz-47") == "KZ-47"
    assert resolve_region("Ош облусу") == "KG-O"
    assert resolve_region("Qoraqalpog'iston") == "UZ-QR"
    with pytest.raises(ValueError, match="not a subdivision"):
        resolve_region("KZ-99")
    with pytest.raises(ValueError, match="several subdivisions"):
        resolve_region("Ферганская долина")
