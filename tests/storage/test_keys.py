"""storage/keys.py: `article_key` (migration 017) agrees with a recount from `article` after inserts,
edits, deletes and a rebuild, and its lookups answer as the string joins they replace (issue 31)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import ArticleRecord, Store
from storage.keys import earliest_by_hash, fill_missing, stored_by_url
from storage.reconcile import remove_articles

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def record(n: int, text_hash: str | None, minutes: int = 0) -> ArticleRecord:
    url = f"https://outlet.example/news/{n}"
    return ArticleRecord(
        url=url,
        canonical_url=url,
        source=f"Outlet {n % 3}",
        title=f"Title {n}",
        text=f"text of article {n}",
        first_seen_at=T0 + timedelta(minutes=minutes),
        language="en",
        text_hash=text_hash,
    )


def keys(store: Store) -> list[tuple[int, int, int | None]]:
    return [tuple(r) for r in store.query("SELECT id, url_key, text_key FROM article_key ORDER BY id")[1]]


def recount(store: Store) -> list[tuple[int, int, int | None]]:
    sql = "SELECT id, md5_number_lower(canonical_url), md5_number_lower(text_hash) FROM article ORDER BY id"
    return [tuple(r) for r in store.query(sql)[1]]


def string_joins(store: Store, urls: list[str], hashes: list[str], below: int) -> tuple[object, object]:
    """What the writer asked `article` itself before migration 017."""
    with store.connect() as con:
        by_url = {
            r[0]: (int(r[1]), int(r[2]), r[3])
            for r in con.execute(
                "SELECT canonical_url, id, coalesce(cluster_id, id), duplicate_of FROM article"
                " WHERE canonical_url IN (SELECT unnest(?::VARCHAR[]))",
                [urls],
            ).fetchall()
        }
        by_hash = {
            r[0]: (r[1], int(r[2]))
            for r in con.execute(
                "SELECT text_hash, min(first_seen_at), arg_min(id, (first_seen_at, id)) FROM article"
                f" WHERE text_hash IN (SELECT unnest(?::VARCHAR[])) AND id < {below} GROUP BY text_hash",
                [hashes],
            ).fetchall()
        }
    return by_url, by_hash


batches = st.lists(
    st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from(["h1", "h2", "h3", None]), st.integers(0, 90)),
        min_size=1,
        max_size=8,
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=batches, asked=st.lists(st.integers(0, 35), max_size=10))
def test_keys_agree_with_a_recount_and_lookups_with_the_string_joins(
    tmp_path_factory: object, batches: list[list[tuple[int, str | None, int]]], asked: list[int]
) -> None:
    path = tmp_path_factory.mktemp("keys") / "k.duckdb"  # type: ignore[attr-defined]
    store = Store(path)
    store.migrate()
    for batch in batches:
        store.insert_articles([record(n, h, m) for n, h, m in batch])
        assert keys(store) == recount(store)
    urls = [record(n, None).canonical_url for n in asked] + ["https://elsewhere.example/x"]
    hashes = ["h1", "h2", "h3", "h4"]
    below = int(store.query("SELECT coalesce(max(id), 0) FROM article")[1][0][0])
    with store.connect() as con:
        assert (stored_by_url(con, urls), earliest_by_hash(con, hashes, below)) == string_joins(
            store, urls, hashes, below
        )
    assert store.known_canonical_urls(urls) == set(string_joins(store, urls, [], 0)[0])  # type: ignore[call-overload]


def test_a_key_collision_costs_a_read_not_a_wrong_answer(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.duckdb")
    store.migrate()
    store.insert_articles([record(1, "h1"), record(2, "h2")])
    with store.transaction() as con:  # article 2's keys made to collide with article 1's
        con.execute(
            "UPDATE article_key SET url_key = (SELECT url_key FROM article_key WHERE id = 1),"
            " text_key = (SELECT text_key FROM article_key WHERE id = 1) WHERE id = 2"
        )
    with store.connect() as con:
        assert stored_by_url(con, [record(1, None).canonical_url]) == {
            record(1, None).canonical_url: (1, 1, None)
        }
        assert set(earliest_by_hash(con, ["h1"], 10)) == {"h1"}
        assert earliest_by_hash(con, ["h1"], 10)["h1"][1] == 1


def test_edits_deletes_and_a_copy_keep_the_keys(tmp_path: Path) -> None:
    store = Store(tmp_path / "e.duckdb")
    store.migrate()
    store.insert_articles([record(1, "h1"), record(2, "h2"), record(3, "h3")])
    edit = dataclasses.replace(record(2, "h9"), text="an edited text", revises=True)
    assert store.insert_articles([edit])[0].revised
    assert keys(store) == recount(store)
    with store.connect() as con:
        assert earliest_by_hash(con, ["h9", "h2"], 10) == {"h9": (T0, 2)}
    with store.transaction() as con:
        remove_articles(con, [3])
    assert keys(store) == recount(store) and len(keys(store)) == 2
    with store.transaction() as con:  # rows written without their keys, as a bulk copy writes them
        con.execute("DELETE FROM article_key WHERE id = 1")
        fill_missing(con)
    assert keys(store) == recount(store)


def test_the_migration_fills_the_keys_of_stored_articles(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.duckdb")
    store.migrate()
    store.insert_articles([record(1, "h1"), record(2, None)])
    with store.transaction() as con:  # as a database before migration 017
        con.execute("DROP TABLE article_key")
        con.execute("DELETE FROM schema_migrations WHERE version >= 17")
    store.migrate()
    assert keys(store) == recount(store) and len(keys(store)) == 2
