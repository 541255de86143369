"""The query language: every text either parses or names the column of its error, and a tree
written back as text parses to the same tree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.search.query_language import (
    And,
    Node,
    Not,
    Or,
    QueryError,
    Term,
    parse,
    positive_terms,
    to_text,
)


def w(text: str, **kw: object) -> Term:
    return Term(text, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Rogun dam", And((w("Rogun"), w("dam")))),
        ("Rogun AND dam", And((w("Rogun"), w("dam")))),
        ("Rogun OR Kumtor", Or((w("Rogun"), w("Kumtor")))),
        ("Rogun or Kumtor", And((w("Rogun"), w("or"), w("Kumtor")))),  # operators are capitals
        ("Rogun -Tokayev", And((w("Rogun"), Not(w("Tokayev"))))),
        ("Rogun NOT Tokayev", And((w("Rogun"), Not(w("Tokayev"))))),
        ('"Syr  Darya"', w("Syr Darya", quoted=True)),
        ("(Rogun OR Kumtor) dam", And((Or((w("Rogun"), w("Kumtor"))), w("dam")))),
        ("Kazakh*", w("Kazakh", prefix=True)),
        (
            'title:Rogun source:"Asia Wire"',
            And((w("Rogun", field="title"), w("Asia Wire", quoted=True, field="source"))),
        ),
        (
            "lang:ru country:KZ language:kk",
            And((w("ru", field="lang"), w("KZ", field="country"), w("kk", field="lang"))),
        ),
        ("title:(Rogun OR Kumtor)", Or((w("Rogun", field="title"), w("Kumtor", field="title")))),
        (
            '-"wire copy" -(a b) Rogun',
            And((Not(w("wire copy", quoted=True)), Not(And((w("a"), w("b")))), w("Rogun"))),
        ),
        ("Kassym-Jomart Tokayev", And((w("Kassym-Jomart"), w("Tokayev")))),
        ("https://akorda.kz Rogun - dam", And((w("https://akorda.kz"), w("Rogun"), w("dam")))),
        (r'"say \"hi\""', w('say "hi"', quoted=True)),
    ],
)
def test_queries_as_analysts_write_them(query: str, tree: Node) -> None:
    assert parse(query) == tree
    assert parse(to_text(tree)) == tree


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("(Rogun OR Kumtor", "unbalanced parenthesis", 1),
        ("(Rogun OR Kumtor dam", "AND and OR at one level", 18),
        ("Rogun OR Kumtor) dam", "unbalanced parenthesis", 16),
        ("Rogun (dam OR (river)", "unbalanced parenthesis", 7),
        ('Rogun "Syr Darya', "unclosed quote", 7),
        ("Rogun OR", "OR needs a term on each side", 7),
        ("AND Rogun", "AND needs a term on each side", 1),
        ("Rogun dam OR river", "AND and OR at one level", 11),
        ("Rogun OR river dam", "AND and OR at one level", 16),
        ("NOT Tokayev", "NOT needs something to search beside it", 1),
        ("Rogun OR -Tokayev", "NOT needs something to search beside it", 10),
        ("Rogun NOT", "NOT needs a term after it", 7),
        ("site:reuters.com Rogun", "unknown field site:", 1),
        ("Rogun Ka*", "at least 3 letters before *", 7),
        ("Ro*gun", "* stands only at the end of a word", 3),
        ("Rogun title: dam", "title: needs a value", 7),
        ("lang:Russian", "lang:Russian: give a language code", 6),
        ("country:Kazakhstan", "give a country code", 9),
        ("lang:r*", "at least 3 letters", 6),
        ("()", "parentheses with nothing to search", 1),
        ("  ", "nothing to search for", 1),
        ("title:(a source:b)", "one field at a time", 10),
        ("(" * 40 + "a" + ")" * 40, "deep", 33),
    ],
)
def test_errors_name_their_column(query: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as info:
        parse(query)
    assert message in str(info.value)
    assert info.value.column == column
    assert str(info.value).endswith(f"at column {column}")


def test_positive_terms_are_those_under_no_not() -> None:
    tree = parse('Rogun (dam OR river) -Tokayev -(a -b) "Syr Darya"')
    assert [t.text for t in positive_terms(tree)] == ["Rogun", "dam", "river", "Syr Darya"]


# --- properties -----------------------------------------------------------------------------------

FRAGMENTS = [
    "Rogun",
    "dam",
    "Тоқаев",
    "西安",
    "x",
    "ab1",
    " ",
    " ",
    "  ",
    '"',
    "(",
    ")",
    "-",
    "*",
    ":",
    "\\",
    "AND",
    "OR",
    "NOT",
    "title:",
    "lang:",
    "country:",
    "source:",
    "site:",
    "ru",
    "KZ",
    "é",
    ".",
]


def check_parses_or_names_its_error(query: str) -> None:
    try:
        tree = parse(query)
    except QueryError as exc:
        assert 1 <= exc.column <= len(query) + 1
        assert str(exc).endswith(f" at column {exc.column}")
        return
    assert parse(to_text(tree)) == tree  # printed, it reads the same
    assert to_text(parse(to_text(tree))) == to_text(tree)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join))
def test_any_query_of_syntax_pieces_parses_or_names_its_error(query: str) -> None:
    check_parses_or_names_its_error(query)


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_names_its_error(query: str) -> None:
    check_parses_or_names_its_error(query)


letters = st.sampled_from(list("abcxyzRogunТоқаевЖж西安ʻ0123"))
inner = st.sampled_from(list("abRЖ西1.'-ʻ"))
plain_word = st.builds(lambda a, rest: a + rest, letters, st.text(inner, max_size=6)).filter(
    lambda s: s not in ("AND", "OR", "NOT")
)


def terms_strategy() -> st.SearchStrategy[Term]:
    word = st.builds(lambda t, f: Term(t, field=f), plain_word, st.sampled_from([None, "title", "source"]))
    prefix = st.builds(
        lambda t, f: Term(t, prefix=True, field=f),
        st.text(letters, min_size=3, max_size=6),
        st.sampled_from([None, "title", "source"]),
    )
    phrase = st.builds(
        lambda t, f: Term(" ".join(t.split()), quoted=True, field=f),
        st.text(max_size=12).filter(lambda s: any(c.isalnum() for c in s)),
        st.sampled_from([None, "title", "source"]),
    )
    codes = st.one_of(
        st.builds(lambda c: Term(c, field="lang"), st.sampled_from(["en", "ru", "kk", "zh-cn"])),
        st.builds(lambda c: Term(c, field="country"), st.sampled_from(["KZ", "uz", "Tj"])),
    )
    return st.one_of(word, prefix, phrase, codes)


trees = st.recursive(
    terms_strategy(),
    lambda kids: st.one_of(
        st.builds(Not, kids),
        st.builds(lambda cs: And(tuple(cs)), st.lists(kids, min_size=2, max_size=4)),
        st.builds(lambda cs: Or(tuple(cs)), st.lists(kids, min_size=2, max_size=4)),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_a_tree_printed_parses_to_the_same_tree(tree: Node) -> None:
    text = to_text(tree)
    try:
        again = parse(text)
    except QueryError as exc:  # only a tree that cannot be searched: NOT with nothing beside it
        assert "NOT needs something" in str(exc) or "deep" in str(exc), (text, exc)
        return
    assert again == tree, text


def test_the_readmes_examples_parse() -> None:
    """Every query the README's Search section shows (its table and its commands) reads."""
    from tests.support import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Search\n") : readme.index("How words are matched")]
    table = [
        cell for row in re.findall(r"^\| (`.+?) \|", section, re.M) for cell in re.findall(r"`([^`]+)`", row)
    ]
    commands = re.findall(r"""^newswatch search (?:'([^']+)'|"([^"]+)")""", section, re.M)
    examples = table + [a or b for a, b in commands]
    assert len(examples) >= 20
    for query in examples:
        parse(query)
