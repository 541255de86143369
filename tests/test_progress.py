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


def test_the_progress_line_says_which_feeds_are_still_out(caplog: pytest.LogCaptureFixture) -> None:
    from flows.progress import show_waiting, waiting_for

    assert waiting_for(["A", "B"]) == "waiting for A, B"
    assert waiting_for([f"F{n}" for n in range(44)]) == "waiting for F0, F1, F2, F3 and 40 more"
    reporter = LogReporter(logging.getLogger("newswatch.test"))
    out = [f"Feed {n:02d}" for n in range(20)]
    with caplog.at_level(logging.INFO, logger="newswatch.test"):
        reporter.phase("feeds", 20)
        while out:
            out.pop(0)
            show_waiting(reporter, out)
            reporter.advance()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[1] == "feeds: 2/20, waiting for Feed 02, Feed 03, Feed 04, Feed 05 and 14 more"
    assert lines[-1] == "feeds: 20/20"
    show_waiting(SilentReporter(), ["x"])  # a reporter that cannot show it is left alone
    terminal = ConsoleReporter(Console(file=io.StringIO(), force_terminal=True, width=120))
    terminal.phase("feeds", 3)
    show_waiting(terminal, ["Slow outlet"])
    assert terminal._progress is not None
    assert terminal._progress.tasks[0].description == "feeds (waiting for Slow outlet)"
    terminal.close()
