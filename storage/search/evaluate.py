"""A plan's matches from its postings: exact boolean sets, BM25 over the positive terms.

Every article that holds one of the query's terms (or passes one of its filters) gets a slot; each
leaf of the plan is a boolean array over the slots, and the tree combines them (AND, OR, NOT) as
written. A phrase's lookups can overstate it (the words present, not in that order): such an
article is `unsure` until its text is read (`holds`). Slots are the article ids themselves when the
ids are dense enough, else the ids' positions in their sorted union.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storage.search.plan import Plan, PlanNode

K1 = 1.2
B = 0.75
KEY_WEIGHT = 0.5  # a match through a word's cross-script name key, against an exact one


@dataclass
class Matches:
    ids: np.ndarray  # the matching articles (unsure ones included), ascending
    scores: np.ndarray  # BM25 over the positive terms
    matched: np.ndarray  # positive words, phrases and prefixes held
    exact: np.ndarray  # of those, held as written (not through a name key)
    unsure: np.ndarray  # bool: a phrase decides it, to be read in the text
    slots: np.ndarray  # each id's slot, for `holds`
    present: dict[int, np.ndarray]  # leaf -> bool over the slots


def _slots(ids: np.ndarray) -> tuple[np.ndarray | None, int]:
    """The sorted union of the ids, or None when the ids themselves are the slots; and the size."""
    if not len(ids):
        return None, 0
    size = int(ids.max()) + 1
    if int(ids.min()) >= 0 and size <= 16 * len(ids):
        return None, size
    union = np.unique(ids)
    return union, len(union)


def matches(
    plan: Plan,
    found: dict[str, np.ndarray],
    filtered: dict[int, np.ndarray],
    docs: float,
    avgdl: float,
) -> Matches:
    """`found`: postings q (index of plan.terms), id, tf, len; `filtered`: filter leaf -> ids."""
    q = found["q"].astype(np.intp)
    ids = found["id"].astype(np.int64)
    union, size = _slots(np.concatenate([ids, *filtered.values()]) if filtered else ids)

    def slot_of(values: np.ndarray) -> np.ndarray:
        return values if union is None else np.searchsorted(union, values)

    n_terms = len(plan.terms)
    df = np.bincount(q, minlength=n_terms).astype(np.float64)
    idf = np.log(1 + (docs - df + 0.5) / (df + 0.5))
    # BM25: idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl)), without temporaries
    tf = found["tf"].astype(np.float64)
    weights = found["len"] * (K1 * B / avgdl)
    weights += K1 * (1 - B)
    weights += tf
    np.divide(tf, weights, out=weights)
    weights *= idf[q]
    weights *= K1 + 1
    order = np.argsort(q, kind="stable")
    slots, weights = slot_of(ids[order]), weights[order]
    bounds = np.searchsorted(q[order], np.arange(n_terms + 1))

    def rows(term: int) -> tuple[np.ndarray, np.ndarray]:
        return slots[bounds[term] : bounds[term + 1]], weights[bounds[term] : bounds[term + 1]]

    score = np.zeros(size)
    matched = np.zeros(size, dtype=np.int32)
    exact = np.zeros(size, dtype=np.int32)
    positive = set(plan.positive)
    present: dict[int, np.ndarray] = {}
    for i, leaf in enumerate(plan.leaves):
        has = np.zeros(size, dtype=bool)
        ranks = i in positive and leaf.kind != "filter"
        if leaf.kind == "filter":
            has[slot_of(filtered[i])] = True
        elif leaf.kind == "word":
            s, w = rows(leaf.lookups[0])
            has[s] = True
            if ranks:
                score[s] += w
                exact[s] += 1
            if leaf.key is not None:
                s, w = rows(leaf.key)
                new = ~has[s]
                has[s] = True
                if ranks:
                    score[s[new]] += KEY_WEIGHT * w[new]
        elif leaf.kind == "prefix":
            best = np.zeros(size) if ranks else None
            for term in leaf.lookups:
                s, w = rows(term)
                has[s] = True
                if best is not None:
                    best[s] = np.maximum(best[s], w)
            if best is not None:
                score += best
                exact += has
        else:  # phrase: every looked-up word; their order is read in the text
            count = np.zeros(size, dtype=np.int32)
            total = np.zeros(size) if ranks else None
            for term in leaf.lookups:
                s, w = rows(term)
                count[s] += 1
                if total is not None:
                    total[s] += w
            np.equal(count, len(leaf.lookups), out=has)
            if total is not None:
                score += np.where(has, total, 0.0)
                exact += has
        if ranks:
            matched += has
        present[i] = has

    possible, certain = _combine(plan.tree, plan, present)
    at = np.flatnonzero(possible)
    unsure = np.zeros(len(at), dtype=bool) if certain is None else ~certain[at]
    return Matches(
        ids=at if union is None else union[at],
        scores=score[at],
        matched=matched[at],
        exact=exact[at],
        unsure=unsure,
        slots=at,
        present=present,
    )


def _combine(
    node: PlanNode, plan: Plan, present: dict[int, np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None]:
    """(may match, surely matches) over the slots; None for `surely` means the same as `may`."""
    kind, arg = node
    if kind == "leaf":
        has = present[arg]
        return has, (np.zeros_like(has) if plan.leaves[arg].checked else None)
    if kind == "not":
        may, sure = _combine(arg[0], plan, present)
        return ~(may if sure is None else sure), (None if sure is None else ~may)
    parts = [_combine(child, plan, present) for child in arg]
    join = np.logical_and if kind == "and" else np.logical_or
    may = parts[0][0].copy()
    for m, _ in parts[1:]:
        join(may, m, out=may)
    if all(s is None for _, s in parts):
        return may, None
    sure = (parts[0][1] if parts[0][1] is not None else parts[0][0]).copy()
    for m, s in parts[1:]:
        join(sure, m if s is None else s, out=sure)
    return may, sure


def holds(
    node: PlanNode, plan: Plan, present: dict[int, np.ndarray], slot: int, reads: Callable[[int], bool]
) -> bool:
    """Whether one article matches, reading its text (`reads(leaf)`) for the phrases it needs."""
    kind, arg = node
    if kind == "leaf":
        return bool(present[arg][slot]) and (not plan.leaves[arg].checked or reads(arg))
    if kind == "not":
        return not holds(arg[0], plan, present, slot, reads)
    parts = (holds(child, plan, present, slot, reads) for child in arg)
    return all(parts) if kind == "and" else any(parts)
