"""The one progress protocol: log lines when there is no terminal."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from flows.progress import ConsoleReporter, LogReporter, Reporter, SilentReporter


def test_log_lines_name_the_phase_every_tenth_and_the_messages(caplog: pytest.LogCaptureFixture) -> None:
    reporter: Reporter = LogReporter(logging.getLogger("newswatch.test"))
    with caplog.at_level(logging.INFO, logger="newswatch.test"):
        reporter.phase("articles", 100)
        for _ in range(40):
            reporter.advance()
        reporter.advance(25)  # a big step crossing several tenths logs once
        reporter.message("waiting for the database")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "articles: 100 to do",
        "articles: 10/100",
        "articles: 20/100",
        "articles: 30/100",
        "articles: 40/100",
        "articles: 65/100",
        "waiting for the database",
    ]


def test_console_reporter_without_a_terminal_logs(caplog: pytest.LogCaptureFixture) -> None:
    reporter = ConsoleReporter(Console(file=io.StringIO(), force_terminal=False))
    with caplog.at_level(logging.INFO, logger="newswatch"):
        reporter.phase("rescore", None)
        reporter.advance()
        reporter.message("done")
    reporter.close()
    assert [r.getMessage() for r in caplog.records] == ["rescore: ? to do", "done"]
    SilentReporter().phase("x", 1)  # the silent one accepts the same calls
