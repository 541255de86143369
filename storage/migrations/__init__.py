"""The schema's numbered migrations (the .sql files beside this module) and how they are applied."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import duckdb

from storage.database import Database
from storage.errors import StorageError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StorageError(f"two migrations share a number: {versions}")
    return found


class Migrations(Database):
    """Creating and upgrading the schema."""

    def migrate(self) -> list[str]:
        """Create or upgrade the schema; returns the names of the migrations applied.

        Each migration is a transaction of its own (on a lake, guarded and run again on a conflict).
        """
        pending = migrations()
        with contextlib.suppress(duckdb.Error), self.connect() as con:  # a new database has no tables yet
            done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
            if self.bootstrapped(con):
                pending = [m for m in pending if m.version not in done]
        if not pending:
            return []  # the common case: no transaction, so no turn taken from a lake's writers
        self.retrying(self._bootstrap)
        applied: list[str] = []
        for mig in pending:
            if self.retrying(lambda m=mig: self._apply(m)):  # type: ignore[misc]
                applied.append(f"{mig.version:03d}_{mig.name}")
        return applied

    def _bootstrap(self) -> None:
        with self.connect() as con:
            self.bootstrap(con)

    def _apply(self, mig: Migration) -> bool:
        with self.transaction() as con:
            done = con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [mig.version]).fetchone()
            if done:
                return False
            try:
                for stmt in self.migration_statements(mig.sql):
                    con.execute(stmt)
            except duckdb.Error as exc:
                if self.is_retryable(exc):
                    raise
                raise StorageError(
                    f"migration {mig.version:03d}_{mig.name} failed{self.where}: {exc}"
                ) from exc
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [mig.version, mig.name, datetime.now(UTC)]
            )
        return True

    def schema_version(self) -> int:
        with self.reading() as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0
