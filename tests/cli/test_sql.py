"""`newswatch sql` (read-only, output formats), `newswatch export`, and the analysis views."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from storage import ArticleRecord, FetchLogEntry, PollOutcome, Store

DAY1 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 5, 2, 10, 0, tzinfo=UTC)


def rec(
    n: int, source: str, when: datetime, language: str, countries: list[str] | None, **kw: object
) -> ArticleRecord:
    fields: dict[str, object] = {
        "url": f"https://{source.lower()}.example/{n}",
        "canonical_url": f"https://{source.lower()}.example/{n}",
        "source": source,
        "title": f"Story {n}",
        "text": f"Text of story {n}",
        "first_seen_at": when,
        "published_at": when,
        "language": language,
        "countries": countries,
        "text_hash": f"h{n}",
        "is_relevant": countries is not None,
    }
    fields.update(kw)
    return ArticleRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store = Store(tmp_path / "newswatch.duckdb")
    store.migrate()
    store.sync_sources(
        [_Source("Alpha", "https://alpha.example/feed"), _Source("Beta", "https://beta.example/feed")]
    )
    store.insert_articles(
        [
            rec(1, "Alpha", DAY1, "en", ["KZ"]),
            rec(2, "Alpha", DAY1, "ru", ["KZ", "UZ"]),
            rec(3, "Beta", DAY1, "en", None),
            # Beta's copy of story 1: the same text, so the same cluster
            rec(4, "Beta", DAY2, "en", ["KZ"], text="Text of story 1", text_hash="h1", title="Story 1 again"),
            rec(5, "Alpha", DAY2, "zh-cn", ["TJ"]),
        ]
    )
    store.record_polls(
        None, [PollOutcome("Alpha", ok=True, status=200), PollOutcome("Beta", ok=False, error="boom")]
    )
    store.log_fetches(
        None,
        [
            FetchLogEntry("Beta", "feed", "https://beta.example/feed", "error", error="boom", elapsed_ms=5.0),
            FetchLogEntry("Alpha", "feed", "https://alpha.example/feed", "ok", status=200, elapsed_ms=7.0),
        ],
    )
    return store.path


class _Source:
    def __init__(self, name: str, url: str) -> None:
        self.name, self.url, self.language, self.enabled, self.tags = name, url, None, True, []


def sql(db: Path, *args: str) -> int:
    return main(["sql", "--db", str(db), *args])


def test_table_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql(db, "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source") == 0
    out = capsys.readouterr().out
    assert "Alpha" in out and "Beta" in out and " 3 " in out


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO article (id, url, canonical_url, source, first_seen_at) VALUES (99, 'u', 'u', 's', now())",
        "DELETE FROM article",
        "DROP TABLE article",
        "UPDATE source SET enabled = false",
        "CREATE TABLE evil AS SELECT 1",
        "SELECT 1; DROP VIEW articles",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "COPY (SELECT * FROM articles) TO '{tmp}/leak.csv'",
        "COPY article FROM '{tmp}/in.csv'",
        "SET enable_external_access = true",
        "SELECT * FROM read_csv('{tmp}/in.csv')",
    ],
)
def test_sql_cannot_modify_anything(
    db: Path, tmp_path: Path, statement: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in.csv").write_text("a\n1\n")
    before = db.read_bytes()
    assert sql(db, statement.format(tmp=tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith("newswatch: ") and "Traceback" not in err
    assert "read-only" in err or "touches no files" in err or "Catalog Error" in err
    assert db.read_bytes() == before
    assert not (tmp_path / "other.duckdb").exists() and not (tmp_path / "leak.csv").exists()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM article").fetchone() == (5,)
    con.close()


def test_sql_errors_are_messages(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql(db, "SELEC 1") == 1
    assert "SQL error" in capsys.readouterr().err
    assert sql(db, "SELECT 1", "--format", "parquet") == 2
    assert "--output" in capsys.readouterr().err


def test_formats(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "SELECT id, source, countries FROM articles ORDER BY id"
    assert sql(db, q, "--format", "csv", "--output", str(tmp_path / "r.csv")) == 0
    assert "5 rows written" in capsys.readouterr().out
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [r["source"] for r in rows] == ["Alpha", "Alpha", "Beta", "Beta", "Alpha"]
    assert rows[1]["countries"] == "[KZ, UZ]"

    assert sql(db, q, "--format", "json", "--output", str(tmp_path / "r.json")) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data[1] == {"id": 2, "source": "Alpha", "countries": ["KZ", "UZ"]}

    assert sql(db, q, "--format", "parquet", "--output", str(tmp_path / "r.parquet")) == 0
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.num_rows == 5 and table.column("countries").to_pylist()[0] == ["KZ"]

    capsys.readouterr()
    assert sql(db, "SELECT 1 AS one, 'x' AS two", "--format", "csv") == 0  # stdout
    assert capsys.readouterr().out.splitlines()[:2] == ["one,two", "1,x"]


def test_output_directory_must_exist(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql(db, "SELECT 1", "--format", "csv", "--output", str(tmp_path / "nope" / "r.csv")) == 1
    assert "no such directory" in capsys.readouterr().err


def test_export(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "all.parquet"
    assert main(["export", "--db", str(db), str(out)]) == 0
    assert "5 articles written" in capsys.readouterr().out
    table = pq.read_table(out)
    assert table.num_rows == 5
    assert {"id", "title", "text", "countries", "cluster_id", "duplicate_of"} <= set(table.column_names)

    jsonl = tmp_path / "recent.jsonl"
    assert main(["export", "--db", str(db), "--since", "2026-05-02", "--format", "jsonl", str(jsonl)]) == 0
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert sorted(r["title"] for r in lines) == ["Story 1 again", "Story 5"]

    out_csv = tmp_path / "recent.csv"
    assert main(["export", "--db", str(db), "--since", "2026-05-02", str(out_csv)]) == 0  # format from suffix
    assert len(list(csv.DictReader(io.StringIO(out_csv.read_text())))) == 2
    assert main(["export", "--db", str(db), "--since", "May", str(out_csv)]) == 2


def test_analysis_views(db: Path) -> None:
    store = Store(db)
    _, rows = store.query(
        "SELECT day, country, articles, stories FROM daily_by_country ORDER BY ALL NULLS FIRST"
    )
    d1, d2 = DAY1.date(), DAY2.date()
    assert rows == [(d1, None, 1, 1), (d1, "KZ", 2, 2), (d1, "UZ", 1, 1), (d2, "KZ", 1, 1), (d2, "TJ", 1, 1)]
    _, rows = store.query("SELECT day, language, articles FROM daily_by_language ORDER BY ALL")
    assert rows == [(d1, "en", 2), (d1, "ru", 1), (d2, "en", 1), (d2, "zh-cn", 1)]
    _, rows = store.query("SELECT day, source, articles, copies FROM daily_by_source ORDER BY ALL")
    assert rows == [(d1, "Alpha", 2, 0), (d1, "Beta", 1, 0), (d2, "Alpha", 1, 0), (d2, "Beta", 1, 1)]
    _, rows = store.query(
        "SELECT title, outlets, articles, sources, countries FROM story_clusters ORDER BY outlets DESC, title LIMIT 1"
    )
    assert rows == [("Story 1", 2, 2, ["Alpha", "Beta"], ["KZ"])]
    _, rows = store.query("SELECT name, status, fetches_7d, fetch_errors_7d FROM source_health ORDER BY name")
    assert rows == [("Alpha", "ok", 1, 0), ("Beta", "failing", 1, 1)]
    # the README's Python example
    con = duckdb.connect(str(db), read_only=True)
    top = con.sql("SELECT title, outlets FROM story_clusters ORDER BY outlets DESC LIMIT 10").fetchall()
    con.close()
    assert top[0] == ("Story 1", 2)


# --- empty queries, the format from --output, wide rows -----------------------------


@pytest.mark.parametrize("query", ["", "   ", "-- only a comment", "/* nothing */ ;"])
def test_an_empty_query_is_a_usage_error(db: Path, query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql(db, query) == 2
    err = capsys.readouterr().err
    assert "no SQL statement" in err and "newswatch sql" in err
    assert "AttributeError" not in err and "Traceback" not in err


def test_output_without_format_takes_it_from_the_suffix(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT id, source FROM articles ORDER BY id"
    assert sql(db, q, "--output", str(tmp_path / "r.csv")) == 0
    assert "5 rows written" in capsys.readouterr().out
    assert [r["source"] for r in csv.DictReader((tmp_path / "r.csv").open())][:2] == ["Alpha", "Alpha"]
    assert sql(db, q, "--output", str(tmp_path / "r.json")) == 0
    assert json.loads((tmp_path / "r.json").read_text())[0] == {"id": 1, "source": "Alpha"}
    assert sql(db, q, "--output", str(tmp_path / "R.PARQUET")) == 0
    assert pq.read_table(tmp_path / "R.PARQUET").num_rows == 5
    capsys.readouterr()
    # a name that says no format, or a table to a file: told, nothing written
    assert sql(db, q, "--output", str(tmp_path / "r.txt")) == 2
    assert "--format" in capsys.readouterr().err
    assert sql(db, q, "--format", "table", "--output", str(tmp_path / "t.csv")) == 2
    assert "only printed" in capsys.readouterr().err
    assert not (tmp_path / "r.txt").exists() and not (tmp_path / "t.csv").exists()


WIDE = (
    "SELECT "
    + ", ".join(f"'{'v' * 30}{i}' AS column_{i:02d}" for i in range(30))
    + ", repeat('x', 300) AS long"
)


def test_wide_rows_are_cut_to_the_terminal_as_duckdb_does(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sql(db, WIDE) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 160  # the console's width off a terminal
    header = lines[1]
    assert "column_00" in header and "long" in header and "│ … │" not in header and "┃ … ┃" in header
    assert "column_15" not in header  # a middle column gave way
    assert "(31 columns," in out and "--vertical" in out
    assert "x" * 300 not in out and "x…" in out  # a long value is cut, not folded into lines
    assert all(len(line) > 20 for line in lines[:4])  # no six-character columns


def test_vertical_shows_every_column_whole(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql(db, WIDE, "--vertical") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("-[ row 1 ]")
    assert f"column_15 | {'v' * 30}15" in out
    assert f"long      | {'x' * 300}" in out
    assert sql(db, "SELECT id, title FROM articles ORDER BY id", "--vertical", "--max-rows", "2") == 0
    out = capsys.readouterr().out
    assert out.count("-[ row") == 2 and "title | Story 2" in out and "(5 rows, first 2 shown)" in out


def test_fit_columns_keeps_both_ends() -> None:
    from flows.cli.render import fit_columns

    assert fit_columns([5, 5, 5], 80) == [0, 1, 2]
    assert fit_columns([10] * 10, 60) == [0, 1, None, 8, 9]
    assert fit_columns([200, 5], 80) == [0, None]  # the first column always, cut to fit


# --- one rule for days and zones, seeds out of the daily views, one definition per count --


def test_readme_set_timezone_works_and_file_access_stays_off(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "the configuration has been locked" for the README's advice."""
    q = "SET TimeZone = 'Asia/Tokyo'; SELECT current_setting('TimeZone') AS tz, count(*) AS n FROM articles"
    assert sql(db, q) == 0
    assert "Asia/Tokyo" in capsys.readouterr().out
    (tmp_path / "in.csv").write_text("a\n1\n")
    for statement in (
        f"SET TimeZone = 'UTC'; SELECT * FROM read_csv('{tmp_path}/in.csv')",
        "SET TimeZone = 'UTC'; SET enable_external_access = true",
        "SET TimeZone = 'UTC'; SET lock_configuration = false",
        "SELECT 1; SET memory_limit = '1GB'",
    ):
        assert sql(db, statement) == 1, statement
        assert "read-only and touches no files" in capsys.readouterr().err


def test_sql_counts_days_in_settings_timezone_unless_tz_says_otherwise(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(db)
    late = datetime(2026, 5, 3, 21, 0, tzinfo=UTC)  # 02:00 on 4 May in Tashkent (+05)
    store.insert_articles([rec(9, "Alpha", late, "en", ["KZ"])])
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  timezone: Asia/Tashkent\nsources: []\n", encoding="utf-8")
    q = "SELECT day, articles FROM daily_by_source WHERE day >= DATE '2026-05-03'"
    assert sql(db, q, "--sources", str(sources), "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["day,articles", "2026-05-04,1"]
    assert sql(db, q, "--sources", str(sources), "--tz", "UTC", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["day,articles", "2026-05-03,1"]
    # printed times carry their zone
    assert sql(db, "SELECT first_seen_at FROM articles WHERE url LIKE '%/9'", "--sources", str(sources)) == 0
    assert "2026-05-04 02:00:00+05:00" in capsys.readouterr().out
    assert sql(db, "SELECT 1", "--tz", "Mars/Olympus") == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_seeds_stay_out_of_the_daily_views(db: Path) -> None:
    """Before: five seeds of 2021-2023 counted as the day they were loaded ("KZ 9" today)."""
    store = Store(db)
    today = datetime.now(UTC)
    store.insert_articles(
        [rec(7, "seed", today, "en", ["KZ"], url="seed://7.txt", canonical_url="seed://7.txt", is_seed=True)]
    )
    for view in ("daily_by_country", "daily_by_language", "daily_by_source"):
        _, rows = store.query(f"SELECT count(*) FROM {view} WHERE day >= current_date - 1")
        assert rows == [(0,)], view
    _, rows = store.query("SELECT count(*) FROM story_clusters WHERE first_seen_at >= current_date - 1")
    assert rows == [(0,)]
    _, rows = store.query("SELECT count(*) FROM articles WHERE is_seed")
    assert rows == [(1,)]  # still in the articles view


def test_source_health_counts_stored_copies_in_articles_total(db: Path) -> None:
    """Before: articles_total counted new stories only (a running total) and articles_7d every
    stored article, so a source showed 7 in all and 8 this week."""
    store = Store(db)
    recent = datetime.now(UTC)
    store.insert_articles(
        [rec(8, "Beta", recent, "en", ["TJ"], text="Text of story 5", text_hash="h5", title="Story 5 again")]
    )
    _, rows = store.query("SELECT name, articles_total, articles_7d FROM source_health ORDER BY name")
    assert rows == [("Alpha", 3, 0), ("Beta", 3, 1)]  # Beta: one story, one copy of Alpha's, one copy now
    assert all(total >= week for _, total, week in rows)
    by_name = {h["name"]: h for h in store.source_health()}
    assert (by_name["Beta"]["articles_total"], by_name["Beta"]["articles_7d"]) == (3, 1)


# --- what is refused says what and why; one result; no file overwritten; one rule for suffixes --


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("INSTALL httpfs", "INSTALL is not run: `newswatch sql` loads no extensions"),
        ("LOAD httpfs", "LOAD is not run: `newswatch sql` loads no extensions"),
        (
            "ATTACH '{tmp}/other.duckdb' AS other",
            "ATTACH is not run: `newswatch sql` reads this database only",
        ),
        ("COPY (SELECT 1) TO '{tmp}/leak.csv'", "COPY is not run: `newswatch sql` writes no files itself"),
        ("DELETE FROM articles", "DELETE is not run: the database is read-only here"),
        ("DELETE FROM article", "DELETE is not run: the database is read-only here"),
        ("UPDATE articles SET title = 'x'", "UPDATE is not run: the database is read-only here"),
    ],
)
def test_a_refused_statement_says_what_and_why(
    db: Path, tmp_path: Path, statement: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sql(db, statement.format(tmp=tmp_path)) == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert "--output" not in err or statement.startswith("COPY")
    assert "Binder Error" not in err


def test_two_statements_with_results_are_refused_not_half_shown(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sql(db, "SELECT 1 AS a; SELECT 2 AS b") == 2
    assert "2 statements return rows" in capsys.readouterr().err
    # a temporary table first, then one result: fine
    assert sql(db, "CREATE TEMP TABLE t AS SELECT 7 AS seven; SELECT seven FROM t", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["seven", "7"]


def test_output_and_export_never_overwrite_without_force(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.csv"
    out.write_text("keep me\n")
    assert sql(db, "SELECT 1 AS one", "--output", str(out)) == 2
    assert f"--output {out}: the file exists" in capsys.readouterr().err
    assert out.read_text() == "keep me\n"
    assert sql(db, "SELECT 1 AS one", "--output", str(out), "--force") == 0
    assert out.read_text().splitlines() == ["one", "1"]
    assert main(["export", "--db", str(db), str(out)]) == 2
    assert f"{out}: the file exists" in capsys.readouterr().err
    assert main(["export", "--db", str(db), str(out), "--force"]) == 0
    assert len(out.read_text().splitlines()) == 6


def test_sql_and_export_take_the_format_from_the_suffix_by_one_rule(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["sql", "--db", str(db), "SELECT 1", "--output"], ["export", "--db", str(db)]):
        assert main([*argv, str(tmp_path / "out.txt")]) == 2
        assert "cannot tell the format from its name" in capsys.readouterr().err
        assert not (tmp_path / "out.txt").exists()
    assert main(["export", "--db", str(db), str(tmp_path / "out.txt"), "--format", "csv"]) == 0
    assert (tmp_path / "out.txt").read_text().startswith("id,")
    assert main(["sql", "--db", str(db), "SELECT 1 AS a", "--output", str(tmp_path / "a.jsonl")]) == 0
    assert (tmp_path / "a.jsonl").read_text().strip() == '{"a":1}'
