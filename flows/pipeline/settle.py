"""What a run records of its polls once their articles are stored: each source's outcome, the
fetch log and the cursors. A poll with failed entries must see them again next time, so it keeps
the old validators (ETag, Last-Modified) and its reading cursors do not move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from flows.pipeline.polling import Poll
from storage import FetchLogEntry, PollOutcome
from storage.cursors import Cursor


@dataclass(frozen=True)
class Settled:
    polled: int  # sources polled
    outcomes: list[PollOutcome]  # for the sources table (health, validators, articles stored)
    fetches: list[FetchLogEntry]
    cursors: list[Cursor]  # where each source stopped reading, and the section pages found


def settle_polls(polls: Sequence[Poll]) -> Settled:
    return Settled(
        polled=len(polls),
        outcomes=[o for p in polls if (o := settled_outcome(p)) is not None],
        fetches=[entry for p in polls for entry in p.log],
        cursors=[c for p in polls for c in settled_cursors(p)],
    )


def settled_outcome(poll: Poll) -> PollOutcome | None:
    """The poll's outcome with the articles it stored (copies are stored articles too)."""
    if poll.outcome is None:
        return None
    outcome = poll.outcome
    if poll.report.failed:
        outcome = dataclasses.replace(outcome, etag=None, last_modified=None)
    return dataclasses.replace(outcome, new_articles=poll.report.new + poll.report.duplicate)


def settled_cursors(poll: Poll) -> list[Cursor]:
    """The poll's cursors (none if it has an outcome and failed entries: the next poll reads the
    same entries of a sitemap or channel again), then the section pages it found (kept always)."""
    failed = poll.outcome is not None and bool(poll.report.failed)
    return [*([] if failed else poll.cursors), *poll.sections]
