"""Near-duplicate detection and story clusters: the labelled set, the index in DuckDB, the rebuild."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.cli import main
from flows.pipeline.rebuild import rebuild, status
from flows.stages.sources.seeds import load_seed_dir
from flows.stages.stories.dedup import (
    DEFAULT_PARAMS,
    Doc,
    Tokens,
    band_keys,
    is_near_duplicate,
    normalize_text,
    similarity,
    text_hash,
    tokenize,
)
from flows.stages.stories.near_duplicates import NearDuplicates, SiteLines
from storage import ArticleRecord, Store
from storage.dedup import DedupIndex
from tests import dedup_eval
from tests.dedup_eval_texts import STORIES
from tests.support import ROOT
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer

# --- shingles and verdicts -----------------------------------------------------------------------


def test_chinese_is_cut_into_characters_and_other_scripts_into_words() -> None:
    assert tokenize("中吉乌铁路 Kyrgyz-Uzbek  железная дорога, 2026!") == [
        "中",
        "吉",
        "乌",
        "铁",
        "路",
        "kyrgyz",
        "uzbek",
        "железная",
        "дорога",
        "2026",
    ]
    assert Doc.of("中吉乌铁路项目吉尔吉斯斯坦段开工仪式日前举行").k == DEFAULT_PARAMS.shingle_chars
    assert Doc.of("Kazakhstan and Uzbekistan signed a water deal").k == DEFAULT_PARAMS.shingle_words


def test_exact_hash_ignores_case_punctuation_and_spacing() -> None:
    a = "Kazakhstan and Uzbekistan  signed a water deal on Friday."
    assert text_hash(a) == text_hash("KAZAKHSTAN and uzbekistan signed, a water deal on Friday")
    assert text_hash("too short") is None
    assert normalize_text("Ａｓｔａｎａ — Almaty") == "astana almaty"


def test_band_keys_are_deterministic_32_bit_and_absent_for_short_texts() -> None:
    text = "\n".join(STORIES["water-wire"][2])
    keys = band_keys(text)
    assert keys == band_keys(text)
    assert len(keys) == DEFAULT_PARAMS.bands
    assert all(-(2**31) <= k < 2**31 for k in keys)
    assert band_keys("A very short brief.") == []


words = st.lists(
    st.sampled_from(
        ["alpha", "beta", "gamma", "delta", "astana", "almaty", "tashkent", "bishkek", "dushanbe"]
    ),
    min_size=20,
)


@settings(max_examples=50, deadline=None)
@given(words, words)
def test_similarity_is_symmetric_and_a_text_copies_itself(a: list[str], b: list[str]) -> None:
    ta, tb = " ".join(a), " ".join(b)
    sa, sb = Doc.of(ta).all_shingles, Doc.of(tb).all_shingles
    assert similarity(sa, sb) == similarity(sb, sa)
    if len(sa) >= DEFAULT_PARAMS.min_shingles:
        assert is_near_duplicate(ta, ta)


def test_pairwise_verdicts_on_typical_copies_and_non_copies() -> None:
    lang, _, paras = STORIES["summit-wire"]
    original = "\n".join(paras)
    assert is_near_duplicate(original, dedup_eval.dated(paras, lang, "ALMATY, Nov 21 (Reuters) - "))
    assert is_near_duplicate(original, dedup_eval.trimmed(paras, lang, "A new first paragraph of our own."))
    assert not is_near_duplicate(original, "\n".join(STORIES["summit-analysis"][2]))
    assert not is_near_duplicate(original, dedup_eval.stitched(paras, STORIES["gas-wire"][2]))


# --- the labelled set through the store ----------------------------------------------------------


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dedup_eval.Item], dict[str, int], Path]:
    items = dedup_eval.build()
    db = tmp_path_factory.mktemp("eval") / "eval.duckdb"
    return items, dedup_eval.ingest(items, db), db


def test_labelled_set_precision_and_recall(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path],
) -> None:
    items, clusters, _ = eval_run
    kinds = {it.kind for it in items}
    assert {"syndicated", "edited", "trimmed", "dateline", "stitched", "brief"} <= kinds
    assert {it.language for it in items} == {"en", "ru", "zh"}
    score = dedup_eval.score(items, clusters)
    assert score.false_merges == [] and score.precision == 1.0
    assert score.recall >= 0.95, score.missed
    for lang in ("en", "ru", "zh"):
        part = [it for it in items if it.language == lang]
        sub = dedup_eval.score(part, {it.url: clusters[it.url] for it in part})
        assert sub.precision == 1.0 and sub.recall >= 0.95, (lang, sub.missed)


def test_real_pages_briefs_in_one_template_apart_and_a_wire_text_in_three_joined(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path],
) -> None:
    """mozilla/readability's pages, cleaned by their outlets' templates (without the cleaning, the
    briefs of one outlet share a cluster and the wire text's copies do not: precision and recall 0)."""
    items, clusters, _ = eval_run
    real = [it for it in items if it.kind in ("real-brief", "real-wire")]
    assert {it.kind for it in real} == {"real-brief", "real-wire"} and len({it.source for it in real}) == 4
    score = dedup_eval.score(real, {it.url: clusters[it.url] for it in real})
    assert score.false_merges == [] and score.missed == [] and score.true_pairs == 6


def test_what_a_run_remembers_of_the_sites_changes_no_cluster(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path], tmp_path: Path
) -> None:
    """Batches sharing one SiteLines (as in an ingest) place every article as fresh ones would."""
    items, clusters, _ = eval_run
    assert dedup_eval.ingest(items, tmp_path / "fresh.duckdb", one_run=False) == clusters


def test_site_lines_keep_the_newest_and_what_the_batch_needs(db_path: Path) -> None:
    store = Store(db_path)
    store.migrate()
    store.insert_articles(
        [
            _record(f"https://a/{i}", f"line one of {i}\nshared template line\nline three {i}", i)
            for i in range(6)
        ]
    )
    lines = SiteLines(limit=3)
    with store.connect() as con:
        db = DedupIndex(con)
        lines.load(db, {1, 2}, Tokens())
        lines.load(db, {5, 6}, Tokens())
        assert lines.keys(1) == () and len(lines.keys(5)) == 3  # the oldest went first
        assert set(lines.keys(5)) & set(lines.keys(6))  # the template line, under one key
        lines.load(db, {1, 2, 3, 4}, Tokens())  # more than the limit, all needed now: all kept
        assert all(lines.keys(i) for i in (1, 2, 3, 4))


def test_hard_negatives_stay_stories_of_their_own(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path],
) -> None:
    items, clusters, _ = eval_run
    by_key = {it.key: clusters[it.url] for it in items}
    for event in {e for _, e, _ in STORIES.values()}:
        reports = [k for k, (_, e, _) in STORIES.items() if e == event]
        assert len({by_key[k] for k in reports}) == len(reports), event
    briefs = [it for it in items if it.kind == "brief"]
    assert len({clusters[it.url] for it in briefs}) == len(briefs)
    for it in items:
        if it.kind == "stitched":
            assert list(clusters.values()).count(clusters[it.url]) == 1, it.key


def _cluster_rows(db: Path) -> list[tuple[int, int, int | None, datetime]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT id, cluster_id, duplicate_of, first_seen_at FROM article ORDER BY id"
        ).fetchall()
    finally:
        con.close()


def assert_cluster_invariants(db: Path) -> None:
    rows = _cluster_rows(db)
    by_id = {r[0]: r for r in rows}
    members: dict[int, list[tuple[int, int, int | None, datetime]]] = {}
    for r in rows:
        members.setdefault(r[1], []).append(r)
    for cluster, group in members.items():
        head = min(group, key=lambda r: (r[3], r[0]))
        assert head[0] == cluster and head[2] is None, group
        assert all(r[2] == cluster for r in group if r is not head)
        assert by_id[cluster][1] == cluster


def test_clusters_are_headed_by_their_earliest_article(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path],
) -> None:
    assert_cluster_invariants(eval_run[2])


def test_index_rows_match_the_articles(eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path]) -> None:
    store = Store(eval_run[2])
    info = status(store)
    assert info["params_current"] is True
    _, rows = store.query(
        "SELECT count(*) FROM article a WHERE NOT EXISTS (SELECT 1 FROM dedup_band b WHERE b.article_id = a.id)"
    )
    assert info["band_rows"] == DEFAULT_PARAMS.bands * info["indexed_articles"]
    assert rows[0][0] == 0  # every article of the set is long enough to be indexed


# --- transitivity, crash consistency, rebuild ------------------------------------------------------


def _record(url: str, text: str, minutes: int, source: str = "Outlet") -> ArticleRecord:
    return ArticleRecord(
        url=url,
        canonical_url=url,
        source=source,
        title=None,
        text=text,
        first_seen_at=datetime(2026, 11, 21, tzinfo=UTC) + timedelta(minutes=minutes),
        text_hash=text_hash(text),
    )


def _insert(store: Store, records: list[ArticleRecord]) -> None:
    nd = NearDuplicates(records)
    store.insert_articles(
        records, near_duplicate=nd.find, on_inserted=nd.inserted, before_commit=nd.flush, joins=nd.joins
    )


def _clusters_of(store: Store) -> dict[str, int]:
    _, rows = store.query("SELECT canonical_url, cluster_id FROM article")
    return {r[0]: int(r[1]) for r in rows}


def test_a_page_matching_two_clusters_that_do_not_match_each_other_joins_one(db_path: Path) -> None:
    """The two halves of a story stored apart stay apart when the whole story comes: the page
    carries both, and a page alone is no evidence that two stories are one (it joins the best)."""
    paras = STORIES["rogun"][2]
    start = "\n".join(paras[:4])  # the first two thirds
    end = "\n".join(paras[2:])  # the last two thirds: half of it is shared with `start`
    whole = "\n".join(paras)
    assert not is_near_duplicate(start, end)
    assert is_near_duplicate(start, whole) and is_near_duplicate(end, whole)
    store = Store(db_path)
    store.migrate()
    _insert(store, [_record("https://a.example/1", start, 0), _record("https://b.example/2", end, 1)])
    _insert(store, [_record("https://c.example/3", whole, 2)])
    cluster = _clusters_of(store)
    assert cluster["https://a.example/1"] != cluster["https://b.example/2"]
    assert cluster["https://c.example/3"] in {cluster["https://a.example/1"], cluster["https://b.example/2"]}
    assert_cluster_invariants(db_path)


def roundup(first: str, second: str) -> str:
    """A compilation page: most of two stories of about one size (five of their six paragraphs),
    so that each story alone verifies as a trimmed copy of the page."""
    a, b = STORIES[first][2], STORIES[second][2]
    return "\n".join(["Today's roundup:", *a[:5], "In other news:", *b[:5], "More stories tomorrow."])


def test_a_roundup_of_two_stories_merges_nothing_and_their_copies_still_join(db_path: Path) -> None:
    border, gas = ("\n".join(STORIES[s][2]) for s in ("border-wire", "gas-wire"))
    page = roundup("border-wire", "gas-wire")
    assert is_near_duplicate(border, page) and is_near_duplicate(gas, page)  # it matches both
    assert not is_near_duplicate(border, gas)
    store = Store(db_path)
    store.migrate()
    _insert(
        store,
        [_record("https://x.example/border", border, 0, "X"), _record("https://y.example/gas", gas, 1, "Y")],
    )
    _insert(store, [_record("https://z.example/roundup", page, 2, "Z")])
    copy = dedup_eval.dated(STORIES["gas-wire"][2], "en", "ALMATY, Nov 21 (Reuters) - ")
    _insert(store, [_record("https://w.example/gas-copy", copy, 3, "W")])
    cluster = _clusters_of(store)
    assert cluster["https://x.example/border"] != cluster["https://y.example/gas"]
    assert cluster["https://w.example/gas-copy"] == cluster["https://y.example/gas"]
    assert_cluster_invariants(db_path)


def test_two_clusters_of_one_story_merge_through_evidence_between_them(db_path: Path) -> None:
    """Two copies stored as two stories (as two lake shards write them, neither seeing the other)
    match each other: a third copy that matches both makes them one."""
    paras = STORIES["border-wire"][2]
    store = Store(db_path)
    store.migrate()
    _insert(store, [_record("https://a.example/b", "\n".join(paras), 0, "A")])
    apart = [
        _record("https://b.example/b", dedup_eval.dated(paras, "en", "BISHKEK, Nov 21 (AKIpress) - "), 1, "B")
    ]
    nd = NearDuplicates(apart)
    store.insert_articles(
        apart,
        near_duplicate=lambda db, rec: None,
        on_inserted=nd.inserted,
        before_commit=nd.flush,
        joins=nd.joins,
    )
    assert len(set(_clusters_of(store).values())) == 2
    copy = dedup_eval.trimmed(paras, "en", "A new first paragraph of our own, on the border.")
    _insert(store, [_record("https://c.example/b", copy, 2, "C")])
    assert len(set(_clusters_of(store).values())) == 1
    assert_cluster_invariants(db_path)


def test_two_stories_of_one_site_glued_to_its_ticker_are_not_copies(db_path: Path) -> None:
    """One line each (the extractor glued the site's ticker to the story), the ticker the larger
    part; the same story at a second address, or updated with a paragraph, is still a copy."""
    ticker = " ".join(
        p for s in ("gas-wire", "summit-wire", "rogun", "border-feature") for p in STORIES[s][2]
    )
    water, border = (" ".join(STORIES[s][2]) for s in ("water-wire", "border-wire"))
    a = f"1 hour ago {water} {ticker}"
    assert is_near_duplicate(a, f"{border} {ticker}")  # without knowing the site
    store = Store(db_path)
    store.migrate()
    _insert(
        store,
        [
            _record("https://site.example/water", a, 0),
            _record("https://site.example/border", f"{border} {ticker}", 1),
        ],
    )
    _insert(store, [_record("https://site.example/water?again", f"42 minutes ago {water} {ticker}", 2)])
    update = f"1 hour ago {water} {STORIES['water-analysis'][2][0]} {ticker}"
    _insert(store, [_record("https://site.example/water-updated", update, 3)])
    _, rows = store.query("SELECT canonical_url, cluster_id FROM article ORDER BY id")
    cluster = dict(rows)
    assert cluster["https://site.example/water"] != cluster["https://site.example/border"]
    assert cluster["https://site.example/water"] == cluster["https://site.example/water?again"]
    assert cluster["https://site.example/water"] == cluster["https://site.example/water-updated"]


def test_a_failed_batch_leaves_neither_articles_nor_index_rows(db_path: Path) -> None:
    store = Store(db_path)
    store.migrate()
    records = [_record("https://a.example/1", "\n".join(STORIES["gas-wire"][2]), 0)]
    nd = NearDuplicates(records)

    def explode(db: DedupIndex) -> None:
        nd.flush(db)
        raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        store.insert_articles(
            records, near_duplicate=nd.find, on_inserted=nd.inserted, before_commit=explode, joins=nd.joins
        )
    _, rows = store.query("SELECT (SELECT count(*) FROM article), (SELECT count(*) FROM dedup_band)")
    assert rows == [(0, 0)]


def test_rebuild_is_idempotent_and_reproduces_the_clusters(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path], tmp_path: Path
) -> None:
    items, clusters, db = eval_run
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    store = Store(copy)
    first = rebuild(store, batch_size=37)
    after_one = _cluster_rows(copy)
    second = rebuild(store, batch_size=50)
    assert _cluster_rows(copy) == after_one
    assert (first.clusters, first.duplicates, first.band_rows) == (
        second.clusters,
        second.duplicates,
        second.band_rows,
    )
    rebuilt = dedup_eval.score(
        items, dict(Store(copy).query("SELECT canonical_url, cluster_id FROM article")[1])
    )
    assert rebuilt.precision == 1.0 and rebuilt.recall >= 0.95
    assert {r[0]: r[1] for r in after_one} == {r[0]: r[1] for r in _cluster_rows(db)}
    assert_cluster_invariants(copy)


def test_rebuild_after_a_parameter_change_and_the_cli(
    eval_run: tuple[list[dedup_eval.Item], dict[str, int], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(eval_run[2].read_bytes())
    store = Store(copy)
    other = replace(DEFAULT_PARAMS, bands=20, rows=4)
    assert status(store, other)["params_current"] is False
    done = rebuild(store, params=other)
    assert done.band_rows == 20 * status(store, other)["indexed_articles"]
    assert status(store)["params_current"] is False
    assert main(["dedup", "--db", str(copy)]) == 0
    assert "dedup --rebuild" in capsys.readouterr().out
    assert main(["dedup", "--rebuild", "--db", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "dedup rebuilt" in out and "stories" in out
    assert status(store)["params_current"] is True
    assert main(["dedup", "--rebuild", "--batch-size", "0", "--db", str(copy)]) == 2


# --- through the pipeline ----------------------------------------------------------------------------


def _sources(path: Path, server: NewsServer) -> Path:
    path.write_text(
        f"""settings:
  allow_private_networks: true
  timeout_seconds: 5
sources:
  - name: Wire
    url: {server.url("/wire/feed.xml")}
    language: en
  - name: Aggregator
    url: {server.url("/agg/feed.xml")}
    language: en
""",
        encoding="utf-8",
    )
    return path


def test_syndicated_copy_under_another_template_and_a_seed_copy_join_their_clusters(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    lang, _, paras = STORIES["border-wire"]
    original = Article("border", "Kyrgyzstan and Tajikistan sign border treaty", paras)
    syndicated = Article(
        "treaty-copy",
        "Border deal ends years of clashes in the Fergana Valley",
        [
            "BISHKEK, Nov 21 (Reuters) - " + paras[0],
            *paras[1:],
            "Read also: Five things to know about Batken",
        ],
        author="Aggregator desk",
    )
    seed = load_seed_dir(ROOT / "seeds")[1]
    seed_paras = [p for p in seed.text.split("\n") if p.strip()]
    kept = dedup_eval.trimmed(
        seed_paras, "en", "Our correspondent sums up a story that is worth reading again."
    )
    seed_copy = Article("seed-copy", "Why Beijing courts Central Asia", kept.split("\n"))
    other = Article("summit", "Leaders meet in Astana", STORIES["summit-wire"][2])
    when = datetime(2026, 11, 21, 9, tzinfo=UTC)
    for prefix, arts, template in (
        ("/wire", [original, other], TEMPLATES[0]),
        ("/agg", [syndicated, seed_copy], TEMPLATES[1]),
    ):
        items = []
        for art in arts:
            url = server.add(f"{prefix}/{art.slug}", template(art))
            items.append((art.title, url, art.paragraphs[0][:100], when))
        server.add(
            f"{prefix}/feed.xml", rss(prefix, server.url(prefix), items), content_type="application/rss+xml"
        )
    sources = _sources(tmp_path / "sources.yaml", server)
    assert main(["seed", "--db", str(db_path), "--sources", str(sources), "--dir", str(ROOT / "seeds")]) == 0
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources), "--no-prefect"]) == 0
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute("SELECT url, id, cluster_id, duplicate_of, is_seed FROM articles").fetchall()
    finally:
        con.close()
    by_url = {r[0]: r for r in rows}
    first, copy = by_url[server.url("/wire/border")], by_url[server.url("/agg/treaty-copy")]
    # both are fetched in one run, concurrently: either may be seen first and head the cluster
    assert copy[2] == first[2] and {copy[3], first[3]} == {None, first[2]}
    seed_row = by_url[seed.url]
    fetched = by_url[server.url("/agg/seed-copy")]
    assert seed_row[4] and fetched[2] == seed_row[2] == seed_row[1] and fetched[3] == seed_row[1]
    assert by_url[server.url("/wire/summit")][2] not in (first[2], seed_row[2])
    assert_cluster_invariants(db_path)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=300),
    st.integers(1, 40),
    st.integers(0, 9),
)
def test_signature_gives_datasketch_minhash_values(shingles: list[int], num_perm: int, seed: int) -> None:
    """The stored band keys were cut from datasketch 2.0's MinHash values: ours must be the same."""
    import numpy as np
    from datasketch import MinHash

    from flows.stages.stories.dedup import DEFAULT_PARAMS, signature

    params = replace(DEFAULT_PARAMS, bands=num_perm, rows=1, seed=seed)
    array = np.array(shingles, dtype=np.uint32)
    reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
    reference.update_batch(array)
    assert signature(array, params).tolist() == np.asarray(reference.hashvalues, dtype=np.uint32).tolist()


@pytest.mark.parametrize("shards", [2, 4])
def test_writers_blind_to_each_other_give_the_clusters_of_one_database(tmp_path: Path, shards: int) -> None:
    """benchmarks/rewrites.py's labelled rewrites of real texts (a part of them), stored by writers
    that see none of each other's articles, then reconciled as a lake is: the stories' clusters
    are those of one database (a roundup may join either of its two stories), no roundup makes
    its two stories one, and every copy joins its story."""
    from benchmarks import rewrites

    items = rewrites.build()
    roundups = [it for it in items if it.kind == "roundup"][:4]
    keep = {x.key for r in roundups for x in rewrites.roundup_stories(items, r)}
    part = [it for it in items if it.story in keep or it in roundups]
    one = dedup_eval.ingest(part, tmp_path / "one.duckdb")
    blind = rewrites.sharded(part, tmp_path / "lake.duckdb", shards)
    stories = [it.url for it in part if it.kind != "roundup"]
    assert rewrites.partition({u: blind[u] for u in stories}) == rewrites.partition(
        {u: one[u] for u in stories}
    )
    got = rewrites.figures(part, blind)
    assert got["roundups_that_merged_their_stories"] == [] and got["same_outlet_merges"] == []
    assert got["recall"] == 1.0 and got["precision_without_roundups"] == 1.0
