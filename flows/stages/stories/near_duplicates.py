"""Near-duplicates of a batch among everything stored: candidates by band key, verified on the
text without each site's template lines (two texts of one site that each keep a passage of their
own are two stories, whatever block of the site they share). A page that matches two clusters
joins the best one; the clusters merge only when their own copies match each other, never through
the page alone (a roundup of two stories must not make them one).

Runs inside storage's insert (or rebuild, or reconcile) transaction, through the `DedupIndex`
storage hands it: this module holds no connection. The shingling it verifies with is pure
(flows/stages/stories/dedup.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from flows.stages.stories.dedup import (
    DEFAULT_PARAMS,
    DedupParams,
    Doc,
    Tokens,
    band_keys,
    line_keys,
    longest_unshared,
    similarity,
)
from storage import ArticleRecord
from storage import dedup as index
from storage.dedup import DedupIndex


class NearDuplicates:
    """Finds a new article's near-duplicate among everything stored, inside the insert transaction.

    Used by `Store.insert_articles` (and the rebuild) as its `near_duplicate`, `on_inserted` and
    `before_commit` callbacks for one batch. Everything stored that the batch needs is read with
    a few statements per batch, not per article: the band keys of all its articles in one scan,
    then the candidates they name (with their clusters) and the recent articles of the sites
    involved (for their page templates). The batch's own articles are matched from memory, and
    the new band rows are written in one statement just before the batch commits, so the index
    never disagrees with the articles. Clusters merged meanwhile are followed in memory too.
    """

    def __init__(
        self,
        records: Sequence[ArticleRecord],
        params: DedupParams = DEFAULT_PARAMS,
        context_before: tuple[datetime, int] | None = None,
        site_lines: SiteLines | None = None,
    ) -> None:
        self.params = params
        self.site_lines = site_lines if site_lines is not None else SiteLines()
        self.context_before = context_before  # the rebuild: only articles already placed are context
        self.records = list(records)
        self._tokens = Tokens()  # shared by every text of the batch
        for rec in self.records:
            if not rec.band_keys:
                rec.band_keys = band_keys(rec.text, params)
        self._urls = {r.canonical_url for r in self.records}
        self._stored: dict[int, list[int]] | None = None  # band key -> stored article ids
        self._batch: dict[int, list[int]] = {}  # band key -> ids inserted by this batch
        self._pending: list[tuple[int, int]] = []
        self._docs: dict[int, Doc] = {}
        self._cands: dict[int, index.Candidate] = {}  # stored candidates and placed batch articles
        self._cluster: dict[int, int] = {}  # article id -> its cluster, as far as known
        self._head_seen: dict[int, datetime | None] = {}  # cluster -> its head's first sighting
        self._recent: dict[str, list[tuple[int, int]]] | None = None  # site -> its recent (id, cluster)
        self._contexts: dict[str, dict[int, list[int | str]]] = {}  # site -> line -> stories
        self._clusters: dict[str, int] = {}  # canonical url -> cluster, for this batch's articles
        self._consulted: set[str] = set()
        self._matched: dict[str, tuple[int, datetime | None]] = {}
        self._mine: tuple[str, Doc] | None = None  # the last article looked up, and its text cut up
        self.merged_clusters = 0
        self.joins = index.ClusterJoins()  # the batch's cluster joins, written when clusters are read

    # callbacks --------------------------------------------------------------------------------

    def find(self, db: DedupIndex, rec: ArticleRecord) -> int | None:
        """The id of a stored article `rec` copies, or None. Of the clusters `rec` matches, those whose
        copies also match its best match's are merged first: `rec` alone bridges nothing."""
        self._consulted.add(rec.canonical_url)
        if not rec.band_keys:
            return None
        stored = self._lookup(db)
        votes: Counter[int] = Counter()
        for key in rec.band_keys:
            votes.update(stored.get(key, ()))
            votes.update(self._batch.get(key, ()))
        if not votes:
            return None
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.max_candidates]
        mine = self._doc_of(rec.text)
        self._mine = (rec.canonical_url, mine)
        me: index.Candidate | None = None  # rec itself when it is stored already (the reconciliation)
        matches: list[tuple[float, int, index.Candidate]] = []
        for aid, _ in ranked:
            cand = self._candidate(db, aid)
            if cand is not None and cand.canonical_url == rec.canonical_url:
                me = cand  # rec itself: not evidence of anything
                continue
            if cand is None or any(self._cluster[c.id] == self._cluster[aid] for _, _, c in matches):
                continue  # a copy in this cluster is verified: another changes neither cluster nor merge
            score = self._verify(db, (rec.source, rec.canonical_url, mine), cand)
            if score is not None:
                matches.append((score, aid, cand))
        if me is not None:
            matches.sort(key=lambda m: (-m[0], m[1]))
            return self._settle_stored(db, me, [c for _, _, c in matches])
        if not matches:
            return None
        matches.sort(key=lambda m: (-m[0], m[1]))
        best = matches[0][2]
        others = [c for _, _, c in matches[1:]]
        clusters = {self._cluster[c.id] for c in self._bridged(db, rec.canonical_url, best, others)}
        cluster = self._cluster[best.id]
        if len(clusters) > 1:
            cluster = self._merge(db, sorted(clusters))
            self.merged_clusters += len(clusters) - 1
        if cluster not in self._head_seen:
            self._head_seen[cluster] = db.first_seen(cluster)
        self._clusters[rec.canonical_url] = cluster
        self._matched[rec.canonical_url] = (cluster, self._head_seen[cluster])
        return best.id

    def inserted(self, db: DedupIndex, rec: ArticleRecord, article_id: int) -> None:
        """Queue the new article's band rows; an article earlier than its cluster's head becomes head."""
        for key in rec.band_keys:
            self._batch.setdefault(key, []).append(article_id)
            self._pending.append((key, article_id))
        self._cands[article_id] = index.Candidate(
            article_id, rec.canonical_url, rec.source, rec.text, article_id, None, rec.first_seen_at
        )
        if self._mine is not None and self._mine[0] == rec.canonical_url:
            self._docs[article_id] = self._mine[1]
        matched = self._matched.get(rec.canonical_url)
        if matched is not None:
            self._cluster[article_id] = matched[0]
            if matched[1] is not None and rec.first_seen_at < matched[1]:
                self._merge(db, [matched[0]])
        elif rec.canonical_url in self._consulted:  # no copy of anything: a story of its own
            self._cluster[article_id] = article_id
            self._clusters[rec.canonical_url] = article_id
            self._head_seen[article_id] = rec.first_seen_at
        # else an exact duplicate, placed by the store: its cluster is read if it is ever a candidate

    def flush(self, db: DedupIndex) -> None:
        db.flush(self.joins)
        if self._pending:
            db.add_bands(self._pending)
            self._pending = []
        db.ensure_params(self.params.fingerprint(), datetime.now(UTC))

    # what is stored ---------------------------------------------------------------------------

    def _lookup(self, db: DedupIndex) -> dict[int, list[int]]:
        """At the first article: the stored ids of every band key of the batch, and the stored
        articles that can be among anyone's candidates (a record's best by votes, stored only)."""
        if self._stored is not None:
            return self._stored
        keys = {k for r in self.records for k in r.band_keys}
        self._stored = stored = db.band_members(sorted(keys))
        wanted: set[int] = set()
        for r in self.records:
            votes: Counter[int] = Counter()
            for key in r.band_keys:
                votes.update(stored.get(key, ()))
            ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.max_candidates]
            wanted.update(aid for aid, _ in ranked)
        self._fetch(db, wanted)
        return stored

    def _fetch(self, db: DedupIndex, ids: set[int]) -> None:
        db.flush(self.joins)
        for cand in db.candidates(sorted(ids - self._cands.keys())):
            self._cands[cand.id] = cand
            self._cluster[cand.id] = cand.cluster_id
            self._head_seen.setdefault(cand.cluster_id, cand.head_first_seen_at)

    def _candidate(self, db: DedupIndex, article_id: int) -> index.Candidate | None:
        if article_id not in self._cands or article_id not in self._cluster:
            self._cands.pop(article_id, None)  # a batch article placed by its text hash alone
            self._fetch(db, {article_id})
        return self._cands.get(article_id)

    def _merge(self, db: DedupIndex, clusters: list[int]) -> int:
        """Merge in the database, and in what this batch remembers of the clusters."""
        db.flush(self.joins)
        head, seen = db.merge_clusters(clusters)
        merged = set(clusters)
        for aid, c in self._cluster.items():
            if c in merged:
                self._cluster[aid] = head
        for url, c in self._clusters.items():
            if c in merged:
                self._clusters[url] = head
        for url, (c, _) in self._matched.items():
            if c in merged:
                self._matched[url] = (head, seen)
        self._head_seen[head] = seen
        return head

    # verification -------------------------------------------------------------------------------

    def _doc_of(self, text: str) -> Doc:
        return Doc.of(text, self.params, self._tokens)

    def _doc(self, cand: index.Candidate) -> Doc:
        doc = self._docs.get(cand.id)
        if doc is None:
            doc = self._docs[cand.id] = self._doc_of(cand.text or "")
        return doc

    def _bridged(
        self, db: DedupIndex, url: str, best: index.Candidate, others: list[index.Candidate]
    ) -> list[index.Candidate]:
        """`best` and those of the page's other matches whose clusters are one story with best's.

        A page that matches two stories which do not match each other (a roundup, a compilation,
        a page glued to another story) carries both: it may join one, never make them one. Two
        clusters merge only on evidence between them: their heads (each cluster's first article)
        share `bridge_overlap` of the smaller one's text. Less than a copy's share: a page that
        copies both is some evidence, and the copies of one story that came first (a trimmed
        one, an edited one) may hold a little over half of each other; two stories a roundup
        carries share next to nothing. Heads, not any two members: a roundup that joined one
        story holds the other too, and would bridge them one page later. The page at `url` is
        never the evidence (the reconciliation matches stored pages, heads included).
        """
        head = self._head(db, best, url)
        if head is None:
            return [best]
        side = (head.source, head.canonical_url, self._doc(head))
        out = [best]
        for cand in others:
            theirs = self._head(db, cand, url)
            if theirs is not None and self._verify(db, side, theirs, related=True) is not None:
                out.append(cand)
        return out

    def _settle_stored(self, db: DedupIndex, me: index.Candidate, matched: list[index.Candidate]) -> int:
        """The reconciliation of a stored article `me` with the other clusters holding copies of it
        (written by writers that did not see each other): a cluster merges with `me`'s when its head
        and the head of `me`'s share `bridge_overlap` (as in `_bridged`; `me` may be that head).
        Not on `me`'s copy alone: a roundup stored by one writer would bridge the two stories it
        carries, which one database keeps apart. An article that joined its cluster through such a
        page (it shares too little with the cluster's head), and copies another cluster's head,
        moves there: what one database, seeing that head first, would have done. Returns `me`'s
        id: nothing is left to join."""
        head = self._candidate(db, self._cluster[me.id]) or me
        mine = (me.source, me.canonical_url, self._doc(me))
        if head.id != me.id and self._verify(db, mine, head, related=True) is None:
            for cand in matched:
                theirs = self._candidate(db, self._cluster[cand.id])
                if theirs is not None and self._verify(db, mine, theirs, related=True) is not None:
                    db.move_to_cluster(me.id, self._cluster[cand.id])
                    self._cluster[me.id] = self._cluster[cand.id]
                    self._merge(db, [self._cluster[cand.id]])  # me may be earlier than its head
                    self.merged_clusters += 1
                    return me.id
        side = (head.source, head.canonical_url, self._doc(head))
        clusters = {self._cluster[me.id]}
        for cand in matched:
            theirs = self._candidate(db, self._cluster[cand.id])
            if self._cluster[cand.id] in clusters or theirs is None:
                continue
            if self._verify(db, side, theirs, related=True) is not None:
                clusters.add(self._cluster[cand.id])
        if len(clusters) > 1:
            self._merge(db, sorted(clusters))
            self.merged_clusters += len(clusters) - 1
        return me.id

    def _head(self, db: DedupIndex, member: index.Candidate, url: str) -> index.Candidate | None:
        """The first article of `member`'s cluster (`member` itself when the head is the page at `url`)."""
        head = self._candidate(db, self._cluster[member.id])
        return member if head is None or head.canonical_url == url else head

    def _verify(
        self, db: DedupIndex, side: tuple[str, str, Doc], cand: index.Candidate, related: bool = False
    ) -> float | None:
        """A score when `cand` is a copy of the text `side` (its site, address and text), compared
        without either site's template lines. `related`: also when the smaller text shares
        `bridge_overlap` of itself with the other (two clusters' heads: see `_bridged`)."""
        source, url, mine = side
        theirs = self._doc(cand)
        cluster = self._cluster[cand.id]
        ours = self._template(db, source, mine, url, cluster)
        other = self._template(db, cand.source, theirs, url, cluster)
        a = mine.shingles(ours) if ours else mine.all_shingles
        b = theirs.shingles(other) if other else theirs.all_shingles
        sim = similarity(a, b)
        near = (
            related
            and sim.smaller >= self.params.min_shingles
            and sim.containment >= self.params.bridge_overlap
        )
        if not (sim.is_copy(self.params) or near):
            return None
        if source == cand.source and self._two_stories(mine, ours, a, theirs, other, b):
            return None
        return sim.jaccard + sim.containment

    def _two_stories(
        self, mine: Doc, ours: set[int], a: np.ndarray, theirs: Doc, other: set[int], b: np.ndarray
    ) -> bool:
        """Two texts of one site, each with a passage of its own as long as a paragraph: different
        stories that share a block of the site's (its ticker, a "read also" table glued to the
        story), which the site's template lines cannot show when the site has printed few pages.
        A copy of one story at two addresses differs in a date or a few edits, not a paragraph
        on both sides; an updated story adds to one side only."""
        need = self.params.own_passage * (1 if mine.k == self.params.shingle_words else 3)
        return (
            longest_unshared(mine.shingle_sequence(ours), b) >= need
            and longest_unshared(theirs.shingle_sequence(other), a) >= need
        )

    def _template(self, db: DedupIndex, source: str, doc: Doc, url: str, cluster: int) -> set[int]:
        """Lines of `doc` its site also printed on several other stories: its template, not this story.

        One other story is not enough: a site's roundup may quote this story, or its copy of another
        story may share a background paragraph.
        """
        printed = self._context(db, source)
        template = set()
        for key in set(doc.line_keys):
            stories: set[int | str] = set()
            for who in printed.get(key, ()):
                if who == url:
                    continue
                other = self._clusters.get(who, who) if isinstance(who, str) else who
                if other != cluster:
                    stories.add(other)
            if len(stories) >= self.params.template_stories:
                template.add(key)
        return template

    def _context(self, db: DedupIndex, source: str) -> dict[int, list[int | str]]:
        """Which of a site's recent stored articles (by cluster) and of this batch's (by URL until
        stored) print each line.

        The recent articles of every site of the batch and of its candidates are read at once, at
        the first need; a site's lines are counted when it is first asked about.
        """
        if self._recent is None or source not in self._recent:
            sources = {r.source for r in self.records} | {c.source for c in self._cands.values()}
            if self._recent is not None:
                sources = {source}
            found = db.recent_of_sources(
                sorted(sources),
                self.params.template_window,
                self.context_before,
                exclude_urls=self._urls,
            )
            self.site_lines.load(db, {aid for rows in found.values() for aid, _ in rows}, self._tokens)
            self._recent = {**(self._recent or {}), **found}
        printed = self._contexts.get(source)
        if printed is None:
            printed = self._contexts[source] = {}
            for aid, cluster in self._recent[source]:
                for key in self.site_lines.keys(aid):
                    printed.setdefault(key, []).append(cluster)
            for r in self.records:
                if r.source == source:
                    for key in set(line_keys(r.text, self._tokens)):
                        printed.setdefault(key, []).append(r.canonical_url)
        return printed


class SiteLines:
    """The line keys of stored articles, kept across the batches of one run.

    A site's template is read off its recent articles, and those change by a few per batch: each
    is cut into lines once per run instead of once per batch (which was most of an insert's
    time). Only the newest `limit` articles are kept.
    """

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._keys: dict[int, tuple[int, ...]] = {}

    def load(self, db: DedupIndex, ids: set[int], tokens: Tokens) -> None:
        for aid, text in db.texts_of(sorted(ids - self._keys.keys())).items():
            self._keys[aid] = tuple(set(line_keys(text, tokens)))
        if len(self._keys) > self.limit:
            older = sorted(self._keys.keys() - ids)
            for aid in older[: len(self._keys) - self.limit]:
                del self._keys[aid]

    def keys(self, article_id: int) -> tuple[int, ...]:
        return self._keys.get(article_id, ())
