"""Full-text search: a BM25 index kept in DuckDB tables.

The package: `tokenizer` (SQL macros and their Python mirror, stemmers), `index` (building and
updating the postings), `query` (searching them). Read-only SQL and exports are storage/exports.py.

Why not the `fts` extension's own index: `PRAGMA create_fts_index` rebuilds everything (105 s
for 200,000 articles here) and its `match_bm25` scans every posting (1.2 s a query at 200,000).
We keep our own postings instead: a few runs sorted by term hash, so that a lookup reads only the
row groups whose min/max range can hold the term, plus a small unsorted delta that every ingest
appends to. From the extension we use only its Snowball stemmers (`stem`), and only to index: a
search stems its few words in Python with the same Snowball release (loading the extension and
checking its signature cost more than the whole ranking).

A search at 1,000,000 articles (about 100 ms, most of it DuckDB opening the file and reading the
hits' blocks): the postings of the query's terms are summed per article in numpy, and only the
best few candidates are looked up in the article table (more while story collapsing leaves too
few); filters are one scan of the article table for the ids that pass them.

Tokens, the same for articles and queries: runs of letters, digits and marks, lower-cased; Han,
Hiragana and Katakana runs become overlapping character bigrams (a single character stays a
unigram), since Chinese is written without spaces. Stemming is chosen per token by its script,
so a query needs no language: Cyrillic words get the Russian stemmer unless they hold a letter
of Kazakh, Kyrgyz or Tajik (there is no stemmer for those: they are indexed as written); Latin
words have accents stripped and get the English stemmer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.search.index import IndexStatus, IndexUpdate, index_status, rebuild_index, update_index
    from storage.search.query import SearchHit, SearchRequest, search
    from storage.search.tokenizer import tokens

# imported on first use, so that `storage.search.names` (name keys, read by relevance in the
# analysis workers) does not bring DuckDB with it
_LAZY = {
    **dict.fromkeys(("IndexStatus", "IndexUpdate", "index_status", "rebuild_index", "update_index"), "index"),
    **dict.fromkeys(("SearchHit", "SearchRequest", "search"), "query"),
    "tokens": "tokenizer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"storage.search.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'storage.search' has no attribute {name!r}")


__all__ = [
    "IndexStatus",
    "IndexUpdate",
    "SearchHit",
    "SearchRequest",
    "index_status",
    "rebuild_index",
    "search",
    "tokens",
    "update_index",
]
