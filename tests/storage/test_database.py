"""storage/database.py: the connection layer's own behaviour."""

from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

import duckdb
import pytest

from storage.database import remember_absent
from storage.store import Store


def test_a_list_parameter_does_not_search_the_import_path_once_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's client imports pandas for each value of a list; an absent pandas must not cost a
    search of the import path each time (3,000 keys took 630 ms)."""
    searched: list[str] = []
    real = importlib.machinery.PathFinder.find_spec

    def spy(cls: type, name: str, path: object = None, target: object = None) -> object:
        searched.append(name)
        return real(name, path, target)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", classmethod(spy))
    store = Store(tmp_path / "n.duckdb")
    with store.connect() as con:
        (count,) = con.execute("SELECT len(?::VARCHAR[])", [[f"k{i}" for i in range(200)]]).fetchone() or (0,)
    assert count == 200
    assert searched.count("pandas") == 0


def test_an_installed_module_is_never_marked_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "json", raising=False)
    assert remember_absent("json") is False
    assert "json" not in sys.modules or sys.modules["json"] is not None


def test_an_absent_module_is_remembered_and_still_fails_to_import() -> None:
    name = "newswatch_no_such_module"
    assert remember_absent(name) is True
    assert remember_absent(name) is True
    with pytest.raises(ModuleNotFoundError, match=name):
        __import__(name)
    assert name not in sys.modules


def test_pinned_writes_open_the_file_once_and_commit_each_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "n.duckdb")
    with store.transaction() as con:
        con.execute("CREATE TABLE t (v INTEGER)")
    opened: list[str] = []
    real = duckdb.connect

    def counting(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        opened.append(str(args[0]) if args else "")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("storage.database.duckdb.connect", counting)
    with store.pinned_writes():
        with store.transaction() as con:
            con.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError), store.transaction() as con:
            con.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("the second one fails")
        with store.connect(read_only=True) as con:
            inside = con.execute("SELECT list(v) FROM t").fetchone()
    assert len(opened) == 1
    assert inside == ([1],)
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT list(v) FROM t").fetchone() == ([1],)
    assert len(opened) == 2  # outside, a connection of its own again
