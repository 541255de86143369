"""The query language end to end: each operator over a real DuckDB index, through the library and
the `search` command. Before it, quotes were ignored, `-Tokayev` searched for Tokayev, `OR` for
the word "or", and `the` found twenty articles."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.cli import main
from flows.config import parse_config
from flows.pipeline.watches import WatchSummary, gather
from flows.progress import SilentReporter
from flows.stages.stories.search import SearchUsageError, build_request
from storage import ArticleRecord, Store
from storage import search as fts
from storage.search import plan as planning
from storage.search.query_language import QueryError

WHEN = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


def rec(n: int, title: str, text: str, language: str = "en", **kw: object) -> ArticleRecord:
    fields: dict[str, object] = {
        "url": f"https://q.example/{n}",
        "canonical_url": f"https://q.example/{n}",
        "source": "Steppe Times",
        "title": title,
        "text": text,
        "first_seen_at": WHEN,
        "published_at": WHEN,
        "language": language,
        "text_hash": f"q{n}",
    }
    fields.update(kw)
    return ArticleRecord(**fields)  # type: ignore[arg-type]


ARTICLES = [
    rec(
        1,
        "Rogun dam gets more financing",
        "Tajikistan raised money for the Rogun dam on the Vakhsh.",
        countries=["TJ"],
    ),
    rec(
        2,
        "Tokayev visits the Rogun site",
        "President Tokayev saw the Rogun dam and spoke of water.",
        countries=["KZ"],
    ),
    rec(
        3,
        "Kumtor gold output rises",
        "The Kumtor mine in Kyrgyzstan produced more gold.",
        source="Kyrgyz Times",
        countries=["KG"],
    ),
    rec(
        4,
        "Syr Darya water quotas agreed",
        "Five states agreed water quotas for the Syr Darya basin.",
        countries=["UZ"],
    ),
    rec(
        5,
        "Бюджет Республики Коми принят",
        "Министр финансов Дарья Иванова сказала, что сыр и молоко подорожали.",
        "ru",
        source="Komi Vesti",
    ),
    rec(
        6,
        "Darya Petrova on trade",
        "Darya Petrova met Syr officials about trade and water.",
        countries=["KZ"],
    ),
    rec(7, "Aspirin or placebo for Alzheimer's", "A trial compared aspirin or placebo in the elderly."),
    rec(8, "Kazakhstani exports grow", "Kazakhstani wheat and oil exports grew this year.", countries=["KZ"]),
    rec(
        9, "Kazakhs celebrate Nauryz", "Kazakhs across the steppe celebrated the new year.", countries=["KZ"]
    ),
    rec(
        10,
        "Energy ministers meet",
        "The ministers spoke of Rogun in passing.",
        countries=["TJ"],
        source="Asia Wire",
    ),
    rec(
        11,
        "Токаев посетил Рогун",
        "Президент Токаев осмотрел плотину Рогун.",
        "ru",
        countries=["KZ"],
        source="Komi Vesti",
    ),
]

# query -> the articles it finds (in any order), each operator, as the README shows them
CASES = [
    ("Rogun dam", {1, 2}),
    ("Rogun AND dam", {1, 2}),
    ("Rogun OR Kumtor", {1, 2, 3, 10, 11}),
    ("Rogun -Tokayev", {1, 10}),  # Токаев is Tokayev too: 11 goes as well
    ("Rogun NOT Tokayev", {1, 10}),
    ('"Syr Darya"', {4}),  # 5 (Дарья, сыр) and 6 (Darya ... Syr) hold the words, not the phrase
    ("Syr Darya", {4, 6}),
    ('Syr -"Syr Darya"', {6}),  # a phrase under NOT: read in the text too
    ('"Syr Darya" OR Kumtor', {3, 4}),
    ('title:"Syr Darya"', {4}),
    ("(Rogun OR Kumtor) -dam", {3, 10, 11}),
    ("Kazakh*", {8, 9}),
    ("title:Rogun", {1, 2, 11}),
    ('source:"Kyrgyz Times"', {3}),
    ("Rogun lang:ru", {11}),
    ("Rogun country:TJ", {1, 10}),
    ("Tokayev", {2, 11}),  # across scripts outside quotes
    ('"Tokayev"', {2}),  # exactly as written inside them
    ("the Rogun", {1, 2, 10, 11}),  # `the` is not searched for
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "q.duckdb"
    store = Store(path)
    store.migrate()
    store.insert_articles(ARTICLES)
    fts.update_index(store)
    return path


def numbers(hits: list[fts.SearchHit]) -> set[int]:
    return {int(h.url.rsplit("/", 1)[1]) for h in hits}


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_each_operator_finds_exactly_its_articles(db: Path, query: str, expected: set[int]) -> None:
    hits = fts.search(Store(db), build_request(query, all_copies=True, limit=50))
    assert numbers(hits) == expected


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_each_operator_from_the_command_line(
    db: Path, query: str, expected: set[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", query, "--db", str(db), "--json", "--all-copies", "--limit", "50"]) == 0
    found = {int(r["url"].rsplit("/", 1)[1]) for r in json.loads(capsys.readouterr().out)}
    assert found == expected


def test_ranking_is_bm25_over_the_positive_terms(db: Path) -> None:
    hits = fts.search(Store(db), build_request("Rogun -Tokayev", all_copies=True))
    assert [int(h.url.rsplit("/", 1)[1]) for h in hits] == [1, 10]  # title and text first
    assert all(h.terms == 1 and h.matched == 1 for h in hits)
    both = fts.search(Store(db), build_request("Rogun OR Tokayev", all_copies=True))
    assert both[0].matched == 2 and numbers(both[:2]) == {2, 11}  # both words first


def test_highlights_are_the_positive_words(db: Path) -> None:
    hit = fts.search(Store(db), build_request('"Syr Darya" -Kumtor'))[0]
    assert {"syr", "darya"} <= set(hit.matched_tokens) and "kumtor" not in hit.matched_tokens


def test_stopwords_alone_are_refused(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(QueryError, match="only stopwords"):
        fts.search(Store(db), build_request("the"))
    assert main(["search", "the of", "--db", str(db)]) == 2
    assert "only stopwords" in capsys.readouterr().err
    assert numbers(fts.search(Store(db), build_request('"or" aspirin'))) == {7}  # quoted: searched
    assert numbers(fts.search(Store(db), build_request("WHO OR Kumtor"))) == {3}  # capitals: searched


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(Rogun OR Kumtor", "unbalanced parenthesis at column 1"),
        ("Rogun dam OR Kumtor", "at column 11"),
        ("country:RU Rogun", "country:RU is not one of KZ, KG, TJ, TM, UZ at column 9"),
        ("lang:xx Rogun", "lang:xx: no article gets that language code"),
        ("site:akorda.kz", "unknown field site:"),
    ],
)
def test_errors_name_the_column(
    db: Path, query: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SearchUsageError, match="column"):
        build_request(query)
    assert main(["search", query, "--db", str(db)]) == 2
    assert message in capsys.readouterr().err


def test_a_prefix_with_too_few_letters_and_an_unknown_prefix(db: Path) -> None:
    with pytest.raises(SearchUsageError, match="at least 3 letters"):
        build_request("Ka*")
    assert fts.search(Store(db), build_request("Zzyz*")) == []
    assert numbers(fts.search(Store(db), build_request("title:Kazakh*"))) == {8, 9}


# --- relative dates: search, export and watch test -----------------------------------------------


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three Rogun stories: two hours, three days and ten days old."""
    now = datetime.now(UTC)
    path = tmp_path_factory.mktemp("dated") / "d.duckdb"
    store = Store(path)
    store.migrate()
    ages = {21: timedelta(hours=2), 22: timedelta(days=3), 23: timedelta(days=10)}
    store.insert_articles(
        [
            rec(
                n,
                f"Rogun story {n}",
                f"The Rogun dam, story number {n}.",
                published_at=now - age,
                first_seen_at=now - age,
            )
            for n, age in ages.items()
        ]
    )
    fts.update_index(store)
    return path


@pytest.mark.parametrize(("since", "expected"), [("24h", {21}), ("7d", {21, 22}), ("2w", {21, 22, 23})])
def test_since_takes_spans_back_from_now(
    dated: Path, since: str, expected: set[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(dated)
    assert main(["search", "Rogun", "--db", db, "--json", "--since", since]) == 0
    assert {int(r["url"].rsplit("/", 1)[1]) for r in json.loads(capsys.readouterr().out)} == expected
    out = tmp_path / "out.jsonl"
    assert main(["export", str(out), "--db", db, "--since", since]) == 0
    assert {json.loads(line)["url"] for line in out.read_text().splitlines()} == {
        f"https://q.example/{n}" for n in expected
    }
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources: []\nwatches:\n  - name: rogun\n    query: Rogun -Tokayev\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert (
        main(["watch", "test", "rogun", "--db", db, "--sources", str(sources), "--json", "--since", since])
        == 0
    )
    assert {int(r["url"].rsplit("/", 1)[1]) for r in json.loads(capsys.readouterr().out)} == expected


def test_since_today_and_a_bad_span(dated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "Rogun", "--db", str(dated), "--json", "--since", "yesterday"]) == 0
    assert 23 not in {int(r["url"].rsplit("/", 1)[1]) for r in json.loads(capsys.readouterr().out)}
    assert main(["search", "Rogun", "--db", str(dated), "--since", "last week"]) == 2
    assert "24h, 7d, 2w" in capsys.readouterr().err


def test_each_operator_in_a_watch(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each query of CASES as a watch in sources.yaml: validated on load, matched by `watch test`."""
    sources = tmp_path / "sources.yaml"
    watches = "".join(f"  - name: w{i}\n    query: {json.dumps(q)}\n" for i, (q, _) in enumerate(CASES))
    sources.write_text(f"sources: []\nwatches:\n{watches}", encoding="utf-8")
    for i, (query, expected) in enumerate(CASES):
        assert main(["watch", "test", f"w{i}", "--db", str(db), "--sources", str(sources), "--json"]) == 0
        found = {int(r["url"].rsplit("/", 1)[1]) for r in json.loads(capsys.readouterr().out)}
        assert found == expected, query
    sources.write_text(
        'sources: []\nwatches:\n  - name: broken\n    query: "Rogun OR (Kumtor"\n', encoding="utf-8"
    )
    assert main(["watch", "test", "broken", "--db", str(db), "--sources", str(sources)]) == 2
    err = capsys.readouterr().err
    assert "sources.yaml:4" in err and "unbalanced parenthesis at column 10" in err


class Said(SilentReporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def message(self, text: str) -> None:
        self.lines.append(text)


def test_a_watch_whose_prefix_grew_too_broad_is_reported_alone(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prefix is checked against the vocabulary only when it runs; the vocabulary grows with
    every ingest. One watch that can no longer run must not stop the others."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    store = Store(copy)
    monkeypatch.setattr(planning, "MAX_PREFIX_TERMS", 1)  # kazakhstani, kazakhs: two words
    config = parse_config(
        'sources: []\nwatches:\n  - {name: broad, query: "Kazakh*"}\n  - {name: kumtor, query: Kumtor}\n'
    )
    run = store.start_run("ingest")
    store.insert_articles(
        [
            rec(31, "Kumtor strike ends", "Miners at Kumtor went back to work.", countries=["KG"]),
            rec(32, "Kazakhstani grain", "Kazakhstani grain reached Kumtor's canteen."),
        ],
        run_id=run,
    )
    fts.update_index(store)
    said, summary = Said(), WatchSummary()
    gather(config, store, run, summary, said)
    assert summary.matched == {"kumtor": 2}
    assert said.lines == [
        "watch broad: not matched this run: kazakh* stands for more than 1 words: give more letters at column 1"
    ]
