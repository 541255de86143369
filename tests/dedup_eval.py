"""The labelled near-duplicate evaluation set, generated deterministically from tests/dedup_eval_texts.py
and the seed corpus, and the pairwise precision/recall of story clusters against it.

Copies (same story label as their original): syndicated under another outlet's boilerplate (and
re-paragraphed), lightly edited (typo fixes, small rewordings), trimmed to about two thirds under a
new first paragraph, with an agency dateline, and all of these at once. Hard negatives (a story of
their own): another report on the same event, an article stitched from halves of two others, and
short briefs that carry one site's heavy page template. English, Russian and Chinese.

Real pages (`real_pages`, labelled by hand as said above it): mozilla/readability's
test pages as an extractor that keeps the whole page would give them (every block's text, the
outlet's menus, footers and link lists included): briefs of different stories under one outlet's
real template, and one wire text put into three outlets' real pages in place of their stories.
Their texts go through the real cleaning first (flows/stages/reading/templates.py, each outlet's template
learnt from its pages here), as the ingest stores them.
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


FIXTURE = ROOT / "benchmarks" / "fixtures" / "readability-test-pages.tar.xz"

# --- real pages ---------------------------------------------------------------------
# mozilla/readability's test pages (benchmarks/fixtures/readability-test-pages.tar.xz, Apache-2.0,
# licence beside it), read by `real_pages`. Each outlet's pages are printed in
# the real template of one of its pages (REAL_OUTLETS: that page's menus, link lists and footer
# around its story). Labelled by hand from the pages' titles and texts (expected-metadata.json,
# expected.html):
# - briefs under one heavy template: every page below is a different story (NYT: Sudan sanctions,
#   Yahoo's sale to Verizon, New York's manholes, US debt interest; Washington Post: the Tunis
#   museum attack, US-Israeli relations after Netanyahu's victory; Yahoo: a baby wrapped in a flag,
#   an AP report from Moscow), each its own label;
# - one wire text in three outlets' templates: the Telegraph's Zimbabwe coup report (as a wire
#   text) in each outlet's template, and its own page as the pipeline extracts it: one label.
REAL_OUTLETS = {"nytimes": "nytimes-1", "wapo": "wapo-1", "yahoo": "yahoo-3"}  # outlet -> template page
REAL_BRIEFS = {  # page -> its outlet
    "nytimes-1": "nytimes",
    "nytimes-2": "nytimes",
    "nytimes-3": "nytimes",
    "nytimes-4": "nytimes",
    "wapo-1": "wapo",
    "wapo-2": "wapo",
    "yahoo-3": "yahoo",
    "yahoo-2": "yahoo",
}
REAL_WIRE = "telegraph"  # the wire text: this page's story; its own page is one more copy


def _page_lines(html: str) -> list[str]:
    """Every block's text of a page, as an extractor that keeps the whole page gives it."""
    import lxml.html

    from flows.stages.reading.extract import html_to_text

    body = lxml.html.fromstring(html).find("body")
    return [ln for ln in html_to_text(lxml.html.tostring(body, encoding="unicode")).splitlines() if ln]


def _story_span(lines: list[str], expected: str) -> tuple[int, int, list[str]]:
    """Where a page's story lies in its whole text (its first and last paragraph of the reference
    text), and the story's paragraphs."""
    from flows.stages.reading.extract import html_to_text

    story = [ln for ln in html_to_text(expected).splitlines() if len(ln.split()) >= 8]
    known = set(story)
    at = [i for i, ln in enumerate(lines) if ln in known]
    return at[0], at[-1], story


def real_pages(fixture: Path = FIXTURE) -> list[Item]:
    """The real-page cases, each text cleaned by its outlet's template as the ingest cleans it."""
    import tarfile

    from flows.stages.reading.extract import extract_page
    from flows.stages.reading.templates import Templates

    names = {*REAL_BRIEFS, *REAL_OUTLETS.values(), REAL_WIRE}
    with tarfile.open(fixture) as tar:

        def read(name: str, member: str) -> str:
            f = tar.extractfile(f"{name}/{member}")
            assert f is not None
            return f.read().decode("utf-8")

        pages = {n: (_page_lines(read(n, "source.html")), read(n, "expected.html")) for n in sorted(names)}
        wire_html = read(REAL_WIRE, "source.html")
    spans = {n: _story_span(lines, expected) for n, (lines, expected) in pages.items()}

    def printed(outlet: str, story: list[str]) -> str:
        """`story` in the outlet's template: its template page's whole text, that page's story replaced."""
        host = REAL_OUTLETS[outlet]
        lines, (first, last, _) = pages[host][0], spans[host]
        return "\n".join(lines[:first] + story + lines[last + 1 :])

    raw: list[tuple[str, str, str, str]] = []  # key, kind, outlet, text
    for name, outlet in REAL_BRIEFS.items():
        story = spans[name][2]
        brief = story[:1] + (story[1:2] if len(story[0].split()) < 40 else [])
        raw.append((f"real-{name}", "real-brief", outlet, printed(outlet, brief)))
    for outlet in REAL_OUTLETS:
        raw.append((f"real-wire-{outlet}", "real-wire", outlet, printed(outlet, spans[REAL_WIRE][2])))
    own = extract_page(wire_html.encode("utf-8"), "https://www.telegraph.co.uk/", mode="auto").text
    raw.append(("real-wire", "real-wire", REAL_WIRE, own))  # an outlet seen once: stored as extracted
    templates = Templates()
    for i, (key, _kind, outlet, text) in enumerate(raw):
        templates.observe(outlet, key, text, T0 + timedelta(seconds=i))
    return [
        Item(
            key,
            "real-wire" if kind == "real-wire" else key,
            kind,
            "en",
            outlet,
            templates.clean(outlet, key, text),
        )
        for key, kind, outlet, text in raw
    ]


def seed_stories(seed_dir: Path) -> dict[str, tuple[str, str, list[str]]]:
    from flows.stages.sources.seeds import load_seed_dir

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
    return items + copies + real_pages()


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
    from flows.stages.stories.dedup import DEFAULT_PARAMS, DedupParams, text_hash
    from flows.stages.stories.near_duplicates import NearDuplicates, SiteLines
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
