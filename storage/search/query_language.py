"""The query language of `search`, the console's search box and watches: text to a tree and back.

    Rogun dam                      both words (AND is the default)
    Rogun OR Kumtor                either
    Rogun -Tokayev, Rogun NOT Tokayev   the first without the second
    "Syr Darya"                    the words in this order, as written (no cross-script names)
    (Rogun OR Kumtor) dam          parentheses group; AND and OR never mix without them
    Kazakh*                        words that start so (three letters at least)
    title:Rogun  source:"Asia Wire"  lang:ru  country:KZ   fields

Operators are written in capitals (a lowercase `or` is a word, and a stopword). Mixing AND (or
words side by side) with OR at one level is refused rather than guessed at: analysts from Google
read `a b OR c` as a AND (b OR c), from SQL as (a AND b) OR c. Every refusal names its column.

This module is pure: it knows no index, no tokenizer and no stopwords (storage/search/query.py
turns the tree into lookups). A hand-written recursive descent parser rather than `luqum`: the
grammar is a dozen rules, the errors must name columns in the analyst's terms, and Lucene's extra
syntax (ranges, fuzzy ~, boosts ^, regular expressions) would each have to be refused by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as attribute
from typing import TypeAlias

FIELDS = ("title", "source", "lang", "country")
ALIASES = {"language": "lang"}
TEXT_FIELDS = ("title",)  # searched in the index; the others filter on the article's columns
MIN_PREFIX = 3  # letters or digits before a `*`
MAX_LENGTH = 2000
MAX_DEPTH = 32
OPERATORS = ("AND", "OR", "NOT")
_SYNTAX = '()"'
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_FIELD = re.compile(r"^([A-Za-z]+):")


class QueryError(ValueError):
    """A query that cannot be run as written; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.reason = message
        self.column = column


@dataclass(frozen=True)
class Term:
    """A word (maybe a prefix) or a quoted phrase, maybe under a field."""

    text: str
    quoted: bool = False
    prefix: bool = False
    field: str | None = None
    column: int = attribute(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    child: Node
    column: int = attribute(default=0, compare=False)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node: TypeAlias = Term | Not | And | Or


# --- lexing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # word | phrase | ( | ) | AND | OR | NOT | - | field
    text: str
    column: int
    glued: bool = False  # no space before it (a field's value, a minus's operand)


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    glued = False
    while i < n:
        ch = query[i]
        col = i + 1
        if ch.isspace():
            i, glued = i + 1, False
            continue
        if ch in "()":
            out.append(_Token(ch, ch, col, glued))
            i, glued = i + 1, ch == "("
            continue
        if ch == '"':
            j, text = i + 1, []
            while j < n and query[j] != '"':
                if query[j] == "\\" and j + 1 < n and query[j + 1] in '"\\':
                    j += 1
                text.append(query[j])
                j += 1
            if j >= n:
                raise QueryError("unclosed quote", col)
            out.append(_Token("phrase", "".join(text), col, glued))
            i, glued = j + 1, True
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in _SYNTAX:
            j += 1
        word = query[i:j]
        i = j
        if word in OPERATORS:
            out.append(_Token(word, word, col, glued))
        elif word.startswith("-") and len(word) > 1 or word == "-" and i < n and query[i] in '("':
            out.append(_Token("-", "-", col, glued))
            i = i - len(word) + 1  # lex the rest again: it may be a field, a quote, a group
            glued = True
            continue
        elif (m := _FIELD.match(word)) and not word[m.end() :].startswith("//"):
            name = m.group(1).lower()
            name = ALIASES.get(name, name)
            if name not in FIELDS:
                raise QueryError(
                    f"unknown field {m.group(1)}: (fields are {', '.join(f + ':' for f in FIELDS)};"
                    " quote the words to search for them)",
                    col,
                )
            out.append(_Token("field", name, col, glued))
            i = i - len(word) + m.end()
            glued = True
            continue
        else:
            out.append(_Token("word", word, col, glued))
        glued = True
    return out


# --- parsing --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], end: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.end = end  # the column after the last character

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expression(self, depth: int, in_field: str | None) -> Node | None:
        """Operands joined by AND (written or not) or by OR, never both at one level."""
        parts: list[Node] = []
        joint: str | None = None  # AND or OR
        pending: _Token | None = None  # an operator waiting for its right side
        while (tok := self.peek()) is not None and tok.kind != ")":
            if tok.kind in ("AND", "OR"):
                self.take()
                if pending is not None or not parts:
                    raise QueryError(f"{tok.kind} needs a term on each side", tok.column)
                pending = tok
                continue
            operand = self.unary(depth, in_field)
            if operand is None:
                continue  # punctuation: an operator before it still waits for its term
            kind = pending.kind if pending is not None else "AND"
            if joint is not None and kind != joint:
                at = pending.column if pending is not None else tok.column
                raise QueryError(
                    "AND and OR at one level: add parentheses, as in (a OR b) c or a OR (b c)", at
                )
            pending = None
            joint = kind if parts else joint
            parts.append(operand)
        if pending is not None:
            raise QueryError(f"{pending.kind} needs a term on each side", pending.column)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return Or(tuple(parts)) if joint == "OR" else And(tuple(parts))

    def unary(self, depth: int, in_field: str | None) -> Node | None:
        tok = self.take()
        if depth >= MAX_DEPTH:
            raise QueryError(f"more than {MAX_DEPTH} operators or parentheses deep", tok.column)
        if tok.kind in ("NOT", "-"):
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "AND", "OR") or (tok.kind == "-" and not nxt.glued):
                raise QueryError(f"{tok.text} needs a term after it", tok.column)
            child = self.unary(depth + 1, in_field)
            if child is None:
                raise QueryError(f"{tok.text} needs a term with letters or digits after it", tok.column)
            return Not(child, tok.column)
        if tok.kind == "(":
            return self.group(tok, depth, in_field)
        if tok.kind == "field":
            if in_field is not None:
                raise QueryError(f"{tok.text}: inside {in_field}:( ... ): one field at a time", tok.column)
            nxt = self.peek()
            if nxt is None or not nxt.glued or nxt.kind not in ("word", "phrase", "("):
                raise QueryError(f"{tok.text}: needs a value right after the colon", tok.column)
            value = self.unary(depth, tok.text)
            if value is None:
                raise QueryError(f"{tok.text}: needs a value with letters or digits", tok.column)
            return value
        if tok.kind == "phrase":
            if not any(c.isalnum() for c in tok.text):
                raise QueryError("quotes with no letters or digits in them", tok.column)
            return Term(" ".join(tok.text.split()), quoted=True, field=in_field, column=tok.column)
        if tok.kind == "word":
            return _word(tok, in_field)
        raise QueryError(f"unexpected {tok.text}", tok.column)  # pragma: no cover - ) is handled

    def group(self, opening: _Token, depth: int, in_field: str | None) -> Node | None:
        inner = self.expression(depth + 1, in_field)
        closing = self.peek()
        if closing is None:
            raise QueryError("unbalanced parenthesis", opening.column)
        self.take()
        if inner is None:
            raise QueryError("parentheses with nothing to search in them", opening.column)
        return inner


def _word(tok: _Token, in_field: str | None) -> Term | None:
    text, prefix = tok.text, False
    star = text.find("*")
    if star != -1:
        if star != len(text) - 1:
            raise QueryError("* stands only at the end of a word (Kazakh*)", tok.column + star)
        text, prefix = text[:-1], True
        if sum(c.isalnum() for c in text) < MIN_PREFIX:
            raise QueryError(f"give at least {MIN_PREFIX} letters before *", tok.column)
    if not any(c.isalnum() for c in text):
        return None  # punctuation between words (a dash, an ampersand): nothing to search
    return Term(text, prefix=prefix, field=in_field, column=tok.column)


def parse(query: str) -> Node:
    """The tree of a query; QueryError (with its column) if it cannot be read."""
    if len(query) > MAX_LENGTH:
        raise QueryError(f"a query of more than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    tokens = _lex(query)
    parser = _Parser(tokens, len(query) + 1)
    tree = parser.expression(0, None)
    stray = parser.peek()
    if stray is not None:  # only a ) stops the top level
        raise QueryError("unbalanced parenthesis", stray.column)
    if tree is None:
        raise QueryError("nothing to search for: give words, e.g. Rogun dam", 1)
    _check(tree)
    return tree


# --- what a tree may mean ------------------------------------------------------------------------


def _bounded(node: Node) -> bool:
    """True if every article it matches holds one of its terms that is not negated (so the
    matches can be found from the index; `NOT x` alone would be every other article)."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_bounded(c) for c in node.children)
    return all(_bounded(c) for c in node.children)


def prune(node: Node, drop: Callable[[Term], bool]) -> Node | None:
    """The tree without the terms `drop` says go (a group left empty goes too)."""
    if isinstance(node, Term):
        return None if drop(node) else node
    if isinstance(node, Not):
        child = prune(node.child, drop)
        return None if child is None else Not(child, node.column)
    kids = tuple(k for k in (prune(c, drop) for c in node.children) if k is not None)
    if not kids:
        return None
    return kids[0] if len(kids) == 1 else type(node)(kids)


def bounded(node: Node) -> bool:
    """Whether it can be searched: NOT is never all there is (see _bounded)."""
    return _bounded(node)


def _first_not(node: Node) -> int:
    if isinstance(node, Not):
        return node.column
    if isinstance(node, (And, Or)):
        for c in node.children:
            if not _bounded(c):
                return _first_not(c)
    return 1


def _check(tree: Node) -> None:
    if not _bounded(tree):
        raise QueryError(
            "NOT needs something to search beside it (Kumtor NOT Rogun; in an OR, each side)",
            _first_not(tree),
        )
    for term in terms(tree):
        if term.field == "lang" and not _LANG.match(term.text.lower()):
            raise QueryError(f"lang:{term.text}: give a language code such as en, ru, kk or zh", term.column)
        if term.field == "country" and not re.fullmatch(r"[A-Za-z]{2}", term.text):
            raise QueryError(f"country:{term.text}: give a country code such as KZ", term.column)
        if term.field in ("lang", "country") and (term.prefix or term.quoted):
            raise QueryError(f"{term.field}: takes a code, without quotes or *", term.column)


def terms(node: Node) -> list[Term]:
    """Every term of the tree, left to right."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.child)
    return [t for c in node.children for t in terms(c)]


def positive_terms(node: Node) -> list[Term]:
    """The terms under no NOT: what ranks an article (and bounds the matches)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    return [t for c in node.children for t in positive_terms(c)]


# --- and back to text ---------------------------------------------------------------------------


def _term_text(term: Term) -> str:
    if term.quoted:
        body = '"' + term.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        body = term.text + ("*" if term.prefix else "")
    return f"{term.field}:{body}" if term.field else body


def to_text(node: Node) -> str:
    """The query written back: parsing it gives the same tree."""
    if isinstance(node, Term):
        return _term_text(node)
    if isinstance(node, Not):
        child = node.child
        return "-" + (to_text(child) if isinstance(child, (Term, Not)) else f"({to_text(child)})")
    joint = " OR " if isinstance(node, Or) else " "
    return joint.join(f"({to_text(c)})" if isinstance(c, (And, Or)) else to_text(c) for c in node.children)
