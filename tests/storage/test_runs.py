"""The run table and the fetch log keep settings.retention_days of history: each ingest removes
what is older, in one transaction, and nothing younger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.config import ConfigError, parse_config
from storage import Store
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer

STORY = Article(
    slug="rail",
    title="Kazakhstan opens a rail line to China",
    paragraphs=[
        "Kazakhstan opened a new rail line to the Chinese border on Monday, officials in Astana said, "
        "doubling the cargo the country can carry between China and Europe each year.",
        "The line runs through the Almaty region and was built by the national railway company.",
    ],
)


def history(db: Path, ages: list[int]) -> None:
    """A finished ingest run and one fetch of it for each age in days."""
    store = Store(db)
    store.migrate()
    now = datetime.now(UTC)
    with duckdb.connect(str(db)) as con:
        for age in ages:
            when = now - timedelta(days=age, hours=1)
            run_id = con.execute("SELECT nextval('run_id_seq')").fetchone()[0]  # type: ignore[index]
            con.execute(
                "INSERT INTO run (id, kind, started_at, finished_at, status) VALUES (?, 'ingest', ?, ?, 'ok')",
                [run_id, when, when],
            )
            con.execute(
                "INSERT INTO fetch_log (run_id, source, kind, url, outcome, fetched_at)"
                " VALUES (?, 'Old', 'feed', ?, 'ok', ?)",
                [run_id, f"https://old.example/{age}", when],
            )


def ages(db: Path) -> tuple[list[int], list[int]]:
    """The ages in whole days (24 hours, not midnights crossed: after midnight an 89-day-old
    row has crossed 90) of the runs and of the fetches stored."""
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute(
            "SELECT (date_diff('second', started_at, now()) // 86400)::INT FROM run ORDER BY 1 DESC"
        ).fetchall()
        fetches = con.execute(
            "SELECT (date_diff('second', fetched_at, now()) // 86400)::INT FROM fetch_log ORDER BY 1 DESC"
        ).fetchall()
    return [r[0] for r in runs], [r[0] for r in fetches]


def test_prune_removes_only_what_is_older(db_path: Path) -> None:
    history(db_path, [400, 91, 89, 3])
    store = Store(db_path)
    running = store.start_run("ingest")  # a run still going is never removed, however old
    with duckdb.connect(str(db_path)) as con:
        con.execute("UPDATE run SET started_at = now() - INTERVAL 200 DAY WHERE id = ?", [running])
    assert store.prune_history(90) == (2, 2)
    assert ages(db_path) == ([200, 89, 3], [89, 3])
    assert store.prune_history(90) == (0, 0)  # nothing left to remove: nothing done
    assert store.prune_history(1) == (2, 2)
    assert ages(db_path) == ([200], [])


def test_each_ingest_keeps_retention_days_of_history(
    server: NewsServer, db_path: Path, tmp_path: Path
) -> None:
    from flows.cli import main

    url = server.add("/n/rail", TEMPLATES[0](STORY))
    server.add(
        "/n/feed.xml",
        rss("News", server.url("/n/"), [(STORY.title, url, STORY.paragraphs[0], STORY.published)]),
        content_type="application/rss+xml",
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  retention_days: 30\nsources:\n  - {{name: News, url: '{server.url('/n/feed.xml')}'}}\n",
        encoding="utf-8",
    )
    history(db_path, [120, 31, 29])
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    runs, fetches = ages(db_path)
    assert runs == [29, 0] and fetches[:1] == [29] and set(fetches[1:]) == {0}
    assert Store(db_path).query("SELECT count(*) FROM articles")[1] == [(1,)]


@pytest.mark.parametrize("value", ["0", "-5", "ninety"])
def test_retention_days_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(ConfigError, match="retention_days"):
        parse_config(f"settings:\n  retention_days: {value}\nsources: []\n")
    assert parse_config("sources: []\n").settings.retention_days == 90
