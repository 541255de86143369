"""storage/store.py: `Store` is the domain mixins over one layer, and the lake overrides the layer only."""

from __future__ import annotations

import inspect

from storage.database import Database
from storage.lake import LakeStore
from storage.store import Store


def test_store_is_composed_of_one_mixin_per_domain_over_the_layer() -> None:
    mixins = [c for c in Store.__mro__ if c not in (Store, Database, object)]
    assert {c.__module__ for c in mixins} == {
        "storage.migrations",
        "storage.runs",
        "storage.sources",
        "storage.cursors",
        "storage.articles",
        "storage.dedup",
        "storage.digests",
        "storage.queries",
        "storage.watches",
        "storage.browse",
        "storage.templates",
        "storage.titles",
        "storage.stories",
    }
    assert all(issubclass(c, Database) for c in mixins)


def test_the_lake_overrides_the_layer_and_never_a_domain_method() -> None:
    layer = {name for name, _ in inspect.getmembers(Database)} | set(vars(Database))
    domain = {name for c in Store.__mro__ if c not in (Database, object) for name in vars(c)} - layer
    overridden = {name for name in vars(LakeStore) if not name.startswith("__")}
    assert not overridden & domain
    assert overridden - layer <= {"_attach"}  # its own helper, not a Store method
