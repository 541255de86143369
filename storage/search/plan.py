"""A query's tree (storage/search/query_language.py) as what the index is asked: the terms each
word, phrase and prefix stands for, and the filters on the article's columns.

- A word is its tokens (a hyphenated name or a run of Chinese is several), each its index term or
  its cross-script name key (Tokayev = Токаев); a stopword among them is dropped.
- A phrase is its tokens' exact terms, all required, then checked in order in the article's text
  (the index keeps no positions); its stopwords are checked there but not looked up, unless the
  phrase holds nothing else.
- A prefix is every word of the vocabulary that starts so.
- title: looks up the title's own terms; source:, lang: and country: are SQL filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from storage.errors import StorageError
from storage.search.query_language import And, Node, Not, QueryError, Term
from storage.search.stopwords import is_stopword
from storage.search.tokenizer import TITLE_MARK, Stemmer, key_term, term_sequence, tokens_of

MAX_LOOKUPS = 1200  # index terms one query looks up (a prefix can stand for many)
MAX_PREFIX_TERMS = 1000


class SearchQueryError(QueryError, StorageError):
    """A query that reads well but cannot be searched here: only stopwords, or a prefix that
    stands for too many words of this index. A StorageError too, so that a watch that meets one
    is reported on its own and the other watches still run."""


@dataclass
class Leaf:
    """One thing an article holds or not; `lookups` index Plan.terms."""

    kind: str  # word | prefix | phrase | filter
    column: int
    lookups: list[int] = field(default_factory=list)  # word: [exact]; prefix: its words; phrase: tokens
    key: int | None = None  # word: its name key's lookup
    sequence: tuple[str, ...] = ()  # phrase: every token's term in order, checked in the text
    text: str = ""  # phrase: as written
    in_title: bool = False
    sql: str = ""  # filter: a condition on `article a`
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def checked(self) -> bool:
        """Its lookups alone may overstate it: each candidate is checked in its text."""
        return self.kind == "phrase" and len(self.sequence) > 1


# a plan's tree: ("leaf", i) | ("and", [...]) | ("or", [...]) | ("not", child)
PlanNode = tuple[str, Any]


@dataclass
class Plan:
    tree: PlanNode
    leaves: list[Leaf]
    terms: list[str]  # index terms to look up (hashed by the caller)
    positive: list[int]  # leaves under no NOT: they rank, and bound the matches
    words: set[str] = field(default_factory=set)  # exact terms of positive leaves, for highlighting
    keys: set[str] = field(default_factory=set)  # their name key terms
    heads: set[str] = field(default_factory=set)  # first letters of the words above

    @property
    def text_leaves(self) -> list[int]:
        return [i for i in self.positive if self.leaves[i].kind != "filter"]


class _Builder:
    def __init__(self, con: duckdb.DuckDBPyConnection, stem: Stemmer) -> None:
        self.con = con
        self.stem = stem
        self.leaves: list[Leaf] = []
        self.terms: list[str] = []
        self.index: dict[str, int] = {}
        self.params = 0

    def lookup(self, term: str, in_title: bool) -> int:
        term = TITLE_MARK + term if in_title else term
        found = self.index.get(term)
        if found is None:
            if len(self.terms) >= MAX_LOOKUPS:
                raise SearchQueryError(f"a query may look up at most {MAX_LOOKUPS} terms", 1)
            found = self.index[term] = len(self.terms)
            self.terms.append(term)
        return found

    def leaf(self, leaf: Leaf) -> PlanNode:
        self.leaves.append(leaf)
        return ("leaf", len(self.leaves) - 1)

    def node(self, node: Node) -> PlanNode | None:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            child = self.node(node.child)
            return None if child is None else ("not", (child, node.column))
        kids = [k for k in (self.node(c) for c in node.children) if k is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else ("and" if isinstance(node, And) else "or", kids)

    def term(self, term: Term) -> PlanNode | None:
        if term.field in ("source", "lang", "country"):
            return self.leaf(self.filter(term))
        in_title = term.field == "title"
        toks = tokens_of(self.con, term.text)
        if term.quoted:
            return self.phrase(term, toks, in_title)
        parts: list[PlanNode] = []
        for i, (tok, kind, inp) in enumerate(toks):
            if term.prefix and i == len(toks) - 1:
                parts.append(self.prefix(term, tok, in_title))
            elif not is_stopword(tok, term.text):
                leaf = Leaf("word", term.column, [self.lookup(self.stem.term(inp, kind), in_title)])
                key = key_term(tok)
                if key is not None:
                    leaf.key = self.lookup(key, in_title)
                parts.append(self.leaf(leaf))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ("and", parts)

    def phrase(self, term: Term, toks: list[tuple[str, int, str]], in_title: bool) -> PlanNode | None:
        sequence = tuple(term_sequence(term.text, self.stem))
        if not toks or not sequence:
            return None
        kept = [(tok, kind, inp) for tok, kind, inp in toks if not is_stopword(tok)] or toks
        lookups = list(
            dict.fromkeys(self.lookup(self.stem.term(inp, kind), in_title) for _, kind, inp in kept)
        )
        return self.leaf(
            Leaf("phrase", term.column, lookups, sequence=sequence, text=term.text, in_title=in_title)
        )

    def prefix(self, term: Term, start: str, in_title: bool) -> PlanNode:
        rows = self.con.execute(
            "SELECT word FROM search_word WHERE starts_with(word, $p) LIMIT $n",
            {"p": start, "n": 4 * MAX_PREFIX_TERMS},
        ).fetchall()
        terms = list(dict.fromkeys(self.stem.word(str(r[0])) for r in rows))
        if len(terms) > MAX_PREFIX_TERMS or len(rows) == 4 * MAX_PREFIX_TERMS:
            raise SearchQueryError(
                f"{start}* stands for more than {MAX_PREFIX_TERMS:,} words: give more letters", term.column
            )
        return self.leaf(
            Leaf("prefix", term.column, [self.lookup(t, in_title) for t in terms], in_title=in_title)
        )

    def filter(self, term: Term) -> Leaf:
        self.params += 1
        name = f"f{self.params}"
        value = term.text.lower()
        if term.field == "source":
            sql = f"starts_with(lower(a.source), ${name})" if term.prefix else f"lower(a.source) = ${name}"
        elif term.field == "lang":
            sql = f"(lower(a.language) = ${name} OR starts_with(lower(a.language), ${name} || '-'))"
        else:
            sql, value = f"list_contains(a.countries, ${name})", term.text.upper()
        return Leaf("filter", term.column, sql=sql, params={name: value})


def _bounded(node: PlanNode) -> bool:
    kind, arg = node
    if kind == "leaf":
        return True
    if kind == "not":
        return False
    return any(map(_bounded, arg)) if kind == "and" else all(map(_bounded, arg))


def _positive(node: PlanNode) -> list[int]:
    kind, arg = node
    if kind == "leaf":
        return [arg]
    if kind == "not":
        return []
    return [i for child in arg for i in _positive(child)]


def _first_not(node: PlanNode) -> int:
    kind, arg = node
    if kind == "not":
        return int(arg[1])
    if kind in ("and", "or"):
        for child in arg:
            if not _bounded(child):
                return _first_not(child)
    return 1


def build(con: duckdb.DuckDBPyConnection, query: Node, stem: Stemmer) -> Plan:
    """The plan of a parsed query; QueryError if nothing is left to search once stopwords are
    dropped (`the`), or only a NOT is left (`the -Rogun`)."""
    builder = _Builder(con, stem)
    tree = builder.node(query)
    if tree is None:
        raise SearchQueryError("only stopwords: quote a word to search for it as written", 1)
    if not _bounded(tree):
        raise SearchQueryError(
            "NOT needs something to search beside it (the other words are stopwords)", _first_not(tree)
        )
    plan = Plan(tree, builder.leaves, builder.terms, _positive(tree))
    for i in plan.positive:
        leaf = plan.leaves[i]
        for q in leaf.lookups:
            plan.words.add(plan.terms[q].removeprefix(TITLE_MARK))
        if leaf.key is not None:
            plan.keys.add(plan.terms[leaf.key].removeprefix(TITLE_MARK))
    return plan
