"""Stories across languages: each new near-duplicate cluster is linked to a story of another
language, or starts one (flows/stages/stories/linking.py decides; storage/stories.py stores).

After a batch is stored (`link_new_clusters`, called by `insert_with_dedup`) and by the rebuild
(`rebuild_stories`, after `dedup --rebuild`). A batch costs a few statements, each over the
clusters of the linking's window only (the evidence of older clusters is dropped), so the cost
does not grow with the corpus. The linking runs in its own transaction after the batch's: an
interruption between the two leaves the new clusters stories of their own, never a wrong link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from flows.stages.stories import linking
from storage import InsertResult, Store
from storage.stories import ClusterHead, StoryIndex

KEEP = 4 * linking.WINDOW  # evidence older than this (before the newest time seen) is dropped
MAX_CANDIDATES = 25  # clusters scored for one new cluster: precision first, a cap only drops links


@dataclass(frozen=True)
class Linked:
    clusters: int  # clusters placed
    links: int  # of them, linked to a story of another language


def link_new_clusters(store: Store, results: Sequence[InsertResult], now: datetime | None = None) -> Linked:
    """Place the clusters a stored batch started (copies join their cluster's story by themselves)."""
    new = [r.id for r in results if r.inserted and r.duplicate_of is None and r.cluster_id == r.id]
    if not new:
        return Linked(0, 0)
    heads = store.cluster_heads(new)
    when = now or datetime.now(UTC)
    return store.retrying(lambda: store.in_stories_transaction(partial(place, heads=heads, now=when)))


def rebuild_stories(store: Store, batch_size: int = 1000) -> Linked:
    """Recompute every story from the clusters, in (first_seen_at, id) order, a page per transaction."""
    store.reset_stories()
    placed = links = 0
    page = store.cluster_heads_page(None, batch_size)
    while page:
        done = store.in_stories_transaction(partial(place, heads=page, now=page[-1].first_seen_at))
        placed += done.clusters
        links += done.links
        page = store.cluster_heads_page((page[-1].first_seen_at, page[-1].cluster_id), batch_size)
    return Linked(placed, links)


def place(db: StoryIndex, heads: Sequence[ClusterHead], now: datetime) -> Linked:
    """Link each of `heads` to the best story of another language in the window, or none.

    Reads: the key counts of the window (for the weights), the stored clusters holding two of a
    head's rarest keys, the evidence of the few best of them, and the counts of their own keys;
    then two writes. What is read per batch is bounded by the candidates, not by the window.
    """
    if not heads:
        return Linked(0, 0)
    new = [(h, linking.evidence(h.title, h.text, h.language, h.at)) for h in heads]
    start = min(h.at for h in heads) - linking.WINDOW
    end = max(h.at for h in heads) + linking.WINDOW
    batch_keys = sorted({k for _, ev in new for k in ev.keys})
    n, stats = db.key_stats(start, end, batch_keys)
    w = linking.combined_weights(n, stats, (ev for _, ev in new))
    anchors = [linking.anchors(ev, w) for _, ev in new]
    wanted = [
        (i, ev.language, k, w.idf(k)) for i, (_, ev) in enumerate(new) if ev.language for k in anchors[i]
    ]
    kept: dict[int, list[int]] = {}  # head: its stored candidates
    for i, cid in db.sharing_anchors(start, end, wanted, MAX_CANDIDATES):
        kept.setdefault(i, []).append(cid)
    stored = db.evidence_of(sorted({cid for cids in kept.values() for cid in cids}))
    missing = sorted({k for s in stored for k in s.keys} - set(stats) - set(batch_keys))
    if missing:
        _, more = db.key_stats(start, end, missing)
        w = linking.combined_weights(n, {**stats, **more}, (ev for _, ev in new))
    story = {s.cluster_id: s.story_id for s in stored}
    pool = [(s.cluster_id, linking.Evidence(s.language, s.at, frozenset(s.keys))) for s in stored]
    index = {cid: i for i, (cid, _) in enumerate(pool)}
    holders: dict[str, list[int]] = {}  # key: the batch's entries of the pool that hold it
    links: list[tuple[int, int, float]] = []
    for i, (head, ev) in enumerate(new):
        candidates = [index[cid] for cid in kept.get(i, ())]
        match = linking.best_match(ev, _candidates(ev, anchors[i], candidates, pool, holders, w), w)
        story[head.cluster_id] = head.cluster_id if match is None else story[match[0]]
        if match is not None:
            links.append((head.cluster_id, story[match[0]], match[1]))
        for k in ev.keys:  # a batch's clusters link to each other too
            holders.setdefault(k, []).append(len(pool))
        pool.append((head.cluster_id, ev))
    db.add_evidence([(h.cluster_id, h.language, h.at, sorted(ev.keys)) for h, ev in new])
    db.add_links(links, now)
    db.forget_before(min(now, max(h.at for h in heads)) - KEEP)  # a date in the future drops nothing
    return Linked(len(new), len(links))


def _candidates(
    ev: linking.Evidence,
    anchors: Sequence[str],
    stored: Sequence[int],
    pool: Sequence[tuple[int, linking.Evidence]],
    holders: dict[str, list[int]],
    w: linking.Weights,
) -> list[tuple[int, linking.Evidence]]:
    """The `MAX_CANDIDATES` clusters of another language sharing the rarest of `ev`'s anchors, two
    or more: `stored` (the pool's entries the database found) and the batch's own entries, in
    the pool's order. Scoring every one cost 14 ms a new cluster when a window held a thousand
    similar clusters (the simulated web of `make bench`)."""
    shared: dict[int, float] = {}
    count: dict[int, int] = {}
    for k in anchors:
        for i in holders.get(k, ()):
            count[i] = count.get(i, 0) + 1
            shared[i] = shared.get(i, 0.0) + w.idf(k)
    eligible = [
        i
        for i, c in count.items()
        if c >= 2 and pool[i][1].language is not None and pool[i][1].language != ev.language
    ]
    keys = set(anchors)
    for i in stored:
        shared[i] = sum(w.idf(k) for k in keys & pool[i][1].keys)
    eligible += stored
    eligible.sort(key=lambda i: (-shared[i], i))
    return [pool[i] for i in sorted(eligible[:MAX_CANDIDATES])]
