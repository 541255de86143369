"""Polling a run's sources: which are due, a report for each one backing off, and every due
source polled at once (one source's failure costs only that source).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flows.clock import local
from flows.config import Settings, Source
from flows.pipeline.crawl import poll_any
from flows.pipeline.polling import Poll, SourceReport, failed_poll, is_due
from flows.progress import Reporter, show_waiting
from flows.stages.net.fetch import Fetcher
from storage import SourceState, Store

log = logging.getLogger(__name__)


def due_sources(chosen: Sequence[Source], states: dict[str, SourceState], now: datetime) -> list[Source]:
    """The chosen sources not backing off after failures."""
    return [s for s in chosen if is_due(states.get(s.name), now)]


def backing_off(
    chosen: Sequence[Source], due: Sequence[Source], states: dict[str, SourceState], tz: ZoneInfo
) -> list[SourceReport]:
    """A report for each chosen source that is not due: how often it failed, when it is polled next."""
    reports = []
    for source in chosen:
        if source not in due:
            state = states[source.name]
            reports.append(
                SourceReport(
                    source.name,
                    status="backing_off",
                    error=f"failing ({state.consecutive_failures}x); next poll after"
                    f" {local(state.next_poll_at, tz)}",
                )
            )
    return reports


class PollProgress:
    """The progress line while sources are polled: one step each, and which are still out."""

    def __init__(self, reporter: Reporter, due: Sequence[Source]) -> None:
        self.reporter = reporter
        reporter.phase("feeds", len(due))
        self.waiting = {s.name for s in due}

    def done(self, name: str) -> None:
        self.waiting.discard(name)
        show_waiting(self.reporter, sorted(self.waiting, key=str.lower))
        self.reporter.advance()


async def poll_one(
    fetcher: Fetcher, store: Store, source: Source, state: SourceState | None, settings: Settings
) -> Poll:
    """The source polled the way its type asks, from where it stopped reading (its cursors)."""
    try:
        cursors = await asyncio.to_thread(store.cursors, source.name) if source.type != "feed" else {}
        return await poll_any(fetcher, source, state, cursors, settings)
    except Exception as exc:  # noqa: BLE001 - a feed can only ever cost its own source
        log.warning("polling %s failed: %r", source.name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return failed_poll(source, f"unexpected error reading the feed: {type(exc).__name__}: {exc}")


async def poll_due(
    fetcher: Fetcher,
    store: Store,
    due: Sequence[Source],
    states: dict[str, SourceState],
    settings: Settings,
    reporter: Reporter,
) -> list[Poll]:
    """Every due source polled concurrently, in the order given."""
    progress = PollProgress(reporter, due)
    return list(
        await asyncio.gather(*(_poll_shown(fetcher, store, s, states, settings, progress) for s in due))
    )


async def _poll_shown(
    fetcher: Fetcher,
    store: Store,
    source: Source,
    states: dict[str, SourceState],
    settings: Settings,
    progress: PollProgress,
) -> Poll:
    poll = await poll_one(fetcher, store, source, states.get(source.name), settings)
    progress.done(source.name)
    return poll
