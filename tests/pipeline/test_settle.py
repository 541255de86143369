"""What a run records of its polls: outcomes with the articles stored, cursors only past what was stored."""

from __future__ import annotations

from flows.config import Source
from flows.pipeline.polling import Poll, SourceReport
from flows.pipeline.settle import settle_polls
from storage import FetchLogEntry, PollOutcome
from storage.cursors import Cursor


def poll(name: str, report: SourceReport, ok: bool = True) -> Poll:
    source = Source(name=name, url=f"http://{name.lower()}.test/sitemap.xml", type="sitemap")
    outcome = PollOutcome(name, ok=ok, status=200, etag='"v2"', last_modified="Tue, 01 Dec 2026 08:00:00 GMT")
    return Poll(
        source,
        report,
        outcome,
        log=[FetchLogEntry(name, "sitemap", source.url, "ok")],
        cursors=[Cursor(name, "high_water", "", "2026-12-01")],
        sections=[Cursor(name, "section", f"http://{name.lower()}.test/world/")],
    )


def test_a_poll_with_failed_entries_keeps_its_old_validators_and_its_cursors_do_not_move() -> None:
    good = poll("A", SourceReport("A", new=2, duplicate=1))
    failing = poll("B", SourceReport("B", new=1, failed=1))
    unread = poll("C", SourceReport("C", status="error", failed=1))
    unread.outcome = None
    settled = settle_polls([good, failing, unread])

    assert settled.polled == 3
    a, b = settled.outcomes
    assert (a.name, a.etag, a.new_articles) == ("A", '"v2"', 3)  # copies are stored articles too
    assert (b.name, b.etag, b.last_modified, b.new_articles) == ("B", None, None, 1)
    assert settled.cursors == [
        *good.cursors,
        *good.sections,
        *failing.sections,
        *unread.cursors,
        *unread.sections,
    ]
    assert [f.source for f in settled.fetches] == ["A", "B", "C"]


def test_settling_reads_the_polls_and_changes_none_of_them() -> None:
    failing = poll("B", SourceReport("B", failed=2))
    before = failing.outcome
    settle_polls([failing])
    assert failing.outcome is before and failing.outcome is not None and failing.outcome.etag == '"v2"'
    assert len(failing.cursors) == 1
