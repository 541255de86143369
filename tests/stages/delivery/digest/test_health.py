"""The digest footer's grouping of failing sources (flows/stages/delivery/digest/health.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.stages.delivery.digest.build import FailingSource
from flows.stages.delivery.digest.health import error_kind, group_failures, health_summary

T1 = datetime(2026, 11, 21, 3, 21, tzinfo=UTC)
T2 = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


def test_error_kinds() -> None:
    assert error_kind("connection failed: [Errno -3] Temporary failure in name resolution") == (
        "name resolution failed"
    )
    assert error_kind(
        "connection failed: cannot resolve a.example: [Errno -2] Name or service not known"
    ) == ("name resolution failed")
    assert error_kind("timed out: no complete response within 20 s") == "timed out"
    assert error_kind("HTTP 503") == "HTTP 503"
    assert error_kind("connection failed: [Errno 111] Connection refused") == "connection refused"
    assert error_kind(None) == "unknown error"
    assert error_kind("not a feed: <html>") == "not a feed: <html>"


def test_groups_biggest_first_with_the_earliest_start() -> None:
    failing = [
        FailingSource("A", 3, T2, "cannot resolve a.example", None),
        FailingSource("B", 1, T1, "HTTP 500", None),
        FailingSource("C", 5, T1, "cannot resolve c.example", None),
    ]
    groups = group_failures(failing)
    assert [(g.kind, g.names, g.since) for g in groups] == [
        ("name resolution failed", ["A", "C"], T1),
        ("HTTP 500", ["B"], T1),
    ]
    assert health_summary(5, groups) == (
        "2 of 5 sources answered at their last poll; 3 failing: name resolution failed (2); HTTP 500 (1)."
    )
    assert health_summary(4, []) == "All 4 sources answered at their last poll."
