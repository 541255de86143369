"""Which sources a run polls: the ones not backing off; the others get a report saying until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flows.config import Source
from flows.pipeline.poll_due import backing_off, due_sources
from storage import SourceState

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def state(name: str, failures: int, next_poll_at: datetime | None) -> SourceState:
    return SourceState(
        name, f"http://{name.lower()}.test/", None, None, failures, next_poll_at, None, "boom", None
    )


def test_a_failing_source_waits_for_its_next_poll_and_says_when_that_is() -> None:
    chosen = [
        Source(name=n, url=f"http://{n.lower()}.test/feed") for n in ("Fresh", "Failing", "Recovered", "Fine")
    ]
    states = {
        "Failing": state("Failing", 3, NOW + timedelta(minutes=30)),
        "Recovered": state("Recovered", 2, NOW - timedelta(minutes=1)),
        "Fine": state("Fine", 0, NOW + timedelta(hours=1)),  # no failures: a next_poll_at does not hold it
    }
    due = due_sources(chosen, states, NOW)
    assert [s.name for s in due] == ["Fresh", "Recovered", "Fine"]
    reports = backing_off(chosen, due, states, ZoneInfo("Asia/Tokyo"))
    assert [(r.name, r.status, r.error) for r in reports] == [
        ("Failing", "backing_off", "failing (3x); next poll after 2026-12-01 17:30 +09")
    ]
