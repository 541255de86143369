"""Reading a test's database back, read-only, as a user's SQL client would while no run holds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
