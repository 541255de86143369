"""A labelled set of realistic rewrites of real news texts, and the story clusters' pairwise
precision and recall on it (issue 27):

    python -m benchmarks.rewrites            # precision, recall, false merges, missed pairs; and
                                             # the same stored by 2 and 4 writers blind to each other

The texts are real published articles: mozilla/readability's test pages (the reference texts,
expected.html, of benchmarks/fixtures/readability-test-pages.tar.xz, Apache-2.0). Not DAnIEL: it is
held out for story linking. Each story is stored as its outlet printed it, then, in a fixed
shuffled order, what other pages make of it:

- `syndicated`: another outlet's copy with its "Also Read:", "Read more:" and newsletter lines
  between the paragraphs (each naming another story's headline);
- `upper`: an edited copy (a few words dropped, the headline put on top and the first paragraph
  upper-cased, as wire desks print them);
- `trimmed`: the outlet's own republication at a new address, cut to its first two thirds;
- `roundup`: a compilation page carrying most of two stories of about one length: a story of its own,
  which must not make the two one. It may join one of them (issue 27: "a page may join a story"):
  `precision` counts that as a false merge, `precision_without_roundups` leaves roundups out, and
  `roundups_that_merged_their_stories` names those whose two stories share a cluster.

Stories of one outlet (five New York Times pages, two of the Washington Post, three of Yahoo, two
of WebMD) are different stories, each with a "Related:" line naming a sibling. Labels: every
rewrite is its story's copy except the roundups, each a label of its own.
"""

from __future__ import annotations

import json
import random
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from storage.dedup import DedupIndex
from tests.dedup_eval import FIXTURE, Item, ingest, score

# page -> its outlet; the pages a news pipeline meets (articles, not test cases or manuals)
PAGES = {
    "nytimes-1": "nytimes",
    "nytimes-2": "nytimes",
    "nytimes-3": "nytimes",
    "nytimes-4": "nytimes",
    "wapo-1": "wapo",
    "wapo-2": "wapo",
    "yahoo-1": "yahoo",
    "yahoo-2": "yahoo",
    "yahoo-3": "yahoo",
    "webmd-1": "webmd",
    "webmd-2": "webmd",
    "bbc-1": "bbc",
    "guardian-1": "guardian",
    "telegraph": "telegraph",
    "cnn": "cnn",
    "cnet": "cnet",
    "buzzfeed-1": "buzzfeed",
    "seattletimes-1": "seattletimes",
    "herald-sun-1": "herald-sun",
    "salon-1": "salon",
    "breitbart": "breitbart",
    "ars-1": "ars",
    "engadget": "engadget",
    "theverge": "theverge",
    "msn": "msn",
    "tmz-1": "tmz",
    "liberation-1": "liberation",
    "lemonde-1": "lemonde",
    "la-nacion": "la-nacion",
    "folha": "folha",
    "aktualne": "aktualne",
    "heise": "heise",
    "medicalnewstoday": "medicalnewstoday",
    "bug-1255978": "independent",
    "citylab-1": "citylab",
    "quanta-1": "quanta",
}
SYNDICATORS = ("Wire Digest", "Daily Aggregate", "Regional Times", "News Mirror")
SEED = 20261207


def _paragraphs(html: str) -> list[str]:
    """The reference text's paragraphs of eight words or more (captions and bylines left out)."""
    from flows.stages.reading.extract import html_to_text

    return [ln.strip() for ln in html_to_text(html).splitlines() if len(ln.split()) >= 8]


def stories(fixture: Path = FIXTURE) -> dict[str, tuple[str, str, list[str]]]:
    """page -> (outlet, headline, paragraphs), for the pages of PAGES."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    with tarfile.open(fixture) as tar:
        for page, outlet in PAGES.items():
            meta, html = (tar.extractfile(f"{page}/{m}") for m in ("expected-metadata.json", "expected.html"))
            assert meta is not None and html is not None
            title = str(json.loads(meta.read().decode("utf-8")).get("title") or page)
            paras = _paragraphs(html.read().decode("utf-8"))
            if len(paras) >= 4:
                out[page] = (outlet, title, paras)
    return out


def syndicated(paras: Sequence[str], others: Sequence[str]) -> str:
    """Another outlet's copy: related-link lines and a newsletter prompt between the paragraphs."""
    lines = list(paras)
    lines.insert(min(2, len(lines)), f"Also Read: {others[0]}")
    lines.insert(min(5, len(lines)), f"Also Read: {others[1]}")
    return "\n".join([*lines, f"Read more: {others[2]}", "Sign up for our newsletter to get the day's news."])


def upper(title: str, paras: Sequence[str], rng: random.Random) -> str:
    """An edited copy: the headline on top, the first paragraph in capitals, a word in 40 dropped."""
    edited = []
    for p in paras:
        words = p.split()
        edited.append(" ".join(w for w in words if rng.random() >= 1 / 40) or p)
    return "\n".join([title.upper(), edited[0].upper(), *edited[1:]])


def trimmed(paras: Sequence[str]) -> str:
    """The outlet's republication at a new address: its first two thirds."""
    return "\n".join(paras[: max(3, round(len(paras) * 2 / 3))])


def roundup(a: Sequence[str], b: Sequence[str]) -> str:
    """A compilation: the first four fifths of two stories under one heading each."""
    cut = lambda p: p[: max(3, round(len(p) * 4 / 5))]  # noqa: E731
    return "\n".join(["Today's roundup", *cut(a), "In other news", *cut(b)])


def build(fixture: Path = FIXTURE) -> list[Item]:
    """The set, in the order a pipeline sees it: the stories first, then their rewrites shuffled."""
    rng = random.Random(SEED)
    found = stories(fixture)
    names = sorted(found)
    items: list[Item] = []
    for page in names:
        outlet, _title, paras = found[page]
        siblings = [p for p in names if found[p][0] == outlet and p != page]
        related = [f"Related: {found[siblings[0]][1]}"] if siblings else []
        items.append(Item(page, page, "original", "en", outlet, "\n".join([*paras, *related])))
    rewrites: list[Item] = []
    for page in names:
        outlet, title, paras = found[page]
        others = [found[p][1] for p in rng.sample([p for p in names if p != page], 3)]
        syndicator = rng.choice(SYNDICATORS)
        rewrites.append(
            Item(f"{page}-syndicated", page, "syndicated", "en", syndicator, syndicated(paras, others))
        )
        rewrites.append(Item(f"{page}-upper", page, "upper", "en", "Reprint Desk", upper(title, paras, rng)))
        rewrites.append(Item(f"{page}-trimmed", page, "trimmed", "en", outlet, trimmed(paras)))
    # roundups of two stories of about one length (neighbours by words), each cut to its first
    # four fifths: each story alone then verifies as a trimmed copy of the roundup
    order = sorted(names, key=lambda p: (sum(len(x.split()) for x in found[p][2]), p))
    for n, (a, b) in enumerate(zip(order[0::2], order[1::2], strict=False)):
        key = f"roundup-{a}-{b}"
        rewrites.append(
            Item(key, key, "roundup", "en", f"Roundup {n % 3}", roundup(found[a][2], found[b][2]))
        )
    rng.shuffle(rewrites)
    return items + rewrites


def same_outlet_merges(items: Sequence[Item], clusters: dict[str, int]) -> list[tuple[str, str]]:
    """Pairs of different stories of one outlet (its originals) that share a cluster."""
    originals = [it for it in items if it.kind == "original"]
    return [
        (a.key, b.key)
        for i, a in enumerate(originals)
        for b in originals[i + 1 :]
        if a.source == b.source and clusters[a.url] == clusters[b.url]
    ]


def roundup_stories(items: Sequence[Item], page: Item) -> list[Item]:
    """The originals of the two stories a roundup carries (named in its key)."""
    return [x for x in items if x.kind == "original" and f"-{x.key}-" in f"{page.key}-"]


def evaluate(items: Sequence[Item], db: Path) -> dict[str, Any]:
    return figures(items, ingest(items, db))


def figures(items: Sequence[Item], clusters: dict[str, int]) -> dict[str, Any]:
    """Pairwise precision and recall of `clusters` on the labels, and what roundups did."""
    s = score(items, clusters)
    roundups = [it for it in items if it.kind == "roundup"]
    bridged = [it.key for it in roundups if len({clusters[x.url] for x in roundup_stories(items, it)}) < 2]
    apart = [it for it in items if it.kind != "roundup"]
    without = score(apart, {it.url: clusters[it.url] for it in apart})
    return {
        "items": len(items),
        "precision": round(s.precision, 3),
        "precision_without_roundups": round(without.precision, 3),  # a roundup may join one story
        "roundups_joined": sum(
            any(clusters[x.url] == clusters[it.url] for x in items if x is not it) for it in roundups
        ),
        "recall": round(s.recall, 3),
        "true_pairs": s.true_pairs,
        "predicted_pairs": s.predicted_pairs,
        "same_outlet_merges": same_outlet_merges(items, clusters),
        "roundups_that_merged_their_stories": bridged,
        "false_merges": s.false_merges,
        "missed": s.missed,
    }


class ShardView:
    """One writer's view of the index when writers start together: its own shard's articles only
    (none of the others' commits), the worst case the lake's reconciliation has to mend."""

    def __init__(self, db: DedupIndex, own: set[int]) -> None:
        self._db = db
        self._own = own

    def band_members(self, keys: Sequence[int]) -> dict[int, list[int]]:
        found = self._db.band_members(keys)
        return {k: [i for i in ids if i in self._own] for k, ids in found.items()}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def sharded(items: Sequence[Item], db: Path, shards: int, batch: int = 20) -> dict[str, int]:
    """The items' clusters when `shards` writers, each with its share of the outlets, store them
    blind to each other (their batches in turn), then the lake's reconciliation runs."""
    from flows.stages.stories.dedup import text_hash
    from flows.stages.stories.near_duplicates import NearDuplicates
    from storage import ArticleRecord, Store
    from storage.reconcile import reconcile

    class FileWithReconcile(Store):
        """A DuckDB file with the lake's reconciliation mark, so `reconcile` runs on it as on a lake."""

        def bootstrap(self, con: duckdb.DuckDBPyConnection) -> None:
            super().bootstrap(con)
            con.execute(
                "CREATE TABLE IF NOT EXISTS lake_reconcile (checked_id BIGINT NOT NULL, checked_at TIMESTAMPTZ)"
            )

    store = FileWithReconcile(db)
    store.migrate()
    t0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    parts: list[list[ArticleRecord]] = [[] for _ in range(shards)]
    for i, it in enumerate(items):
        rec = ArticleRecord(
            it.url, it.url, it.source, None, it.text, t0 + timedelta(minutes=i), text_hash=text_hash(it.text)
        )
        parts[zlib.crc32(it.source.encode()) % shards].append(rec)
    owns: list[set[int]] = [set() for _ in range(shards)]
    for start in range(0, max(len(p) for p in parts), batch):
        for part, own in zip(parts, owns, strict=True):
            chunk = part[start : start + batch]
            if not chunk:
                continue
            nd = NearDuplicates(chunk)

            def seen(
                db: DedupIndex, rec: ArticleRecord, aid: int, nd: NearDuplicates = nd, own: set[int] = own
            ) -> None:
                own.add(aid)
                nd.inserted(db, rec, aid)

            store.insert_articles(
                chunk,
                near_duplicate=lambda db, rec, nd=nd, own=own: nd.find(ShardView(db, own), rec),  # type: ignore[misc]
                on_inserted=seen,
                before_commit=nd.flush,
                joins=nd.joins,
            )
    reconcile(store, NearDuplicates)
    _, rows = store.query("SELECT canonical_url, cluster_id FROM article")
    return {r[0]: int(r[1]) for r in rows}


def partition(clusters: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for url, cluster in clusters.items():
        groups.setdefault(cluster, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def main() -> None:
    items = build()
    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate(items, Path(tmp) / "rewrites.duckdb")
        one_map = ingest(items, Path(tmp) / "one.duckdb")
        one = partition(one_map)
        for shards in (2, 4):
            clusters = sharded(items, Path(tmp) / f"shards-{shards}.duckdb", shards)
            stories = [it.url for it in items if it.kind != "roundup"]  # a roundup joins either story
            result[f"shards_{shards}"] = {
                "same_clusters_as_one_database": partition(clusters) == one,
                "same_clusters_but_roundups": partition({u: clusters[u] for u in stories})
                == partition({u: one_map[u] for u in stories}),
                **figures(items, clusters),
            }
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
