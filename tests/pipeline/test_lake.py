"""The DuckLake backend (storage/lake.py, flows/pipeline/lake.py): a real PostgreSQL catalog on loopback,
real ingest processes writing one lake at the same time."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.cli import main
from flows.pipeline.insert import insert_with_dedup
from flows.pipeline.lake import reconcile, shard_sources
from storage import ArticleRecord, InsertResult, Store, search
from storage.dedup import DedupIndex
from storage.lake import ALIAS, LakeConfig, LakeStore, Shard, lake_statements, open_store
from storage.migrations import migrations
from storage.records import PageLines
from tests.support import ROOT
from tests.support.pages import TEMPLATES, Article, rss, story
from tests.support.postgres import Postgres
from tests.support.servers import NewsServer

_names = itertools.count()


@pytest.fixture
def lake(pg: Postgres, tmp_path: Path) -> LakeConfig:
    """A new, empty lake: its own catalog database and data directory."""
    name = pg.create_database(f"lake_{os.getpid()}_{next(_names)}")
    return LakeConfig(pg.catalog(name), str(tmp_path / "lake-data"))


def lake_env(lake: LakeConfig) -> dict[str, str]:
    return {"NEWSWATCH_LAKE_CATALOG": lake.catalog, "NEWSWATCH_LAKE_DATA": lake.data_path or ""}


def record(url: str, text: str, source: str = "Outlet", title: str | None = None) -> ArticleRecord:
    return ArticleRecord(
        url=url,
        canonical_url=url,
        source=source,
        title=title or url.rsplit("/", 1)[-1],
        text=text,
        first_seen_at=datetime.now(UTC),
    )


def analyst(lake: LakeConfig, sql: str) -> list[tuple]:
    """What an analyst sees through the documented ATTACH, from a plain DuckDB connection."""
    store = LakeStore(lake, "/nonexistent/never-opened.duckdb")
    with store.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


# --- pure parts --------------------------------------------------------------------------------


def test_lake_statements_drop_indexes_and_sequences_only() -> None:
    initial = next(m for m in migrations() if m.version == 1)
    stmts = lake_statements(initial.sql)
    joined = "\n".join(stmts)
    assert not re.search(r"CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+SEQUENCE|nextval", joined)
    assert any("CREATE TABLE article" in s for s in stmts)
    assert any("CREATE VIEW articles" in s for s in stmts)
    assert any("DEFAULT current_timestamp" in s for s in stmts)  # other defaults stay


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=40), st.integers(1, 8))
def test_every_source_is_in_exactly_one_shard(names: list[str], count: int) -> None:
    shards = [Shard(i, count) for i in range(1, count + 1)]
    for name in names:
        assert sum(s.owns(name) for s in shards) == 1


def test_shard_parse_rejects_bad_values() -> None:
    assert Shard.parse(" 2/4 ") == Shard(2, 4)
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


def test_default_backend_is_the_file(tmp_path: Path) -> None:
    store = open_store(tmp_path / "x.duckdb", env={})
    assert type(store) is Store
    lake_store = open_store(
        tmp_path / "x.duckdb", env={"NEWSWATCH_LAKE_CATALOG": "ducklake:postgres:dbname=x"}
    )
    assert isinstance(lake_store, LakeStore) and lake_store.lake.catalog == "postgres:dbname=x"


# --- the lake ----------------------------------------------------------------------------------


def test_same_schema_and_view_as_the_file(lake: LakeConfig, tmp_path: Path) -> None:
    store = LakeStore(lake, tmp_path / "state.duckdb")
    applied = store.migrate()
    assert applied == [f"{m.version:03d}_{m.name}" for m in migrations()]
    assert store.migrate() == []  # idempotent
    file_store = Store(tmp_path / "file.duckdb")
    file_store.migrate()
    with file_store.connect(read_only=True) as con:
        file_cols = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = 'file'"
            " AND table_name NOT LIKE 'lake_%' ORDER BY ALL"
        ).fetchall()
    lake_cols = analyst(
        lake,
        f"SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = '{ALIAS}'"
        " AND table_name NOT LIKE 'lake_%' ORDER BY ALL",
    )
    assert lake_cols == file_cols
    store.close()


def test_insert_dedup_and_search_on_the_lake(lake: LakeConfig, tmp_path: Path) -> None:
    store = LakeStore(lake, tmp_path / "state.duckdb")
    store.migrate()
    water = story("water", "Water deal").text
    recs = [
        record("http://a.test/water", water, "A"),
        record("http://b.test/water-copy", water + "\nShare this story.", "B"),
        record(
            "http://c.test/other", story("x", "Other", ["Weather in Oslo is cold today again."] * 3).text, "C"
        ),
    ]
    results = insert_with_dedup(store, recs)
    assert [r.inserted for r in results] == [True, True, True]
    assert results[0].cluster_id == results[1].cluster_id != results[2].cluster_id
    again = insert_with_dedup(store, recs)
    assert not any(r.inserted for r in again)
    search.update_index(store)
    hits = search.search(store, search.SearchRequest("syr darya quotas", 10, None, None, None, False, True))
    assert {h.id for h in hits} == {results[0].id, results[1].id}
    assert analyst(lake, "SELECT count(*), count(DISTINCT id) FROM articles") == [(3, 3)]
    store.close()


def test_shards_share_each_sites_template_lines(lake: LakeConfig, tmp_path: Path) -> None:
    """Two shards poll different sources that bring pages of one site: each learns from the other's
    pages, since the lines are kept in the lake by site (migration 013), not in a shard's file."""
    one = LakeStore(lake, tmp_path / "state.duckdb", shard=Shard(1, 2))
    two = LakeStore(lake, tmp_path / "state.duckdb", shard=Shard(2, 2))
    one.migrate()
    now = datetime.now(UTC)
    one.add_site_page_lines([PageLines("herald.kz", "https://herald.kz/1", now, (1, 2))], keep=10)
    two.add_site_page_lines([PageLines("herald.kz", "https://herald.kz/2", now, (1, 3))], keep=10)
    for store in (one, two):
        assert sorted(p.url for p in store.site_page_lines(["herald.kz"], 10)["herald.kz"]) == [
            "https://herald.kz/1",
            "https://herald.kz/2",
        ]
    one.close()
    two.close()


def test_a_lost_commit_is_retried_on_a_fresh_snapshot(lake: LakeConfig, tmp_path: Path) -> None:
    """Writer A's transaction overlaps B's commit of the same URL: A's commit fails, A runs again,
    sees B's row and stores nothing twice."""
    a = LakeStore(lake, tmp_path / "a.duckdb")
    b = LakeStore(lake, tmp_path / "b.duckdb")
    a.migrate()
    url = "http://a.test/shared"
    text = story("shared", "Shared").text
    interleaved: list[list[InsertResult]] = []

    def b_commits_meanwhile(db: DedupIndex) -> None:
        if not interleaved:
            interleaved.append(insert_with_dedup(b, [record(url, text, "B")]))

    def attempt() -> list:
        return a.insert_articles([record(url, text, "A")], before_commit=b_commits_meanwhile)

    results = a.retrying(attempt)
    assert a.conflicts == 1
    assert interleaved[0][0].inserted
    assert not results[0].inserted and results[0].id == interleaved[0][0].id
    assert analyst(lake, "SELECT count(*) FROM article") == [(1,)]
    a.close()
    b.close()


def test_reconcile_removes_raced_copies_and_merges_clusters(lake: LakeConfig, tmp_path: Path) -> None:
    """Rows written past the guard (an old writer, an analyst's INSERT) are cut back after commit."""
    store = LakeStore(lake, tmp_path / "state.duckdb")
    store.migrate()
    text = story("dam", "Rogun dam").text
    first = insert_with_dedup(store, [record("http://a.test/dam", text, "A")])[0]
    edited = text.replace("officials in Astana said", "officials in Astana told reporters")
    with store.unguarded(), store.transaction() as con:  # as a writer without the guard would
        for new_id, url, body in (
            (first.id + 1, "http://a.test/dam", text),
            (first.id + 2, "http://b.test/d", edited),
        ):
            con.execute(
                "INSERT INTO article (id, url, canonical_url, source, text, first_seen_at, cluster_id, is_seed)"
                " VALUES (?, ?, ?, 'B', ?, ?, ?, false)",
                [new_id, url, url, body, datetime.now(UTC), new_id],
            )
            con.execute("INSERT INTO dedup_band VALUES (1, ?)", [new_id])
    done = reconcile(store)
    assert done.duplicate_urls == 1 and done.removed == 1
    assert done.merged_near >= 1
    rows = analyst(lake, "SELECT id, canonical_url, cluster_id, duplicate_of FROM articles ORDER BY id")
    assert [r[0] for r in rows] == [first.id, first.id + 2]
    assert {r[2] for r in rows} == {first.id}
    assert rows[1][3] == first.id
    assert analyst(lake, f"SELECT count(*) FROM dedup_band WHERE article_id = {first.id + 1}") == [(0,)]
    again = reconcile(store)
    assert not again.changed
    store.close()


# --- concurrent ingest processes --------------------------------------------------------------

AGENCY = story(
    "agency",
    "Kyrgyzstan and Tajikistan reopen border crossing",
    [
        "Kyrgyzstan and Tajikistan reopened the Batken border crossing on Monday after officials from both "
        "governments signed the final protocol of the demarcation agreement reached earlier this year.",
        "Traders on both sides said the closure had cut them off from markets in the Fergana valley for more "
        "than two years, and queues of lorries formed within an hour of the gates opening.",
        "The agreement ends a dispute over water and pasture that led to deadly clashes between the two "
        "countries, and both presidents called it a model for settling the remaining stretches.",
    ],
)


WORDS = [
    "river",
    "valley",
    "council",
    "harvest",
    "border",
    "railway",
    "market",
    "pasture",
    "school",
    "hospital",
    "budget",
    "mine",
    "bridge",
    "festival",
    "election",
    "drought",
    "tariff",
    "pipeline",
    "airport",
    "museum",
    "reform",
    "court",
    "strike",
    "wheat",
    "cotton",
    "glacier",
    "canal",
    "summit",
    "census",
    "vaccine",
    "licence",
    "factory",
    "bank",
    "currency",
    "export",
    "import",
    "road",
    "tunnel",
]


def distinct_text(seed: int) -> list[str]:
    """Four paragraphs no other seed shares a run of three words with."""
    rng = random.Random(seed)
    return [
        " ".join(f"{rng.choice(WORDS)}{rng.randrange(1000)}" for _ in range(40)) + f" (note {seed}-{p})."
        for p in range(4)
    ]


def _outlet_names(count: int, writers: int) -> list[str]:
    """`count` outlet names spread so that every shard of `writers` gets at least one."""
    names: list[str] = []
    for i in itertools.count():
        name = f"Outlet {i}"
        shard = next(s for s in range(1, writers + 1) if Shard(s, writers).owns(name))
        have = sum(1 for n in names if Shard(shard, writers).owns(n))
        if have < -(-count // writers):
            names.append(name)
        if len(names) == count:
            return names
    raise AssertionError("unreachable")


def build_web(
    server: NewsServer, tmp_path: Path, writers: int, outlets: int = 8, per_outlet: int = 6
) -> dict:
    """Outlets with their own stories; across shards: one URL linked by two feeds, one agency story
    printed by two outlets (lightly edited), and one exact copy."""
    names = _outlet_names(outlets, writers)
    shard_of = {n: next(s for s in range(1, writers + 1) if Shard(s, writers).owns(n)) for n in names}
    x = names[0]
    y = next((n for n in names if shard_of[n] != shard_of[x]), names[1])  # one writer: any other outlet
    items: dict[str, list] = {n: [] for n in names}
    expected: set[str] = set()
    for k, name in enumerate(names):
        slug = name.lower().replace(" ", "-")
        for j in range(per_outlet):
            art = Article(
                slug=f"{slug}-{j}", title=f"{name} story {j}", paragraphs=distinct_text(k * 100 + j)
            )
            url = server.add(f"/{slug}/{j}", TEMPLATES[(k + j) % 3](art))
            items[name].append((art.title, url, art.paragraphs[0], art.published))
            expected.add(url)
    shared = server.add("/wire/shared-link", TEMPLATES[0](story("shared-link", "Shared link story")))
    expected.add(shared)
    for name in (x, y):
        items[name].append(("Shared link story", shared, "", None))
    edited = Article(
        slug="agency-y",
        title=AGENCY.title,
        paragraphs=[*AGENCY.paragraphs, "Reporting by our correspondent in Osh; edited by the desk."],
    )
    for name, art, template in ((x, AGENCY, 0), (y, edited, 1)):
        url = server.add(f"/{name.lower().replace(' ', '-')}/agency", TEMPLATES[template](art))
        items[name].append((art.title, url, "", None))
        expected.add(url)
    copy_url = server.add(f"/{y.lower().replace(' ', '-')}/agency-copy", TEMPLATES[2](AGENCY))
    items[y].append((AGENCY.title + " (copy)", copy_url, "", None))
    expected.add(copy_url)
    lines = ["settings:", "  timeout_seconds: 10", "  max_retries: 1", "sources:"]
    for name in names:
        feed = server.add(
            f"/{name.lower().replace(' ', '-')}/feed.xml",
            rss(name, server.url("/"), items[name]),
            content_type="application/rss+xml",
        )
        lines += [f"  - name: {name}", f"    url: {feed}", "    language: en"]
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "sources": sources,
        "expected": expected,
        "agency": {
            server.url(f"/{x.lower().replace(' ', '-')}/agency"),
            server.url(f"/{y.lower().replace(' ', '-')}/agency"),
            copy_url,
        },
        "names": names,
    }


def run_writers(
    lake: LakeConfig, sources: Path, tmp_path: Path, writers: int
) -> list[subprocess.CompletedProcess]:
    """`writers` ingest processes, one per shard, each with its own local state, started together."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")},
        **lake_env(lake),
        "PYTHONPATH": str(ROOT),
    }
    procs = []
    for i in range(1, writers + 1):
        state = tmp_path / f"machine-{i}" / "newswatch.duckdb"
        cmd = [sys.executable, "-m", "flows.cli", "ingest", "--db", str(state), "--sources", str(sources)]
        procs.append(
            subprocess.Popen(
                [*cmd, "--shard", f"{i}/{writers}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    done = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_ingests_lose_nothing_and_duplicate_nothing(
    writers: int, lake: LakeConfig, server: NewsServer, tmp_path: Path
) -> None:
    web = build_web(server, tmp_path, writers)
    results = run_writers(lake, web["sources"], tmp_path, writers)
    for r in results:
        assert r.returncode == 0, r.stderr[-3000:]
    # every source was polled by exactly one writer
    polled = [server.hits(f"/{n.lower().replace(' ', '-')}/feed.xml") for n in web["names"]]
    assert polled == [1] * len(web["names"])

    rows = analyst(lake, "SELECT id, canonical_url, cluster_id, duplicate_of FROM articles")
    urls = [r[1] for r in rows]
    assert sorted(urls) == sorted(web["expected"])  # every article once: none lost, none twice
    assert len({r[0] for r in rows}) == len(rows)  # ids unique
    clusters = {r[1]: r[2] for r in rows}
    agency = {clusters[u] for u in web["agency"]}
    assert len(agency) == 1, "the agency story's copies from two writers must be one cluster"
    head = agency.pop()
    assert [r[3] for r in rows if r[0] == head] == [None]
    others = [r for r in rows if r[1] not in web["agency"]]
    assert len({r[2] for r in others}) == len(others)  # unrelated stories stay apart
    # runs of every writer finished; search finds articles written by either process
    assert analyst(lake, "SELECT count(*), count(*) FILTER (WHERE status = 'ok') FROM run") == [
        (writers, writers)
    ]
    store = LakeStore(lake, tmp_path / "reader.duckdb")
    hits = search.search(
        store, search.SearchRequest("Batken border crossing", 10, None, None, None, False, True)
    )
    assert {h.url for h in hits} >= web["agency"]
    assert search.index_status(store).indexed == len(rows)


def test_cli_on_the_lake_and_migrate_from_a_file(
    lake: LakeConfig,
    server: NewsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    web = build_web(server, tmp_path, writers=1, outlets=2, per_outlet=2)
    db = tmp_path / "file" / "newswatch.duckdb"
    assert main(["ingest", "--db", str(db), "--sources", str(web["sources"])]) == 0
    file_rows = Store(db).query("SELECT canonical_url, cluster_id = id FROM articles ORDER BY canonical_url")[
        1
    ]
    assert len(file_rows) == len(web["expected"])
    capsys.readouterr()
    assert (
        main(
            [
                "migrate",
                "--to",
                "ducklake",
                "--db",
                str(db),
                "--catalog",
                lake.catalog,
                "--data-path",
                str(lake.data_path),
            ]
        )
        == 0
    )
    assert f"{len(file_rows)} articles" in capsys.readouterr().out
    assert (
        analyst(lake, "SELECT canonical_url, cluster_id = id FROM articles ORDER BY canonical_url")
        == file_rows
    )
    # a second copy would mix histories: refused with a message, exit 1
    assert main(["migrate", "--to", "ducklake", "--db", str(db), "--catalog", lake.catalog]) == 1
    assert "already holds" in capsys.readouterr().err
    # the same CLI on the lake
    for key, value in lake_env(lake).items():
        monkeypatch.setenv(key, value)
    assert main(["search", "--db", str(tmp_path / "state.duckdb"), "Batken", "--json"]) == 0
    assert "Batken" in capsys.readouterr().out
    assert main(["sql", "--db", str(tmp_path / "state.duckdb"), "SELECT count(*) AS n FROM articles"]) == 0
    assert str(len(file_rows)) in capsys.readouterr().out
    assert main(["sql", "--db", str(tmp_path / "state.duckdb"), "DELETE FROM article"]) == 1
    assert analyst(lake, "SELECT count(*) FROM article") == [(len(file_rows),)]
    assert main(["lake", "reconcile", "--db", str(tmp_path / "state.duckdb")]) == 0
    assert "0 URLs stored twice" in capsys.readouterr().out
    # the other commands that write: rescore, the dedup rebuild, the digest
    state = ["--db", str(tmp_path / "state.duckdb")]
    before = analyst(lake, "SELECT canonical_url, cluster_id, language FROM articles ORDER BY canonical_url")
    assert main(["rescore", *state, "--sources", str(web["sources"])]) == 0
    assert main(["dedup", *state, "--rebuild"]) == 0
    after = analyst(lake, "SELECT canonical_url, cluster_id, language FROM articles ORDER BY canonical_url")
    assert after == before
    out = tmp_path / "digests"
    assert main(["digest", *state, "--sources", str(web["sources"]), "--no-send", "--out", str(out)]) == 0
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".md", ".txt"]


def test_shard_sources_partition_the_config(tmp_path: Path) -> None:
    names = _outlet_names(12, 3)
    from flows.config import Source

    sources = [Source(name=n, url=f"http://127.0.0.1/{i}") for i, n in enumerate(names)]
    parts = [shard_sources(sources, Shard(i, 3)) for i in (1, 2, 3)]
    assert sorted(s.name for p in parts for s in p) == sorted(names)
    assert all(parts)


# --- the digest's send claim, and the Prefect flows, on the lake ----------------------------------


class _Interleaved(LakeStore):
    """A LakeStore that runs `meanwhile` (once) inside its next transaction, just before COMMIT:
    another machine's commit landing between this one's snapshot and its commit."""

    meanwhile: Callable[[], object] | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().transaction() as con:
            yield con
            if self.meanwhile is not None:
                then, self.meanwhile = self.meanwhile, None
                then()


def test_two_machines_claiming_one_digest_send_it_once(lake: LakeConfig, tmp_path: Path) -> None:
    """B claims the day while A's claim is open: A's commit conflicts, is run again on a fresh
    snapshot, and finds B sending it, so A does not send (before: A's claim failed the digest)."""
    a = _Interleaved(lake, tmp_path / "a.duckdb")
    b = LakeStore(lake, tmp_path / "b.duckdb")
    a.migrate()
    day, key = date(2026, 11, 20), "analyst@example.org"
    paths = ["d.html", "d.txt", "d.md"]
    a.save_digest(day, key, stories=3, articles=4, subject="newswatch digest", paths=paths)
    claims: list[object] = []
    a.meanwhile = lambda: claims.append(b.claim_digest_send(day, key))
    blocker = a.claim_digest_send(day, key)
    assert claims == [None], "B's claim won"
    assert a.conflicts >= 1, "A's first commit lost to B's and was run again"
    assert blocker is not None and blocker["status"] == "sending"
    assert analyst(lake, "SELECT status, attempts FROM digest") == [("sending", 0)]
    b.record_digest_send(day, key, ok=True, message_id="<m@x>")
    assert a.claim_digest_send(day, key)["status"] == "sent"  # type: ignore[index]
    a.close()
    b.close()


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_seed_and_digest_flows_use_the_lake(
    prefect_harness: None,
    lake: LakeConfig,
    server: NewsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Prefect flows open the store the CLI opens: on a lake, the seeds go into the lake and
    the digest is made (and mailed once) from the lake's articles, not from an empty local file."""
    from flows.orchestration.prefect_flows import digest_flow, ingest_flow, seed_flow
    from tests.pipeline.test_ingest import build_site, write_sources
    from tests.support.smtp import HOST, start_smtp

    build_site(server)
    sources = write_sources(tmp_path / "sources.yaml", server)
    for key, value in lake_env(lake).items():
        monkeypatch.setenv(key, value)
    smtp = start_smtp()
    try:
        monkeypatch.setenv("NEWSWATCH_SMTP_HOST", HOST)
        monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("NEWSWATCH_SMTP_TO", "analyst@example.org")
        state = tmp_path / "machine" / "newswatch.duckdb"
        assert seed_flow(str(sources), str(state), str(ROOT / "seeds")) == (5, 0)
        assert analyst(lake, "SELECT count(*) FROM articles WHERE is_seed") == [(5,)]
        summary = ingest_flow(str(sources), str(state))
        assert summary.new + summary.duplicate == 4 and summary.failed == 0
        out = tmp_path / "digests"
        outcome = digest_flow(str(sources), str(state), None, str(out))
        again = digest_flow(str(sources), str(state), None, str(out))
    finally:
        smtp.stop()
    assert not state.exists(), "nothing may be written to a local database file on a lake"
    relevant = analyst(
        lake,
        "SELECT count(DISTINCT cluster_id) FROM articles WHERE is_relevant AND NOT is_seed",
    )[0][0]
    assert relevant >= 1
    assert outcome.stories == relevant and outcome.send == "sent"
    assert again.send == "already_sent"
    assert len(smtp.messages) == 1 and f"{relevant} stor" in str(smtp.messages[0]["Subject"])
    assert analyst(lake, "SELECT status FROM digest WHERE recipients <> ''") == [("sent",)]
    assert analyst(lake, "SELECT kind, status FROM run ORDER BY id") == [
        ("ingest", "ok"),
        ("digest", "ok"),
        ("digest", "ok"),
    ]


def test_lake_reconcile_waits_for_this_machines_writer(
    lake: LakeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`newswatch lake reconcile` merges clusters: it takes its turn on the writer lock too."""
    import logging
    import threading

    from storage.spool import WriterLock
    from tests.pipeline.test_busy_db import WaitSeen

    state = tmp_path / "state.duckdb"
    LakeStore(lake, state).migrate()
    for key, value in lake_env(lake).items():
        monkeypatch.setenv(key, value)
    seen = WaitSeen()
    logger = logging.getLogger("newswatch")
    caplog.set_level(logging.INFO, logger="newswatch")
    logger.addHandler(seen)
    result: list[int] = []

    def run() -> None:
        result.append(main(["lake", "reconcile", "--db", str(state)]))
        seen.seen.set()

    try:
        with WriterLock(state, purpose="ingest"):
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            assert seen.seen.wait(60), seen.messages
            assert not result, "reconcile must wait for the ingest holding the lock"
        thread.join(120)
    finally:
        logger.removeHandler(seen)
    assert result == [0]
    assert any("another ingest (PID" in m and "waiting" in m for m in seen.messages)


def test_sql_and_export_read_the_lake_and_touch_no_other_file(
    lake: LakeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The read-only guard turns file access off for the analyst's SQL; the lake's own Parquet files
    stay readable (before: "Permission Error: Cannot access file .../ducklake-....parquet")."""
    store = LakeStore(lake, tmp_path / "state.duckdb")
    store.migrate()
    water = story("water", "Water deal").text
    insert_with_dedup(
        store,
        [
            record("http://a.test/water", water, "A", title="Water deal"),
            record("http://b.test/w", water, "B", title="Water deal"),
        ],
    )
    with store.connect() as con:  # small inserts stay in the catalog; a lake's usual rows are in files
        con.execute(f"CALL ducklake_flush_inlined_data('{ALIAS}')")
    store.close()
    for key, value in lake_env(lake).items():
        monkeypatch.setenv(key, value)
    state = ["--db", str(tmp_path / "state.duckdb")]
    capsys.readouterr()
    assert main(["sql", *state, "SELECT source, title FROM articles ORDER BY source"]) == 0, (
        capsys.readouterr()
    )
    out = capsys.readouterr().out
    assert "Water deal" in out and "A" in out
    assert (
        main(
            [
                "sql",
                *state,
                "SELECT source, text FROM articles ORDER BY source",
                "--output",
                str(tmp_path / "r.csv"),
            ]
        )
        == 0
    )
    assert "2 rows written" in capsys.readouterr().out
    assert main(["export", *state, str(tmp_path / "all.parquet")]) == 0
    assert "2 articles written" in capsys.readouterr().out
    assert pq.read_table(tmp_path / "all.parquet").column("source").to_pylist() == ["A", "B"]
    # still no file access of its own: not into the lake's directory, not anywhere else
    data = Path(lake.data_path or "")
    before = sorted(p for p in data.rglob("*"))
    assert any(p.parent.name == "article" and p.suffix == ".parquet" for p in before), before
    (tmp_path / "in.csv").write_text("a\n1\n")
    for statement in (
        f"COPY (SELECT * FROM articles) TO '{data}/leak.csv'",
        f"COPY (SELECT * FROM articles) TO '{tmp_path}/leak.csv'",
        f"SELECT * FROM read_csv('{tmp_path}/in.csv')",
        f"ATTACH '{data}/other.duckdb' AS other",
        "SET enable_external_access = true",
        "DELETE FROM article",
    ):
        assert main(["sql", *state, statement]) == 1, statement
        err = capsys.readouterr().err
        assert "read-only" in err or "touches no files" in err, (statement, err)
    assert sorted(p for p in data.rglob("*")) == before
    assert not (tmp_path / "leak.csv").exists()
    assert analyst(lake, "SELECT count(*) FROM article") == [(2,)]
