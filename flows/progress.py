"""Progress of long work (ingest, rescore, rebuild, reindex): one protocol, three ways to show it.

A bar on a terminal (`ConsoleReporter`), log lines elsewhere (`LogReporter`: the CLI without a
terminal, Prefect's run logger), nothing in tests and library use (`SilentReporter`).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    """Progress for long work: a phase with its size, steps done, and messages for the user."""

    def phase(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def message(self, text: str) -> None: ...


def waiting_for(names: list[str], shown: int = 4) -> str:
    """Which of a phase's items are still out: "waiting for A, B, C, D and 40 more"."""
    if not names:
        return ""
    head = ", ".join(names[:shown])
    return f"waiting for {head}" + (f" and {len(names) - shown} more" if len(names) > shown else "")


def show_waiting(reporter: Reporter, names: list[str]) -> None:
    """Tell a reporter that can show it which items are still out (the feeds not answered yet)."""
    detail = getattr(reporter, "detail", None)
    if callable(detail):
        detail(waiting_for(names))


class SilentReporter:
    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def message(self, text: str) -> None:
        pass


class LogReporter:
    """Log lines: a phase's size, then every tenth of a phase of 20 steps or more, and messages."""

    def __init__(
        self, logger: logging.Logger | logging.LoggerAdapter[Any], message_level: int = logging.INFO
    ):
        self.logger = logger
        self.message_level = message_level
        self._name = ""
        self._total: int | None = None
        self._done = 0
        self._detail = ""

    def phase(self, name: str, total: int | None) -> None:
        self._name, self._total, self._done, self._detail = name, total, 0, ""
        self.logger.info("%s: %s to do", name, total if total is not None else "?")

    def detail(self, text: str) -> None:
        """What the phase still waits for, said with its next progress line."""
        self._detail = text

    def advance(self, n: int = 1) -> None:
        before, self._done = self._done, self._done + n
        if self._total and self._total >= 20:
            step = max(1, self._total // 10)
            if before // step != self._done // step:
                if self._detail and self._done < self._total:
                    self.logger.info("%s: %d/%d, %s", self._name, self._done, self._total, self._detail)
                else:
                    self.logger.info("%s: %d/%d", self._name, self._done, self._total)

    def message(self, text: str) -> None:
        self.logger.log(self.message_level, "%s", text)


class ConsoleReporter:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, console: Console, logger: logging.Logger | None = None) -> None:
        self.console = console
        self.interactive = console.is_terminal
        self.lines = LogReporter(logger or logging.getLogger("newswatch"))
        self._progress: Progress | None = None
        self._task: Any = None
        self._name = ""

    def phase(self, name: str, total: int | None) -> None:
        self._finish_bar()
        if not self.interactive:
            self.lines.phase(name, total)
            return
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._name = name
        self._task = self._progress.add_task(name, total=total)

    def detail(self, text: str) -> None:
        """What the phase still waits for, beside the bar ("feeds (waiting for A, B and 40 more)")."""
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self._name} ({text})" if text else self._name)
        else:
            self.lines.detail(text)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)
        else:
            self.lines.advance(n)

    def message(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text)
        else:
            self.lines.message(text)

    def _finish_bar(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        self._finish_bar()
