"""Storage: migrations, the public view, exact-duplicate clusters, source health and back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from storage import ArticleRecord, DatabaseBusy, PollOutcome, Store
from storage.migrations import migrations
from storage.sources import backoff_delay

VIEW_COLUMNS = [
    "id",
    "url",
    "canonical_url",
    "source",
    "title",
    "author",
    "published_at",
    "first_seen_at",
    "language",
    "text",
    "word_count",
    "is_seed",
    "relevance",
    "is_relevant",
    "countries",
    "cluster_id",
    "duplicate_of",
    "story_id",
    "places",
]


def rec(url: str, text: str, source: str = "S", **kw: object) -> ArticleRecord:
    from flows.stages.stories.dedup import text_hash

    return ArticleRecord(
        url=url,
        canonical_url=url,
        source=source,
        title="t",
        text=text,
        first_seen_at=datetime.now(UTC),
        text_hash=text_hash(text),
        **kw,
    )  # type: ignore[arg-type]


def test_migrations_numbered_and_applied_once(db_path: Path) -> None:
    store = Store(db_path)
    applied = store.migrate()
    assert applied and applied[0] == "001_initial"
    assert store.migrate() == []
    assert store.schema_version() == max(m.version for m in migrations())


def test_articles_view_has_the_contract_columns(db_path: Path) -> None:
    Store(db_path).migrate()
    con = duckdb.connect(str(db_path), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE articles").fetchall()]
    con.close()
    assert cols[: len(VIEW_COLUMNS)] == VIEW_COLUMNS


def test_older_database_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )
    first = migrations()[0]
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations VALUES (1, 'initial', now())")
    con.close()
    applied = Store(db).migrate()
    assert all(not a.startswith("001") for a in applied)
    assert Store(db).schema_version() == max(m.version for m in migrations())


def test_exact_duplicates_share_the_first_cluster(db_path: Path) -> None:
    store = Store(db_path)
    store.migrate()
    text = "Kazakhstan and Uzbekistan signed a water deal on Friday in Astana."
    first = store.insert_articles([rec("https://a/1", text)])[0]
    copy, other = store.insert_articles(
        [rec("https://b/1", text.upper() + "!"), rec("https://c/1", "Other story entirely about something.")]
    )
    assert first.duplicate_of is None and first.cluster_id == first.id
    assert copy.cluster_id == first.id and copy.duplicate_of == first.id
    assert other.cluster_id == other.id and other.duplicate_of is None
    again = store.insert_articles([rec("https://a/1", "changed")])[0]
    assert again.inserted is False and store.count_articles() == 3


def test_poll_outcomes_and_backoff(db_path: Path) -> None:
    from flows.config import Source

    store = Store(db_path)
    store.migrate()
    store.sync_sources([Source(name="S", url="https://s/feed")])
    for _ in range(3):
        store.record_polls(None, [PollOutcome("S", ok=False, error="HTTP 500", status=500)])
    state = store.source_states()["S"]
    assert state.consecutive_failures == 3 and state.last_error == "HTTP 500"
    assert state.next_poll_at is not None and state.next_poll_at > datetime.now(UTC) + timedelta(minutes=100)
    store.record_polls(None, [PollOutcome("S", ok=True, status=200, etag='"e"')])
    state = store.source_states()["S"]
    assert state.consecutive_failures == 0 and state.etag == '"e"' and state.next_poll_at is None
    assert backoff_delay(100) == timedelta(days=1)


def test_query_is_read_only(db_path: Path) -> None:
    store = Store(db_path)
    store.migrate()
    with pytest.raises(duckdb.Error):
        store.query("INSERT INTO source (name, url) VALUES ('x', 'y')")


def test_busy_database_gives_up_with_a_message(db_path: Path) -> None:
    import subprocess
    import sys

    Store(db_path).migrate()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db_path)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        waits: list[str] = []
        with pytest.raises(DatabaseBusy, match="held by another process"):
            Store(db_path, lock_timeout=0.5, on_wait=waits.append).count_articles()
        assert waits and "waiting" in waits[0]
    finally:
        holder.kill()
        holder.wait()


def test_a_crashed_writers_rows_survive_and_stay_unique(db_path: Path) -> None:
    """A writer killed before checkpointing leaves a WAL: the next open replays it, its ids stay
    in the id index, and its URLs count as stored (the store, not an index, keeps URLs unique)."""
    import os
    import subprocess
    import sys

    store = Store(db_path)
    store.migrate()
    store.insert_articles([rec("https://a/0", "the first story of this test, long enough to hash")])
    child = (
        "import duckdb, os, datetime;"
        f"c = duckdb.connect({str(db_path)!r});"
        'c.execute("INSERT INTO article (id, url, canonical_url, source, first_seen_at) '
        "SELECT i, 'https://a/' || i, 'https://a/' || i, 'S', now() FROM range(100, 120) t(i)\");"
        "os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", child], check=True)
    assert os.path.exists(str(db_path) + ".wal")
    Store(db_path).migrate()  # an ordinary open after the crash, which checkpoints on close
    again = Store(db_path).insert_articles([rec("https://a/105", "a second copy of a replayed URL")])
    assert again[0].inserted is False and again[0].id == 105
    con = duckdb.connect(str(db_path))
    try:
        assert con.execute("SELECT count(*) FROM article WHERE id = 110").fetchone() == (1,)
        assert con.execute(
            "SELECT count(*) FROM article WHERE canonical_url = 'https://a/105'"
        ).fetchone() == (1,)
        with pytest.raises(duckdb.ConstraintException):  # the id index kept the replayed rows
            con.execute(
                "INSERT INTO article (id, url, canonical_url, source, first_seen_at) "
                "VALUES (110, 'x', 'https://a/other', 'S', now())"
            )
    finally:
        con.close()


TZ_PROBE = """
import sys
from storage import Store
store = Store(sys.argv[1])
with store.connect(read_only=True) as con:
    print(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])
print(store.source_states()["S"].next_poll_at.utcoffset().total_seconds())
"""


def test_times_come_back_in_utc_whatever_the_machine_zone(db_path: Path, tmp_path: Path) -> None:
    """Times come back as UTC instants (messages convert them to settings.timezone): the session must be UTC even
    on a machine set to Almaty time, where DuckDB would otherwise hand back local times."""
    import os
    import subprocess
    import sys

    from flows.config import Source
    from tests.support import ROOT

    store = Store(db_path)
    store.migrate()
    store.sync_sources([Source(name="S", url="https://s.example/feed")])
    store.record_polls(None, [PollOutcome("S", ok=False, error="HTTP 500", status=500)])
    env = {**os.environ, "TZ": "Asia/Almaty", "PYTHONPATH": str(ROOT)}
    probe = subprocess.run(
        [sys.executable, "-c", TZ_PROBE, str(db_path)], env=env, capture_output=True, text=True, check=True
    )
    assert probe.stdout.split() == ["UTC", "0.0"]
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - name: S\n    url: https://s.example/feed\n", encoding="utf-8")
    exe = Path(sys.executable).with_name("newswatch")
    check = subprocess.run(
        [str(exe), "sources", "check", "--db", str(db_path), "--sources", str(sources)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    since = store.source_health()[0]["failing_since"]
    # sources check prints in settings.timezone, with the offset, whatever the machine's
    from zoneinfo import ZoneInfo

    from flows.clock import local

    assert f"failing since {local(since, ZoneInfo('Asia/Almaty'))}" in check.stdout
    check = subprocess.run(
        [str(exe), "sources", "check", "--db", str(db_path), "--sources", str(sources), "--tz", "UTC"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert f"failing since {since.astimezone(UTC):%Y-%m-%d %H:%M} +00" in check.stdout
