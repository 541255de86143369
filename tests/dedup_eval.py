"""The labelled near-duplicate evaluation set, generated deterministically from tests/dedup_eval_texts.py
and the seed corpus, and the pairwise precision/recall of story clusters against it.

Copies (same story label as their original): syndicated under another outlet's boilerplate (and
re-paragraphed), lightly edited (typo fixes, small rewordings), trimmed to about two thirds under a
new first paragraph, with an agency dateline, and all of these at once. Hard negatives (a story of
their own): another report on the same event, an article stitched from halves of two others, and
short briefs that carry one site's heavy page template. English, Russian and Chinese.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.dedup_eval_texts import (
    BRIEFS,
    DATELINES,
    EDITS,
    NEW_LEADS,
    OUTLET_BOILERPLATE,
    RU_BRIEFS,
    RU_TEMPLATE_FOOT,
    RU_TEMPLATE_SITE,
    STORIES,
    TEMPLATE_FOOT,
    TEMPLATE_HEAD,
    TEMPLATE_SITE,
)

ROOT = Path(__file__).resolve().parent.parent
HOME = {"en": "Central Asia Wire", "ru": "Азия Ньюс", "zh": "中亚新闻网"}
T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    key: str  # unique; becomes the URL
    story: str  # the gold label: items of one story are copies of each other
    kind: str
    language: str
    source: str
    text: str
    is_seed: bool = False

    @property
    def url(self) -> str:
        return (
            f"seed://{self.key}"
            if self.is_seed
            else f"https://site{zlib.crc32(self.source.encode()) % 997}.example/{self.key}"
        )


def _words(paragraphs: Sequence[str], lang: str) -> int:
    return sum(len(p) if lang == "zh" else len(p.split()) for p in paragraphs)


def syndicated(paragraphs: Sequence[str], lang: str, outlet: str) -> str:
    """Another outlet's page: its boilerplate lines around and inside the text, paragraphs regrouped."""
    extra = OUTLET_BOILERPLATE[lang][outlet]
    paras = list(paragraphs)
    if len(paras) > 4:
        joiner = "" if lang == "zh" else " "
        paras[2:4] = [paras[2] + joiner + paras[3]]
    paras.insert(min(2, len(paras)), extra[0])
    return "\n".join(paras + extra[1:])


def edited(paragraphs: Sequence[str], lang: str, rng: random.Random) -> str:
    """About one typo fix or small rewording per 45 words (per 60 characters of Chinese)."""
    text = "\n".join(paragraphs)
    budget = max(2, _words(paragraphs, lang) // (60 if lang == "zh" else 45))
    pairs = list(EDITS[lang])
    rng.shuffle(pairs)
    done = 0
    for old, new in pairs * 3:
        if done >= budget:
            break
        pattern = re.escape(old) if lang == "zh" else rf"\b{re.escape(old)}\b"
        spots = [m.start() for m in re.finditer(pattern, text)]
        if not spots:
            continue
        at = rng.choice(spots)
        text = text[:at] + new + text[at + len(old) :]
        done += 1
    return text


def trimmed(paragraphs: Sequence[str], lang: str, lead: str, share: float = 0.67) -> str:
    """A new first paragraph, then the story cut after about `share` of its words."""
    total = _words(paragraphs, lang)
    kept: list[str] = []
    for p in paragraphs:
        if kept and _words(kept, lang) + _words([p], lang) / 2 > total * share:
            break
        kept.append(p)
    return "\n".join([lead, *kept])


def dated(paragraphs: Sequence[str], lang: str, dateline: str) -> str:
    paras = [dateline + paragraphs[0], *paragraphs[1:]]
    if lang == "en":
        paras.append("(Reporting by Mariya Gordeyeva; Editing by Alison Williams)")
    return "\n".join(paras)


def stitched(a: Sequence[str], b: Sequence[str]) -> str:
    """The first half of one story and the second half of another."""
    return "\n".join([*a[: len(a) // 2], *b[len(b) // 2 :]])


def seed_stories(seed_dir: Path) -> dict[str, tuple[str, str, list[str]]]:
    from flows.stages.seeds import load_seed_dir

    stories = {}
    for doc in load_seed_dir(seed_dir):
        paras = [p.strip() for p in doc.text.split("\n") if p.strip()]
        stories[f"seed-{doc.file_name[:3]}"] = ("en", f"seed-{doc.file_name[:3]}", paras)
    return stories


def build(seed_dir: Path | None = None) -> list[Item]:
    """Every item of the set, in the order the pipeline would have seen them."""
    rng = random.Random(20261121)
    items: list[Item] = []
    seeds = seed_stories(seed_dir or ROOT / "seeds")
    for key, (lang, _event, paras) in seeds.items():
        items.append(Item(key, key, "original", lang, "seed", "\n".join(paras), is_seed=True))
    for key, (lang, _event, paras) in STORIES.items():
        items.append(Item(key, key, "original", lang, HOME[lang], "\n".join(paras)))
    for lines, site, lang, briefs in (
        (TEMPLATE_HEAD, TEMPLATE_SITE, "en", BRIEFS),
        ([], RU_TEMPLATE_SITE, "ru", RU_BRIEFS),
    ):
        foot = TEMPLATE_FOOT if lang == "en" else RU_TEMPLATE_FOOT
        for key, body in briefs.items():
            items.append(Item(key, key, "brief", lang, site, "\n".join([*lines, body, *foot])))

    copies: list[Item] = []
    for key, (lang, _event, paras) in {**seeds, **STORIES}.items():
        outlets = list(OUTLET_BOILERPLATE[lang])
        rng.shuffle(outlets)
        opening, framing = NEW_LEADS[lang]
        lead = rng.choice(opening) + ("" if lang == "zh" else " ") + rng.choice(framing)
        dateline = rng.choice(DATELINES[lang])
        variants = {
            "syndicated": (outlets[0], syndicated(paras, lang, outlets[0])),
            "edited": (outlets[1], edited(paras, lang, rng)),
            "trimmed": (outlets[2], trimmed(paras, lang, lead)),
            "dateline": (outlets[3], dated(paras, lang, dateline)),
            "combined": (
                outlets[0] + " (regional)",
                syndicated(
                    trimmed([dateline + paras[0], *paras[1:]], lang, lead).split("\n"), lang, outlets[0]
                ),
            ),
        }
        for kind, (outlet, text) in variants.items():
            copies.append(Item(f"{key}-{kind}", key, kind, lang, outlet, text))
    # a short brief syndicated by another site: same body, another (light) template
    copies.append(
        Item(
            "brief-flights-syndicated",
            "brief-flights",
            "syndicated",
            "en",
            "Region Today",
            "\n".join([BRIEFS["brief-flights"], *OUTLET_BOILERPLATE["en"]["Region Today"]]),
        )
    )
    for n, (a, b) in enumerate(
        (
            ("water-wire", "border-wire"),
            ("summit-wire", "gas-wire"),
            ("water-wire", "water-analysis"),
            ("ru-rate-wire", "ru-railway"),
            ("zh-railway-wire", "zh-wheat"),
            ("seed-000", "seed-002"),
        )
    ):
        sa, sb = {**seeds, **STORIES}[a], {**seeds, **STORIES}[b]
        key = f"stitched-{a}-{b}"
        copies.append(Item(key, key, "stitched", sa[0], f"Roundup {n}", stitched(sa[2], sb[2])))
    rng.shuffle(copies)
    return items + copies


def labelled_pairs(items: Iterable[Item]) -> set[frozenset[str]]:
    by_story: dict[str, list[str]] = {}
    for it in items:
        by_story.setdefault(it.story, []).append(it.url)
    return {frozenset((a, b)) for g in by_story.values() for i, a in enumerate(g) for b in g[i + 1 :]}


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int
    false_merges: list[tuple[str, str]]
    missed: list[tuple[str, str]]


def score(items: Sequence[Item], clusters: dict[str, int]) -> Score:
    """Pairwise precision and recall of predicted clusters (url -> cluster id) against the labels."""
    gold = labelled_pairs(items)
    groups: dict[int, list[str]] = {}
    for url, cluster in clusters.items():
        groups.setdefault(cluster, []).append(url)
    predicted = {frozenset((a, b)) for g in groups.values() for i, a in enumerate(g) for b in g[i + 1 :]}
    hit = gold & predicted
    key = {it.url: it.key for it in items}
    named = lambda pairs: sorted(tuple(sorted(key[u] for u in p)) for p in pairs)  # noqa: E731
    return Score(
        precision=len(hit) / len(predicted) if predicted else 1.0,
        recall=len(hit) / len(gold) if gold else 1.0,
        true_pairs=len(gold),
        predicted_pairs=len(predicted),
        false_merges=named(predicted - gold),  # type: ignore[arg-type]
        missed=named(gold - predicted),  # type: ignore[arg-type]
    )


def ingest(
    items: Sequence[Item], db_path: Path, params: object | None = None, batch: int = 20, one_run: bool = True
) -> dict[str, int]:
    """Store the items as the pipeline does (seeds first, then batches, which share what they learn
    of the sites' recent articles unless `one_run` is false); returns url -> cluster id."""
    from flows.stages.dedup import DEFAULT_PARAMS, DedupParams, text_hash
    from flows.stages.near_duplicates import NearDuplicates, SiteLines
    from storage import ArticleRecord, Store

    p = params if isinstance(params, DedupParams) else DEFAULT_PARAMS
    store = Store(db_path)
    store.migrate()
    records = [
        ArticleRecord(
            url=it.url,
            canonical_url=it.url,
            source=it.source,
            title=None,
            text=it.text,
            first_seen_at=T0 + timedelta(minutes=i),
            language=it.language,
            is_seed=it.is_seed,
            text_hash=text_hash(it.text),
        )
        for i, it in enumerate(items)
    ]
    site_lines = SiteLines()
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        nd = NearDuplicates(chunk, p, site_lines=site_lines if one_run else None)
        store.insert_articles(
            chunk, near_duplicate=nd.find, on_inserted=nd.inserted, before_commit=nd.flush, joins=nd.joins
        )
    _, rows = store.query("SELECT canonical_url, cluster_id FROM article")
    return {r[0]: int(r[1]) for r in rows}
