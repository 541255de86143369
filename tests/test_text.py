"""flows/text.py: the one CJK definition is exactly the class the search index was built with,
and the older sets that stored data depend on are what they were."""

from __future__ import annotations

import re

import duckdb

from flows import text
from storage.search.tokenizer import prepare, tokenizer_tag

CODE_POINTS = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]


def _python_set(pattern: str) -> set[int]:
    rx = re.compile(pattern)
    return {c for c in CODE_POINTS if rx.match(chr(c))}


def _sql_set(con: duckdb.DuckDBPyConnection, pattern: str) -> set[int]:
    rows = con.execute(
        "SELECT cp FROM range(1, 1114112) t(cp) WHERE (cp < 55296 OR cp > 57343)"
        " AND regexp_matches(chr(cp::INTEGER), $p)",
        {"p": pattern},
    ).fetchall()
    return {int(r[0]) for r in rows}


def test_cjk_is_the_class_the_index_was_built_with_in_sql_and_in_python() -> None:
    con = duckdb.connect()
    before = _sql_set(con, r"[\p{Han}\p{Hiragana}\p{Katakana}]")  # storage/search.py until now
    assert _sql_set(con, text.CJK_RE2) == before
    assert _python_set(f"[{text.CJK}]") == before
    assert {c for a, b in text.PLAIN_HAN_RANGES for c in range(a, b + 1)} <= before


def test_stored_search_indexes_need_no_rebuild() -> None:
    """The tokenizer's tag, stored with every index and compared at each search, is unchanged
    (nw3 since the query language's title terms and word list: an index of nw2 is rebuilt once,
    as the README says; the terms' hash is as it was)."""
    con = duckdb.connect()
    prepare(con)
    assert tokenizer_tag(con) == "nw3:6185095204493599437"


def test_the_sets_stored_data_depend_on_are_unchanged() -> None:
    """Dedup's band keys and relevance's scores are stored: their sets are the old literals."""
    no_space = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    assert _python_set(f"[{text.NO_SPACE}]") == _python_set(f"[{no_space}]")
    assert _python_set(f"[{text.RELEVANCE_HAN}]") == _python_set("[\u3400-\u9fff\uf900-\ufaff]")
