"""How the near-duplicate parameters were chosen: pairwise similarities on the labelled set.

For each shingle size, every pair of items in tests/dedup_eval.py is compared on its text (each
site's template lines left out, as the index does): the weakest copy and the strongest non-copy
per measure show the gap the thresholds sit in; then precision/recall for a grid of thresholds,
the LSH candidate rate of the copies, and SimHash (trafilatura's) on the same pairs for contrast.

    python -m benchmarks.dedup_params
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np

from flows.stages.stories.dedup import (
    DEFAULT_PARAMS,
    DedupParams,
    Doc,
    Similarity,
    band_keys_of,
    signature,
    similarity,
)
from tests.dedup_eval import Item, build


def _line_stories(items: list[Item], docs: list[Doc]) -> list[dict[int, set[str]]]:
    """Per doc: for each of its lines, the stories of the other same-source docs that print it too."""
    out = []
    for i, (it, d) in enumerate(zip(items, docs, strict=True)):
        seen: dict[int, set[str]] = {}
        for j, (jt, dj) in enumerate(zip(items, docs, strict=True)):
            if j != i and jt.source == it.source:
                for key in set(d.line_keys) & set(dj.line_keys):
                    seen.setdefault(key, set()).add(jt.story)
        out.append(seen)
    return out


def _without_template(doc: Doc, seen: dict[int, set[str]], other_story: str) -> np.ndarray:
    """As the index does: drop lines the site printed on a story other than the one compared with."""
    template = {
        key
        for key, stories in seen.items()
        if len(stories - {other_story}) >= DEFAULT_PARAMS.template_stories
    }
    return doc.shingles(template) if template else doc.all_shingles


def pair_table(items: list[Item], params: DedupParams) -> list[tuple[Item, Item, Similarity, bool, bool]]:
    docs = [Doc.of(it.text, params) for it in items]
    seen = _line_stories(items, docs)
    keys = []
    for d in docs:
        full = d.all_shingles
        keys.append(
            set(band_keys_of(signature(full, params), params)) if len(full) >= params.min_shingles else set()
        )
    rows = []
    for i, j in itertools.combinations(range(len(items)), 2):
        a, b = items[i], items[j]
        sim = similarity(
            _without_template(docs[i], seen[i], b.story), _without_template(docs[j], seen[j], a.story)
        )
        rows.append((a, b, sim, a.story == b.story, bool(keys[i] & keys[j])))
    return rows


def sweep(items: list[Item], k: int) -> dict[str, Any]:
    params = replace(DEFAULT_PARAMS, shingle_words=k, shingle_chars=k + 1)
    rows = pair_table(items, params)
    pos = [r for r in rows if r[3]]
    neg = [r for r in rows if not r[3]]
    direct = [r for r in pos if "original" in (r[0].kind, r[1].kind)]
    out: dict[str, Any] = {
        "shingle_words": k,
        "shingle_chars": k + 1,
        "copies_min_jaccard": round(min(r[2].jaccard for r in direct), 3),
        "non_copies_max_jaccard": round(max(r[2].jaccard for r in neg), 3),
        "non_copies_max_containment_at_ratio_0.55": round(
            max((r[2].containment for r in neg if r[2].size_ratio >= 0.55), default=0), 3
        ),
        "copies_lsh_candidate_rate": round(sum(r[4] for r in direct) / len(direct), 3),
    }
    grid = []
    for jac in (0.4, 0.5, 0.6, 0.7):
        for con in (0.7, 0.75, 0.8, 0.85, 0.9):
            p = replace(params, jaccard=jac, containment=con)
            tp = sum(1 for r in direct if r[2].is_copy(p))
            fp = sum(1 for r in neg if r[2].is_copy(p))
            grid.append(
                {"jaccard": jac, "containment": con, "recall_direct": round(tp / len(direct), 3), "false": fp}
            )
    out["grid"] = grid
    return out


def simhash_gap(items: list[Item]) -> dict[str, Any]:
    from trafilatura.deduplication import Simhash

    hashes = [Simhash(it.text) for it in items]
    pos, neg = [], []
    for i, j in itertools.combinations(range(len(items)), 2):
        d = bin(hashes[i].hash ^ hashes[j].hash).count("1")
        if items[i].story == items[j].story and "original" in (items[i].kind, items[j].kind):
            pos.append(d)
        elif items[i].story != items[j].story:
            neg.append(d)
    return {
        "copies_max_hamming": int(max(pos)),
        "copies_p95_hamming": float(np.percentile(pos, 95)),
        "non_copies_min_hamming": int(min(neg)),
        "non_copies_below_copies_max": int(sum(1 for d in neg if d <= max(pos))),
    }


def run(quick: bool = False) -> dict[str, Any]:
    items = build()
    ks = (3,) if quick else (2, 3, 4, 5)
    return {"items": len(items), "sweeps": [sweep(items, k) for k in ks], "simhash": simhash_gap(items)}


def worst(items: list[Item], params: DedupParams = DEFAULT_PARAMS, n: int = 8) -> None:
    rows = pair_table(items, params)
    print("weakest direct copies:")
    for a, b, s, _, cand in sorted((r for r in rows if r[3]), key=lambda r: r[2].jaccard)[:n]:
        print(
            f"  {a.key:34s} {b.key:34s} J={s.jaccard:.2f} C={s.containment:.2f} R={s.size_ratio:.2f} lsh={cand}"
        )
    print("strongest non-copies:")
    for a, b, s, _, cand in sorted(
        (r for r in rows if not r[3]), key=lambda r: -max(r[2].jaccard, r[2].containment)
    )[:n]:
        print(
            f"  {a.key:34s} {b.key:34s} J={s.jaccard:.2f} C={s.containment:.2f} R={s.size_ratio:.2f} lsh={cand}"
        )


if __name__ == "__main__":
    import json

    worst(build(), n=14)
    print(json.dumps(run(), indent=1, ensure_ascii=False))
