"""Where sources without a feed stopped reading (table source_cursor): sitemap high-water marks,
child sitemaps and what each sitemap or section page listed, the last Telegram post taken and where
to read back from, and links of section pages known to be sections. What each kind means is the
cursor contract's (flows/stages/sources/cursors.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.database import Database


@dataclass(frozen=True)
class Cursor:
    source: str
    kind: str  # high_water | child | listed | last_post | read_back | section
    key: str = ""
    value: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Cursors(Database):
    """Read and replace `source_cursor` rows."""

    def cursors(self, source: str, kinds: Sequence[str] | None = None) -> dict[tuple[str, str], Cursor]:
        """A source's cursors by (kind, key)."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT source, kind, key, value, etag, last_modified FROM source_cursor WHERE source = ?"
                " AND (? IS NULL OR list_contains(?, kind))",
                [source, None if kinds is None else list(kinds), None if kinds is None else list(kinds)],
            ).fetchall()
        return {(r[1], r[2]): Cursor(*r) for r in rows}

    def save_cursors(self, cursors: Sequence[Cursor]) -> None:
        """Insert or replace each cursor (by source, kind and key), all in one transaction."""
        if not cursors:
            return

        def attempt() -> None:
            now = datetime.now(UTC)
            with self.unguarded(), self.transaction() as con:
                for c in cursors:
                    con.execute(
                        "DELETE FROM source_cursor WHERE source = ? AND kind = ? AND key = ?",
                        [c.source, c.kind, c.key],
                    )
                    con.execute(
                        "INSERT INTO source_cursor (source, kind, key, value, etag, last_modified, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [c.source, c.kind, c.key, c.value, c.etag, c.last_modified, now],
                    )

        self.retrying(attempt)
