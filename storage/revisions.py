"""Edited articles (an edited Telegram post): the stored article takes the new text, the title and
text it had are kept in article_revision, and its near-duplicate bands and search postings go
with the new text (the postings are dropped here; the next index update makes them anew). Runs
in the caller's transaction, the batch's insert, so an edit commits with its batch or not at all.
The article keeps its id, URL, first sighting, date and story cluster."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from storage.dedup import add_bands
from storage.keys import set_text_key
from storage.records import ArticleRecord
from storage.search.index import forget_articles


def revise_articles(
    con: duckdb.DuckDBPyConnection, edits: Sequence[tuple[ArticleRecord, int]], run_id: int | None
) -> set[int]:
    """Each stored article (by id) takes its record's title and text where they differ from the
    stored ones, and what follows from them; returns the ids that changed."""
    if not edits:
        return set()
    literal = ",".join(str(int(i)) for _, i in edits)
    stored = {
        int(r[0]): (r[1], r[2])
        for r in con.execute(f"SELECT id, title, text FROM article WHERE id IN ({literal})").fetchall()
    }
    changed = [(rec, i) for rec, i in edits if i in stored and stored[i] != (rec.title, rec.text)]
    now = datetime.now(UTC)
    for rec, article_id in changed:
        con.execute(
            "INSERT INTO article_revision SELECT id, ?, ?, title, text, text_hash FROM article WHERE id = ?",
            [now, run_id, article_id],
        )
        con.execute(
            "UPDATE article SET title = ?, text = ?, word_count = ?, language = ?, relevance = ?,"
            " is_relevant = ?, countries = ?, text_hash = ?, feed_summary = ?, extraction = ?"
            " WHERE id = ?",
            [
                rec.title,
                rec.text,
                rec.word_count,
                rec.language,
                rec.relevance,
                rec.is_relevant,
                rec.countries,
                rec.text_hash,
                rec.feed_summary,
                rec.extraction,
                article_id,
            ],
        )
        set_text_key(con, article_id, rec.text_hash)
    for rec, article_id in changed:
        con.execute("DELETE FROM article_place WHERE article_id = ?", [article_id])
        if rec.places is not None:
            con.execute("INSERT INTO article_place VALUES (?, ?)", [article_id, rec.places])
    ids = [i for _, i in changed]
    if ids:
        con.execute(f"DELETE FROM dedup_band WHERE article_id IN ({','.join(map(str, ids))})")
        add_bands(con, [(key, i) for rec, i in changed for key in rec.band_keys])
        forget_articles(con, ids)
    return set(ids)
