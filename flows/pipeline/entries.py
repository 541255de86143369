"""Choosing the entries an ingest fetches: each link once, not the ones already stored, spread over
hosts so pages in flight come from many sites at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from flows.pipeline.polling import Poll
from flows.stages.net.fetch import host_of
from flows.stages.sources.feeds import FeedEntry
from storage import DatabaseBusy, Store


@dataclass(frozen=True)
class Todo:
    """One entry to fetch; what becomes of it is counted on its poll's report."""

    poll: Poll
    entry: FeedEntry
    canonical: str


@dataclass(frozen=True)
class Known:
    """The polled links storage has already, or why storage could not say (the database is busy)."""

    urls: frozenset[str]
    busy: str | None = None


async def stored_already(store: Store, polls: list[Poll]) -> Known:
    """Which of the polls' links are stored; a busy database means none are known (inserts skip
    what is already stored, so fetching them again loses nothing)."""
    candidates = [c for p in polls for _, c in p.entries]
    try:
        return Known(frozenset(await asyncio.to_thread(store.known_canonical_urls, candidates)))
    except DatabaseBusy as exc:
        return Known(frozenset(), busy=str(exc))


def choose_entries(polls: list[Poll], known: frozenset[str]) -> list[Todo]:
    """The entries to fetch, interleaved by host. An entry already stored counts as known on its
    poll's report; a link another source of this run has too counts as same_link (stored once)."""
    todo: list[Todo] = []
    claimed: set[str] = set()
    for poll in polls:
        for entry, canonical in poll.entries:
            if canonical in known:
                poll.report.known += 1
            elif canonical in claimed:
                poll.report.same_link += 1
            else:
                claimed.add(canonical)
                todo.append(Todo(poll, entry, canonical))
    return interleave_by_host(todo)


def interleave_by_host(todo: list[Todo]) -> list[Todo]:
    """Round-robin over hosts, so pages in flight spread over many hosts instead of queueing
    behind one host's per-host limit while the analysis workers wait."""
    by_host: dict[str, list[Todo]] = {}
    for item in todo:
        by_host.setdefault(host_of(item.entry.link), []).append(item)
    queues = list(by_host.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]
