"""Phrases, checked in the text of the articles whose words they hold (the index keeps no
positions): first in SQL, an RE2 pattern over every candidate that no phrase-holding text fails
(the words' starts, in order), then in Python, term by term, over the few that pass."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import numpy as np
import pyarrow as pa

from storage.search.evaluate import Matches, holds
from storage.search.plan import Plan
from storage.search.tokenizer import Stemmer, holds_sequence, phrase_pattern, term_sequence


class PhraseReader:
    """Tells which candidates match, reading the texts a phrase decides (each article once)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, plan: Plan, found: Matches, stem: Stemmer) -> None:
        self.con, self.plan, self.found, self.stem = con, plan, found, stem
        self.any_unsure = bool(found.unsure.any())
        self.verdict: dict[int, bool] = {}
        self.checked = [i for i, leaf in enumerate(plan.leaves) if leaf.checked]
        self.patterns = {i: phrase_pattern(plan.leaves[i].text, stem) for i in self.checked}

    def matching(self, ids: Iterable[int]) -> set[int]:
        """Of these candidate ids, those that match (the sure ones without reading them)."""
        ids = [int(i) for i in ids]
        if not self.any_unsure:
            return set(ids)
        todo = [i for i in ids if i not in self.verdict and self.unsure(i)]
        if todo:
            self._read(todo)
        return {i for i in ids if self.verdict.get(i, not self.unsure(i))}

    def position(self, id_: int) -> int:
        return int(np.searchsorted(self.found.ids, id_))

    def unsure(self, id_: int) -> bool:
        return bool(self.found.unsure[self.position(id_)])

    def _read(self, todo: list[int]) -> None:
        columns = ", ".join(
            f"regexp_matches(strip_accents(lower({'nw_t' if self.plan.leaves[i].in_title else 'nw_all'})), $p{i})"
            for i in self.checked
        )
        params = {f"p{i}": self.patterns[i] for i in self.checked}
        self.con.register("nw_todo", pa.table({"id": pa.array(todo, type=pa.int64())}))
        try:
            rows = self.con.execute(
                f"SELECT id, [{columns}] FROM (SELECT a.id, coalesce(a.title, '') AS nw_t,"
                " coalesce(a.title, '') || chr(10) || coalesce(a.text, '') AS nw_all"
                " FROM article a SEMI JOIN nw_todo n ON n.id = a.id)",
                params,
            ).fetchall()
        finally:
            self.con.unregister("nw_todo")
        maybe = {int(r[0]): dict(zip(self.checked, r[1], strict=True)) for r in rows}
        for id_ in todo:
            self.verdict[id_] = False  # gone from the table since: no match
        wanted = [i for i, passes in maybe.items() if any(passes.values())]
        texts = {}
        if wanted:
            listed = ",".join(str(i) for i in wanted)
            texts = {
                int(r[0]): (r[1], r[2])
                for r in self.con.execute(
                    f"SELECT id, coalesce(title, ''), coalesce(text, '') FROM article WHERE id IN ({listed})"
                ).fetchall()
            }
        for id_, passes in maybe.items():
            title, text = texts.get(id_, ("", ""))
            self.verdict[id_] = self._holds(id_, passes, title, text)

    def _holds(self, id_: int, passes: dict[int, bool], title: str, text: str) -> bool:
        sequences: dict[bool, list[str]] = {}

        def reads(leaf: int) -> bool:
            if not passes[leaf]:
                return False
            spec = self.plan.leaves[leaf]
            if True not in sequences:
                sequences[True] = term_sequence(title)
            if holds_sequence(sequences[True], spec.sequence, self.stem):
                return True
            if spec.in_title:
                return False
            if False not in sequences:
                sequences[False] = term_sequence(text)
            return holds_sequence(sequences[False], spec.sequence, self.stem)

        slot = int(self.found.slots[self.position(id_)])
        return holds(self.plan.tree, self.plan, self.found.present, slot, reads)
