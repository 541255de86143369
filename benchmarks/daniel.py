"""Real pages through `newswatch ingest`: extraction F1 against the hand-cleaned texts, per
language, beside trafilatura alone; copies within and across outlets; relevance from templates.

    python -m benchmarks.daniel CORPUS [--format auto|daniel|l3s|readability|htmltotext]
        [--half dev|holdout] [--feeds outlet|mixed] [--mixed-feeds N] [--folds K]
        [--lang xx ...] [--limit N] [--keep DIR [--reuse]] [--out FILE]

CORPUS (or env NEWSWATCH_DANIEL) is a benchmark directory as benchmarks/extraction.py reads it
(and writes it with --export-from), by default rundimeco/waddle's DAnIEL corpus
(corpora/Corpus_daniel_v2.1: html/NAME, reference/NAME, doc_lg.json). The metric is that
module's (ScrapingHub: 4-token shingles, one token per CJK character). A page's outlet is its
host name (DAnIEL: the domain in NAME); only DAnIEL's development half (even
`zlib.crc32(domain)`) is read unless `--half holdout`, for the final judgement only. Nothing of
the corpora is kept in this repository.

Each outlet is one source whose RSS feed lists its pages (`--feeds outlet`), or, with `--feeds
mixed`, `--mixed-feeds` feeds each carry pages of many outlets, the way an aggregator's topic feeds,
a Telegram channel that links out or a reader's OPML bundle do (a page goes to a feed drawn from a
fixed seed, so an outlet's pages are spread over them). Pages are served on loopback under their
outlet's own host name (`settings.hosts` maps every name to 127.0.0.1), so the pipeline learns each
outlet as it would in production. Outlets fall in `--folds` folds by domain (crc32 of the host,
its even bit left aside: DAnIEL's dev half is the even crc32s); F1 is given per fold and language
beside trafilatura alone, and `gain` is the difference, so a rule that wins on some outlets and
loses on others shows it. `--lang` and `--limit` (pages per language) make a quicker run. The run is the installed `newswatch ingest` into a fresh database, read back
with `newswatch export`.

Copies: two pages of one outlet whose reference texts share at most a tenth of their shingles are
different stories (`gold_pairs`) and must not share a cluster; copies across outlets are labelled
by hand in benchmarks/daniel_copies.json. A page is "relevant because of its template" when the
pipeline marks it relevant and its reference text, scored the same way, is not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.extraction import Case, load, shingle_score
from benchmarks.extraction import _trafilatura as trafilatura_extract
from benchmarks.extraction import shingles as extraction_shingles

ROOT = Path(__file__).resolve().parent.parent
NEWSWATCH = ROOT / ".venv" / "bin" / "newswatch"
LABELS = Path(__file__).with_name("daniel_copies.json")  # copies across outlets, labelled by hand

# --- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    outlet: str
    language: str
    html: bytes
    gold: str
    path: str  # where the loopback server answers it
    case: Case


def outlet_of(case: Case, index: int) -> str:
    """The page's host name (DAnIEL: the domain in its file name); a page without one is its own outlet."""
    return urlsplit(case.url).hostname or f"page{index}.test"


def fold_of(outlet: str, folds: int) -> int:
    """The outlet's fold: its host's crc32 without the parity bit (DAnIEL's dev half is all even)."""
    return (zlib.crc32(outlet.encode()) >> 1) % folds


def feeds_of(pages: list[Page], mixed: int) -> dict[str, list[Page]]:
    """Feed name -> its pages: one feed an outlet, or (`mixed` > 0) that many feeds, each page on
    one drawn from a fixed seed, so each feed carries many outlets and each outlet many feeds."""
    if mixed <= 0:
        out: dict[str, list[Page]] = defaultdict(list)
        for page in pages:
            out[page.outlet].append(page)
        return dict(out)
    draw = random.Random(27)
    mixes: dict[str, list[Page]] = {f"mix-{i:02d}": [] for i in range(mixed)}
    for page in sorted(pages, key=lambda p: p.name):
        mixes[f"mix-{draw.randrange(mixed):02d}"].append(page)
    return {name: group for name, group in mixes.items() if group}


def pages_of(cases: list[Case]) -> list[Page]:
    return [
        Page(c.name, outlet_of(c, i), c.lang, c.html, c.expected, f"/p{i}/{c.name.rsplit('/', 1)[-1]}", c)
        for i, c in enumerate(cases)
    ]


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    s = shingle_score(gold, predicted)
    return s.precision, s.recall, s.f1


def shingles(text: str) -> set[tuple[str, ...]]:
    return set(extraction_shingles(text))


# --- the run ---------------------------------------------------------------------------------------


FEED_HOST = "feeds.aggregator.test"  # where the mixed feeds are served


def serve_and_ingest(
    pages: list[Page], workdir: Path, settings: dict[str, object], mixed: int = 0
) -> list[dict[str, Any]]:
    """Every feed and page on one loopback server, each page under its outlet's own name (a feed
    of one outlet under it too, mixed feeds under FEED_HOST); one `newswatch ingest`; the stored
    articles (export rows)."""
    from tests.support.pages import rss
    from tests.support.servers import NewsServer

    server = NewsServer()
    feeds = feeds_of(pages, mixed)
    lines = ["settings:"]
    merged = {
        "allow_private_networks": True,
        "timeout_seconds": 60,
        "max_articles_per_source": 1000,
        "hosts": {o: "127.0.0.1" for o in sorted({p.outlet for p in pages} | {FEED_HOST})},
        **settings,
    }
    lines += [f"  {k}: {json.dumps(v)}" for k, v in merged.items()]
    lines.append("sources:")
    for name, group in sorted(feeds.items()):
        items = []
        for page in group:
            server.add(page.path, page.html, content_type="text/html")
            link = f"http://{page.outlet}:{server.port}{page.path}"
            items.append((f"Item {page.path.split('/')[1]}", link, "", None))
        base = f"http://{FEED_HOST if mixed > 0 else name}:{server.port}"
        server.add(f"/feed-{name}.xml", rss(name, base, items), content_type="application/rss+xml")
        lines += [f"  - name: {json.dumps(name)}", f"    url: {base}/feed-{name}.xml"]
    sources = workdir / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = workdir / "daniel.duckdb"
    started = time.perf_counter()
    subprocess.run(
        [str(NEWSWATCH), "ingest", "--db", str(db), "--sources", str(sources), "--no-prefect"], check=True
    )
    print(f"ingest: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    out = workdir / "articles.jsonl"
    subprocess.run([str(NEWSWATCH), "export", "--db", str(db), "--format", "jsonl", str(out)], check=True)
    server.httpd.shutdown()
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def trafilatura_alone(pages: list[Page], cache: Path | None) -> dict[str, str]:
    """trafilatura's text of each page, kept in `cache` by page name (a subset run adds to it)."""
    kept: dict[str, Any] = {}
    if cache is not None and cache.exists():
        kept = json.loads(cache.read_text(encoding="utf-8"))
    out = {k: v[0] if isinstance(v, list) else v for k, v in kept.items()}  # (text, error) pairs too
    missing = [p for p in pages if p.name not in out]
    out.update({p.name: trafilatura_extract(p.case)[0] for p in missing})
    if cache is not None and missing:
        cache.write_text(json.dumps(out), encoding="utf-8")
    return out


# --- the figures -----------------------------------------------------------------------------------


def by_fold(
    pages: list[Page], texts: dict[str, str], alone: dict[str, str], folds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Per fold of outlets and language: pages, the pipeline's F1, trafilatura's, and the gain."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for fold in range(folds):
        group = [p for p in pages if fold_of(p.outlet, folds) == fold]
        if not group:
            continue
        ours, theirs = scores(group, texts), scores(group, alone)
        out[str(fold)] = {
            lang: {
                "pages": ours[lang]["pages"],
                "outlets": len({p.outlet for p in group if lang in ("all", p.language)}),
                "pipeline": ours[lang]["f1"],
                "trafilatura": theirs[lang]["f1"],
                "gain": round(ours[lang]["f1"] - theirs[lang]["f1"], 4),
            }
            for lang in ours
        }
    return out


def scores(pages: list[Page], texts: dict[str, str]) -> dict[str, dict[str, float]]:
    """Mean precision, recall and F1 per language and overall."""
    acc: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for page in pages:
        s = prf(texts.get(page.name, ""), page.gold)
        acc[page.language].append(s)
        acc["all"].append(s)
    return {
        lang: {
            "pages": len(v),
            "precision": round(sum(x[0] for x in v) / len(v), 4),
            "recall": round(sum(x[1] for x in v) / len(v), 4),
            "f1": round(sum(x[2] for x in v) / len(v), 4),
        }
        for lang, v in sorted(acc.items())
    }


def overlap(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> tuple[float, float]:
    """Jaccard, and how much of the smaller set the larger holds."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


def gold_pairs(pages: list[Page]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(different stories of one outlet, copies across outlets), labelled on the reference texts."""
    sh = {p.name: shingles(p.gold) for p in pages}
    different, copies = set(), set()
    for i, a in enumerate(pages):
        for b in pages[i + 1 :]:
            jac, contained = overlap(sh[a.name], sh[b.name])
            if a.outlet == b.outlet and jac <= 0.1:
                different.add((a.name, b.name))
            elif a.outlet != b.outlet and contained >= 0.6:
                copies.add((a.name, b.name))
    return different, copies


def report(
    pages: list[Page], rows: list[dict[str, Any]], alone: dict[str, str], folds: int = 5
) -> dict[str, Any]:
    at = {f"/{p.name}": p.name for p in pages} | {p.path: p.name for p in pages}  # runs of either layout
    by_name = {at[urlsplit(r["url"]).path]: r for r in rows if urlsplit(r["url"]).path in at}
    texts = {n: r.get("text") or "" for n, r in by_name.items()}
    different, copies = gold_pairs(pages)
    cluster = {n: r.get("cluster_id") for n, r in by_name.items()}
    merged = sorted(
        (a, b)
        for a, b in different
        if a in cluster and cluster[a] is not None and cluster[a] == cluster.get(b)
    )
    split = sorted((a, b) for a, b in copies if not (a in cluster and cluster[a] == cluster.get(b)))
    labels = json.loads(LABELS.read_text(encoding="utf-8")) if LABELS.exists() else {}
    names = {p.name for p in pages}
    hand = [[n for n in group if n in names] for group in labels.get("copies", [])]
    hand_pairs = [(a, b) for g in hand for i, a in enumerate(g) for b in g[i + 1 :]]
    hand_apart = [(a, b) for a, b in hand_pairs if cluster.get(a) is None or cluster.get(a) != cluster.get(b)]
    reports = [tuple(p) for p in labels.get("separate_reports", []) if set(p) <= names]
    reports_joined = [
        p for p in reports if cluster.get(p[0]) is not None and cluster.get(p[0]) == cluster.get(p[1])
    ]
    from flows.config import parse_config
    from flows.pipeline.analysis import Analyzer

    config = parse_config("sources: []\n", "<daniel>")
    analyzer = Analyzer(config.topic, config.settings.relevance_threshold)
    template_relevant = []
    relevant = 0
    for page in pages:
        row = by_name.get(page.name)
        if row is None or not row.get("is_relevant"):
            continue
        relevant += 1
        _, score = analyzer.analyse(row.get("title"), page.gold)
        if not score.is_relevant:
            template_relevant.append(page.name)
    ours, theirs = scores(pages, texts), scores(pages, alone)
    return {
        "pages": len(pages),
        "stored": len(rows),
        "pipeline": ours,
        "trafilatura": theirs,
        "gain": {lang: round(ours[lang]["f1"] - theirs[lang]["f1"], 4) for lang in ours},
        "folds": by_fold(pages, texts, alone, folds),
        "copies": {
            "different_stories_of_one_outlet": len(different),
            "of_them_in_one_cluster": len(merged),
            "merged": merged[:20],
            "cross_outlet_overlaps": len(copies),  # reference texts mostly contained in one another
            "overlaps_apart": len(split),
            "copy_pairs": len(hand_pairs),  # labelled by hand (benchmarks/daniel_copies.json)
            "copy_pairs_apart": len(hand_apart),
            "copies_apart": hand_apart,
            "separate_report_pairs": len(reports),
            "separate_reports_joined": len(reports_joined),
        },
        "relevance": {"relevant": relevant, "not_relevant_on_reference_text": template_relevant},
    }


def choose(pages: list[Page], langs: list[str], limit: int) -> list[Page]:
    """The pages of `langs` (all when empty), at most `limit` a language (whole outlets first, so an
    outlet keeps all its pages: the templates learn from them)."""
    pages = [p for p in pages if not langs or p.language in langs]
    if limit <= 0:
        return pages
    out: list[Page] = []
    for lang in sorted({p.language for p in pages}):
        group = sorted((p for p in pages if p.language == lang), key=lambda p: (p.outlet, p.name))
        out += group[:limit]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=os.environ.get("NEWSWATCH_DANIEL"))
    parser.add_argument(
        "--half", choices=("dev", "holdout"), default="dev", help="DAnIEL's half (default dev)"
    )
    parser.add_argument("--format", default="auto", help="the corpus layout (benchmarks/extraction.py)")
    parser.add_argument(
        "--feeds", choices=("outlet", "mixed"), default="outlet", help="one feed an outlet, or mixed feeds"
    )
    parser.add_argument("--mixed-feeds", type=int, default=20, help="how many mixed feeds (default 20)")
    parser.add_argument("--folds", type=int, default=5, help="folds of outlets by domain (default 5)")
    parser.add_argument("--lang", action="append", default=[], help="only pages of this language")
    parser.add_argument("--limit", type=int, default=0, help="at most this many pages a language")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--setting", action="append", default=[], help="KEY=JSON, a settings field")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--reuse", action="store_true", help="score the run kept in --keep again")
    args = parser.parse_args()
    if not args.corpus:
        parser.error("give the corpus directory (or set NEWSWATCH_DANIEL)")
    pages = choose(
        pages_of(load(Path(args.corpus), args.format, daniel_holdout=args.half == "holdout")),
        args.lang,
        args.limit,
    )
    settings = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.setting)}
    with tempfile.TemporaryDirectory(prefix="newswatch-daniel-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        done = workdir / "articles.jsonl"
        if args.reuse and done.exists():  # score an earlier run again
            rows = [
                json.loads(line) for line in done.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        else:
            mixed = args.mixed_feeds if args.feeds == "mixed" else 0
            rows = serve_and_ingest(pages, workdir, settings, mixed)
        alone = trafilatura_alone(pages, workdir / f"trafilatura-{args.half}-v2.json" if args.keep else None)
    figures = report(pages, rows, alone, args.folds)
    figures["feeds"] = args.feeds
    text = json.dumps(figures, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
