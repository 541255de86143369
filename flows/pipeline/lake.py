"""Several writers, one lake: sharded ingest, and the reconciliation that runs after each commit.

Sources are split between ingest processes by a stable hash of their name (`Shard`), so each
feed is polled by one process. Two processes can still meet on one article (two outlets link the
same URL) or one story (two outlets print the same agency copy): the lake's guarded
transactions make the second writer see the first one's rows (storage/lake.py), and
`reconcile` afterwards checks what is stored: a canonical URL twice is cut back to its earliest
row, and clusters holding copies of one story are merged, with the dedup module's verdicts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from flows.config import Config, Source
from flows.pipeline.ingest import IngestSummary, ingest
from flows.progress import Reporter, SilentReporter
from flows.stages.stories.near_duplicates import NearDuplicates
from storage import StorageError, Store
from storage import reconcile as reconciling
from storage.errors import DatabaseError
from storage.lake import LakeStore, Shard
from storage.reconcile import ReconcileSummary
from storage.search.index import update_index_retrying
from storage.spool import writing


def shard_sources(sources: Sequence[Source], shard: Shard | None) -> list[Source]:
    return [s for s in sources if shard is None or shard.owns(s.name)]


class UnknownSource(ValueError):
    """A source named for an ingest that sources.yaml does not have (or has disabled)."""


def named_sources(config: Config, names: Sequence[str]) -> list[Source]:
    """The configured sources `names` name (case aside, each once); UnknownSource names the
    closest valid name for a typo, and a disabled source."""
    from flows.text import did_you_mean

    by_key = {s.name.lower(): s for s in config.sources}
    picked: list[Source] = []
    for name in names:
        source = by_key.get(name.strip().lower())
        if source is None:
            hint = did_you_mean(name.strip(), [s.name for s in config.sources])
            raise UnknownSource(f"no source named {name!r} in {config.path}{hint}")
        if not source.enabled:
            raise UnknownSource(
                f"source {source.name!r} is disabled (enabled: false in {config.path}); enable it,"
                " or try it without storing anything: newswatch sources test NAME"
            )
        if source not in picked:
            picked.append(source)
    return picked


def reconcile(store: Store, batch_size: int = 500) -> ReconcileSummary:
    """Make what concurrent writers committed consistent; safe to run at any time, any number of times.

    The transaction is storage's (storage/reconcile.py); the near-duplicate verdicts are the dedup stage's.
    """
    return reconciling.reconcile(store, NearDuplicates, batch_size)


def _reconcile_and_index(store: LakeStore, reporter: Reporter) -> ReconcileSummary:
    """After an ingest, under this machine's writer lock again (the ingest has let it go)."""
    with writing(store, "lake reconcile", reporter.message):
        done = reconcile(store)
        update_index_retrying(store)
    return done


def lake_summary(store: Store) -> dict[str, int]:
    return reconciling.summary(store)


async def ingest_shard(
    config: Config,
    store: Store,
    *,
    shard: Shard | None = None,
    names: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    **kwargs: Any,
) -> IngestSummary:
    """One ingest over this shard's sources (or those `names` names, polled whatever their
    back-off, as `poll_now` polls the shard's); on a lake, then reconcile and bring search up to date."""
    reporter = reporter or SilentReporter()
    sources = shard_sources(config.enabled_sources, shard) if shard is not None else None
    if names:
        sources, kwargs["poll_now"] = named_sources(config, names), True
    summary = await ingest(config, store, reporter=reporter, sources=sources, **kwargs)
    if isinstance(store, LakeStore):
        try:
            done = await asyncio.to_thread(_reconcile_and_index, store, reporter)
            if done.changed:
                reporter.message(
                    f"reconciled the lake: {done.removed} duplicate rows removed, "
                    f"{done.merged_by_hash + done.merged_near} story clusters merged"
                )
        except (DatabaseError, StorageError) as exc:  # the articles are stored; the next run reconciles
            reporter.message(f"lake reconciliation postponed: {exc}")
        if store.conflicts:
            note = f"{store.conflicts} commits retried after other writers' commits"
            summary.note = f"{summary.note}; {note}" if summary.note else note
    return summary
